"""The PyInstaller bundle's entry point: the ``nexthub`` command, and the engine worker.

The engine starts its worker as ``sys.executable -m nexthub.engine.worker``
(nexthub/engine/worker_process.py). In a bundle ``sys.executable`` is the
bundle itself, which has no ``-m``: this entry point gives it one, for
NextHub's own modules only, and otherwise runs the command line.
"""

from __future__ import annotations

import runpy
import sys


def main() -> int:
    """Run ``-m nexthub.…`` as Python would, or the ``nexthub`` command."""
    if len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2].startswith("nexthub."):
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from nexthub.cli.main import main as nexthub_main

    return nexthub_main()


if __name__ == "__main__":
    sys.exit(main())
