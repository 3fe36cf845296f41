"""The registry: well formed, matched to the catalog, and pinned to its schema number."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from nexthub.telemetry.registry import REGISTRY_FILE, RegistryError, default_registry, load_registry

ROOT = Path(__file__).resolve().parents[3]

#: The registry's SHA-256 for its schema number. Changing what a report can hold
#: must raise `schema` (so users who said yes are asked again): update both here.
PINNED = {1: "916fb751e84e941c8c295b7d8884d37aa1ddfa7c13fe9bf3c7e5548837f444ec"}


def test_every_metric_says_what_it_counts_and_why() -> None:
    registry = default_registry()
    assert registry.metrics
    for metric in registry.metrics:
        assert len(metric.description) > 10 and len(metric.why) > 10, metric.name


def test_model_families_are_the_catalogs_and_everything_else_is_custom() -> None:
    catalog = json.loads((ROOT / "models" / "catalog.json").read_text(encoding="utf-8"))
    families = {model["family"] for model in catalog["models"]}
    metric = default_registry().metric("model.loaded")
    assert metric is not None
    assert set(metric.labels) == families | {"custom"}
    assert metric.label_of("my-finetune-Q4.gguf") == "custom"


def test_histogram_buckets_are_powers_of_two() -> None:
    for metric in default_registry().of_kind("histogram"):
        for edge in metric.buckets:
            assert math.log2(edge).is_integer(), (metric.name, edge)


def test_changing_the_registry_means_raising_the_schema() -> None:
    registry = default_registry()
    digest = hashlib.sha256(REGISTRY_FILE.read_bytes()).hexdigest()
    assert PINNED.get(registry.schema) == digest, (
        f"registry.toml changed: raise `schema` and pin {registry.schema}: {digest!r}"
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ('kind = "counter"\n', 'kind = "gauge"\n'),
        ("cap = 1000", "cap = 0"),
        ("buckets = [1, 2, 4,", "buckets = [4, 2, 1,"),
    ],
)
def test_a_malformed_registry_is_refused(tmp_path: Path, change: str, problem: str) -> None:
    text = REGISTRY_FILE.read_text(encoding="utf-8")
    assert change in text
    broken = tmp_path / "registry.toml"
    broken.write_text(text.replace(change, problem, 1), encoding="utf-8")
    with pytest.raises(RegistryError):
        load_registry(broken)
