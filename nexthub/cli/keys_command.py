"""``nexthub keys``: API keys for ``nexthub serve`` (create, list, revoke, usage).

A key is printed once, when it is made; NextHub keeps only its hash. ``keys
list`` shows names and the first characters of each key, never a key. ``keys
usage`` shows the API's usage log (kept in the encrypted store, so it asks
for the passphrase like ``nexthub chat``): calls and tokens per day, key and
model; never what was asked or answered, which the log does not hold.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nexthub.cli.format import print_table
from nexthub.cli.unlock import open_store_for_cli
from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.service.api_keys import ApiKeys
from nexthub.service.api_usage import ApiUsage, DailyUsage
from nexthub.service.settings import read_settings


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

    usage = actions.add_parser("usage", help="calls and tokens per day, key and model")
    usage.add_argument(
        "--days", type=int, default=None, metavar="N", help="only the last N days (default: all)"
    )
    usage.set_defaults(run=run_usage)


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


def run_usage(args: argparse.Namespace) -> int:
    """Print the usage log's daily totals, newest day first."""
    if args.days is not None and args.days < 1:
        raise NextHubError("--days must be 1 or more.")
    paths = AppPaths.from_environment()
    retention = read_settings(paths.settings_file).api_usage_retention_days
    names = {key.prefix: key.name for key in _keys().list()}
    with open_store_for_cli(paths, create_if_missing=False) as store:
        totals = ApiUsage(store, lambda: retention).daily_totals(args.days)
    if not totals:
        print("No API calls recorded.", file=sys.stderr)
        return 0
    headers = ["DAY", "KEY", "ENDPOINT", "MODEL", "CALLS", "FAILED", "TOKENS IN", "TOKENS OUT"]
    print_table([*headers, "MEAN TIME"], [_usage_row(total, names) for total in totals])
    print(
        f"\nDays are UTC. Each call is kept for {retention} days, then only its day's totals.",
        file=sys.stderr,
    )
    return 0


def _usage_row(total: DailyUsage, names: dict[str, str]) -> list[str]:
    key = f"{total.key_prefix}…"
    if total.key_prefix in names:
        key = f"{names[total.key_prefix]} ({key})"
    return [
        total.day.isoformat(),
        key,
        total.endpoint.removeprefix("/v1/"),
        total.model or "-",
        str(total.calls),
        str(total.failed),
        str(total.prompt_tokens),
        str(total.completion_tokens),
        f"{total.latency_ms / total.calls / 1000:.2f} s",
    ]
