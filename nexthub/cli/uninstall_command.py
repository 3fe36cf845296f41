"""``nexthub uninstall``: delete everything NextHub keeps, then remove the program.

The wipe is ``nexthub data wipe``'s (the same plan, the same confirmation, the
same code). Then the program goes the way it was installed
(:mod:`nexthub.installation`): the remover is run when NextHub may run it
(pip in a virtual environment, pip --user, pipx, the Windows uninstaller, the
macOS app to the Trash), else its exact command is printed (``sudo apt-get
purge nexthub``), followed by whatever is left to do by hand. Those steps are
:mod:`nexthub.service.uninstall`'s, which the desktop app's "Uninstall
NextHub…" runs too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nexthub.cli.data_command import confirm_wipe, report_wipe
from nexthub.installation import detect
from nexthub.paths import AppPaths
from nexthub.service.data_places import wipe_all_data
from nexthub.service.uninstall import finish_uninstall


def register(commands: Any) -> None:
    """Add ``uninstall``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "uninstall",
        help="delete all NextHub's data, then remove NextHub itself",
        description=__doc__,
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask")
    parser.add_argument(
        "--keep-models", action="store_true", help="keep the downloaded and imported models"
    )
    parser.set_defaults(run=run_uninstall)


def run_uninstall(args: argparse.Namespace) -> int:
    """Say what goes and how the program is removed, ask, wipe, then remove it."""
    paths = AppPaths.from_environment()
    removal = detect()
    print(f"NextHub was installed with {removal.kind.value} ({removal.where}).", file=sys.stderr)
    if not confirm_wipe(paths, args, then="uninstall"):
        return 1
    report_wipe(wipe_all_data(paths, keep_models=args.keep_models))
    finish_uninstall(removal, print)
    return 0
