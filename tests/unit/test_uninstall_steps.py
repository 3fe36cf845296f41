"""The steps after the wipe that ``nexthub uninstall`` and the app's "Uninstall NextHub…" share.

The removers run here are real programs that remove nothing (``true``,
``false``, a missing one), so what is said and raised is checked as it happens.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from nexthub.errors import NextHubError
from nexthub.installation import InstallKind, Removal
from nexthub.service.data_places import WipePlan
from nexthub.service.uninstall import UninstallPlan, finish_uninstall, remove_program

NOTHING = WipePlan([], [], "")
WHERE = Path("/opt/nexthub")


def said(removal: Removal) -> list[str]:
    lines: list[str] = []
    finish_uninstall(removal, lines.append)
    return lines


def test_a_remover_nexthub_may_run_is_run_and_said() -> None:
    removal = Removal(InstallKind.PIP_VENV, WHERE, ["true"], True, afterwards=["Delete the venv."])

    assert said(removal) == [
        "Removing the program: true",
        "NextHub is uninstalled.",
        "Delete the venv.",
    ]
    assert UninstallPlan(NOTHING, removal).program_step() == (
        f"NextHub was installed with {InstallKind.PIP_VENV.value} ({WHERE}). "
        "Then it is removed with `true`."
    )


def test_a_remover_needing_root_is_only_said_exactly() -> None:
    removal = Removal(InstallKind.DEB, WHERE, ["sudo", "apt-get", "purge", "nexthub"], False)

    assert said(removal) == ["To remove the program, run:\n    sudo apt-get purge nexthub"]
    assert (
        UninstallPlan(NOTHING, removal)
        .program_step()
        .endswith("To remove the program you then run `sudo apt-get purge nexthub` yourself.")
    )


def test_without_a_remover_what_is_left_is_said() -> None:
    removal = Removal(
        InstallKind.BUNDLE, WHERE, None, False, afterwards=[f"Delete the folder {WHERE}."]
    )

    assert said(removal) == [f"Delete the folder {WHERE}."]
    assert (
        UninstallPlan(NOTHING, removal)
        .program_step()
        .endswith(f"Afterwards: Delete the folder {WHERE}.")
    )


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (["false"], "failed (exit status 1)"),
        ([str(Path(sys.prefix) / "no-such-remover")], "could not start"),
    ],
)
def test_a_remover_that_fails_says_the_data_is_gone_and_what_to_run(
    command: list[str], problem: str
) -> None:
    removal = Removal(InstallKind.PIPX, WHERE, command, True)

    with pytest.raises(NextHubError, match=re.escape(problem)) as failure:
        remove_program(removal, lambda _line: None)
    assert "Your data is already deleted; run that command yourself" in str(failure.value)
