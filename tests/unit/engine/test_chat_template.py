"""Chat templates come from the GGUF; a model without one gets ChatML, and says so."""

import pytest

from nexthub.engine.chat_template import ChatTemplate, ChatTemplateError
from nexthub.engine.types import ChatMessage

MESSAGES = [ChatMessage("system", "Be kind."), ChatMessage("user", "Hi")]


def test_the_models_own_template_is_used() -> None:
    template = ChatTemplate.from_gguf(
        "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
        "{% if add_generation_prompt %}[assistant]{% endif %}",
        bos_token="<s>",
        eos_token="</s>",
    )
    assert template.source == "gguf"
    assert template.render(MESSAGES) == "<s>[system]Be kind.[user]Hi[assistant]"
    assert template.extra_stops == ()


def test_a_model_without_a_template_gets_chatml_and_its_stop_markers() -> None:
    template = ChatTemplate.from_gguf(None, bos_token="", eos_token="")
    assert template.source == "fallback-chatml"
    assert template.render(MESSAGES) == (
        "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert "<|im_end|>" in template.extra_stops


def test_a_template_that_refuses_the_conversation_gives_a_clear_error() -> None:
    template = ChatTemplate.from_gguf(
        "{% if messages[0].role == 'system' %}{{ raise_exception('no system role') }}{% endif %}",
        bos_token="",
        eos_token="",
    )
    with pytest.raises(ChatTemplateError, match="no system role"):
        template.render(MESSAGES)


def test_a_template_cannot_reach_python_internals() -> None:
    template = ChatTemplate.from_gguf(
        "{{ messages.__class__.__mro__[1].__subclasses__() }}", bos_token="", eos_token=""
    )
    with pytest.raises(ChatTemplateError):
        template.render(MESSAGES)
