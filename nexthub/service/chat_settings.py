"""A chat's own settings as a person edits them: presets, and typed numbers read or refused.

Every face offers the same presets and the same messages, so they live here.
A preset sets temperature and top-p only (how adventurous the words are);
the answer length and the seed are the user's own. :func:`read_chat_settings`
turns what was typed into :class:`SamplingSettings`, or raises ValueError
naming every field that is wrong and what it accepts.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from nexthub.engine import SamplingSettings
from nexthub.service.settings_form import typed_whole_number

#: name -> (temperature, top_p), in the order a list shows them.
PRESETS: dict[str, tuple[float, float]] = {
    "Precise": (0.2, 0.9),
    "Balanced": (0.7, 0.95),
    "Creative": (1.1, 0.98),
}
#: What a list shows when the numbers match no preset.
CUSTOM = "Custom"


def preset_of(sampling: SamplingSettings) -> str:
    """The preset these settings match, or :data:`CUSTOM`."""
    for name, (temperature, top_p) in PRESETS.items():
        if math.isclose(sampling.temperature, temperature) and math.isclose(sampling.top_p, top_p):
            return name
    return CUSTOM


@dataclass(frozen=True)
class ChatSettingsForm:
    """The fields as typed (empty max tokens: no limit; empty seed: a fresh one each time)."""

    temperature: str
    top_p: str
    max_tokens: str
    seed: str

    @classmethod
    def of(cls, sampling: SamplingSettings) -> ChatSettingsForm:
        """The fields as they show ``sampling``."""
        return cls(
            temperature=f"{sampling.temperature:g}",
            top_p=f"{sampling.top_p:g}",
            max_tokens="" if sampling.max_tokens is None else str(sampling.max_tokens),
            seed="" if sampling.seed is None else str(sampling.seed),
        )

    def read(self, base: SamplingSettings) -> SamplingSettings:
        """``base`` with the typed values; ValueError lists every bad field."""
        problems: list[str] = []
        temperature = _number(self.temperature, "Temperature", 0.0, 2.0, problems)
        top_p = _number(self.top_p, "Top p", 0.01, 1.0, problems)
        max_tokens = _whole(self.max_tokens, "Max tokens", 1, problems)
        seed = _whole(self.seed, "Seed", 0, problems)
        if problems:
            raise ValueError(" ".join(problems))
        return dataclasses.replace(
            base, temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed
        )


def _number(text: str, label: str, low: float, high: float, problems: list[str]) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # NaN fails too
        problems.append(f"{label} must be a number from {low:g} to {high:g}.")
        return low
    return value


def _whole(text: str, label: str, minimum: int, problems: list[str]) -> int | None:
    cleaned, value = typed_whole_number(text)
    if not cleaned:
        return None
    if value is None or value < minimum:
        problems.append(f"{label} must be empty or a whole number of {minimum} or more.")
        return None
    return value
