"""The OpenAI request bodies we accept, checked field by field into plain dataclasses.

Anything malformed, or asking for what the engine cannot do, is an
:class:`~nexthub.web.errors.ApiError` (400) that names the parameter and says
what is wrong: never a 500. Fields we do not know are ignored, as OpenAI's
own server ignores what it does not use; fields we know but cannot honour
(``n`` > 1, tools, log-probabilities, penalties) are refused rather than
silently dropped. ``response_format`` is checked in ``response_format.py``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from nexthub.engine import ChatMessage, SamplingSettings
from nexthub.web.errors import ApiError
from nexthub.web.response_format import response_grammar

#: OpenAI accepts at most four stop strings.
MAX_STOP_STRINGS = 4
#: OpenAI embeds at most 2,048 inputs per request.
MAX_EMBEDDING_INPUTS = 2048
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


@dataclass(frozen=True)
class StreamOptions:
    """Whether a stream ends with a usage chunk."""

    include_usage: bool = False


@dataclass(frozen=True)
class ChatRequest:
    """POST /v1/chat/completions, checked."""

    model: str
    messages: tuple[ChatMessage, ...]
    sampling: SamplingSettings
    stream: bool
    stream_options: StreamOptions


@dataclass(frozen=True)
class CompletionRequest:
    """POST /v1/completions, checked."""

    model: str
    prompt: str
    sampling: SamplingSettings
    stream: bool
    stream_options: StreamOptions


@dataclass(frozen=True)
class EmbeddingsRequest:
    """POST /v1/embeddings, checked."""

    model: str
    texts: tuple[str, ...]
    #: "float" (a list of numbers) or "base64" (little-endian float32 bytes, as OpenAI sends).
    encoding_format: str
    #: The vector size the caller expects, if it said.
    dimensions: int | None


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object (400 when it is not one)."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(document, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return document


def parse_chat(body: dict[str, Any]) -> ChatRequest:
    """A chat completion request, checked."""
    _refuse_unsupported(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array of messages.", param="messages")
    return ChatRequest(
        model=_model(body),
        messages=tuple(_message(m, i) for i, m in enumerate(messages)),
        sampling=_sampling_with_format(body),
        stream=_stream(body),
        stream_options=_stream_options(body),
    )


def parse_completion(body: dict[str, Any]) -> CompletionRequest:
    """A (legacy) text completion request, checked."""
    _refuse_unsupported(body)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ApiError(
            400,
            "'prompt' must be a string (one prompt per request; token arrays are not supported).",
            param="prompt",
        )
    for name, default in (("echo", False), ("suffix", None), ("best_of", 1)):
        if body.get(name, default) not in (default, None):
            raise ApiError(400, f"'{name}' is not supported by this server.", param=name)
    return CompletionRequest(
        model=_model(body),
        prompt=prompt,
        sampling=_sampling_with_format(body),
        stream=_stream(body),
        stream_options=_stream_options(body),
    )


def _sampling_with_format(body: dict[str, Any]) -> SamplingSettings:
    """The sampling fields with the grammar ``response_format`` asks for."""
    return dataclasses.replace(parse_sampling(body), grammar=response_grammar(body))


def parse_embeddings(body: dict[str, Any]) -> EmbeddingsRequest:
    """An embeddings request, checked: strings only (token arrays are not supported)."""
    given = body.get("input")
    texts = [given] if isinstance(given, str) else given
    if not (
        isinstance(texts, list)
        and 0 < len(texts) <= MAX_EMBEDDING_INPUTS
        and all(isinstance(text, str) and text for text in texts)
    ):
        raise ApiError(
            400,
            f"'input' must be a non-empty string or an array of 1 to {MAX_EMBEDDING_INPUTS} of "
            "them (token arrays are not supported).",
            param="input",
        )
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise ApiError(400, "'encoding_format' must be float or base64.", "encoding_format")
    return EmbeddingsRequest(
        model=_model(body),
        texts=tuple(texts),
        encoding_format=encoding,
        dimensions=_integer(body, "dimensions", 1),
    )


# -- fields ---------------------------------------------------------------------------------


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ApiError(400, "'model' must name an installed model (see GET /v1/models).", "model")
    return model.strip()


def _message(message: object, index: int) -> ChatMessage:
    param = f"messages[{index}]"
    if not isinstance(message, dict):
        raise ApiError(400, f"{param} must be an object with 'role' and 'content'.", param=param)
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise ApiError(
            400,
            f"{param}.role must be system, developer, user or assistant "
            f"(tools are not supported yet), not {role!r}.",
            param=f"{param}.role",
        )
    return ChatMessage(ROLES[role], _content(message.get("content"), f"{param}.content"))  # type: ignore[arg-type]


def _content(content: object, param: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text"):
                raise ApiError(
                    400,
                    f"{param} may hold only text parts (images and audio are not supported).",
                    param=param,
                )
            text = part.get("text")
            if not isinstance(text, str):
                raise ApiError(400, f"{param}: a text part needs a 'text' string.", param=param)
            texts.append(text)
        return "".join(texts)
    raise ApiError(400, f"{param} must be a string or an array of text parts.", param=param)


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ApiError(400, f"'{name}' must be a number.", param=name)
    if not low <= value <= high:
        raise ApiError(400, f"'{name}' must be between {low:g} and {high:g}.", param=name)
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"'{name}' must be an integer.", param=name)
    if value < low:
        raise ApiError(400, f"'{name}' must be at least {low}.", param=name)
    return value


def parse_sampling(body: dict[str, Any]) -> SamplingSettings:
    """temperature, top_p, max_tokens (or max_completion_tokens), seed and stop, checked."""
    defaults = SamplingSettings()
    temperature = _number(body, "temperature", 0, 2)
    top_p = _number(body, "top_p", 0, 1)
    if top_p == 0:
        raise ApiError(400, "'top_p' must be more than 0.", param="top_p")
    max_tokens = _integer(body, "max_completion_tokens", 1)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1)
    seed = _integer(body, "seed", -(2**63))
    return SamplingSettings(
        temperature=defaults.temperature if temperature is None else temperature,
        top_p=defaults.top_p if top_p is None else top_p,
        max_tokens=defaults.max_tokens if max_tokens is None else max_tokens,
        seed=None if seed is None else seed % 2**32,
        stop=_stop(body.get("stop")),
    )


def _stop(stop: object) -> tuple[str, ...]:
    if stop is None:
        return ()
    strings = [stop] if isinstance(stop, str) else stop
    if not isinstance(strings, list) or not all(isinstance(s, str) and s for s in strings):
        raise ApiError(400, "'stop' must be a non-empty string or an array of them.", "stop")
    if len(strings) > MAX_STOP_STRINGS:
        raise ApiError(400, f"'stop' takes at most {MAX_STOP_STRINGS} strings.", param="stop")
    return tuple(strings)


def _stream(body: dict[str, Any]) -> bool:
    stream = body.get("stream", False)
    if stream is None:
        return False
    if not isinstance(stream, bool):
        raise ApiError(400, "'stream' must be true or false.", param="stream")
    return stream


def _stream_options(body: dict[str, Any]) -> StreamOptions:
    options = body.get("stream_options")
    if options is None:
        return StreamOptions()
    if not isinstance(options, dict):
        raise ApiError(400, "'stream_options' must be an object.", param="stream_options")
    include = options.get("include_usage", False)
    if not isinstance(include, bool):
        raise ApiError(
            400, "'stream_options.include_usage' must be true or false.", "stream_options"
        )
    return StreamOptions(include_usage=include)


def _refuse_unsupported(body: dict[str, Any]) -> None:
    """Parameters we know but cannot honour: a clear 400 rather than a silent difference."""
    n = body.get("n")
    if n is not None and n != 1:
        raise ApiError(400, "'n' must be 1: this server makes one answer per request.", "n")
    for name in ("tools", "functions"):
        if body.get(name):
            raise ApiError(400, f"'{name}' (tool calling) is not supported yet.", param=name)
    if body.get("logprobs") not in (None, False, 0):
        raise ApiError(400, "'logprobs' is not supported yet.", param="logprobs")
    for name in ("presence_penalty", "frequency_penalty"):
        value = _number(body, name, -2, 2)
        if value:
            raise ApiError(
                400, f"'{name}' is not supported yet (send 0 or leave it out).", param=name
            )
