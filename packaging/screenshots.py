"""Render the desktop app's main screens into assets/screenshots/ (for the README).

Run it from the repository root with the dev environment:

    .venv/bin/python packaging/screenshots.py [--out assets/screenshots]

It draws on a real X server: with no DISPLAY it starts Xvfb itself (Debian:
``apt-get install xvfb``), so the pictures show the real xcb platform with
real fonts, not the offscreen test platform. Everything happens in a
throw-away NEXTHUB_HOME with made-up chats; the starter model is loaded for
the status bar, so the ``starter`` extra must be installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "correct horse battery staple"  # noqa: S105 - a throw-away demo store
SIZE = (1200, 760)

CHATS: list[tuple[str, bool, list[str]]] = [
    (
        "Weekend in Lisbon",
        False,
        [
            "I have three days in Lisbon in May. What should I not miss?",
            "Three days is a good amount of time. A plan that keeps walking uphill to a "
            "minimum:\n\n1. **Day 1: Baixa, Chiado and Alfama.** Take tram 28 up to the "
            "castle early, then walk down through Alfama.\n2. **Day 2: Belém.** The "
            "monastery, the tower, and pastéis de Belém while they are warm.\n3. **Day 3: "
            "Sintra** by train from Rossio (40 minutes).\n\nIn May the evenings are long: "
            "watch the sunset from the *Miradouro da Senhora do Monte*.",
            "Is tram 28 worth it or is it too crowded?",
        ],
    ),
    (
        "Explain recursion with an example",
        True,
        [
            "Explain recursion with a short Python example.",
            "A function is *recursive* when it calls itself on a smaller piece of the "
            "problem, until the piece is small enough to answer directly:\n\n```python\n"
            "def factorial(n: int) -> int:\n    if n <= 1:          # the base case\n"
            "        return 1\n    return n * factorial(n - 1)  # a smaller problem\n```\n\n"
            "`factorial(4)` becomes `4 * factorial(3)`, then `4 * 3 * factorial(2)`, and "
            "so on down to the base case.",
        ],
    ),
    ("Leek and potato soup", False, ["How do I make leek and potato soup?", "Sweat the leeks."]),
    ("Home office tax questions", False, ["Is a desk deductible?", "Often, yes."]),
    ("Birthday message for Anna", False, ["Write a short birthday message.", "Happy day!"]),
]


def start_xvfb() -> subprocess.Popen[bytes] | None:
    """Start Xvfb on a free display when there is no DISPLAY; None when one is set."""
    if os.environ.get("DISPLAY"):
        return None
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("screenshots: no DISPLAY and no Xvfb (Debian: apt-get install xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        sys.exit("screenshots: Xvfb did not start")
    os.environ["DISPLAY"] = f":{number}"
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="nexthub-screenshots-"))
    os.environ["NEXTHUB_HOME"] = str(home)
    os.environ.pop("NEXTHUB_PASSPHRASE", None)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    server = start_xvfb()
    try:
        from screenshot_scenes import render_all  # imported once DISPLAY is set

        render_all(args.out, home, PASSPHRASE, SIZE, CHATS)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    status = main()
    print(f"took {time.monotonic() - started:.0f} s")
    sys.exit(status)
