"""The words a window shows for an exception that reached it.

A :class:`~nexthub.errors.NextHubError` carries a message written for the
user (what happened, what to do), shown as it is. Anything else is a bug in
NextHub: its message may quote chat text or paths, so it is not shown or
logged; the user gets a plain sentence, and ``--debug`` a traceback on the
terminal that started the app.
"""

from __future__ import annotations

import logging

from nexthub.errors import NextHubError

logger = logging.getLogger(__name__)

BUG_MESSAGE = (
    "Something went wrong inside NextHub (a bug: {kind}). Your chats are safe and the app "
    "keeps working. To see the details, start NextHub from a terminal with `nexthub --debug`."
)


def describe(error: BaseException) -> str:
    """A message for the error banner; a bug is logged (with a traceback only under --debug)."""
    if isinstance(error, NextHubError):
        return str(error)
    logger.error("unexpected error in a background task: %s", type(error).__name__)
    logger.debug("the unexpected error", exc_info=error)
    return BUG_MESSAGE.format(kind=type(error).__name__)
