"""The web GUI's defences, tried from outside with raw HTTP against the real server.

The login link works once and leaves the address; the session cookie is the
only cookie, HttpOnly and SameSite=Strict; without it the page and its API
are 401; a wrong Host or another site's Origin is refused even with the
cookie; no encoding of ``../`` reaches a file; the page's CSP allows nothing
inline and nothing from elsewhere.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import CRAFTED_ID, GuiServer

ASK = {"text": "Hello", "model": "smollm2-135m-instruct"}


def test_the_login_sets_one_strict_cookie_and_redirects_without_the_token(
    gui_server: GuiServer,
) -> None:
    link = gui_server.login_link()
    with gui_server.client() as client:
        response = client.get(link, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    (cookie,) = response.headers.get_list("set-cookie")
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    assert name_value.startswith("nexthub_session=") and len(name_value) > 40
    assert sorted(attributes) == [
        "HttpOnly",
        "Path=/",
        "SameSite=Strict",
    ]  # no Max-Age: ends with the browser
    assert gui_server.token_of(link) not in gui_server.log.read_text()  # the log has no token


@pytest.mark.parametrize("token", ["used", "wrong", "", "two"])
def test_a_used_or_wrong_token_is_refused(gui_server: GuiServer, token: str) -> None:
    link = gui_server.login_link()
    if token == "used":
        with gui_server.client() as client:
            assert client.get(link, follow_redirects=False).status_code == 303
        path = urlsplit(link).path + "?" + urlsplit(link).query
    else:
        good = gui_server.token_of(link)
        path = {
            "wrong": "/login?token=" + good[:-2] + "xx",
            "": "/login",
            "two": f"/login?token={good}&token={good}",
        }[token]
    with gui_server.client() as client:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 403
        assert "set-cookie" not in response.headers
        assert "does not work" in response.text
        if token != "used":  # a refused try does not spend the real link
            assert client.get(link, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/static/app.js"),
        ("GET", "/api/conversations"),
        ("GET", f"/api/conversations/{CRAFTED_ID}"),
        ("GET", f"/api/conversations/{CRAFTED_ID}/export?format=json"),
        ("POST", "/api/chat"),
        ("GET", "/api/models"),
    ],
)
@pytest.mark.parametrize("cookie", [None, "not-a-session"])
def test_without_a_session_everything_is_401(
    gui_server: GuiServer, method: str, path: str, cookie: str | None
) -> None:
    with gui_server.client(cookie) as client:
        response = client.request(method, path, json=ASK if method == "POST" else None)
    assert response.status_code == 401
    assert "zanzibarquokka" not in response.text
    assert "set-cookie" not in response.headers


def test_a_logged_out_session_is_refused(gui_server: GuiServer) -> None:
    cookie = gui_server.session_cookie()
    with gui_server.client(cookie, Origin=gui_server.origin) as client:
        assert client.get("/api/conversations").status_code == 200
        response = client.post("/logout", follow_redirects=False)
        assert response.status_code == 303
        assert "Max-Age=0" in response.headers["set-cookie"]
    with gui_server.client(cookie) as client:
        assert client.get("/api/conversations").status_code == 401


def test_with_a_session_the_api_answers_and_sets_no_cookie(gui_server: GuiServer) -> None:
    with gui_server.client(gui_server.session_cookie()) as client:
        for path in ("/", "/static/app.js", "/api/conversations", "/api/models"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "set-cookie" not in response.headers
        listed = client.get("/api/conversations").json()["conversations"]
    assert CRAFTED_ID in [c["id"] for c in listed]


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:80"])
def test_a_wrong_host_is_refused_even_with_a_session(gui_server: GuiServer, host: str) -> None:
    with gui_server.client(gui_server.session_cookie(), Host=host) as client:
        for response in (client.get("/"), client.post("/api/chat", json=ASK)):
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "host_not_allowed"


def test_a_post_from_another_site_is_refused_and_saves_nothing(gui_server: GuiServer) -> None:
    cookie = gui_server.session_cookie()
    with gui_server.client(cookie) as client:
        before = client.get("/api/conversations").json()
    for origin in ("https://evil.example", "null", "http://localhost.evil.example"):
        with gui_server.client(cookie, Origin=origin) as client:
            for path, body in (
                ("/api/chat", {**ASK, "text": "cross-site"}),
                (f"/api/conversations/{CRAFTED_ID}/settings", {"system_prompt": "pwned"}),
                ("/logout", None),
            ):
                response = client.post(path, json=body)
                assert response.status_code == 403, (origin, path)
                assert response.json()["error"]["code"] == "origin_not_allowed"
    with gui_server.client(cookie) as client:
        assert client.get("/api/conversations").json() == before
        crafted = client.get(f"/api/conversations/{CRAFTED_ID}").json()
    assert crafted["system_prompt"] == ""


@pytest.mark.parametrize(
    "path",
    [
        "/static/../gui_pages.py",
        "/static/..%2fgui_pages.py",
        "/static/..%2Fapp.py",
        "/static/%2e%2e/app.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/..%252f..%252fpyproject.toml",
        "/static/..%5c..%5cpyproject.toml",
        "/static/....//app.py",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/app.js%00.html",
        "/static/",
        "/static/index.html/../../app.py",
    ],
)
def test_path_traversal_in_static_paths_is_refused(gui_server: GuiServer, path: str) -> None:
    """Sent byte for byte (an HTTP client would clean the path up first)."""
    address = urlsplit(gui_server.origin)
    cookie = gui_server.session_cookie()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Cookie: nexthub_session={cookie}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=30) as conn:
        conn.sendall(request.encode())
        reply = b""
        while piece := conn.recv(65536):
            reply += piece
    text = reply.decode("latin-1")
    status = int(text.split()[1])
    assert status in {400, 404}, text[:300]
    for secret in ("[project]", "root:", "import ", "from starlette"):
        assert secret not in text


def test_the_page_allows_only_its_own_scripts_and_styles(gui_server: GuiServer) -> None:
    with gui_server.client(gui_server.session_cookie()) as client:
        page = client.get("/")
        files = [client.get(f"/static/{name}").text for name in ("app.js", "app.css")]
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe" not in policy and "*" not in policy and "http" not in policy
    assert "frame-ancestors 'none'" in policy
    # Nothing from another site, nothing inline: every script and style is a file of ours.
    for text in (page.text, *files):
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), text[:200]
    assert "<style" not in page.text and 'style="' not in page.text
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/app.js" defer>']
