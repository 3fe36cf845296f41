"""App settings: saved as readable JSON, read forgivingly, never half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexthub.engine import LoadSettings, SamplingSettings
from nexthub.paths import AppPaths
from nexthub.service.sampling_json import sampling_from_json, sampling_to_json
from nexthub.service.settings import AppSettings, read_settings, write_settings


@pytest.fixture
def settings_file(nexthub_home: Path) -> Path:
    return AppPaths.from_environment().settings_file


def test_no_file_means_the_defaults(settings_file: Path) -> None:
    assert not settings_file.exists()
    assert read_settings(settings_file) == AppSettings()


def test_saved_settings_come_back_and_the_file_is_private(settings_file: Path) -> None:
    chosen = AppSettings(threads=3, gpu_layers=12, context_size=8192, theme="dark", welcomed=True)
    write_settings(settings_file, chosen)
    assert read_settings(settings_file) == chosen
    assert json.loads(settings_file.read_text())["theme"] == "dark"
    assert settings_file.stat().st_mode & 0o077 == 0
    assert [p.name for p in settings_file.parent.iterdir()] == ["settings.json"]


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "[1, 2]", '"text"'],
    ids=["empty", "broken", "a list", "a string"],
)
def test_a_damaged_file_gives_the_defaults(settings_file: Path, content: str) -> None:
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(content)
    assert read_settings(settings_file) == AppSettings()


def test_a_bad_value_falls_back_alone_and_unknown_keys_are_ignored(settings_file: Path) -> None:
    settings_file.parent.mkdir(parents=True)
    document = {"threads": -4, "theme": "purple", "context_size": 2048, "from_the_future": 1}
    settings_file.write_text(json.dumps(document))
    settings = read_settings(settings_file)
    assert settings == AppSettings(context_size=2048)


def test_invalid_settings_are_refused_with_every_problem_named() -> None:
    with pytest.raises(ValueError, match=r"threads must be at least 1.*GPU layers.*theme"):
        AppSettings(threads=0, gpu_layers=-1, theme="neon")  # type: ignore[arg-type]


def test_settings_become_the_engine_load_settings() -> None:
    settings = AppSettings(threads=2, gpu_layers=0, context_size=1024)
    assert settings.load_settings() == LoadSettings(context_size=1024, threads=2, gpu_layers=0)


def test_sampling_settings_round_trip_through_json() -> None:
    sampling = SamplingSettings(temperature=0.2, top_k=7, seed=5, stop=("END", "\n\n"))
    assert sampling_from_json(json.loads(json.dumps(sampling_to_json(sampling)))) == sampling


def test_sampling_read_back_skips_unknown_keys_and_bad_values() -> None:
    default = SamplingSettings(max_tokens=99)
    read = sampling_from_json({"temperature": -3, "top_k": 5, "mirostat": 2}, default)
    assert read == SamplingSettings(max_tokens=99, top_k=5)
