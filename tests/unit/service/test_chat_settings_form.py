"""A chat's settings as typed: presets fill temperature and top-p; bad numbers are named."""

from __future__ import annotations

import pytest

from nexthub.engine import SamplingSettings
from nexthub.service.chat_settings import CUSTOM, PRESETS, ChatSettingsForm, preset_of


def test_each_preset_is_recognised_and_other_numbers_are_custom() -> None:
    for name, (temperature, top_p) in PRESETS.items():
        assert preset_of(SamplingSettings(temperature=temperature, top_p=top_p)) == name
    assert preset_of(SamplingSettings(temperature=0.33)) == CUSTOM


def test_the_form_shows_the_settings_and_reads_them_back() -> None:
    sampling = SamplingSettings(temperature=0.2, top_p=0.9, max_tokens=None, seed=7)
    form = ChatSettingsForm.of(sampling)
    assert form == ChatSettingsForm(temperature="0.2", top_p="0.9", max_tokens="", seed="7")
    assert form.read(SamplingSettings()) == sampling


def test_every_bad_field_is_named_with_what_it_accepts() -> None:
    with pytest.raises(ValueError) as refused:
        ChatSettingsForm(temperature="hot", top_p="0", max_tokens="-3", seed="x").read(
            SamplingSettings()
        )
    assert str(refused.value) == (
        "Temperature must be a number from 0 to 2. "
        "Top p must be a number from 0.01 to 1. "
        "Max tokens must be empty or a whole number of 1 or more. "
        "Seed must be empty or a whole number of 0 or more."
    )
