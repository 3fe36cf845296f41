"""The registry of metrics (registry.toml), read into plain frozen values.

Everything telemetry can record, send or accept is declared in one reviewed
file; this module turns it into types the recorder, the report, the collector
and the docs share, and refuses a registry that is not well formed, so a
mistake in it fails at the first test rather than in a user's report.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

REGISTRY_FILE = Path(__file__).with_name("registry.toml")
#: Where a value outside a metric's declared labels is counted.
OTHER = "__other__"
#: The device dimension that holds the app's version (digits "X.Y" only).
APP_VERSION_DIMENSION = "app"
#: The class of a size dimension for a machine without that thing (no GPU).
NO_SIZE = "none"

MetricKind = Literal["counter", "labelled", "histogram"]
_KINDS = ("counter", "labelled", "histogram")


class RegistryError(ValueError):
    """The registry file is not well formed (a developer's mistake, caught by tests)."""


@dataclass(frozen=True)
class Metric:
    """One declared metric: what it counts, why, and its fixed shape."""

    name: str
    kind: MetricKind
    description: str
    why: str
    labels: tuple[str, ...] = ()
    fallback: str = OTHER
    buckets: tuple[float, ...] = ()

    @property
    def report_labels(self) -> tuple[str, ...]:
        """The keys of a labelled metric in a report: the labels, then the fallback."""
        return self.labels if self.fallback in self.labels else (*self.labels, self.fallback)

    def label_of(self, value: str) -> str:
        """``value`` if it is declared, else the fallback (``__other__`` unless declared)."""
        return value if value in self.labels else self.fallback

    def bucket_of(self, value: float) -> int:
        """The histogram bucket of ``value``: bucket i holds values below ``buckets[i]``."""
        for index, edge in enumerate(self.buckets):
            if value < edge:
                return index
        return len(self.buckets)


@dataclass(frozen=True)
class Dimension:
    """One device class: fixed labels, size classes from edges in GiB, or the app version."""

    name: str
    description: str
    labels: tuple[str, ...] = ()
    edges_gib: tuple[float, ...] = ()

    @property
    def classes(self) -> tuple[str, ...]:
        """Every value this dimension can take (empty for the app version: digits only)."""
        if self.labels:
            return self.labels
        if not self.edges_gib:
            return ()
        edges = [_gib(edge) for edge in self.edges_gib]
        middle = [f"{low}-{high}GiB" for low, high in itertools.pairwise(edges)]
        return (NO_SIZE, f"<{edges[0]}GiB", *middle, f">={edges[-1]}GiB")

    def size_class(self, size_bytes: int | None) -> str:
        """The class of a size in bytes (``none`` for no such device)."""
        if not size_bytes or size_bytes <= 0:
            return NO_SIZE
        gib = size_bytes / 2**30
        for index, edge in enumerate(self.edges_gib):
            if gib < edge:
                return self.classes[1 + index]
        return self.classes[-1]


@dataclass(frozen=True)
class CrashRules:
    """How crash signatures are cut down before they are counted."""

    description: str
    why: str
    max_frames: int
    max_signatures: int


@dataclass(frozen=True)
class Registry:
    """The whole registry: schema version, cap, device classes, crash rules, metrics."""

    schema: int
    cap: int
    device_description: str
    device_why: str
    device: tuple[Dimension, ...]
    crashes: CrashRules
    metrics: tuple[Metric, ...]

    def metric(self, name: str) -> Metric | None:
        """The metric called ``name``, or None when it is not declared."""
        return self._by_name.get(name)

    def of_kind(self, kind: MetricKind) -> tuple[Metric, ...]:
        """The metrics of one kind, in registry order."""
        return tuple(m for m in self.metrics if m.kind == kind)

    def dimension(self, name: str) -> Dimension:
        """The device dimension called ``name``."""
        return next(d for d in self.device if d.name == name)

    @functools.cached_property
    def _by_name(self) -> dict[str, Metric]:
        return {m.name: m for m in self.metrics}


def _gib(edge: float) -> str:
    return str(int(edge)) if float(edge).is_integer() else str(edge)


def load_registry(path: Path = REGISTRY_FILE) -> Registry:
    """Read and check a registry file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return _parse(raw)
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path.name}: {exc!r}") from exc


@functools.cache
def default_registry() -> Registry:
    """The registry shipped with NextHub (read once)."""
    return load_registry()


def _parse(raw: dict[str, Any]) -> Registry:
    device = raw["device"]
    crashes = raw["crashes"]
    registry = Registry(
        schema=_positive(raw["schema"], "schema"),
        cap=_positive(raw["cap"], "cap"),
        device_description=str(device["description"]),
        device_why=str(device["why"]),
        device=tuple(
            Dimension(
                name=name,
                description=str(spec["description"]),
                labels=tuple(str(label) for label in spec.get("labels", ())),
                edges_gib=tuple(float(edge) for edge in spec.get("edges_gib", ())),
            )
            for name, spec in device.items()
            if isinstance(spec, dict)
        ),
        crashes=CrashRules(
            description=str(crashes["description"]),
            why=str(crashes["why"]),
            max_frames=_positive(crashes["max_frames"], "max_frames"),
            max_signatures=_positive(crashes["max_signatures"], "max_signatures"),
        ),
        metrics=tuple(_metric(spec) for spec in raw["metric"]),
    )
    _check(registry)
    return registry


def _metric(spec: dict[str, Any]) -> Metric:
    kind = spec["kind"]
    if kind not in _KINDS:
        raise RegistryError(f"metric {spec.get('name')!r}: unknown kind {kind!r}")
    return Metric(
        name=str(spec["name"]),
        kind=kind,
        description=str(spec["description"]),
        why=str(spec["why"]),
        labels=tuple(str(label) for label in spec.get("labels", ())),
        fallback=str(spec.get("fallback", OTHER)),
        buckets=tuple(float(edge) for edge in spec.get("buckets", ())),
    )


def _positive(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RegistryError(f"{what} must be a positive integer")
    return value


def _check(registry: Registry) -> None:
    names = [m.name for m in registry.metrics]
    if len(set(names)) != len(names):
        raise RegistryError("a metric name is declared twice")
    for metric in registry.metrics:
        if not metric.description or not metric.why:
            raise RegistryError(f"{metric.name}: a description and a why are required")
        if (metric.kind == "labelled") != bool(metric.labels):
            raise RegistryError(f"{metric.name}: labels belong to labelled metrics only")
        if (metric.kind == "histogram") != bool(metric.buckets):
            raise RegistryError(f"{metric.name}: buckets belong to histograms only")
        if list(metric.buckets) != sorted(set(metric.buckets)):
            raise RegistryError(f"{metric.name}: buckets must rise")
        if len(set(metric.labels)) != len(metric.labels):
            raise RegistryError(f"{metric.name}: a label is declared twice")
    for dimension in registry.device:
        if dimension.labels and "other" not in dimension.labels:
            raise RegistryError(f"device.{dimension.name}: an 'other' class is required")
    dimensions = {d.name for d in registry.device}
    if APP_VERSION_DIMENSION not in dimensions:
        raise RegistryError("device.app (the app version) is required")
