"""The worker's exit status as ``engine.worker_exit`` counts it: a kind of exit, nothing more."""

from __future__ import annotations

import signal

import pytest

from nexthub.service.usage_counts import worker_exit_kind


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (-signal.SIGABRT, "abort"),
        (-signal.SIGSEGV, "segfault"),
        (-signal.SIGKILL, "killed"),
        (-signal.SIGTERM, "killed"),
        (1, "other"),
        (None, "other"),
    ],
)
def test_a_worker_exit_becomes_one_of_the_registry_labels(code: int | None, kind: str) -> None:
    assert worker_exit_kind(code) == kind
