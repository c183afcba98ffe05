"""One conversational turn, the same for every channel.

The gateway resolves the learner behind a channel user, guards against input the bot cannot
handle, passes the text to Rasa with the learner id as the sender, and offers a language switch
when the learner writes in another script.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiolimiter import AsyncLimiter
from limits import parse

from connectors.messages import BotMessage, from_nlg
from connectors.rasa_client import RasaClient
from core.i18n import Catalog
from core.scripts import detect_script, language_for_script
from learning.repository import Learner, LearnerRepository

#: Invisible characters stripped from incoming text (zero-width space/joiners, BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"), None)


@dataclass(frozen=True)
class Inbound:
    """An incoming message from any channel.

    Attributes:
        channel: Channel name (`web`, `console`, `telegram`, `whatsapp`).
        user_id: The user's id on that channel.
        text: The text typed, or a button payload; None for stickers, photos, voice notes.
        name: The display name the channel knows, if any.
        username: The channel's handle for the user (a Telegram @username), if any: a roster
            learner listed by handle is linked on first contact.
    """

    channel: str
    user_id: str
    text: str | None
    name: str | None = None
    username: str | None = None


def clean_text(text: str) -> str:
    """Normalise to NFC, drop invisible characters and surrounding white space."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE).strip()


#: Messages in a row in another supported language's script after which the conversation
#: switches to it, as if the learner had tapped the offer (D28 in docs/ARCHITECTURE.md).
SWITCH_AFTER = 3


class LanguageOffers:
    """Remembers which language switches were offered, so a learner is asked once a day, and
    how many messages in a row each learner wrote in another language's script."""

    def __init__(self, cooldown_s: float = 86_400.0, max_entries: int = 100_000) -> None:
        self._cooldown = cooldown_s
        self._max = max_entries
        self._offered: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._streaks: OrderedDict[str, tuple[str, int]] = OrderedDict()

    def streak(self, learner_id: str, language: str | None) -> int:
        """Count this message: how many in a row (this one included) were in `language`'s
        script; None (any other script, or Latin letters) ends the run."""
        if language is None:
            self._streaks.pop(learner_id, None)
            return 0
        previous, count = self._streaks.pop(learner_id, (language, 0))
        count = count + 1 if previous == language else 1
        self._streaks[learner_id] = (language, count)
        while len(self._streaks) > self._max:
            self._streaks.popitem(last=False)
        return count

    @staticmethod
    def candidate(text: str, supported: set[str]) -> str | None:
        """The supported language `text` is written in, judged by its script, if any."""
        if text.startswith("/"):
            return None
        script = detect_script(text)
        language = language_for_script(script) if script else None
        return language if language in supported else None

    def first_today(self, learner_id: str, language: str) -> bool:
        """True (and remembered) unless this learner was offered this language recently."""
        key = (learner_id, language)
        now = time.monotonic()
        last = self._offered.get(key)
        if last is not None and now - last < self._cooldown:
            return False
        self._offered[key] = now
        self._offered.move_to_end(key)
        while len(self._offered) > self._max:
            self._offered.popitem(last=False)
        return True


class FloodGuard:
    """Each learner's messages through a leaky bucket (in this process).

    `check` says "ok" while a learner is within the limit, "warn" for the first message over
    it (the learner is asked to slow down once) and "drop" until the bucket has room again.
    "20/10 seconds" lets 20 messages through at once and one more every half second after.
    The buckets are aiolimiter's, on the event loop: `limits`' in-memory storage started a
    timer thread for nearly every message to expire its counts (about a third of a
    millisecond of the gateway's CPU per turn). The least recently heard learners' buckets
    are forgotten beyond `remember`.
    """

    def __init__(self, limit: str, remember: int = 100_000) -> None:
        item = parse(limit)
        self._rate = (float(item.amount), float(item.get_expiry()))
        self._buckets: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._remember = remember
        self._warned: set[str] = set()

    async def check(self, learner_id: str) -> str:
        """The verdict for one more message from this learner."""
        bucket = self._buckets.get(learner_id)
        if bucket is None:
            bucket = self._buckets[learner_id] = AsyncLimiter(*self._rate)
            while len(self._buckets) > self._remember:
                forgotten, _ = self._buckets.popitem(last=False)
                self._warned.discard(forgotten)
        else:
            self._buckets.move_to_end(learner_id)
        if bucket.has_capacity():
            await bucket.acquire()  # there is room: returns at once
            self._warned.discard(learner_id)
            return "ok"
        if learner_id in self._warned:
            return "drop"
        self._warned.add(learner_id)
        return "warn"


