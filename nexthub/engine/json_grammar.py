"""JSON output as GBNF grammars, made in the app process without loading llama.cpp.

The worker constrains an answer with llama.cpp's grammar sampler, which
reads GBNF. llama-cpp-python ships the converter from JSON Schema to GBNF
(llama.cpp's own ``json_schema_to_grammar.py``) and the grammar of any JSON
object, in ``llama_cpp/llama_grammar.py``. That file is pure Python, but
importing it the usual way runs ``llama_cpp/__init__.py``, which loads the
llama.cpp library, and the app process must never do that (a crash there
would take the app down; see docs/ENGINE.md). So the one module is loaded on
its own, without its package, the first time a grammar is asked for. Doing
the conversion here rather than in the worker lets a bad schema be refused
before the request waits for the model.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

from nexthub.engine.errors import GrammarError

_CONVERTER = "llama_cpp.llama_grammar"
#: Longest grammar a schema may make. Real schemas (a Pydantic model, a tool's
#: parameters) make a few kilobytes; a huge ``minItems`` or ``minLength`` makes
#: megabytes that llama.cpp would parse and walk at every token.
MAX_GRAMMAR_CHARS = 65536


def json_object_grammar() -> str:
    """The grammar of one JSON object (any keys and values), for ``json_object`` output."""
    grammar: str = _converter().JSON_GBNF
    return grammar


def json_schema_grammar(schema: Any) -> str:
    """The grammar of the JSON documents ``schema`` (a JSON Schema, parsed) allows.

    Raises GrammarError, naming what the converter refused, for a schema it
    cannot turn into a grammar (an unknown type, a remote ``$ref``, a pattern
    without ``^...$``, not an object at all).
    """
    if not isinstance(schema, dict):
        raise GrammarError("The JSON schema must be an object.")
    try:
        text = json.dumps(schema)
    except (TypeError, ValueError) as exc:
        raise GrammarError(f"The JSON schema is not plain JSON: {exc}.") from None
    try:
        grammar: str = _converter().json_schema_to_gbnf(text)
    except Exception as exc:  # the converter raises anything, from AssertionError to KeyError
        raise GrammarError(f"This JSON schema cannot be turned into a grammar: {exc}") from None
    if len(grammar) > MAX_GRAMMAR_CHARS:
        raise GrammarError(
            f"This JSON schema makes a grammar of {len(grammar):,} characters; at most "
            f"{MAX_GRAMMAR_CHARS:,} are allowed (are minItems or minLength very large?)."
        )
    return grammar


@functools.cache
def _converter() -> ModuleType:
    """llama-cpp-python's ``llama_grammar`` module, loaded without its package."""
    package = importlib.util.find_spec("llama_cpp")  # finds the package; does not import it
    locations = list(package.submodule_search_locations or []) if package else []
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        spec = find_spec(_CONVERTER, locations) if find_spec and locations else None
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)  # not put in sys.modules: this copy is ours
            return module
    raise GrammarError("llama-cpp-python's grammar converter was not found.")
