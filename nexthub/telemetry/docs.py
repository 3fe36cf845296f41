"""docs/TELEMETRY.md, generated from the registry: everything a report can ever hold.

Run ``python -m nexthub.telemetry.docs > docs/TELEMETRY.md`` after changing
registry.toml; a test fails while the checked-in file differs from this output.
"""

from __future__ import annotations

import sys

from nexthub.telemetry.registry import APP_VERSION_DIMENSION, Registry, default_registry

_KIND_WORDS = {"counter": "counter", "labelled": "counter by label", "histogram": "histogram"}

_INTRO = """\
# Telemetry: everything it can send

<!-- Generated from nexthub/telemetry/registry.toml by
     `python -m nexthub.telemetry.docs > docs/TELEMETRY.md`; do not edit by hand. -->

NextHub's telemetry is **off** unless you turn it on (`nexthub telemetry on`);
`DO_NOT_TRACK=1` keeps it off whatever you chose. When it is on, NextHub sends
one small JSON report per week (an ISO week, Monday to Monday in UTC), at a
random moment in the three days after the week ends, over HTTPS. The report
holds only the counts, classes and signatures listed below, with no
identifier of any kind, no time finer than the week, and nothing you typed,
loaded or generated. Two computers with the same activity send the same bytes.

- `nexthub telemetry show` prints the exact bytes of the next report;
  `nexthub telemetry sent` prints the last few exactly as they were sent.
- `nexthub telemetry off` deletes everything telemetry kept and sends nothing.
- When this list changes, its schema number goes up and you are asked again.

Report schema: **{schema}**. No count goes past **{cap}** in a week. A value
outside a metric's labels is counted as `__other__` (for models: `custom`).
"""


def render(registry: Registry) -> str:
    """The whole document."""
    parts = [_INTRO.format(schema=registry.schema, cap=registry.cap)]
    parts.append("## Device classes\n")
    parts.append(f"{registry.device_description} {registry.device_why}\n")
    parts.append("| class | what | values |\n| --- | --- | --- |")
    for dimension in registry.device:
        values = (
            "major.minor digits, e.g. `0.4`"
            if dimension.name == APP_VERSION_DIMENSION
            else ", ".join(f"`{value}`" for value in dimension.classes)
        )
        parts.append(f"| `{dimension.name}` | {dimension.description} | {values} |")
    parts.append("\n## Metrics\n")
    parts.append(
        "| metric | kind | what | why | labels or buckets |\n| --- | --- | --- | --- | --- |"
    )
    for metric in registry.metrics:
        if metric.kind == "labelled":
            shape = ", ".join(f"`{label}`" for label in metric.report_labels)
        elif metric.kind == "histogram":
            edges = ", ".join(f"{edge:g}" for edge in metric.buckets)
            shape = f"below each of {edges}; and above"
        else:
            shape = ""
        parts.append(
            f"| `{metric.name}` | {_KIND_WORDS[metric.kind]} | {metric.description} "
            f"| {metric.why} | {shape} |"
        )
    rules = registry.crashes
    parts.append("\n## Crash signatures\n")
    parts.append(
        f"{rules.description} {rules.why}\n\n"
        "A signature is the exception's type (a Python built-in such as `ValueError`, or "
        "one of NextHub's own as `module:Class`; any other is `__other__`) and up to "
        f"{rules.max_frames} innermost frames as `module:function`, each checked against "
        "the names in NextHub's own shipped code; any other frame is `<external>`. Never "
        "a message, a path, a line number or a variable. At most "
        f"{rules.max_signatures} distinct signatures a week; more are counted as `__other__`."
    )
    return "\n".join(parts) + "\n"


def main() -> int:
    """Print the document."""
    sys.stdout.write(render(default_registry()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
