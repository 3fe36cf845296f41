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

from nexthub.cli.format import human_bytes, print_table
from nexthub.cli.unlock import (
    TRIES,
    ask_new_passphrase,
    ask_passphrase,
    on_terminal,
    open_store_for_cli,
    store_exists,
)
from nexthub.errors import NextHubError
from nexthub.lifecycle import chat_files, data_locations, keyring_entry, wipe_chats
from nexthub.paths import AppPaths
from nexthub.store import ConversationDump, ExportPassphraseError
from nexthub.store.export_envelope import encrypt
from nexthub.store.export_markdown import to_markdown
from nexthub.store.key_files import write_private
from nexthub.store.keys import PASSPHRASE_ENV, KeyProtection, KeyStore
from nexthub.store.portable import read_export, to_json

EXPORT_PASSPHRASE_ENV = "NEXTHUB_EXPORT_PASSPHRASE"  # noqa: S105 - the variable's name

KEY_FILE_WARNING = """\
A key file is weaker than a passphrase or the keyring: the key that opens your chats
will sit in a file in NextHub's config folder, so anyone or anything that can read
your files (another program you run, a backup of your home folder, a stolen laptop
without disk encryption) can read your chats. Use full-disk encryption.
"""


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

    wipe = actions.add_parser("wipe", help="delete every chat and the key, for good")
    wipe.add_argument("--yes", "-y", action="store_true", help="do not ask")
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
    paths = AppPaths.from_environment()
    rows = [
        [what, "not there" if size is None else human_bytes(size), str(path)]
        for what, path, size in data_locations(paths)
    ]
    entry = keyring_entry(paths)
    if entry is not None:
        rows.append(["keyring entry", "-", f"{entry.service} / {entry.username} ({entry.backend})"])
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
    if not store_exists(paths) and args.conversation is None:
        dumps: list[ConversationDump] = []  # nothing yet: an export with no conversations
    else:
        with open_store_for_cli(paths, create_if_missing=False) as store:
            if args.format == "md":
                conversation = store.get_conversation(args.conversation)
                data = to_markdown(conversation, store.current_branch(conversation.id))
                _write(args.output, data.encode("utf-8"), "1 conversation")
                return 0
            ids = None if args.conversation is None else [args.conversation]
            dumps = store.export_conversations(ids)
    data_bytes = to_json(dumps)
    if args.encrypt:
        data_bytes = encrypt(data_bytes, _new_export_passphrase())
    messages = sum(len(d.messages) for d in dumps)
    what = f"{_count(len(dumps), 'conversation')} ({_count(messages, 'message')})"
    _write(args.output, data_bytes, what)
    if not args.encrypt:
        print(
            "The export is not encrypted: anyone who can read it can read these chats. "
            "Keep it safe, or use --encrypt.",
            file=sys.stderr,
        )
    return 0


def _new_export_passphrase() -> str:
    return os.environ.get(EXPORT_PASSPHRASE_ENV) or ask_new_passphrase("this export")


def _write(output: str | None, data: bytes, what: str) -> None:
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        print(f"Exported {what}.", file=sys.stderr)
        return
    target = Path(output).expanduser()
    try:
        write_private(target, data, replace=True)
    except OSError as exc:
        raise NextHubError(
            f"NextHub could not write {target}: {exc.strerror or type(exc).__name__}."
        ) from exc
    print(f"Exported {what} to {target} (readable only by you).", file=sys.stderr)


# -- import ----------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    """Check the whole file, then restore it in one transaction."""
    data = _read_input(args.file)
    dumps = _read_export(data)
    paths = AppPaths.from_environment()
    with open_store_for_cli(paths, create_if_missing=True) as store:
        report = store.restore_conversations(dumps, replace=args.replace)
    summary = f"Imported {_count(len(report.imported), 'new conversation')}"
    if report.replaced:
        summary += f", replaced {_count(len(report.replaced), 'conversation')}"
    print(f"{summary} ({_count(report.messages, 'message')}).")
    if report.skipped:
        print(
            f"Skipped {_count(len(report.skipped), 'conversation')} already here (--replace "
            f"replaces them): {', '.join(report.skipped)}",
            file=sys.stderr,
        )
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


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
    """Say exactly what goes, ask (unless --yes), then crypto-shred."""
    paths = AppPaths.from_environment()
    doomed = [[what, human_bytes(size or 0), str(path)] for what, path, size in chat_files(paths)]
    if not doomed:
        print("There are no chats to wipe.", file=sys.stderr)
        return 0
    entry = keyring_entry(paths)
    if entry is not None:
        doomed.append(["keyring entry", "-", f"{entry.service} / {entry.username}"])
    if not args.yes:
        if not on_terminal():
            raise NextHubError(
                "Refusing to wipe the chats without confirmation: add --yes. Nothing was deleted."
            )
        print("This deletes, for good:", file=sys.stderr)
        print_table(["WHAT", "SIZE", "WHERE"], doomed, out=sys.stderr)
        print(
            "Every chat will be gone and cannot be recovered, from any copy (the key is "
            "destroyed). Models and settings are kept. To keep the chats, first run "
            "`nexthub data export -o FILE`.",
            file=sys.stderr,
        )
        if input("Type 'yes' to wipe: ").strip().lower() != "yes":
            print("Nothing deleted.", file=sys.stderr)
            return 1
    deleted = wipe_chats(paths)
    for path in deleted:
        print(f"Deleted {path}")
    if entry is not None:
        print(f"Deleted the keyring entry {entry.service} / {entry.username}")
    print("The chats are wiped.")
    return 0


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
        print(f"Made NextHub's database key, protected by {_describe(target)}.")
        return 0
    old_protection = keys.protection()
    old = None
    if old_protection is KeyProtection.PASSPHRASE and not os.environ.get(PASSPHRASE_ENV):
        old = ask_passphrase("Current passphrase of NextHub's chats: ")
    keys.unlock(passphrase=old)  # a wrong current passphrase stops here, before asking more
    _warn_if_key_file(target)
    new = ask_new_passphrase("NextHub's chats") if target is KeyProtection.PASSPHRASE else None
    keys.change_protection(target, old_passphrase=old, new_passphrase=new)
    if target is KeyProtection.PASSPHRASE and old_protection is KeyProtection.PASSPHRASE:
        print("Changed the passphrase of NextHub's chats.")
    else:
        print(
            f"NextHub's database key is now protected by {_describe(target)} "
            f"(it was {_describe(old_protection)}). The database itself was not re-encrypted."
        )
    return 0


def _warn_if_key_file(target: KeyProtection) -> None:
    if target is KeyProtection.KEY_FILE:
        print(KEY_FILE_WARNING, file=sys.stderr)


def _describe(protection: KeyProtection | None) -> str:
    return {
        KeyProtection.KEYRING: "the system keyring",
        KeyProtection.PASSPHRASE: "a passphrase",
        KeyProtection.KEY_FILE: "a key file in the config folder",
        None: "nothing",
    }[protection]
