"""The store benchmark's workload: English-like chats from one seed, and the searches.

Conversations hold messages of sentences made from word lists (a real head of
common words and a long synthetic tail, Zipf frequencies), with a few rare
words planted in known numbers of messages. The same seed gives the same rows
(ids, timestamps, text) on every run and in every file.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ANSWER_PIECES = 300  # tokens of a typical answer, appended one by one
SEED = 20250101
#: Planted words, and in how many of 100,000 messages each is (scaled to --messages).
RARE_WORDS = {
    "quokka": 2,
    "zeppelin": 8,
    "marmalade": 30,
    "kerfuffle": 100,
    "xylophone": 400,
    "gazpacho": 1500,
}
MODEL = "qwen2.5-7b-instruct-q4_k_m"

# -- the text ----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """The words of ``text``, each once, in order (a word's rank sets its frequency)."""
    return list(dict.fromkeys(text.split()))


NOUNS = _words("""
model file answer question code function error example time list table data user page
server request value string number test problem result idea way name version script
project report message line word image key price recipe city train book garden budget
meeting email phone note plan team customer order account password database query index
window screen button setting folder document letter story song movie game player market
company product service network computer laptop battery memory disk kitchen dinner lunch
breakfast coffee tea bread cheese soup salad sauce oven pan knife weather rain snow summer
winter morning evening weekend holiday trip flight hotel room ticket map road bridge river
mountain beach forest village country language grammar sentence paragraph chapter essay
summary translation teacher student lesson course exam doctor symptom medicine exercise
sleep diet muscle habit goal schedule deadline task loop variable class method module
package library framework compiler thread process branch commit merge review bug patch
release feature interface template pattern format chart graph column row formula cell
sheet invoice receipt contract tax salary loan plant flower tree seed soil water light
color shape size weight distance speed camera photo video lens speaker sound voice music
guitar piano drum concert friend family parent child brother sister neighbor colleague
manager interview resume
""")
VERBS = _words("""
use make get find write read run check try change add remove fix explain show keep build
test send open close start stop save load move copy compare choose create update delete
install configure print return call define sort filter count measure cook bake boil slice
mix serve plan book visit travel pack learn teach study translate summarize describe
improve reduce increase avoid prevent handle support replace rename convert parse format
export import upload download share review merge deploy restart debug
""")
ADJECTIVES = _words("""
good new simple small large quick easy hard short long old clear wrong right better best
different important useful common main full empty local remote private public free cheap
expensive fast slow safe secure broken missing extra final first last next previous
current healthy fresh warm cold hot sweet spicy quiet busy early late daily weekly monthly
complex modern classic basic advanced careful strange typical
""")
ADVERBS = _words("""
quickly carefully usually often always never again already still really probably exactly
directly easily slowly together instead later today tomorrow finally
""")
PREPOSITIONS = _words("in on for with from to about into after before without between over")
SYLLABLES = _words("""
ka to ri mo sen dal vor en an ti lo ber mar co lin da ros el ga nu fi ve pa tre sol min
gor al is um bar cel dor fen hu
""")
#: Synthetic words after each real list: real text has tens of thousands of rare words.
TAIL_SIZES = {"N": 12_000, "A": 2_000, "V": 500}
TEMPLATES = (
    "the {A} {N} {V}s a {N} {P} the {N}.",
    "could you {V} the {N} {P} my {A} {N}?",
    "{X} said the {N} {V}s {D} after the {A} {N}.",
    "when I {V} the {N}, it {V}s {P} {#} {N}s.",
    "you can {V} a {A} {N} {P} the {N} and then {V} it {D}.",
    "this {N} is {A} because the {N} {V}s {P} the {A} {N}.",
    "we {V} {#} {N}s {P} {X} and the {N} was {A}.",
    "{D}, the {N} of the {N} {V}s the {A} {N}.",
    "make sure the {N} {V}s {D} before you {V} the {N}.",
    "here is a {A} way to {V} the {N}: {V} the {N}, then {V} it {D}.",
    "why does my {N} {V} {P} the {N}?",
    "I {V} {X} {P} the {A} {N} last {N}.",
    "the {N} {P} {X} has {#} {A} {N}s.",
    "first {V} the {N}, then {V} the {A} {N} {P} the {N}.",
)
TITLES = ("{A} {N} question", "{V} the {N}", "{X} {N} notes", "help with {N} {N}", "{N} {P} {X}")
SLOT = re.compile(r"\{([ANVDPX#])\}")


class TextMaker:
    """English-like sentences from the word lists, deterministic for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        taken = set(NOUNS + VERBS + ADJECTIVES + ADVERBS + PREPOSITIONS) | set(RARE_WORDS)

        def invent(count: int, syllables: tuple[int, int]) -> list[str]:
            made: dict[str, None] = {}
            while len(made) < count:
                n = rng.randint(*syllables)
                word = "".join(rng.choice(SYLLABLES) for _ in range(n))
                if word not in taken:
                    made[word] = None
            taken.update(made)
            return list(made)

        self.names = [name.capitalize() for name in invent(3000, (2, 3))]
        self.vocabulary = {
            "N": NOUNS + invent(TAIL_SIZES["N"], (2, 4)),
            "V": VERBS + invent(TAIL_SIZES["V"], (2, 3)),
            "A": ADJECTIVES + invent(TAIL_SIZES["A"], (2, 4)),
            "D": ADVERBS,
            "P": PREPOSITIONS,
            "X": self.names,
        }
        # Zipf: weight 1/(rank + 2), so a few words are common and most are rare.
        self._cum = {
            cls: list(itertools.accumulate(1.0 / (rank + 2) for rank in range(len(words))))
            for cls, words in self.vocabulary.items()
        }

    def word(self, cls: str) -> str:
        """One word of class ``cls`` (N, V, A, D, P, X), drawn by frequency."""
        return self._rng.choices(self.vocabulary[cls], cum_weights=self._cum[cls])[0]

    def fill(self, template: str) -> str:
        """The template with each slot drawn from its word class."""

        def draw(match: re.Match[str]) -> str:
            cls = match.group(1)
            if cls == "#":
                return str(self._rng.choice((2, 3, 5, 10, 12, 24, 100, 512, 2024, 2025)))
            return self.word(cls)

        return SLOT.sub(draw, template)

    def sentences(self, count: int) -> list[str]:
        """``count`` sentences, capitalised."""
        made = (self.fill(self._rng.choice(TEMPLATES)) for _ in range(count))
        return [s[0].upper() + s[1:] for s in made]


@dataclass
class Corpus:
    """The rows every file gets, and what the timed operations use."""

    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    leaves: list[tuple[str, str, str]] = field(default_factory=list)  # (leaf, updated, conv)
    queries: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    prompts: list[str] = field(default_factory=list)
    answers: list[list[str]] = field(default_factory=list)


#: The bulk-load statements (columns in the order of the corpus rows), the second with a
#: finished answer's columns.
INSERT_CONVERSATION = (
    'INSERT INTO "conversations" ("active_leaf_id", "archived", "created", "id", "model", '
    '"pinned", "sampling", "system_prompt", "title", "updated") VALUES (?,?,?,?,?,?,?,?,?,?)'
)
INSERT_MESSAGE = (
    'INSERT INTO "messages" ("complete", "content", "conversation_id", "created", "id", '
    '"model", "parent_id", "role", "finish_reason", "prompt_tokens", "completion_tokens", '
    '"time_to_first_token_s", "prompt_tokens_per_s", "decode_tokens_per_s") '
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
SET_LEAF = "UPDATE conversations SET active_leaf_id = ?, updated = ? WHERE id = ?"


def make_corpus(messages: int, conversations: int) -> Corpus:
    """Everything from one seed: the same text on every run and in every file."""
    rng = random.Random(SEED)  # noqa: S311 - sample text, not secrets
    maker = TextMaker(rng)
    pool = maker.sentences(min(100_000, max(2_000, messages * 2)))
    corpus = Corpus()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per, extra = divmod(messages, conversations)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def stamp(moment: datetime) -> str:
        return moment.isoformat(timespec="microseconds")

    for n in range(conversations):
        conv_id, created = new_id(), start + timedelta(seconds=n * 3000 + rng.randint(0, 2000))
        title = maker.fill(rng.choice(TITLES)).capitalize()
        system = maker.sentences(1)[0] if rng.random() < 0.25 else ""
        sampling = json.dumps({"temperature": 0.7}) if rng.random() < 0.3 else "{}"
        pinned = int(rng.random() < 0.01)
        parent, moment = None, created
        for k in range(per + (n < extra)):
            moment += timedelta(seconds=rng.randint(5, 90))
            user = k % 2 == 0
            paragraphs = [
                " ".join(rng.choices(pool, k=1 if user else rng.randint(1, 5)))
                for _ in range(1 if user else rng.randint(1, 4))
            ]
            message_id = new_id()
            head = (1, "\n\n".join(paragraphs), conv_id, stamp(moment), message_id)
            if user:
                corpus.messages.append((*head, None, parent, "user", *(None,) * 6))
            else:
                finish = ("stop", 700, 180, 0.2, 900.0, 30.0)
                corpus.messages.append((*head, MODEL, parent, "assistant", *finish))
            parent = message_id
        if rng.random() < 0.2:  # revisited later: the list is not in creation order
            moment += timedelta(days=rng.uniform(0, 60))
        if parent is not None:
            corpus.leaves.append((parent, stamp(moment), conv_id))
        row = (None, 0, stamp(created), conv_id, MODEL, pinned, sampling, system, title)
        corpus.conversations.append((*row, stamp(moment)))
    for word, per_100k in RARE_WORDS.items():
        count = min(messages, max(1, round(per_100k * messages / 100_000)))
        for index in rng.sample(range(len(corpus.messages)), count):
            row = corpus.messages[index]
            corpus.messages[index] = (row[0], f"{row[1]} What about the {word}?", *row[2:])
    corpus.queries = _queries(rng, maker)
    corpus.prompts = [" ".join(rng.choices(pool, k=rng.randint(1, 3))) for _ in range(64)]
    for _ in range(16):
        words = " ".join(rng.choices(pool, k=40)).split()
        corpus.answers.append([word + " " for word in words[:ANSWER_PIECES]])
    return corpus


def _queries(rng: random.Random, maker: TextMaker) -> list[tuple[str, str]]:
    """60 different searches, of the kinds people type (the kind is reported too)."""
    nouns, adjectives = maker.vocabulary["N"], maker.vocabulary["A"]
    distinct = nouns[300:6000] + adjectives[200:1500]  # words that name something specific
    queries = [("rare", word) for word in RARE_WORDS] + [("rare", "kerfuf"), ("rare", "gazpa")]
    queries += [("specific word", rng.choice(distinct)) for _ in range(16)]
    queries += [("common word", nouns[i]) for i in (0, 3, 10, 30)]
    queries += [("common word", VERBS[i]) for i in (1, 15)]
    queries += [("two words", f"{maker.word('N')} {rng.choice(distinct)}") for _ in range(12)]
    queries += [("prefix", rng.choice(distinct)[: rng.randint(3, 5)]) for _ in range(10)]
    queries += [("name", rng.choice(maker.names[:1000])) for _ in range(6)]
    queries += [("number", "2024"), ("number", "version 512")]
    rng.shuffle(queries)  # so that no kind always meets a cold cache
    return queries
