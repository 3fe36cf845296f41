"""Sampling settings to and from the JSON object a conversation keeps.

The store keeps a conversation's sampling settings as plain JSON (it imports
nothing of the engine); the service maps them. Reading is forgiving on
purpose: a key this version does not know (written by a newer version) is
ignored, and a bad value falls back to the default for that one setting, so
an old or hand-edited conversation still opens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from nexthub.engine import SamplingSettings
from nexthub.store.records import JsonValue


def sampling_to_json(sampling: SamplingSettings) -> dict[str, JsonValue]:
    """The sampling settings as the store keeps them."""
    values: dict[str, JsonValue] = {
        field.name: getattr(sampling, field.name) for field in dataclasses.fields(sampling)
    }
    values["stop"] = list(sampling.stop)
    return values


def sampling_from_json(
    values: Mapping[str, JsonValue], default: SamplingSettings | None = None
) -> SamplingSettings:
    """Sampling settings read back; what is missing or invalid comes from ``default``."""
    settings = default or SamplingSettings()
    known = {field.name for field in dataclasses.fields(SamplingSettings)}
    for name, value in values.items():
        if name not in known:
            continue
        candidate: Any = tuple(value) if name == "stop" and isinstance(value, list) else value
        try:
            settings = dataclasses.replace(settings, **{name: candidate})
        except (TypeError, ValueError):
            continue
    return settings
