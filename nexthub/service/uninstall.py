"""Uninstalling NextHub: delete all its data, then remove the program the way it came.

``nexthub uninstall`` and the desktop app's "Uninstall NextHub…" run the same
steps, from here: the wipe of ``nexthub data wipe``
(:mod:`nexthub.service.data_places`), then :func:`remove_program` for the
install kind :func:`nexthub.installation.detect` found. The remover is run
only where NextHub may run it (no root, no password, ours to remove);
otherwise its exact command is said, and so is whatever is left to do by
hand. Both faces must tell the user the same thing, so what is said goes
through one ``say`` callback: the CLI prints it, the app shows it.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from nexthub.errors import NextHubError
from nexthub.installation import Removal, detect
from nexthub.paths import AppPaths
from nexthub.service.data_places import WipePlan, WipeReport, wipe_hub_data, wipe_plan
from nexthub.service.hub import Hub

Say = Callable[[str], None]


@dataclass(frozen=True)
class UninstallPlan:
    """What uninstalling deletes (the wipe), and how the program goes afterwards."""

    wipe: WipePlan
    removal: Removal

    def program_step(self) -> str:
        """How the program itself is removed, said before the user confirms."""
        removal = self.removal
        installed = f"NextHub was installed with {removal.kind.value} ({removal.where})."
        if removal.command is None:
            return " ".join([installed, "Afterwards:", *removal.afterwards])
        command = shlex.join(removal.command)
        if removal.runnable:
            return f"{installed} Then it is removed with `{command}`."
        return f"{installed} To remove the program you then run `{command}` yourself."


def uninstall_plan(paths: AppPaths, *, keep_models: bool = False) -> UninstallPlan:
    """What :func:`uninstall_hub` (and ``nexthub uninstall``) would do now."""
    return UninstallPlan(wipe_plan(paths, keep_models=keep_models), detect())


@dataclass(frozen=True)
class UninstallReport:
    """What an uninstall deleted, and what it said about the program (done, or still to do)."""

    wipe: WipeReport
    said: list[str]


def uninstall_hub(hub: Hub, removal: Removal, *, keep_models: bool = False) -> UninstallReport:
    """The desktop app's uninstall: close ``hub`` and wipe, then :func:`finish_uninstall`.

    A failed wipe raises before the program is touched (the chats may be
    intact: the app opens them again).
    """
    report = wipe_hub_data(hub, keep_models=keep_models)
    said: list[str] = []
    finish_uninstall(removal, said.append)
    return UninstallReport(report, said)


def finish_uninstall(removal: Removal, say: Say) -> None:
    """After the wipe: remove the program (or say its command), then what is left to do."""
    remove_program(removal, say)
    for step in removal.afterwards:
        say(step)


def remove_program(removal: Removal, say: Say) -> None:
    """Run the remover when NextHub may, else say its command; raises NextHubError on failure."""
    if removal.command is None:
        return
    command = shlex.join(removal.command)
    if not removal.runnable:
        say(f"To remove the program, run:\n    {command}")
        return
    say(f"Removing the program: {command}")
    try:
        if removal.detached:  # it replaces our own files: start it, and let this process end
            subprocess.Popen(removal.command, close_fds=True)
            return
        done = subprocess.run(removal.command, check=False)
    except OSError as exc:
        raise NextHubError(
            f"NextHub could not start `{command}` ({exc.strerror or type(exc).__name__}). "
            "Your data is already deleted; run that command yourself to remove the program."
        ) from exc
    if done.returncode != 0:
        raise NextHubError(
            f"`{command}` failed (exit status {done.returncode}). Your data is already "
            "deleted; run that command yourself to remove the program."
        )
    say("NextHub is uninstalled.")
