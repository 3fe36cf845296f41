"""The desktop app as `nexthub` starts it, saying when its window became usable.

Run by bench_cold_start.py, never by hand. It changes one thing: after the
window's own start (sidebar, new chat, the model load begun in the
background), a 1 ms timer watches for the sidebar to list the conversations;
the first event-loop turn that finds them prints ``usable <time.time()>`` and
quits the app. Everything else (imports, QApplication, theme, unlocking the
store, building the window) is the real start-up path, via `nexthub`'s main.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from nexthub.cli.main import main
from nexthub.gui.main_window import MainWindow

_original_start = MainWindow.start


def _start_and_watch(window: MainWindow, *, load_model: bool = True) -> None:
    _original_start(window, load_model=load_model)
    probe = QTimer(window)

    def check() -> None:
        if window.sidebar.list.count() > 0 and window.isVisible():
            probe.stop()
            print(f"usable {time.time():.6f}", flush=True)
            app = QApplication.instance()
            if app is not None:
                app.quit()

    probe.timeout.connect(check)
    probe.start(1)


MainWindow.start = _start_and_watch  # type: ignore[method-assign]
sys.exit(main([]))
