"""Turn a list of messages into the prompt text a model was trained on.

GGUF files carry their chat template (a Jinja2 program, as in Hugging Face's
tokenizer_config) under ``tokenizer.chat_template``. We render it in a
sandboxed Jinja2 environment, as Hugging Face does, because the template
comes from a downloaded file and must not reach Python internals.

A model without a template gets ChatML (``<|im_start|>role ... <|im_end|>``),
the most widely trained format; the model info reports
``template_source == "fallback-chatml"`` so the user can be told that answers
may be poor, and ChatML's markers are added as stop strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from nexthub.engine.errors import EngineError
from nexthub.engine.types import ChatMessage, TemplateSource

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

#: Stop strings implied by the ChatML fallback, for models that lack those tokens.
CHATML_STOPS = ("<|im_end|>", "<|im_start|>")


class ChatTemplateError(EngineError):
    """The model's chat template failed to render these messages."""


def _raise_exception(message: str) -> NoReturn:
    """Templates call ``raise_exception`` to refuse a conversation shape."""
    raise ChatTemplateError(f"The model's chat template refused the conversation: {message}")


def _strftime_now(fmt: str) -> str:
    """Some templates (Llama 3.x) print today's date."""
    return dt.datetime.now().strftime(fmt)


@dataclass(frozen=True)
class ChatTemplate:
    """A compiled chat template and the special-token texts it may use."""

    source_text: str
    source: TemplateSource
    bos_token: str
    eos_token: str

    @classmethod
    def from_gguf(cls, template_text: str | None, bos_token: str, eos_token: str) -> ChatTemplate:
        """The model's own template, or the documented ChatML fallback."""
        if template_text and template_text.strip():
            return cls(template_text, "gguf", bos_token, eos_token)
        return cls(CHATML_TEMPLATE, "fallback-chatml", bos_token, eos_token)

    @property
    def extra_stops(self) -> tuple[str, ...]:
        """Stop strings the fallback needs; a model's own template needs none."""
        return CHATML_STOPS if self.source == "fallback-chatml" else ()

    def render(self, messages: Sequence[ChatMessage], *, add_generation_prompt: bool = True) -> str:
        """The prompt text for these messages, ending where the answer begins."""
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_exception
        env.globals["strftime_now"] = _strftime_now
        variables: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        try:
            return env.from_string(self.source_text).render(**variables)
        except ChatTemplateError:
            raise
        except TemplateError as exc:
            raise ChatTemplateError(
                f"The model's chat template could not be used ({type(exc).__name__}: {exc}). "
                "Try another build of this model."
            ) from exc
