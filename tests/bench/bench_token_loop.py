"""The engine's token loop, measured directly: what a token costs beyond llama_decode.

Why: bench_engine.py compares whole answers with llama-bench, and on a shared
machine those ratios move by tens of percent, far more than the fraction of a
millisecond of Python per token that the performance issue is about. Here the
worker's real code serves real commands in this process (``Worker``: the
LlamaSession token loop, the cancel check, the TextDelta stream), while an
"app" child process sends the commands and reads the events over a socket
pair, polling as ``Engine`` does. llama_decode, the token picker
(token_picker.py: numpy's argmax for these greedy answers, llama.cpp's sampler
chain otherwise), the worker's pipe sends and its stop check are wrapped with
perf_counter, so the time between two sampled tokens splits into: decode (what
llama-bench's tg times), picking the token, pipe sends, stop check, and the rest
(Python, ctypes).

Run (about 2 minutes on 2 cores at the defaults):
    .venv/bin/python tests/bench/bench_token_loop.py [--model PATH] [--threads N]
        [--tokens N] [--reps N] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import statistics
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench_engine import CONTEXT_SIZE, DECODE_PROMPT, GREEDY, SEGMENT, machine, starter_model

from nexthub.engine import protocol
from nexthub.engine.client import IDLE_POLL_S
from nexthub.engine.hardware import default_threads
from nexthub.engine.types import ChatFinished, LoadSettings, TextDelta
from nexthub.engine.worker import Worker, _route_llama_logs


@dataclasses.dataclass
class Spans:
    """(start, end) perf_counter pairs of each wrapped call, per answer."""

    sample: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    decode: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    send: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    stop: list[tuple[float, float]] = dataclasses.field(default_factory=list)


class Recorder:
    """Wraps the calls of the token loop; one Spans per answer."""

    def __init__(self) -> None:
        self.answers: list[Spans] = []
        self.now = Spans()

    def wrap(self, module: Any, name: str, spans: str) -> None:
        """Replace ``module.name`` by a version that records its spans."""
        original = getattr(module, name)
        clock = time.perf_counter

        def timed(*args: Any) -> Any:
            started = clock()
            result = original(*args)
            getattr(self.now, spans).append((started, clock()))
            return result

        setattr(module, name, timed)

    def install(self, worker: Worker) -> None:
        """Wrap llama.cpp's decode, the token pickers, and the worker's send and stop check."""
        import llama_cpp.llama_cpp as llama  # here only: the app child must not load it

        from nexthub.engine import token_picker

        self.wrap(llama, "llama_decode", "decode")
        self.wrap(worker._conn, "send", "send")  # the worker's own pipe, as it sends
        self.wrap(worker, "_stop", "stop")
        for kind in (token_picker.LogitsArgmax, token_picker.SamplerChain):
            self.wrap(kind, "pick", "sample")
            close = kind.close

            def end_answer(picker: Any, close: Any = close) -> None:  # closed as an answer ends
                close(picker)
                self.answers.append(self.now)
                self.now = Spans()

            kind.close = end_answer  # type: ignore[method-assign]


def within(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds spent in the calls that began between start and end."""
    return sum(e - s for s, e in spans if start <= s < end)


def per_token(answer: Spans) -> list[dict[str, float]]:
    """For each token after the first: ms from its sample to the next, by part."""
    rows = []
    for (s0, e0), (s1, _) in zip(answer.sample, answer.sample[1:], strict=False):
        parts = {
            "decode": within(answer.decode, s0, s1),
            "sample": e0 - s0,
            "send": within(answer.send, s0, s1),
            "stop": within(answer.stop, s0, s1),
        }
        total = s1 - s0
        parts["rest"] = total - sum(parts.values())
        parts["beyond_decode"] = total - parts["decode"]
        rows.append({k: v * 1e3 for k, v in parts.items()})
    return rows


