"""``nexthub chat``: talk to a local model in the terminal.

Interactive by default; ``-p PROMPT`` answers once and exits (for scripts).
Ctrl-C while the model writes stops that answer and keeps what it wrote;
Ctrl-C or Ctrl-D at the prompt leaves.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from nexthub.cli.progress import ProgressLine
from nexthub.cli.unlock import open_store_for_cli
from nexthub.engine import (
    ChatFinished,
    ContextTrimmed,
    Engine,
    LoadSettings,
    SamplingSettings,
    TextDelta,
)
from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.service.chat_session import ChatSession
from nexthub.service.models import ModelService

HELP_TEXT = "Commands: /new starts a new conversation, /exit leaves. Ctrl-C stops an answer."


def register(commands: Any) -> None:
    """Add the ``chat`` sub-command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "chat", help="chat with a local model", description=__doc__
    )
    parser.add_argument("--model", "-m", help="installed model id, or a path to a .gguf file")
    parser.add_argument("--prompt", "-p", help="answer this one prompt, print it and exit")
    parser.add_argument("--system", "-s", help="system prompt")
    parser.add_argument(
        "--no-save", action="store_true", help="do not save this conversation in the chat store"
    )
    load = parser.add_argument_group("loading")
    load.add_argument("--ctx", type=int, default=4096, help="context size in tokens (default 4096)")
    load.add_argument("--threads", type=int, help="generation threads (default: physical cores)")
    load.add_argument(
        "--gpu-layers", default="auto", help="layers on the GPU: a number, or auto (default)"
    )
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--temperature", type=float, default=0.7)
    sampling.add_argument("--top-p", type=float, default=0.95)
    sampling.add_argument("--top-k", type=int, default=40)
    sampling.add_argument("--min-p", type=float, default=0.05)
    sampling.add_argument("--repeat-penalty", type=float, default=1.1)
    sampling.add_argument("--seed", type=int)
    sampling.add_argument("--max-tokens", type=int, default=1024)
    sampling.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Open the chat store, load the model, then answer once or converse."""
    paths = AppPaths.from_environment()
    load_settings = _load_settings(args)
    sampling = _sampling_settings(args)
    with contextlib.ExitStack() as cleanup:
        # The store first: a wrong passphrase should fail before the slow model load.
        store = None if args.no_save else open_store_for_cli(paths, create_if_missing=True)
        if store is not None:
            cleanup.callback(store.close)
        engine = cleanup.enter_context(Engine())
        progress = ProgressLine(f"Loading {args.model or 'the default model'}")
        loaded = ModelService(paths, engine).load(args.model, load_settings, progress.update)
        progress.done()
        session = ChatSession(
            engine,
            store,
            model_name=loaded.name,
            sampling=sampling,
            system_prompt=args.system or "",
        )
        if args.prompt is not None:
            finished = stream_answer(session, args.prompt, sys.stdout)
            return 0 if finished.finish_reason != "error" else 1
        return _converse(session)
    raise AssertionError("unreachable")


def stream_answer(session: ChatSession, text: str, out: TextIO) -> ChatFinished:
    """Send ``text`` and print the answer as it streams; Ctrl-C stops it."""
    finished: ChatFinished | None = None
    with _ctrl_c_cancels(session.engine):
        for event in session.send(text):
            if isinstance(event, TextDelta):
                out.write(event.text)
                out.flush()
            elif isinstance(event, ContextTrimmed):
                print(
                    f"[{event.dropped_messages} earlier messages no longer fit in the "
                    "context and were left out]",
                    file=sys.stderr,
                )
            elif isinstance(event, ChatFinished):
                finished = event
    assert finished is not None, "an answer always ends with ChatFinished"
    out.write("\n")
    out.flush()
    if finished.finish_reason == "cancelled":
        print("[stopped]", file=sys.stderr)
    elif finished.finish_reason == "length":
        print("[answer cut short: token limit reached]", file=sys.stderr)
    elif finished.finish_reason == "error":
        print(f"nexthub: {finished.error}", file=sys.stderr)
    return finished


@contextlib.contextmanager
def _ctrl_c_cancels(engine: Engine) -> Iterator[None]:
    """While an answer streams, Ctrl-C cancels it instead of interrupting the program.

    A KeyboardInterrupt raised inside the engine's stream would tear the stream
    down mid-read; a signal handler that asks for a cancel lets the answer end
    normally, with the text written so far.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: engine.cancel())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _converse(session: ChatSession) -> int:
    print(HELP_TEXT, file=sys.stderr)
    while True:
        try:
            line = input(">>> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        text = line.strip()
        if not text:
            continue
        if text in {"/exit", "/quit", "/bye"}:
            return 0
        if text == "/new":
            session.new_conversation()
            print("[new conversation]", file=sys.stderr)
            continue
        if text in {"/help", "/?"}:
            print(HELP_TEXT, file=sys.stderr)
            continue
        stream_answer(session, line, sys.stdout)


def _load_settings(args: argparse.Namespace) -> LoadSettings:
    gpu_layers: int | str = args.gpu_layers
    if gpu_layers != "auto":
        try:
            gpu_layers = int(gpu_layers)
        except ValueError:
            raise NextHubError("--gpu-layers takes a number or 'auto'.") from None
    if args.ctx < 0:
        raise NextHubError("--ctx must be 0 (the model's own) or more.")
    return LoadSettings(
        context_size=args.ctx,
        threads=args.threads,
        gpu_layers=gpu_layers,  # type: ignore[arg-type]
    )


def _sampling_settings(args: argparse.Namespace) -> SamplingSettings:
    try:
        return SamplingSettings(
            temperature=args.temperature,
            top_p=args.top_p,
            top_k=args.top_k,
            min_p=args.min_p,
            repeat_penalty=args.repeat_penalty,
            seed=args.seed,
            max_tokens=args.max_tokens,
            stop=tuple(args.stop),
        )
    except ValueError as exc:
        raise NextHubError(f"Bad sampling setting: {exc}.") from None
