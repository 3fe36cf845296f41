"""The web GUI's request bodies, checked field by field (a 400 naming the field, never a 500)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from starlette.requests import Request

from nexthub.engine import SamplingSettings
from nexthub.errors import NextHubError
from nexthub.service.conversation_list import NotFoundError
from nexthub.service.hub import Hub
from nexthub.web.errors import ApiError
from nexthub.web.model_runner import ModelRunner
from nexthub.web.openai_requests import parse_json, parse_sampling

T = TypeVar("T")

#: The longest message the page may send (the body limit caps it too).
MAX_TEXT_CHARS = 200_000
#: The path of one conversation's endpoints.
CONVERSATION_PATH = "/api/conversations/{conversation_id}"


class GuiEndpoints:
    """A group of the page's endpoints, over the Hub and the server's one model queue."""

    def __init__(self, hub: Hub, runner: ModelRunner) -> None:
        self._hub = hub
        self._runner = runner


def conversation_id_of(request: Request) -> str:
    """The conversation a request's path names."""
    return str(request.path_params["conversation_id"])


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (400 if it is not one)."""
    return parse_json(await request.body())


def text_field(body: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    """A string field; a message must not be blank."""
    value = body.get(name)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        what = "a string" if allow_empty else "some text"
        raise ApiError(400, f"'{name}' must be {what}.", param=name)
    if len(value) > MAX_TEXT_CHARS:
        raise ApiError(400, f"'{name}' is too long (at most {MAX_TEXT_CHARS} characters).", name)
    return value


def optional_text(body: dict[str, Any], name: str) -> str | None:
    """A string field that may be left out (or null)."""
    return None if body.get(name) is None else text_field(body, name, allow_empty=True)


def int_field(body: dict[str, Any], name: str, *, low: int) -> int:
    """A whole number of at least ``low``."""
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ApiError(400, f"'{name}' must be a whole number of {low} or more.", param=name)
    return value


def sampling_over(current: SamplingSettings, body: dict[str, Any]) -> SamplingSettings:
    """``current`` with the page's fields (temperature, top_p, max_tokens, seed) from ``body``.

    Checked as the /v1 API checks them; the fields the page does not show
    (top_k, stop strings, …) keep their values.
    """
    chosen = parse_sampling(body)
    return dataclasses.replace(
        current,
        temperature=chosen.temperature,
        top_p=chosen.top_p,
        max_tokens=chosen.max_tokens,
        seed=chosen.seed,
    )


async def call_service(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking service call on a thread; its refusals become 400, unknown ids 404."""
    try:
        return await anyio.to_thread.run_sync(function, *args)
    except NotFoundError as exc:
        raise ApiError(404, str(exc), code="not_found") from None
    except NextHubError as exc:
        raise ApiError(400, str(exc)) from None