def summarize(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and median of each part, in ms/token.

    The mean is what throughput pays; the median leaves out the tokens during
    which another process took the core, which on a shared machine can move
    the mean of a 0.1 ms part by as much again.
    """
    return {
        k: {
            "mean": statistics.fmean(r[k] for r in rows),
            "median": statistics.median(r[k] for r in rows),
        }
        for k in rows[0]
    }


# -- the app side (a child process) ---------------------------------------------------


def run_app(fd: int, config: dict[str, Any]) -> None:
    """Load, ask for the answers, read every event as Engine does; print one JSON line each."""
    conn = Connection(fd)
    settings = LoadSettings(
        context_size=CONTEXT_SIZE, threads=config["threads"], batch_threads=config["threads"]
    )
    conn.send(protocol.LoadCommand(1, config["model"], settings))
    while not isinstance(conn.recv(), protocol.Loaded):
        pass
    sampling = dataclasses.replace(GREEDY, max_tokens=config["tokens"])
    for rep in range(config["reps"]):
        conn.send(protocol.CompleteCommand(2 + rep, DECODE_PROMPT, sampling))
        cpu, pieces, messages = time.process_time(), [], 0
        while True:
            if not conn.poll(IDLE_POLL_S):  # Engine._receive's wait
                continue
            event = conn.recv()
            messages += 1
            if isinstance(event, TextDelta):
                pieces.append(event.text)
            elif isinstance(event, ChatFinished):
                break
        final = event
        assert "".join(pieces) == final.text, "the deltas must add up to the final text"
        report = {
            "tokens": final.usage.completion_tokens,
            "deltas": len(pieces),
            "messages": messages,
            "app_cpu_ms_per_token": (time.process_time() - cpu)
            / final.usage.completion_tokens
            * 1e3,
            "decode_tokens_per_s": final.timings.decode_tokens_per_s,
        }
        print(json.dumps(report), flush=True)
    conn.close()


# -- the worker side (this process) ----------------------------------------------------


def measure(model: Path, threads: int, tokens: int, reps: int) -> dict[str, Any]:
    """Serve the app child with an instrumented worker; per-answer breakdowns."""
    app_end, worker_end = socket.socketpair()
    config = {"model": str(model), "threads": threads, "tokens": tokens, "reps": reps}
    child = subprocess.Popen(
        [sys.executable, __file__, "--app-fd", str(app_end.fileno()), json.dumps(config)],
        pass_fds=(app_end.fileno(),),
        stdout=subprocess.PIPE,
        text=True,
    )
    app_end.close()
    _route_llama_logs()  # llama.cpp's log stays off the report, as in the worker
    worker = Worker(Connection(worker_end.detach()))
    recorder = Recorder()
    recorder.install(worker)
    worker.serve()  # returns when the app closes its end
    out, _ = child.communicate()
    answers = []
    for spans, line in zip(recorder.answers, out.splitlines(), strict=True):
        rows = per_token(spans)
        answers.append(
            {
                **json.loads(line),
                "first_segment": summarize(rows[:SEGMENT]),
                "last_segment": summarize(rows[-SEGMENT:]),
                "all": summarize(rows),
            }
        )
    return {"machine": machine(), "model": str(model), "threads": threads, "answers": answers}


def print_report(result: dict[str, Any]) -> None:
    """One table per answer: ms/token by part, for the first, the last and all tokens."""
    print(f"machine: {result['machine']}\nmodel:   {result['model']}, threads {result['threads']}")
    parts = ("decode", "sample", "send", "stop", "rest", "beyond_decode")
    segments = ("first_segment", "last_segment", "all")
    for n, answer in enumerate(result["answers"], 1):
        print(
            f"\nanswer {n}: {answer['tokens']} tokens in {answer['deltas']} TextDeltas, "
            f"{answer['decode_tokens_per_s']:.1f} tokens/s (worker's timer), "
            f"app CPU {answer['app_cpu_ms_per_token']:.3f} ms/token"
        )
        print(f"  {'ms/token: mean, median':<16}{'first 256':>18}{'last 256':>18}{'all':>18}")
        for part in parts:
            values = [answer[segment][part] for segment in segments]
            print(
                f"  {part:<16}" + "".join(f"{v['mean']:>10.3f}{v['median']:>8.3f}" for v in values)
            )


def main() -> int:
    """Measure, print, optionally write JSON."""
    if len(sys.argv) == 4 and sys.argv[1] == "--app-fd":
        run_app(int(sys.argv[2]), json.loads(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: starter)")
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--tokens", type=int, default=2000, help="tokens per answer")
    parser.add_argument("--reps", type=int, default=2, help="answers")
    parser.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = parser.parse_args()
    result = measure(args.model or starter_model(), args.threads, args.tokens, args.reps)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
