"""The localhost API's usage log: metadata of each call, folded into daily totals later.

A row says when a call was made, by which key (its public prefix, never the
key), to which endpoint and model, its HTTP status, token counts and how long
it took. Never a prompt, an answer or a parameter: what a caller sent stays
out of the log. Raw rows older than the retention period are folded into one
row per day, key prefix, endpoint and model (:meth:`UsageLog.fold`) and
deleted, in one transaction, so a crash mid-fold loses nothing and counts
nothing twice.

Days are UTC days: the raw rows' timestamps are UTC (records.py), and a
day's total must not depend on where the machine was when it was folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from nexthub.store.database import EncryptedDatabase
from nexthub.store.records import parse_time


@dataclass(frozen=True)
class ApiCall:
    """One call to the API, as logged (metadata only)."""

    at: datetime
    #: The key's public prefix (``nh-…``), as `nexthub keys list` shows it.
    key_prefix: str
    #: The path called, such as ``/v1/chat/completions``.
    endpoint: str
    #: The model's id; None when the request was refused before naming one.
    model: str | None
    status: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0


@dataclass(frozen=True)
class DailyUsage:
    """A day's calls for one key prefix, endpoint and model, added up."""

    day: date
    key_prefix: str
    endpoint: str
    model: str | None
    calls: int
    #: Calls answered with an HTTP status of 400 or more.
    failed: int
    prompt_tokens: int
    completion_tokens: int
    #: Sum over the calls; divide by ``calls`` for the mean.
    latency_ms: int


# A raw row's day and group: ``model`` is '' for "none" in the totals (a primary
# key column that may be NULL would never match in the fold's upsert).
FOLD = """
    INSERT INTO api_usage_daily (day, key_prefix, endpoint, model, calls, failed,
        prompt_tokens, completion_tokens, latency_ms)
    SELECT substr(at, 1, 10), key_prefix, endpoint, coalesce(model, ''), count(*),
        sum(status >= 400), sum(prompt_tokens), sum(completion_tokens), sum(latency_ms)
    FROM api_calls WHERE at < ?
    GROUP BY substr(at, 1, 10), key_prefix, endpoint, coalesce(model, '')
    ON CONFLICT (day, key_prefix, endpoint, model) DO UPDATE SET
        calls = calls + excluded.calls,
        failed = failed + excluded.failed,
        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
        completion_tokens = completion_tokens + excluded.completion_tokens,
        latency_ms = latency_ms + excluded.latency_ms
"""
TOTALS = """
    SELECT day, key_prefix, endpoint, model, sum(calls), sum(failed), sum(prompt_tokens),
        sum(completion_tokens), sum(latency_ms)
    FROM (
        SELECT day, key_prefix, endpoint, model, calls, failed, prompt_tokens,
            completion_tokens, latency_ms
        FROM api_usage_daily
        UNION ALL
        SELECT substr(at, 1, 10), key_prefix, endpoint, coalesce(model, ''), 1,
            status >= 400, prompt_tokens, completion_tokens, latency_ms
        FROM api_calls
    )
    WHERE day >= ?
    GROUP BY day, key_prefix, endpoint, model
    ORDER BY day DESC, key_prefix, endpoint, model
"""


class UsageLog:
    """The usage tables of the chat database (see the module docstring)."""

    def __init__(self, database: EncryptedDatabase) -> None:
        self._db = database

    def record(self, call: ApiCall) -> None:
        """Add one call."""
        with self._db.write() as db:
            db.execute(
                "INSERT INTO api_calls (at, key_prefix, endpoint, model, status, prompt_tokens,"
                " completion_tokens, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    call.at.isoformat(timespec="microseconds"),
                    call.key_prefix,
                    call.endpoint,
                    call.model,
                    call.status,
                    call.prompt_tokens,
                    call.completion_tokens,
                    call.latency_ms,
                ],
            )

    def calls(self) -> list[ApiCall]:
        """The raw rows not yet folded, oldest first."""
        with self._db.read() as db:
            rows = db.execute(
                "SELECT at, key_prefix, endpoint, model, status, prompt_tokens,"
                " completion_tokens, latency_ms FROM api_calls ORDER BY seq"
            ).fetchall()
        return [ApiCall(parse_time(row[0]), *row[1:]) for row in rows]

    def fold(self, before: datetime) -> int:
        """Fold the raw rows older than ``before`` into daily totals; how many were folded."""
        cutoff = before.isoformat(timespec="microseconds")
        with self._db.write() as db:
            db.execute(FOLD, [cutoff])
            return db.execute("DELETE FROM api_calls WHERE at < ?", [cutoff]).rowcount

    def daily_totals(self, since: date | None = None) -> list[DailyUsage]:
        """Every day's totals, newest first: the folded days and the raw rows added up."""
        first_day = (since or date.min).isoformat()
        with self._db.read() as db:
            rows = db.execute(TOTALS, [first_day]).fetchall()
        return list(_daily(rows))


def _daily(rows: Iterable[Sequence[Any]]) -> Iterable[DailyUsage]:
    for day, key_prefix, endpoint, model, *sums in rows:
        yield DailyUsage(date.fromisoformat(day), key_prefix, endpoint, model or None, *sums)
