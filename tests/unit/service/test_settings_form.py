"""Reading what a person types into Settings: numbers, 'auto', and clear refusals."""

from __future__ import annotations

import pytest

from nexthub.service.settings import AppSettings
from nexthub.service.settings_form import SettingsForm


def test_the_form_shows_the_settings_and_reads_them_back_unchanged() -> None:
    settings = AppSettings(threads=6, gpu_layers="auto", context_size=0, web_port=9000)
    form = SettingsForm.of(settings)

    assert form == SettingsForm(
        threads="6", gpu_layers="auto", context_size="auto", web_port="9000"
    )
    assert form.changes() == {
        "threads": 6,
        "gpu_layers": "auto",
        "context_size": 0,
        "web_port": 9000,
    }
    assert SettingsForm.of(AppSettings()).changes()["threads"] is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (("", "Auto", " 8,192 "), {"threads": None, "gpu_layers": "auto", "context_size": 8192}),
        (("automatic", "0", "0"), {"threads": None, "gpu_layers": 0, "context_size": 0}),
        (("12", "33", "32_768"), {"threads": 12, "gpu_layers": 33, "context_size": 32768}),
    ],
)
def test_numbers_and_auto_are_read_as_typed(
    typed: tuple[str, str, str], expected: dict[str, object]
) -> None:
    assert SettingsForm(*typed).changes() == expected


def test_every_bad_field_is_named_with_what_it_accepts() -> None:
    with pytest.raises(ValueError) as refused:
        SettingsForm(threads="0", gpu_layers="lots", context_size="-1").changes()

    assert str(refused.value) == (
        "Threads must be 'auto' or a whole number of 1 or more. "
        "GPU layers must be 'auto' or a whole number of 0 or more. "
        "Context size must be 'auto' or a whole number of 0 or more."
    )


def test_the_web_port_is_a_port_or_auto_for_any_free_one() -> None:
    fields = {"threads": "auto", "gpu_layers": "0", "context_size": "auto"}
    assert SettingsForm(**fields, web_port="auto").changes()["web_port"] == 0
    assert SettingsForm(**fields, web_port="8080").changes()["web_port"] == 8080
    assert "web_port" not in SettingsForm(**fields).changes()  # a face without the field
    with pytest.raises(ValueError, match="Web GUI port must be at most 65535"):
        SettingsForm(**fields, web_port="70000").changes()
