"""The task runner: blocking work off the main thread, its outcome delivered back on it."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from nexthub.gui.tasks import TaskRunner


def test_work_runs_off_the_main_thread_and_the_result_comes_back_on_it(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    seen: list[tuple[str, bool]] = []
    tasks.run(
        lambda: threading.current_thread().name,
        lambda name: seen.append((name, threading.current_thread() is threading.main_thread())),
    )
    qtbot.waitUntil(lambda: bool(seen))
    ((worker_name, on_main),) = seen
    assert worker_name.startswith("nexthub-task") and on_main


def test_a_failure_reaches_the_error_callback(qtbot: QtBot, tasks: TaskRunner) -> None:
    errors: list[BaseException] = []

    def fail() -> None:
        raise OSError("disk full")

    tasks.run(fail, lambda _: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], OSError) and tasks.pending() == 0


def test_a_widget_deleted_while_its_task_ran_is_not_called_back(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    release = threading.Event()
    label = QLabel()
    tasks.run(lambda: release.wait(5) and "late", label.setText)
    _delete_then_let_the_work_end(qtbot, label, release)
    qtbot.waitUntil(lambda: tasks.pending() == 0)  # delivered, skipped, no RuntimeError


def _alive(widget: QLabel) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(widget))


def _delete_then_let_the_work_end(qtbot: QtBot, widget: QLabel, release: threading.Event) -> None:
    """Delete ``widget`` while its task still runs, then let the task finish."""
    widget.deleteLater()
    qtbot.waitUntil(lambda: not _alive(widget))
    release.set()


def test_a_deleted_owner_is_not_called_back_through_a_lambda_either(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    release = threading.Event()
    label = QLabel()
    called: list[str] = []
    owned = tasks.owned_by(label)
    owned.run(lambda: release.wait(5) and "late", called.append)
    owned.run(lambda: release.wait(5) and 1 / 0, on_error=lambda error: called.append("error"))
    _delete_then_let_the_work_end(qtbot, label, release)
    qtbot.waitUntil(lambda: tasks.pending() == 0)  # the owner's view shares the count
    owned.call_on_main_thread(lambda: called.append("queued"))
    qtbot.wait(50)
    assert called == []


def test_a_living_owner_is_called_back_through_its_view(qtbot: QtBot, tasks: TaskRunner) -> None:
    label = QLabel()
    owned = tasks.owned_by(label)
    owned.run(lambda: "done", label.setText)
    owned.call_on_main_thread(lambda: label.setToolTip("queued"))
    qtbot.waitUntil(lambda: label.text() == "done" and label.toolTip() == "queued")


def test_without_an_owned_view_a_plain_callback_still_runs_after_the_widget_is_gone(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    """Why widgets take a view: the plain runner cannot see whom such a callback serves."""
    release = threading.Event()
    label = QLabel()
    called: list[str] = []
    tasks.run(lambda: release.wait(5) and "late", called.append)
    _delete_then_let_the_work_end(qtbot, label, release)
    qtbot.waitUntil(lambda: called == ["late"])
