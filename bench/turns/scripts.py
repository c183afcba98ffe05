"""What the simulated learners say, and the conversations they walk through.

A learner follows one six-turn script per conversation and then starts a fresh conversation
under a new sender id, so session start (``action_session_start``, a new learner record, an
empty tracker) is part of every measurement.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence

Script = tuple[str, ...]

#: Tapping a course in the catalog (the sample content in content/).
ENROLL_ORIENTATION = '/enroll_course{"course":"karmayogi-orientation"}'
ENROLL_RTI = '/enroll_course{"course":"rti-for-officials"}'
ENROLL_CYBER = '/enroll_course{"course":"cyber-hygiene"}'

#: Karmabot capacity mix: realistic learner turns in English, Hindi (Devanagari and
#: romanized) and Tamil, covering greetings, catalog, enrolling, lessons, quizzes, progress and
#: questions; enrolled learners get real lesson parts and quiz questions from content/.
KARMABOT_CAPACITY: tuple[Script, ...] = (
    ("hi", "show courses", ENROLL_ORIENTATION, "next", "repeat", "take quiz"),
    ("namaste", "mera progress dikhao", ENROLL_RTI, "next", "take quiz", "b"),
    ("வணக்கம்", "my progress", "what is mission karmayogi?", "next", "repeat", "thanks"),
    ("hello", "मदद", ENROLL_CYBER, "next", "take quiz", "b"),
    ("good morning", "help", "what is iGOT karmayogi?", "my progress", "next", "bye"),
    ("namaste", "courses dikhao", ENROLL_ORIENTATION, "next", "b", "mera progress dikhao"),
)

#: Karmabot latency mix: lesson, quiz, progress and question turns.
KARMABOT_LATENCY: tuple[Script, ...] = (
    (ENROLL_ORIENTATION, "next", "next", "repeat", "take quiz", "b"),
    ("my progress", ENROLL_RTI, "take quiz", "b", "a", "mera progress dikhao"),
    ("what is mission karmayogi?", ENROLL_CYBER, "next", "repeat", "my progress", "take quiz"),
    ("mission karmayogi kab shuru hua", "start lesson", "next", "take quiz", "b", "my progress"),
)

#: Stock Rasa (`rasa init`): phrases from its own training data and stories.
STOCK: tuple[Script, ...] = (
    ("hello", "I am happy", "are you a bot?", "good morning", "amazing", "goodbye"),
    ("hi", "I am sad", "yes", "are you a bot?", "great", "bye"),
    ("hey there", "not good", "no", "am I talking to a bot?", "wonderful", "see you later"),
    ("good evening", "very sad", "of course", "are you a human?", "perfect", "bye bye"),
)


class Learner:
    """One simulated learner: walks a script, then restarts as a new sender.

    Args:
        scripts: Scripts to draw conversations from.
        rng: Seeded random generator (choice of script).
        prefix: Sender id prefix, unique to the run, so no tracker is ever reused.
        turns_per_sender: Turns before switching to a fresh sender id.
    """

    def __init__(
        self,
        scripts: Sequence[Script],
        rng: random.Random,
        prefix: str,
        turns_per_sender: int = 6,
    ) -> None:
        self._scripts = scripts
        self._rng = rng
        self._prefix = prefix
        self._per_sender = turns_per_sender
        self._turn = 0
        self._sender = ""
        self._script: Script = ()

    def next_turn(self) -> tuple[str, str]:
        """The sender id and text of this learner's next message."""
        if self._turn % self._per_sender == 0:
            self._sender = f"{self._prefix}-{uuid.UUID(int=self._rng.getrandbits(128)).hex}"
            self._script = self._rng.choice(self._scripts)
        text = self._script[self._turn % self._per_sender % len(self._script)]
        self._turn += 1
        return self._sender, text
