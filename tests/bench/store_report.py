"""The store benchmark's report: medians, p95s, ratios, the factors, and PASS/FAIL per target.

Targets (the store issue): for each operation the encrypted store takes at most
1.5 times what plain SQLite takes for the same work, compared on medians; and a
search of 100,000 messages takes under 20 ms (median).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from store_corpus import ANSWER_PIECES, Corpus
from store_plain import PAGE
from store_sides import SIDES
from store_timing import FLUSH_PIECES, Run

RATIO_LIMIT = 1.5
SEARCH_MEDIAN_LIMIT_S = 0.020


def p95(values: Sequence[float]) -> float:
    """95th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


ROWS = {
    "add": "add_message into an existing chat",
    "answer": f"answer: start + {ANSWER_PIECES} appends + finish",
    "flush": f"streaming commit ({FLUSH_PIECES} appends + flush)",
    "open": "open + first page + close",
    "first_page": f"list_conversations, first page ({PAGE})",
    "walk": "list_conversations, count + all pages",
    "search": "search (60 different queries)",
}


def fmt(seconds: float) -> str:
    """Milliseconds, or seconds when large."""
    return f"{seconds:.2f} s" if seconds >= 10 else f"{seconds * 1e3:.2f} ms"


@dataclass
class Verdict:
    """One target's outcome."""

    name: str
    value: str
    limit: str
    passed: bool

    def line(self) -> str:
        """One PASS/FAIL line."""
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.value} (target {self.limit})"


def summarise(run: Run, corpus: Corpus) -> tuple[dict[str, Any], list[Verdict]]:
    """Medians, p95s, ratios, search by kind of query, and the targets' verdicts."""
    stats: dict[str, Any] = {}
    verdicts: list[Verdict] = []
    for op, label in ROWS.items():
        sides = {
            side: {"median_s": statistics.median(v), "p95_s": p95(v), "n": len(v)}
            for side, v in run.samples[op].items()
        }
        ratio = sides["encrypted"]["median_s"] / sides["plain"]["median_s"]
        stats[op] = {
            "label": label,
            "sides": sides,
            "ratio_median": ratio,
            "ratio_p95": sides["encrypted"]["p95_s"] / sides["plain"]["p95_s"],
        }
        name = f"{label}, encrypted / plain"
        verdicts.append(Verdict(name, f"{ratio:.2f}x", "<= 1.5x", ratio <= RATIO_LIMIT))
    kinds: dict[str, Any] = {}
    for n, (kind, _) in enumerate(corpus.queries):
        for side in ("plain", "encrypted"):
            kinds.setdefault(kind, {}).setdefault(side, []).append(run.samples["search"][side][n])
    stats["search"]["by_kind"] = {
        kind: {side: statistics.median(v) for side, v in by_side.items()}
        | {"n": len(by_side["plain"])}
        for kind, by_side in kinds.items()
    }
    search = stats["search"]["sides"]["encrypted"]["median_s"]
    limit = SEARCH_MEDIAN_LIMIT_S
    verdicts.append(Verdict("search median, encrypted", fmt(search), "< 20 ms", search < limit))
    same = not run.sql_mismatches
    verdicts.append(
        Verdict(
            "plain side issues the store's statements (traced)",
            "same" if same else f"{len(run.sql_mismatches)} operations differ",
            "same",
            same,
        )
    )
    return stats, verdicts


def print_report(stats: dict[str, Any], verdicts: list[Verdict], info: dict[str, Any]) -> None:
    """The table, search by kind of query, where the time goes, and PASS/FAIL per target."""
    print(f"\n{'operation':42} {'plain':>9} {'p95':>9} {'encrypted':>10} {'p95':>9}  ratio (p95)")
    for op, row in stats.items():
        plain, enc = row["sides"]["plain"], row["sides"]["encrypted"]
        print(
            f"{row['label']:42} {fmt(plain['median_s']):>9} {fmt(plain['p95_s']):>9} "
            f"{fmt(enc['median_s']):>10} {fmt(enc['p95_s']):>9}  "
            f"{row['ratio_median']:.2f}x ({row['ratio_p95']:.2f}x)"
            + (f"  [{info['messages']:,} messages]" if op == "search" else "")
        )
    print(f"\n{'search, by kind of query (medians)':42} {'n':>3} {'plain':>9} {'encrypted':>10}")
    for kind, row in stats["search"]["by_kind"].items():
        print(f"{kind:42} {row['n']:>3} {fmt(row['plain']):>9} {fmt(row['encrypted']):>10}")
    print(
        f"\n{'where the time goes (medians)':42} {'plain':>9} {'store-plain':>11} "
        f"{'store-unkeyed':>13} {'encrypted':>10}  {'code':>5} {'sqlite':>6} {'cipher':>6}"
    )
    for row in stats.values():
        m = [row["sides"][side]["median_s"] for side in SIDES]
        print(
            f"{row['label']:42} {fmt(m[0]):>9} {fmt(m[1]):>11} {fmt(m[2]):>13} {fmt(m[3]):>10}"
            f"  {m[1] / m[0]:>4.2f}x {m[2] / m[1]:>5.2f}x {m[3] / m[2]:>5.2f}x"
        )
    kdf = info["passphrase_unlock"]
    print(
        f"\nappend_to_answer alone (encrypted): median "
        f"{info['append_to_answer_median_s'] * 1e6:.1f} µs (memory only)\n"
        f"passphrase unlock, KeyStore.unlock ({kdf['kdf']}): {kdf['seconds']:.2f} s, once "
        "(not in 'open', which is given the raw key)\n"
    )
    for verdict in verdicts:
        print(verdict.line())
