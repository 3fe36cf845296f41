"""A stand-in for the Hugging Face Hub on 127.0.0.1, for the download tests (models and GUI).

Tests cannot reach the internet, so this small HTTP server plays the part of
the Hub for the requests ``huggingface_hub`` makes when it downloads a file
(read from huggingface_hub 2.4's ``file_download.py``):

- ``HEAD /{repo}/resolve/{revision}/{filename}``: ``get_hf_file_metadata``
  needs ``X-Repo-Commit``, an ``ETag`` or ``X-Linked-Etag`` (for a file in
  LFS, the file's sha256), and ``X-Linked-Size`` or ``Content-Length``. The
  real Hub answers a large file with a 302 to its CDN carrying those headers;
  ``cdn_host`` imitates that by redirecting to another host name.
- ``GET`` of the file (or of the CDN address), honouring ``Range: bytes=N-``
  with a ``206`` and ``Content-Range``, as the Hub's CDN does.

It records every request, and can misbehave on purpose: report a different
sha256, serve different bytes, cut the connection in the middle of the body,
or send the body slowly (so that a test can pause a download half way).
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from nexthub.models import CatalogEntry, CatalogSource

REPO_ID = "test-org/Tiny-Model-GGUF"
FILENAME = "Tiny-Model.F32.gguf"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeHub:
    """What the server serves and how; tests change these fields before downloading."""

    content: bytes
    port: int = 0
    #: The sha256 the server reports (X-Linked-Etag); the content's by default.
    reported_sha256: str = ""
    #: Bytes served instead of ``content`` (same length), to simulate corruption.
    served: bytes | None = None
    #: Cut the connection after this many body bytes, for the first N GETs.
    cut_after: int = 0
    cuts_left: int = 0
    #: Redirect the HEAD to this host name (as the Hub does to its CDN).
    cdn_host: str | None = None
    #: Answer 404 to everything.
    missing: bool = False
    #: Seconds to wait before each 64 KiB piece of a body.
    chunk_delay: float = 0.0
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.reported_sha256:
            self.reported_sha256 = hashlib.sha256(self.content).hexdigest()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def gets(self) -> list[Request]:
        return [r for r in self.requests if r.method == "GET"]

    def entry(self, *, sha256: str | None = "real", entry_id: str = "tiny-model") -> CatalogEntry:
        """A catalog entry for the served file (``sha256="real"``: the true one)."""
        return CatalogEntry(
            id=entry_id,
            family="tiny",
            display_name="Tiny Model",
            source=CatalogSource(repo_id=REPO_ID, filename=FILENAME, revision="main"),
            sha256=self.sha256 if sha256 == "real" else sha256,
            size_bytes=len(self.content),
            quantisation="F32",
            license="apache-2.0",
            parameter_count=1,
            min_memory_bytes=len(self.content) + 1,
            context_length=512,
        )


def make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    resolve_path = f"/{REPO_ID}/resolve/main/{FILENAME}"
    cdn_path = f"/cdn/{hub.sha256}"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest would show the access log as noise."""

        def _record(self) -> None:
            hub.requests.append(Request(self.command, self.path, dict(self.headers.items())))

        def _not_found(self) -> None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self) -> None:
            self._record()
            if hub.missing or self.path != resolve_path:
                self._not_found()
                return
            if hub.cdn_host:
                self.send_response(302)
                self.send_header("Location", f"http://{hub.cdn_host}:{hub.port}{cdn_path}")
                self.send_header("Content-Length", "0")
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(hub.content)))
                self.send_header("Accept-Ranges", "bytes")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", '"d2c5a5f1a53f4c1b7f1cd8a3e9b1c0ffee000000"')
            self.send_header("X-Linked-Etag", f'"{hub.reported_sha256}"')
            self.send_header("X-Linked-Size", str(len(hub.content)))
            self.end_headers()

        def do_GET(self) -> None:
            self._record()
            if hub.missing or self.path not in (resolve_path, cdn_path):
                self._not_found()
                return
            body = hub.served if hub.served is not None else hub.content
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if match:
                start = int(match.group(1))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            remaining = body[start:]
            if hub.cuts_left > 0:
                hub.cuts_left -= 1
                remaining = remaining[: hub.cut_after]
                self.close_connection = True
            for offset in range(0, len(remaining), 64 * 1024):
                time.sleep(hub.chunk_delay)
                self.wfile.write(remaining[offset : offset + 64 * 1024])
                self.wfile.flush()

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-body (a paused download) is normal, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def running_fake_hub(served_file: Path) -> Iterator[FakeHub]:
    """A fake Hub serving a tiny GGUF (written to ``served_file``) on 127.0.0.1, while in use.

    huggingface_hub reads ``HF_HUB_OFFLINE`` once, when imported; the tests'
    environment sets it to keep everything else off the network. The caller
    lifts it (``huggingface_hub.constants.HF_HUB_OFFLINE = False``) while it
    talks to this server, which is only ever 127.0.0.1.
    """
    hub = FakeHub(content=write_tiny_gguf(served_file))
    server = _Server(("127.0.0.1", 0), make_handler(hub))
    hub.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def write_tiny_gguf(path: Path) -> bytes:
    """A real, valid GGUF of about 1 MiB, so the download arrives in many pieces."""
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("Tiny Model")
    writer.add_context_length(512)
    writer.add_block_count(1)
    writer.add_embedding_length(64)
    writer.add_head_count(4)
    writer.add_chat_template("{{ messages }}")
    writer.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    rng = np.random.default_rng(7)
    writer.add_tensor("token_embd.weight", rng.standard_normal((256, 1024), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()
