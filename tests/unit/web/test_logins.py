"""Login tokens work once; sessions last until logout; a fresh link follows each use."""

from __future__ import annotations

from nexthub.web.logins import WebLogins


def test_a_token_logs_in_once_and_a_new_link_is_announced() -> None:
    announced: list[str] = []
    logins = WebLogins(on_new_link=announced.append)
    token = logins.new_token()
    session = logins.log_in(token)
    assert session is not None and logins.is_session(session)
    assert logins.log_in(token) is None  # spent
    assert len(announced) == 1 and announced[0] != token
    assert logins.log_in(announced[0]) not in {None, session}


def test_wrong_tokens_and_sessions_are_refused() -> None:
    logins = WebLogins()
    token = logins.new_token()
    assert logins.log_in(token[:-1]) is None
    assert logins.log_in("") is None
    assert not logins.is_session(token)  # a token is not a session
    assert not logins.is_session(None) and not logins.is_session("")
    assert logins.log_in(token) is not None  # the failed tries did not spend it


def test_logging_out_ends_only_that_session() -> None:
    logins = WebLogins()
    first, second = logins.log_in(logins.new_token()), logins.log_in(logins.new_token())
    assert first and second
    logins.log_out(first)
    assert not logins.is_session(first) and logins.is_session(second)
