"""A whole session, as a user has it: start, load the starter model, chat, search, export,
the server on 127.0.0.1 with one API call, quit. Run as a script in a subprocess.

With ``NEXTHUB_TELEMETRY=on`` it first says yes to telemetry. At the end it
writes the next report (the bytes ``nexthub telemetry show`` prints first) to
the file named by ``NEXTHUB_REPORT_FILE``.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import httpx
import uvicorn

from nexthub.engine import SamplingSettings
from nexthub.paths import AppPaths
from nexthub.service.api_keys import ApiKeys
from nexthub.service.data_export import export_chats, write_export
from nexthub.service.hub import Hub
from nexthub.service.store_access import open_chat_store
from nexthub.service.telemetry_access import (
    next_report,
    open_telemetry,
    set_consent,
    start_reporting,
)
from nexthub.store.keys import KeyProtection
from nexthub.web import ServerSettings, create_app


def call_the_api(hub: Hub, paths: AppPaths) -> int:
    """Serve the API on 127.0.0.1 and make one authenticated chat completion; its status."""
    _info, key = ApiKeys(paths.api_keys_file).create("session")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(hub, ServerSettings()), access_log=False, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        model = hub.models.registry.default().id
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            headers={"Authorization": f"Bearer {key}"},
            json={"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4},
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
        return answer.status_code
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def main() -> None:
    paths = AppPaths.from_environment()
    if os.environ.get("NEXTHUB_TELEMETRY") == "on":
        set_consent(open_telemetry(paths), True)
    store = open_chat_store(paths, first_run_protection=KeyProtection.KEY_FILE)
    hub = Hub(paths, store)
    reporting = start_reporting(hub.telemetry)
    try:
        hub.load_model()
        session = hub.open_chat()
        session.configure(sampling=SamplingSettings(max_tokens=8, seed=1))
        for _event in session.send("Name a colour."):
            pass
        assert hub.conversations.search("colour"), "search found the chat"
        write_export(paths.cache / "export.json", export_chats(hub.store, telemetry=hub.telemetry))
        assert call_the_api(hub, paths) == 200
    finally:
        if reporting is not None:
            reporting.stop()
        hub.close()
    Path(os.environ["NEXTHUB_REPORT_FILE"]).write_bytes(next_report(open_telemetry(paths)))


if __name__ == "__main__":
    main()
