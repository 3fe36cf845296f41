"""One conversation between a user and a loaded model, saved as it streams.

The engine sees a list of messages; the store keeps a tree of them, so that
regenerating an answer or editing a prompt keeps the earlier versions as
branches. A ChatSession keeps the two in step, so a face (the terminal, the
desktop app, the web GUI) only sends text, asks for a new version, flips
between versions, and reads events:

- the user's message is saved before the model sees it;
- the answer is saved as it grows (the store commits streamed text at least
  every 0.1 s), so a crash loses at most a fraction of a second of it;
- a cancelled, failed or abandoned answer is kept with the text it reached;
- without a store (``--no-save``) the same conversation lives only in memory,
  where a regenerated or edited turn replaces the old one.

Faces address messages by their position in :meth:`ChatSession.shown`, the
branch on screen; the session maps positions to the store's message ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nexthub.engine import ChatEvent, ChatMessage, Engine, SamplingSettings
from nexthub.errors import NextHubError
from nexthub.service.sampling_json import sampling_from_json, sampling_to_json
from nexthub.service.saved_answer import SavedAnswer
from nexthub.service.usage_counts import count_answer
from nexthub.store import ChatStore
from nexthub.store.records import Message, Role
from nexthub.telemetry import Telemetry

#: Longest title taken from the first message.
TITLE_LENGTH = 60


@dataclass(frozen=True)
class ShownMessage:
    """One message of the branch on screen, with what a face needs to draw it."""

    role: Role
    content: str
    #: Which version this is among the message's siblings (1-based), and how many there are.
    version: int = 1
    versions: int = 1
    #: The saved record (tokens, timings, model, finish reason); None without a store.
    record: Message | None = None


@dataclass(frozen=True)
class _Turn:
    message: ChatMessage
    message_id: str | None = None


class ChatSession:
    """A conversation: its history for the engine and, with a store, its saved tree."""

    def __init__(
        self,
        engine: Engine,
        store: ChatStore | None,
        *,
        model_name: str,
        sampling: SamplingSettings,
        system_prompt: str = "",
        telemetry: Telemetry | None = None,
    ) -> None:
        self._engine = engine
        self._telemetry = telemetry
        self._store = store
        self._model_name = model_name
        self._sampling = sampling
        self._system_prompt = system_prompt
        self._turns: list[_Turn] = []
        self._conversation_id: str | None = None

    @classmethod
    def resume(
        cls,
        engine: Engine,
        store: ChatStore,
        conversation_id: str,
        *,
        model_name: str,
        default_sampling: SamplingSettings | None = None,
        telemetry: Telemetry | None = None,
    ) -> ChatSession:
        """Open a saved conversation with its system prompt, sampling and shown branch."""
        conversation = store.get_conversation(conversation_id)
        session = cls(
            engine,
            store,
            model_name=model_name,
            sampling=sampling_from_json(conversation.sampling, default_sampling),
            system_prompt=conversation.system_prompt,
            telemetry=telemetry,
        )
        session._conversation_id = conversation_id
        session._reload()
        return session

    @property
    def engine(self) -> Engine:
        """The engine answering (a face cancels an answer through it)."""
        return self._engine

    @property
    def conversation_id(self) -> str | None:
        """The saved conversation's id, once the first message was sent (None without a store)."""
        return self._conversation_id

    @property
    def model_name(self) -> str:
        """The model recorded with the next answer."""
        return self._model_name

    def use_model(self, name: str) -> None:
        """Record answers as coming from ``name`` (after the face loaded another model)."""
        self._model_name = name

    @property
    def sampling(self) -> SamplingSettings:
        """The sampling settings the next answer uses."""
        return self._sampling

    @property
    def system_prompt(self) -> str:
        """The system prompt the next answer sees."""
        return self._system_prompt

    @property
    def history(self) -> list[ChatMessage]:
        """The messages shown, as the model sees them (without the system prompt).

        An answer that failed before writing anything is shown to the user but
        not to the model: an empty turn would only confuse it.
        """
        return [t.message for t in self._turns if t.message.content or t.message.role == "user"]

    def shown(self) -> list[ShownMessage]:
        """The branch on screen, with each message's version count and saved details.

        System messages are left out, so positions here are the positions
        :meth:`edit` and :meth:`show_version` take.
        """
        if self._store is None or self._conversation_id is None:
            return [ShownMessage(t.message.role, t.message.content) for t in self._turns]
        return [
            ShownMessage(record.role, record.content, version, versions, record)
            for record, version, versions in self._store.current_branch_versions(
                self._conversation_id
            )
            if record.role != "system"
        ]

    def new_conversation(self) -> None:
        """Start over; the next message opens a new saved conversation."""
        self._turns.clear()
        self._conversation_id = None

    def configure(
        self, *, sampling: SamplingSettings | None = None, system_prompt: str | None = None
    ) -> None:
        """Change this chat's sampling settings or system prompt (saved with it)."""
        if sampling is not None:
            self._sampling = sampling
        if system_prompt is not None:
            self._system_prompt = system_prompt
        if self._store is not None and self._conversation_id is not None:
            self._store.update_settings(
                self._conversation_id,
                sampling=sampling_to_json(self._sampling),
                system_prompt=self._system_prompt,
            )

    def send(self, text: str) -> Iterator[ChatEvent]:
        """Send a user message and stream the answer; the last event is a ChatFinished."""
        self._add_user_message(text, parent_index=len(self._turns) - 1)
        self._count("feature.chat")
        return self._answer()

    def regenerate(self) -> Iterator[ChatEvent]:
        """Answer the last prompt again; the earlier answer stays as another version."""
        last_user = self._last_index_of("user")
        if last_user is None:
            raise NextHubError("There is no message to answer again.")
        del self._turns[last_user + 1 :]
        self._count("feature.regenerate")
        return self._answer()

    def edit(self, index: int, text: str) -> Iterator[ChatEvent]:
        """Replace the prompt at ``index`` with ``text`` and answer it, as a new version."""
        if not 0 <= index < len(self._turns) or self._turns[index].message.role != "user":
            raise NextHubError("Only a message you sent can be edited.")
        del self._turns[index:]
        self._add_user_message(text, parent_index=index - 1)
        self._count("feature.edit")
        return self._answer()

    def show_version(self, index: int, version: int) -> None:
        """Show version ``version`` (1-based) of the message at ``index``, and its branch."""
        if self._store is None or not 0 <= index < len(self._turns):
            raise NextHubError("That message has no other versions.")
        message_id = self._turns[index].message_id
        versions = self._store.siblings(message_id) if message_id else []
        if not 1 <= version <= len(versions):
            raise NextHubError(f"That message has {len(versions)} versions, not {version}.")
        self._store.set_active_leaf(versions[version - 1].id)
        self._reload()

    def show_message(self, message_id: str) -> None:
        """Show the branch through ``message_id`` (a search hit on a branch not shown)."""
        if self._store is None or self._conversation_id is None:
            raise NextHubError("That message is not in this conversation.")
        if self._store.get_message(message_id).conversation_id != self._conversation_id:
            raise NextHubError("That message is not in this conversation.")
        self._store.set_active_leaf(message_id)
        self._reload()

    def _answer(self) -> Iterator[ChatEvent]:
        prompt = [ChatMessage("system", self._system_prompt)] if self._system_prompt else []
        prompt += self.history
        parent = self._turns[-1].message_id if self._turns else None
        answer = SavedAnswer(self._store, self._conversation_id, parent, self._model_name)
        try:
            for event in count_answer(self._telemetry, self._engine.chat(prompt, self._sampling)):
                answer.record(event)
                yield event
        finally:
            try:
                final = answer.close()
            finally:
                # The saved tree is the truth, whatever happened: even when saving the
                # answer's end failed (a full disk), the next prompt follows what was kept.
                if self._conversation_id is not None and self._store is not None:
                    self._reload()
        if self._store is None and final.text:
            self._turns.append(_Turn(ChatMessage("assistant", final.text)))

    def _count(self, feature: str) -> None:
        if self._telemetry is not None:
            self._telemetry.count(feature)

    def _add_user_message(self, text: str, *, parent_index: int) -> None:
        message_id = None
        if self._store is not None:
            if self._conversation_id is None:
                conversation = self._store.create_conversation(
                    _title_from(text),
                    model=self._model_name,
                    system_prompt=self._system_prompt,
                    sampling=sampling_to_json(self._sampling),
                )
                self._conversation_id = conversation.id
            parent_id = self._turns[parent_index].message_id if parent_index >= 0 else None
            message_id = self._store.add_message(
                self._conversation_id, "user", text, parent_id=parent_id
            ).id
        self._turns.append(_Turn(ChatMessage("user", text), message_id))

    def _last_index_of(self, role: str) -> int | None:
        for index in range(len(self._turns) - 1, -1, -1):
            if self._turns[index].message.role == role:
                return index
        return None

    def _reload(self) -> None:
        """Take the shown branch from the store (after a resume or a version flip)."""
        assert self._store is not None and self._conversation_id is not None
        self._turns = [
            _Turn(ChatMessage(m.role, m.content), m.id)
            for m in self._store.current_branch(self._conversation_id)
            if m.role != "system"
        ]


def _title_from(text: str) -> str:
    """A conversation's first title: the first line of its first message, shortened."""
    line = text.strip().splitlines()[0] if text.strip() else "New chat"
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"
