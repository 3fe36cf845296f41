"""The server's defences, tried from outside with raw HTTP: every refusal has the right status.

Also: a revoked key is refused without a restart, nothing is served beyond
loopback, bodies are limited with or without Content-Length, bad input is a
4xx (never a 5xx), and the log holds no content.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from tests.integration.web.conftest import RunningServer, nexthub

STARTER = "smollm2-135m-instruct"
LIMIT = 4 * 1024 * 1024  # DEFAULT_MAX_BODY_BYTES
CHAT = {"model": STARTER, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return dict(error)


def test_every_response_carries_the_security_headers(server: RunningServer) -> None:
    with server.client() as client:
        for response in (client.get("/v1/models"), client.get("/nowhere")):
            headers = response.headers
            assert "default-src 'none'" in headers["content-security-policy"]
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-frame-options"] == "DENY"
            assert "server" not in headers


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "192.168.1.10", "127.0.0.1.evil.example"]
)
def test_a_host_that_is_not_loopback_is_refused(server: RunningServer, host: str) -> None:
    with server.client(Host=host) as client:
        error = assert_openai_error(client.get("/v1/models"), 403)
    assert error["code"] == "host_not_allowed"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:1", "[::1]:8080", "LOCALHOST:9"])
def test_loopback_hosts_with_any_port_are_served(server: RunningServer, host: str) -> None:
    with server.client(Host=host) as client:
        assert client.get("/v1/models").status_code == 200


def test_a_post_from_another_site_is_refused(server: RunningServer) -> None:
    with server.client(Origin="https://evil.example") as client:
        error = assert_openai_error(client.post("/v1/chat/completions", json=CHAT), 403)
    assert error["code"] == "origin_not_allowed"


def test_a_post_from_the_same_origin_is_served(server: RunningServer) -> None:
    with server.client(Origin=server.origin) as client:
        response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200, response.text


def test_no_cors_for_other_sites(server: RunningServer) -> None:
    with server.client(Origin="https://evil.example") as client:
        response = client.get("/v1/models")
        assert "access-control-allow-origin" not in response.headers
        preflight = client.options(
            "/v1/chat/completions",
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    ("key", "phrase"), [("", "No API key"), ("nh-not-a-key", "not valid"), ("Basic x", "not")]
)
def test_a_missing_or_wrong_key_is_401(server: RunningServer, key: str, phrase: str) -> None:
    headers = {"Authorization": key} if key.startswith("Basic") else {}
    with server.client(key="" if key.startswith("Basic") else key, **headers) as client:
        response = client.get("/v1/models")
    error = assert_openai_error(response, 401)
    assert phrase in str(error["message"])
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused_at_once_without_a_restart(server: RunningServer) -> None:
    made = nexthub(server.home, "keys", "create", "short-lived", "--quiet")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    with server.client(key=key) as client:
        assert client.get("/v1/models").status_code == 200
        revoked = nexthub(server.home, "keys", "revoke", "short-lived")
        assert revoked.returncode == 0, revoked.stderr
        assert_openai_error(client.get("/v1/models"), 401)
    with server.client() as client:  # the other key still works
        assert client.get("/v1/models").status_code == 200


def test_a_body_over_the_limit_is_413_before_it_is_read(server: RunningServer) -> None:
    """A declared Content-Length over the limit is refused without sending the body."""
    address = urlsplit(server.origin)
    with socket.create_connection((address.hostname, address.port), timeout=30) as conn:
        conn.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {server.key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
        )
        received = b""
        while b"request_too_large" not in received:  # the reply may come in several segments
            piece = conn.recv(65536)
            if not piece:
                break
            received += piece
        reply = received.decode("latin-1")
    assert reply.startswith("HTTP/1.1 413"), reply
    assert "request_too_large" in reply


def test_a_chunked_body_over_the_limit_is_413(server: RunningServer) -> None:
    def body() -> Iterator[bytes]:  # no Content-Length: httpx sends it chunked
        piece = b" " * 65536
        for _ in range(LIMIT // len(piece) + 2):
            yield piece

    with server.client() as client:
        response = client.post(
            "/v1/chat/completions", content=body(), headers={"Content-Type": "application/json"}
        )
    assert "content-length" not in response.request.headers
    assert_openai_error(response, 413)


def test_malformed_json_is_400(server: RunningServer) -> None:
    with server.client() as client:
        error = assert_openai_error(
            client.post("/v1/chat/completions", content=b'{"model": "x", "messages": [}'), 400
        )
    assert "not valid JSON" in str(error["message"])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"\xff\xfe",
        b'{"model": 5, "messages": []}',
        b'{"model": "smollm2-135m-instruct"}',
        b'{"model": "smollm2-135m-instruct", "messages": "hi"}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "wizard", "content": "x"}]}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": 5}]}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": [{"type":'
        b' "image_url"}]}]}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "x"}],'
        b' "top_p": 0}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "x"}],'
        b' "max_tokens": "many"}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "x"}],'
        b' "stream": "yes"}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "x"}],'
        b' "temperature": 1e999}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "x"}],'
        b' "stop": [""]}',
        b'{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "x"}],'
        b' "tools": [{"type": "function"}]}',
    ],
)
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"])
def test_bad_input_is_a_4xx_openai_error_never_a_5xx(
    server: RunningServer, body: bytes, path: str
) -> None:
    with server.client() as client:
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert_openai_error(response, response.status_code)


def test_unknown_paths_and_methods_are_openai_errors(server: RunningServer) -> None:
    with server.client() as client:
        assert_openai_error(client.get("/v1/nothing"), 404)
        assert_openai_error(client.get("/v1/chat/completions"), 405)
        assert_openai_error(client.get("/v1/models/no-such-model"), 404)


def test_the_log_has_one_line_per_request_and_no_content(server: RunningServer) -> None:
    marker = "Quokka4471"
    with server.client() as client:
        chat = {**CHAT, "messages": [{"role": "user", "content": f"Say {marker}"}]}
        assert client.post(f"/v1/chat/completions?note={marker}", json=chat).status_code == 200
    log = server.log.read_text()
    assert "POST /v1/chat/completions 200" in log
    assert marker not in log
    assert server.key not in log


def test_the_server_listens_on_loopback_only(server: RunningServer) -> None:
    port = urlsplit(server.origin).port
    assert port is not None
    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(OSError), socket.create_connection((outward, port), timeout=3):
        pass


def _outward_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, from its interfaces."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return str(address.address)
    return None