class Conversation:
    """Handles turns for all channels.

    Ordinary turns touch the learner store only on first contact: the learner id behind a
    channel identity never changes, so it is cached. The learner's record is read only when a
    reply depends on it (a declined message, or a message in an Indian script, which may set,
    offer or switch the language).

    Args:
        rasa: Client for Rasa's REST channel.
        learners: The learner store.
        catalog: The localized response catalog.
        max_chars: Longest message passed on to Rasa.
        cache_size: How many channel identities to remember.
        flood_limit: How fast one learner may write before being asked to slow down, in the
            `limits` notation ("20/10 seconds").
    """

    def __init__(
        self,
        rasa: RasaClient,
        learners: LearnerRepository,
        catalog: Catalog,
        max_chars: int = 2000,
        cache_size: int = 100_000,
        flood_limit: str = "20/10 seconds",
    ) -> None:
        self.rasa = rasa
        self.learners = learners
        self.catalog = catalog
        self.max_chars = max_chars
        self.flood = FloodGuard(flood_limit)
        self.offers = LanguageOffers()
        self._supported = set(catalog.languages())
        self._ids: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._cache_size = cache_size

    def render(self, response: str, learner: Learner, **args: Any) -> BotMessage:
        """Render a catalog response in the learner's language and script."""
        return from_nlg(
            self.catalog.render(response, learner.language, script=learner.script, **args)
        )

    async def learner_id_for(self, inbound: Inbound) -> str:
        """The id of the learner behind the channel user, created on first contact."""
        key = (inbound.channel, inbound.user_id)
        learner_id = self._ids.get(key)
        if learner_id is None:
            learner = await asyncio.to_thread(
                partial(
                    self.learners.get_or_create,
                    inbound.channel,
                    inbound.user_id,
                    name=inbound.name,
                    username=inbound.username,
                )
            )
            learner_id = self._ids[key] = learner.id
            while len(self._ids) > self._cache_size:
                self._ids.popitem(last=False)
        else:
            self._ids.move_to_end(key)
        return learner_id

    async def _learner(self, learner_id: str) -> Learner:
        learner = await asyncio.to_thread(self.learners.get, learner_id)
        if learner is None:  # learners are never deleted; a missing one is a broken store
            raise LookupError(f"learner {learner_id} is not in the learner store")
        return learner

    def forget(self, channel: str, user_id: str) -> None:
        """Drop the cached learner of a channel identity (after it was linked to another)."""
        self._ids.pop((channel, user_id), None)

    async def handle(self, inbound: Inbound) -> list[BotMessage]:
        """Process one incoming message and return the replies, in order.

        An empty message does nothing (and creates no learner). A learner writing faster than
        the flood limit is asked once to slow down, and ignored until the window passes. A
        whole-message keyword (STOP, रोकें, நிறுத்து, START, …) switches reminders without
        going through the dialogue, so it works whatever the model understands.
        """
        text = clean_text(inbound.text) if inbound.text is not None else None
        if text is not None and not text:
            return []
        learner_id = await self.learner_id_for(inbound)
        verdict = await self.flood.check(learner_id)
        if verdict != "ok":
            learner = await self._learner(learner_id)
            return [self.render("utter_slow_down", learner)] if verdict == "warn" else []
        if text is None:
            return [self.render("utter_unsupported_message", await self._learner(learner_id))]
        if len(text) > self.max_chars:
            learner = await self._learner(learner_id)
            return [self.render("utter_message_too_long", learner, limit=self.max_chars)]
        keyword = None if text.startswith("/") else self.catalog.keyword(text)
        if keyword is not None:
            switched = await self._switch_reminders(learner_id, keyword == "start")
            if switched is not None:
                return switched
        metadata = {"channel": inbound.channel, "channel_user_id": inbound.user_id}
        offer = self.offers.candidate(text, self._supported)
        if offer is None:
            self.offers.streak(learner_id, None)
            return await self.rasa.send(learner_id, text, metadata)
        switched, may_offer = await self._follow_script(learner_id, offer, metadata)
        replies = switched + await self.rasa.send(learner_id, text, metadata)
        if may_offer:  # read after the turn: it may have switched the language itself
            learner = await self._learner(learner_id)
            if learner.language != offer and self.offers.first_today(learner_id, offer):
                replies.append(self._offer_message(offer))
        return replies

    async def _follow_script(
        self, learner_id: str, language: str, metadata: dict[str, str]
    ) -> tuple[list[BotMessage], bool]:
        """The language a message's script points to, before the turn: a learner who has not
        chosen one is answered in it (the welcome keeps every language one tap away); one who
        keeps writing in it, `SWITCH_AFTER` messages in a row, is switched to it as if they
        had tapped the offer. Returns the switch's replies, if it happened, and whether a
        switch may still be offered after the turn."""
        learner = await self._learner(learner_id)
        if learner.language == language:
            self.offers.streak(learner_id, None)
            return [], False
        if not learner.language_chosen:
            set_language = partial(self.learners.set_language, chosen=False)
            await asyncio.to_thread(set_language, learner_id, language)
            return [], False
        if self.offers.streak(learner_id, language) < SWITCH_AFTER:
            return [], True
        self.offers.streak(learner_id, None)
        payload = f'/choose_language{{"language":"{language}"}}'
        return await self.rasa.send(learner_id, payload, metadata), False

    async def _switch_reminders(self, learner_id: str, enabled: bool) -> list[BotMessage] | None:
        """Opt out (always) or back in (only when out: "start" may mean a lesson otherwise)."""
        learner = await self._learner(learner_id)
        if enabled and learner.reminders_enabled:
            return None
        learner = await asyncio.to_thread(
            partial(self.learners.set_reminders, learner_id, enabled, source="keyword")
        )
        response = "utter_reminders_resumed" if enabled else "utter_reminders_stopped"
        return [self.render(response, learner)]

    def _offer_message(self, language: str) -> BotMessage:
        """Ask, in the detected language, whether to switch to it."""
        return from_nlg(
            self.catalog.render(
                "utter_offer_language",
                language,
                language_name=self.catalog.native_name(language),
                code=language,
            )
        )
