"""Planted strings (prompts, titles, paths, model file names, messages) never leave.

Whatever a user's content could be, pushed through every door of the API
(labels, metric names, device facts, exception messages, class names,
modules and file names of the code that raised), it appears in no report, in
no file telemetry keeps, and in neither the collector's store nor its totals;
and every key and string of a report comes from the registry or from the
names of NextHub's own code.
"""

from __future__ import annotations

import builtins
import json
import random
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nexthub.collector.totals import Totals
from nexthub.telemetry import DeviceFacts, Telemetry, turn_on
from nexthub.telemetry.own_code import own_code_names
from nexthub.telemetry.registry import REGISTRY_FILE, default_registry
from nexthub.telemetry.report import SECTIONS, decode
from nexthub.telemetry.signature import EXTERNAL
from tests.unit.telemetry.helpers import GIB, Clock

CONTENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=6, max_size=60
).filter(lambda text: len(set(text)) > 2)


def allowed_strings() -> set[str]:
    registry = default_registry()
    allowed = {*SECTIONS, "type", "frames", "count", EXTERNAL, *own_code_names()}
    allowed |= {name for name in dir(builtins) if not name.startswith("_")}
    for metric in registry.metrics:
        allowed |= {metric.name, *metric.report_labels}
    for dimension in registry.device:
        allowed |= {dimension.name, *dimension.classes}
    return allowed


ALLOWED = allowed_strings()
FIXED_FORMS = re.compile(r"^(\d{1,3}\.\d{1,3}|\d{4}-W\d{2})$")  # app X.Y, the week
BACKGROUND = REGISTRY_FILE.read_text(encoding="utf-8") + "\n".join(ALLOWED)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *strings_in(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return [value] if isinstance(value, str) else []


def raise_from_foreign_code(secret: str) -> BaseException:
    """An exception of a class named ``secret``, carrying it, raised by code 'in' it."""
    kind = type(secret, (RuntimeError,), {"__module__": secret})
    scope: dict[str, Any] = {"__name__": secret, "kind": kind, "secret": secret}
    code = compile("def boom():\n    raise kind(secret)\n", filename=secret, mode="exec")
    exec(code, scope)  # noqa: S102 (the code is the fixed line above)
    try:
        scope["boom"]()
    except RuntimeError as exc:
        return exc
    raise AssertionError("boom did not raise")


@settings(max_examples=40, deadline=None)
@given(secret=CONTENT)
def test_planted_content_never_appears_anywhere(secret: str) -> None:
    escaped = json.dumps(secret)[1:-1]
    assume(secret not in BACKGROUND and escaped not in BACKGROUND)
    with tempfile.TemporaryDirectory() as home:
        root = Path(home)
        clock = Clock()
        consent = root / "config" / "telemetry.json"
        turn_on(consent)
        device = DeviceFacts("0.4.2", secret, secret, 8 * GIB, secret, 4 * GIB)
        telemetry = Telemetry(
            root / "telemetry",
            consent,
            device,
            environ={},
            clock=clock,
            rng=random.Random(0),  # noqa: S311
        )
        telemetry.count("app.started", secret)
        telemetry.count("model.loaded", secret)  # a user's own model file name
        telemetry.count(secret)
        telemetry.count("feature.chat", secret)
        telemetry.observe(secret, 3.0)
        telemetry.observe("perf.decode_tokens_per_s", 3.0)
        telemetry.crash(raise_from_foreign_code(secret))
        try:
            {}[secret]
        except KeyError as exc:
            telemetry.crash(exc)
        telemetry.flush()
        clock.advance(timedelta(days=7))
        telemetry.flush()
        [pending] = telemetry.store.pending()

        totals = Totals(root / "collector" / "totals.json", min_reporters=1)
        report = decode(pending.body, default_registry())
        totals.fold(report)
        published = json.dumps(totals.published()).encode()

        blobs = [pending.body, published]
        blobs += [path.read_bytes() for path in root.rglob("*") if path.is_file()]
        for blob in blobs:
            assert secret.encode() not in blob
            assert escaped.encode() not in blob
        for text in strings_in(report):
            assert text in ALLOWED or FIXED_FORMS.match(text), text
        assert report["labelled"]["model.loaded"]["custom"] == 1
