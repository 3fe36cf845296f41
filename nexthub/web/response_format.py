"""``response_format`` checked and turned into the grammar that holds the answer to it.

``text`` (or no field) leaves the model free; ``json_object`` holds it to one
JSON object; ``json_schema`` to the documents its schema allows, through
llama.cpp's grammar sampler (see docs/ENGINE.md). Whatever is wrong with the
field, the schema included, is a 400 naming ``response_format`` before the
request waits for the model.
"""

from __future__ import annotations

import re
from typing import Any

from nexthub.engine import GrammarError, json_object_grammar, json_schema_grammar
from nexthub.web.errors import ApiError

_PARAM = "response_format"
#: OpenAI's rule for ``json_schema.name``.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def response_grammar(body: dict[str, Any]) -> str | None:
    """The GBNF grammar ``body['response_format']`` asks for; None for free text."""
    response_format = body.get(_PARAM)
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise ApiError(400, "'response_format' must be an object with a 'type'.", param=_PARAM)
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return json_object_grammar()
    if kind == "json_schema":
        return _schema_grammar(response_format.get("json_schema"))
    raise ApiError(
        400,
        "'response_format.type' must be text, json_object or json_schema.",
        param=_PARAM,
    )


def _schema_grammar(spec: object) -> str:
    if not isinstance(spec, dict):
        raise ApiError(
            400,
            "'response_format.json_schema' must be an object with 'name' and 'schema'.",
            param=_PARAM,
        )
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ApiError(
            400,
            "'response_format.json_schema.name' must be 1 to 64 letters, digits, _ or -.",
            param=_PARAM,
        )
    if spec.get("strict") not in (None, True, False):
        raise ApiError(
            400, "'response_format.json_schema.strict' must be true or false.", param=_PARAM
        )
    schema = spec.get("schema", {})
    try:
        return json_schema_grammar(schema)
    except GrammarError as exc:
        raise ApiError(
            400,
            f"'response_format.json_schema.schema' cannot be enforced: {exc}",
            param=_PARAM,
        ) from None
