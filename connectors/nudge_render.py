"""What a queued send says: the campaign's message or the nudge's reply, rendered in the
learner's language and script from the catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from connectors.messages import NAME_FALLBACK, BotMessage, from_nlg
from core.i18n import Catalog
from learning.campaigns import Campaign
from learning.content import Library, pick
from learning.nudges import format_due
from learning.replies import Reply
from learning.sends import Send


class Renderer:
    """Renders sends into bot messages.

    Args:
        catalog: The localized catalog.
        library: Course titles in every language.
        campaign: Looks a campaign up by id (cached by the caller).
    """

    def __init__(
        self, catalog: Catalog, library: Library, campaign: Callable[[str], Campaign | None]
    ) -> None:
        self._catalog = catalog
        self._library = library
        self._campaign = campaign
        self._campaigns: dict[str, Campaign | None] = {}

    def warm(self, campaign_ids: Iterable[str]) -> None:
        """Fetch these campaigns now (a database read), so rendering never waits on one."""
        for campaign_id in campaign_ids:
            if campaign_id not in self._campaigns:
                self._campaigns[campaign_id] = self._campaign(campaign_id)

    def reply(self, send: Send) -> Reply | None:
        """The reply a send carries; None when its campaign is gone."""
        if send.kind != "campaign":
            payload = send.payload
            args = dict(payload.get("args") or {})
            if "name" in args and not args["name"]:
                args["name"] = NAME_FALLBACK
            return Reply(str(payload["response"]), args, tuple(payload.get("buttons") or ()))
        campaign_id = send.campaign_id or ""
        if campaign_id not in self._campaigns:
            self.warm([campaign_id])
        campaign = self._campaigns[campaign_id]
        if campaign is None:
            return None
        message, learner = campaign.message, send.learner
        language = self._catalog.resolve(learner.language)
        course = self._library.get(message.course) if message.course else None
        title = pick(course.title, language, course.source_language) if course else None
        sender = (
            message.sender
            or self._catalog.render(
                "campaign_sender_default", learner.language, script=learner.script
            )["text"]
        )
        due = format_due(message.due_date, language) if message.due_date else ""
        name = (learner.name or "").split(" ")[0] or NAME_FALLBACK
        return message.reply(
            name=name, language=learner.language, course_title=title, sender=sender, due=due
        )

    def messages(self, send: Send) -> list[BotMessage]:
        """The messages for a send (empty when there is nothing to say)."""
        reply = self.reply(send)
        if reply is None:
            return []
        learner = send.learner
        rendered = self._catalog.render(
            reply.response,
            learner.language,
            script=learner.script,
            buttons=reply.buttons,
            **reply.args,
        )
        return [from_nlg(rendered)]
