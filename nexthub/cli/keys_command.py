"""``nexthub keys``: API keys for ``nexthub serve`` (create, list, revoke).

A key is printed once, when it is made; NextHub keeps only its hash. ``keys
list`` shows names and the first characters of each key, never a key.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nexthub.cli.format import print_table
from nexthub.paths import AppPaths
from nexthub.service.api_keys import ApiKeys


def register(commands: Any) -> None:
    """Add ``keys`` and its sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "keys", help="API keys for the localhost server", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="make a key (it is shown only this once)")
    create.add_argument("name", help="a name to recognise it by, e.g. the tool that uses it")
    create.add_argument(
        "--quiet", "-q", action="store_true", help="print only the key (for scripts)"
    )
    create.set_defaults(run=run_create)

    listing = actions.add_parser("list", help="the keys, by name and prefix")
    listing.set_defaults(run=run_list)

    revoke = actions.add_parser("revoke", help="delete a key; the server refuses it at once")
    revoke.add_argument("name")
    revoke.set_defaults(run=run_revoke)


def _keys() -> ApiKeys:
    return ApiKeys(AppPaths.from_environment().api_keys_file)


def run_create(args: argparse.Namespace) -> int:
    """Make a key and print it."""
    info, key = _keys().create(args.name)
    if args.quiet:
        print(key)
        return 0
    print(f"API key '{info.name}' (shown only now; NextHub keeps only its hash):\n")
    print(f"    {key}\n")
    print("Send it as `Authorization: Bearer <key>` (the openai client's api_key).")
    print(f"Revoke it with `nexthub keys revoke {info.name}`.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List the keys."""
    keys = _keys().list()
    if not keys:
        print("No API keys yet. Make one with `nexthub keys create NAME`.", file=sys.stderr)
        return 0
    rows = [[k.name, k.prefix + "…", k.created.strftime("%Y-%m-%d %H:%M UTC")] for k in keys]
    print_table(["NAME", "PREFIX", "CREATED"], rows)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    """Delete a key."""
    info = _keys().revoke(args.name)
    print(f"Revoked '{info.name}' ({info.prefix}…). Requests using it are refused from now on.")
    return 0
