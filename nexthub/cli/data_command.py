"""``nexthub data``: where NextHub keeps things, export, import, wipe, and the passphrase.

The export file format is docs/EXPORT_FORMAT.md. ``--encrypt`` asks for the
export's passphrase twice at the terminal, or takes it from
``NEXTHUB_EXPORT_PASSPHRASE`` (for scripts; the same environment-variable
risks as NEXTHUB_PASSPHRASE apply, see docs/KEYS.md); import reads it the
same way. The database's own passphrase (NEXTHUB_PASSPHRASE, or asked for) is
a different one: cli/unlock.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from nexthub.cli.format import print_table
from nexthub.cli.unlock import (
    TRIES,
    ask_new_passphrase,
    ask_passphrase,
    on_terminal,
    open_store_for_cli,
    store_exists,
)
from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.service.data_export import (
    NOT_ENCRYPTED_WARNING,
    Export,
    export_chats,
    seal_export,
    write_export,
)
from nexthub.service.data_places import WipeReport, data_places, wipe_all_data, wipe_plan
from nexthub.service.display import plural
from nexthub.service.key_protection import KEY_FILE_WARNING, change_protection, describe_protection
from nexthub.service.telemetry_access import open_telemetry
from nexthub.store import ConversationDump, ExportPassphraseError
from nexthub.store.keys import PASSPHRASE_ENV, KeyProtection, KeyStore
from nexthub.store.portable import read_export

EXPORT_PASSPHRASE_ENV = "NEXTHUB_EXPORT_PASSPHRASE"  # noqa: S105 - the variable's name


def register(commands: Any) -> None:
    """Add ``data`` and its sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "data", help="where your data is; export, import, wipe; the passphrase", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    path = actions.add_parser("path", help="every place NextHub keeps data, and its size")
    path.set_defaults(run=run_path)

    export = actions.add_parser("export", help="export chats (JSON, or one as Markdown)")
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    export.add_argument("--conversation", metavar="ID", help="only this conversation")
    export.add_argument("--format", choices=["json", "md"], default="json", help="default: json")
    export.add_argument(
        "--encrypt",
        action="store_true",
        help=f"seal the JSON with a passphrase (asked for, or {EXPORT_PASSPHRASE_ENV})",
    )
    export.set_defaults(run=run_export)

    importing = actions.add_parser("import", help="import a JSON export (plain or encrypted)")
    importing.add_argument("file", help="the export file, or - for stdin")
    importing.add_argument(
        "--replace",
        action="store_true",
        help="replace conversations that are already here (default: skip them)",
    )
    importing.set_defaults(run=run_import)

    wipe = actions.add_parser(
        "wipe", help="delete everything NextHub keeps (chats, key, settings, models...), for good"
    )
    wipe.add_argument("--yes", "-y", action="store_true", help="do not ask")
    wipe.add_argument(
        "--keep-models", action="store_true", help="keep the downloaded and imported models"
    )
    wipe.set_defaults(run=run_wipe)

    passphrase = actions.add_parser(
        "passphrase", help="set or change the passphrase, or how the key is protected"
    )
    passphrase.add_argument(
        "--to",
        choices=[p.value for p in KeyProtection],
        default=KeyProtection.PASSPHRASE.value,
        help="the protection to use from now on (default: passphrase)",
    )
    passphrase.set_defaults(run=run_passphrase)


# -- path ------------------------------------------------------------------------------------


def run_path(args: argparse.Namespace) -> int:
    """Print every location, its size, and the keyring entry if the key uses one."""
    rows = [
        [place.what, place.size_text, place.where]
        for place in data_places(AppPaths.from_environment())
    ]
    print_table(["WHAT", "SIZE", "WHERE"], rows)
    return 0


# -- export ----------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    """Write the export to a file (owner-only, atomically) or to stdout."""
    if args.format == "md" and (args.conversation is None or args.encrypt):
        raise NextHubError(
            "A Markdown export is of one conversation and is not encrypted: "
            "use --conversation ID, without --encrypt."
        )
    paths = AppPaths.from_environment()
    telemetry = open_telemetry(paths)  # counts the export (no content), if the user said yes
    if not store_exists(paths) and args.conversation is None:
        export = export_chats(None, telemetry=telemetry)  # no chats yet: no conversations
    else:
        with open_store_for_cli(paths, create_if_missing=False) as store:
            export = export_chats(
                store,
                conversation_id=args.conversation,
                export_format=args.format,
                telemetry=telemetry,
            )
    telemetry.flush()
    if args.encrypt:
        export = seal_export(export, _new_export_passphrase())
    _write(args.output, export)
    if not export.encrypted and not export.markdown:
        print(f"{NOT_ENCRYPTED_WARNING} (--encrypt)", file=sys.stderr)
    return 0


def _new_export_passphrase() -> str:
    return os.environ.get(EXPORT_PASSPHRASE_ENV) or ask_new_passphrase("this export")


def _write(output: str | None, export: Export) -> None:
    if output is None or output == "-":
        sys.stdout.buffer.write(export.data)
        sys.stdout.buffer.flush()
        print(f"Exported {export.description}.", file=sys.stderr)
        return
    target = write_export(Path(output), export)
    print(f"Exported {export.description} to {target} (readable only by you).", file=sys.stderr)


