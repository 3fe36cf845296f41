"""Entry point of the ``nexthub`` command: parse arguments, run, report errors.

Every failure a user can cause prints one clear line and exits non-zero;
``--debug`` adds the traceback. An unexpected exception is a bug, reported as
such with a pointer to ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from nexthub import __version__
from nexthub.errors import NextHubError

EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The full command tree (also used to generate the CLI docs).

    The commands' modules are imported here, not at the top: the desktop app
    (no command) never needs them, and some are slow to import (the server's
    web stack), which a user would wait for before the window appears.
    """
    from nexthub.cli import (
        chat_command,
        collector_command,
        data_command,
        doctor_command,
        keys_command,
        models_command,
        serve_command,
        telemetry_command,
        uninstall_command,
    )

    parser = argparse.ArgumentParser(
        prog="nexthub",
        description=(
            "NextHub: chat with GGUF models on your own machine. Nothing leaves it. "
            "With no command, the desktop app opens."
        ),
    )
    parser.add_argument("--version", action="version", version=f"nexthub {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat_command.register(commands)
    models_command.register(commands)
    doctor_command.register(commands)
    data_command.register(commands)
    keys_command.register(commands)
    serve_command.register(commands)
    collector_command.register(commands)
    telemetry_command.register(commands)
    uninstall_command.register(commands)
    return parser


def _desktop_app_arguments(arguments: list[str]) -> argparse.Namespace | None:
    """``nexthub`` or ``nexthub --debug``: the desktop app, without building the command tree."""
    if arguments not in ([], ["--debug"]):
        return None
    return argparse.Namespace(command=None, debug=bool(arguments))


def run_desktop_app() -> int:
    """Open the desktop app. Qt is imported only here, so the sub-commands never load it."""
    try:
        from nexthub.gui.app import main as desktop_main
    except ImportError as exc:
        raise NextHubError(
            f"The desktop app cannot start: {exc}. Reinstall NextHub (it needs PySide6), "
            "or chat in this terminal with `nexthub chat`."
        ) from exc
    return desktop_main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = _desktop_app_arguments(arguments) or build_parser().parse_args(arguments)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    try:
        if args.command is None:
            return run_desktop_app()
        status: int = args.run(args)
        return status
    except NextHubError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"nexthub: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:
        if args.debug:
            traceback.print_exc()
        else:
            print(
                "nexthub: internal error (a bug in NextHub). Run again with --debug for details.",
                file=sys.stderr,
            )
        return EXIT_INTERNAL
