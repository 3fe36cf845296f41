"""A real model file without a chat template gets the documented ChatML fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexthub.engine import ChatMessage, Engine, LoadSettings, SamplingSettings

TEMPLATE_KEY = b"tokenizer.chat_template"


@pytest.fixture(scope="module")
def model_without_template(
    starter_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The starter model with its template key renamed (same length), so it has none."""
    data = bytearray(starter_model_path.read_bytes())
    at = data.find(TEMPLATE_KEY)
    assert at > 0
    data[at : at + len(TEMPLATE_KEY)] = b"tokenizer.chat_templatX"
    path = tmp_path_factory.mktemp("models") / "no-template.gguf"
    path.write_bytes(bytes(data))
    return path


def test_a_model_without_a_template_uses_chatml_and_says_so(model_without_template: Path) -> None:
    with Engine() as engine:
        info = engine.load(model_without_template, LoadSettings(context_size=1024, threads=2))
        assert info.template_source == "fallback-chatml"
        events = list(
            engine.chat(
                [ChatMessage("user", "What is the capital of France?")],
                SamplingSettings(temperature=0.0, max_tokens=32),
            )
        )
    final = events[-1]
    # SmolLM2 was trained on ChatML, so the fallback happens to suit it: it answers.
    assert "Paris" in final.text  # type: ignore[attr-defined]
    assert "<|im_end|>" not in final.text  # type: ignore[attr-defined]
