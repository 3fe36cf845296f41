"""One conversation as Markdown: the shown branch, who said what, and which model answered."""

from __future__ import annotations

from datetime import UTC, datetime

from nexthub.store import Conversation, Message
from nexthub.store.export_markdown import to_markdown

START = datetime(2025, 3, 1, 9, 12, 44, tzinfo=UTC)


def msg(id_: str, role: str, content: str, **fields: object) -> Message:
    return Message(
        id=id_,
        conversation_id="c",
        parent_id=None,
        role=role,  # type: ignore[arg-type]
        content=content,
        created=START,
        **fields,  # type: ignore[arg-type]
    )


def chat(**fields: object) -> Conversation:
    values: dict[str, object] = {
        "id": "c",
        "title": "Trip to Lisbon",
        "created": START,
        "updated": START,
        "model": "qwen2.5",
        "system_prompt": "Answer briefly.",
    } | fields
    return Conversation(**values)  # type: ignore[arg-type]


def test_a_known_conversation() -> None:
    branch = [
        msg("q", "user", "Where should we eat?"),
        msg("a", "assistant", "Try **Time Out Market**.\n\n- fish\n- tarts", model="qwen2.5"),
        msg("q2", "user", "And dessert?"),
        msg("a2", "assistant", "Pastéis de", model="llama-3.2", finish_reason="length"),
    ]
    assert to_markdown(chat(), branch) == (
        "# Trip to Lisbon\n"
        "\n"
        "*Exported from NextHub. Started 2025-03-01 09:12 UTC; model: qwen2.5.*\n"
        "\n"
        "**System prompt**\n"
        "\n"
        "Answer briefly.\n"
        "\n"
        "**User**\n"
        "\n"
        "Where should we eat?\n"
        "\n"
        "**Assistant** (qwen2.5)\n"
        "\n"
        "Try **Time Out Market**.\n"
        "\n"
        "- fish\n"
        "- tarts\n"
        "\n"
        "**User**\n"
        "\n"
        "And dessert?\n"
        "\n"
        "**Assistant** (llama-3.2)\n"
        "\n"
        "Pastéis de\n"
        "\n"
        "*(the answer stopped early: length)*\n"
    )


def test_untitled_without_prompt_or_model() -> None:
    branch = [
        msg("s", "system", "Be kind."),
        msg("a", "assistant", "partial", complete=False),
    ]
    text = to_markdown(chat(title=" \n ", model=None, system_prompt=""), branch)
    assert text == (
        "# Untitled conversation\n"
        "\n"
        "*Exported from NextHub. Started 2025-03-01 09:12 UTC.*\n"
        "\n"
        "**System**\n"
        "\n"
        "Be kind.\n"
        "\n"
        "**Assistant**\n"
        "\n"
        "partial\n"
        "\n"
        "*(unfinished answer)*\n"
    )


def test_a_title_on_several_lines_stays_one_heading() -> None:
    assert to_markdown(chat(title="Line one\nline two"), []).startswith("# Line one line two\n\n")
