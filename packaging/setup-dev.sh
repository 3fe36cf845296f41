#!/usr/bin/env bash
# Set up a virtual environment in .venv with NextHub and the starter model.
#
#   packaging/setup-dev.sh          the app and the starter model
#   packaging/setup-dev.sh --test   also everything the test suite needs
#
# Needs Python 3.11+ with venv, a C/C++ compiler and cmake (Debian/Ubuntu:
# apt-get install python3-venv build-essential cmake). The llama.cpp build is
# cached (packaging/llama-wheel.sh), so only the first run is slow.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras="starter"
if [[ "${1:-}" == "--test" ]]; then extras="test"; fi
python="${PYTHON:-python3}"

if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
wheel="$(bash packaging/llama-wheel.sh .venv/bin/python)"
.venv/bin/python -m pip install --quiet "$wheel"
.venv/bin/python -m pip install --quiet -e ".[$extras]"
echo "NextHub is installed in .venv ($(.venv/bin/nexthub --version))." >&2