# -- import ----------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    """Check the whole file, then restore it in one transaction."""
    data = _read_input(args.file)
    dumps = _read_export(data)
    paths = AppPaths.from_environment()
    with open_store_for_cli(paths, create_if_missing=True) as store:
        report = store.restore_conversations(dumps, replace=args.replace)
    summary = f"Imported {plural(len(report.imported), 'new conversation')}"
    if report.replaced:
        summary += f", replaced {plural(len(report.replaced), 'conversation')}"
    print(f"{summary} ({plural(report.messages, 'message')}).")
    if report.skipped:
        print(
            f"Skipped {plural(len(report.skipped), 'conversation')} already here (--replace "
            f"replaces them): {', '.join(report.skipped)}",
            file=sys.stderr,
        )
    return 0


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name).expanduser()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NextHubError(
            f"NextHub could not read {path}: {exc.strerror or type(exc).__name__}."
        ) from exc


def _read_export(data: bytes) -> list[ConversationDump]:
    given = os.environ.get(EXPORT_PASSPHRASE_ENV)
    tries = TRIES if not given and on_terminal() else 1

    def passphrase() -> str:
        typed = given or ask_passphrase("Passphrase of this export: ")
        if typed:
            return typed
        raise ExportPassphraseError(
            "This export is encrypted: type its passphrase at a terminal, or set "
            f"{EXPORT_PASSPHRASE_ENV}. Nothing was imported."
        )

    attempt = 1
    while True:
        try:
            return read_export(data, passphrase)
        except ExportPassphraseError:
            if attempt >= tries:
                raise
            attempt += 1
            print("That passphrase does not open this export. Try again.", file=sys.stderr)


# -- wipe ------------------------------------------------------------------------------------


def run_wipe(args: argparse.Namespace) -> int:
    """Say exactly what goes, ask (unless --yes), then delete it all."""
    if not confirm_wipe(AppPaths.from_environment(), args, then="wipe"):
        return 1
    report_wipe(wipe_all_data(AppPaths.from_environment(), keep_models=args.keep_models))
    return 0


def confirm_wipe(paths: AppPaths, args: argparse.Namespace, *, then: str) -> bool:
    """Show the wipe plan and ask (``then``: the word the user types 'yes' to); False: stop.

    With nothing to delete this says so and returns True (uninstall goes on).
    """
    plan = wipe_plan(paths, keep_models=getattr(args, "keep_models", False))
    if not plan:
        print("NextHub keeps no data here: there is nothing to wipe.", file=sys.stderr)
        return True
    if args.yes:
        return True
    if not on_terminal():
        raise NextHubError(
            f"Refusing to {then} without confirmation: add --yes. Nothing was deleted."
        )
    print("This deletes, for good:", file=sys.stderr)
    rows = [[place.what, place.size_text, place.where] for place in plan.goes]
    print_table(["WHAT", "SIZE", "WHERE"], rows, out=sys.stderr)
    for place in plan.stays:
        print(f"It keeps {place.where}", file=sys.stderr)
    print(
        f"{plan.consequences} To keep the chats, first run `nexthub data export -o FILE`.",
        file=sys.stderr,
    )
    if input(f"Type 'yes' to {then}: ").strip().lower() != "yes":
        print("Nothing deleted.", file=sys.stderr)
        return False
    return True


def report_wipe(report: WipeReport) -> None:
    """Print what went, what stayed, and what is left to do by hand."""
    for path in report.deleted:
        print(f"Deleted {path}")
    if report.keyring_entry:
        print(f"Deleted the keyring entry {report.keyring_entry}")
    for path in report.kept:
        print(f"Kept {path}")
    if report.warning:
        print(f"nexthub: {report.warning}", file=sys.stderr)
    print("NextHub's data is wiped.")


# -- passphrase ------------------------------------------------------------------------------


def run_passphrase(args: argparse.Namespace) -> int:
    """Set up the key with the chosen protection, or re-wrap it (KeyStore.change_protection)."""
    paths = AppPaths.from_environment()
    keys = KeyStore(paths)
    target = KeyProtection(args.to)
    if not store_exists(paths):
        _warn_if_key_file(target)
        new = ask_new_passphrase("NextHub's chats") if target is KeyProtection.PASSPHRASE else None
        keys.create(target, passphrase=new)
        print(f"Made NextHub's database key, protected by {describe_protection(target)}.")
        return 0
    old = None
    if keys.protection() is KeyProtection.PASSPHRASE and not os.environ.get(PASSPHRASE_ENV):
        old = ask_passphrase("Current passphrase of NextHub's chats: ")
    keys.unlock(passphrase=old)  # a wrong current passphrase stops here, before asking more
    _warn_if_key_file(target)
    new = ask_new_passphrase("NextHub's chats") if target is KeyProtection.PASSPHRASE else None
    print(change_protection(keys, target, old_passphrase=old, new_passphrase=new))
    return 0


def _warn_if_key_file(target: KeyProtection) -> None:
    if target is KeyProtection.KEY_FILE:
        print(KEY_FILE_WARNING, file=sys.stderr)
