"""A supervisor's own menu in chat: their team, quick reminder campaigns, and how they went.

The chat face of `learning.campaigns`. Every campaign it creates, previews, sends or cancels
goes through the campaign service, which checks the actor's reach and writes the audit log; a
learner without supervisor or admin access gets a polite refusal and nothing is created.

A quick campaign is a draft until the supervisor confirms its preview: "inactive" reminds
everyone in reach who has not learned or written for a week; "course" reminds everyone in reach
who has not completed a mandatory course.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.i18n import Catalog
from learning.campaign_message import Message
from learning.campaign_report import campaign_report
from learning.campaigns import (
    Actor,
    Campaign,
    CampaignNotFound,
    Campaigns,
    CampaignStateError,
    NotAllowed,
    actor_for,
)
from learning.cohort import Cohort, conditions
from learning.content import Course, Library, pick
from learning.models import LearnerRow, utcnow
from learning.replies import Reply, button
from learning.repository import Learner
from learning.store import Clock

#: "Remind inactive" reaches learners with no learning and no message for this many days.
INACTIVE_DAYS = 7
#: At most this many mandatory courses get a button on the menu.
MAX_COURSES = 3
#: "My campaigns" lists this many, newest first.
LISTED = 5
#: Button titles stay within WhatsApp's limit.
TITLE_MAX = 20
#: A campaign's status at a glance (the list's legend explains them in each language).
STATUS_MARKS = {"draft": "📝", "scheduled": "⏰", "sending": "📤", "paused": "⏸",
                "cancelled": "✖", "done": "✅"}  # fmt: skip

NOT_SUPERVISOR = Reply("utter_not_supervisor")
STALE = Reply("utter_campaign_stale")
_VIRAMAS = frozenset("\u094d\u09cd\u0a4d\u0acd\u0b4d\u0bcd\u0c4d\u0ccd\u0d4d\u200c\u200d")

Counts = dict[tuple[str, str | None, str | None], int]


def short_title(text: str, limit: int = TITLE_MAX) -> str:
    """`text` within `limit` characters: cut at a word boundary (or between letters) with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - 1
    space = text.rfind(" ", 0, room + 1)
    if space >= room // 2:
        return text[:space].rstrip(" ,;:-–—(") + "…"
    cut = room
    while cut > 1 and (
        unicodedata.category(text[cut]).startswith("M") or text[cut - 1] in _VIRAMAS
    ):
        cut -= 1  # never separate a letter from its marks or conjunct
    return text[:cut] + "…"


def tally(counts: Counts) -> tuple[int, int, Counter[str]]:
    """(recipients, excluded, recipients per language) from a campaign preview's counts."""
    languages: Counter[str] = Counter()
    excluded = 0
    for (language, _, reason), n in counts.items():
        if reason:
            excluded += n
        else:
            languages[language] += n
    return sum(languages.values()), excluded, languages


class Supervision:
    """The supervisor's menu and quick campaigns.

    Args:
        sessions: The learner store.
        campaigns: The campaign service (reach checks and audit log).
        library: The courses (mandatory ones get quick buttons).
        catalog: Texts a campaign carries in every language (the inactive reminder).
        clock: The current time.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        campaigns: Campaigns,
        library: Library,
        catalog: Catalog,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._campaigns = campaigns
        self._library = library
        self._catalog = catalog
        self._clock = clock

    def actor(self, learner: Learner) -> Actor:
        """The learner as a campaign actor (their access and organisation decide their reach)."""
        return actor_for(self._sessions, learner.id, f"chat:{learner.id}")

    def menu(self, learner: Learner) -> list[Reply]:
        """The team's size and quick campaigns: one per mandatory course not yet completed by
        someone in reach (most such learners first), then "Remind inactive" and "My campaigns"."""
        actor = self.actor(learner)
        if actor.reach.nobody:
            return [NOT_SUPERVISOR]
        with self._sessions() as session:
            team = self._count(session, Cohort(), actor)
            pending = [(self._count(session, _course_cohort(c), actor), c.id, c)
                       for c in self._library if c.mandatory]  # fmt: skip
        language = self._catalog.resolve(learner.language)
        buttons = tuple(
            button(short_title(_title(c, language)), "campaign_quick", kind="course", course=c.id)
            for n, _, c in sorted(pending, key=lambda p: (-p[0], p[1]))[:MAX_COURSES]
            if n
        )
        return [Reply("utter_supervisor_menu", {"team": team}, buttons)]

    def quick(self, learner: Learner, kind: str | None, course_id: str | None) -> list[Reply]:
        """A draft quick campaign and its preview, with Send and Cancel buttons."""
        actor = self.actor(learner)
        plan = self._plan(learner, kind, course_id)
        if plan is None:  # an unknown kind or course: an old or hand-made button
            return [NOT_SUPERVISOR if actor.reach.nobody else STALE]
        try:
            draft = self._campaigns.create(actor, *plan)  # refused (and audited) for a learner
        except NotAllowed:
            return [NOT_SUPERVISOR]
        _, counts = self._campaigns.preview(actor, draft.id)
        recipients, excluded, languages = tally(counts)
        ranked = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{self._catalog.native_name(code)} {n}" for code, n in ranked)
        args = {"recipients": recipients, "excluded": excluded, "languages": shown or "—",
                "campaign": draft.id}  # fmt: skip
        return [Reply("utter_campaign_preview", args)]

    def confirm(self, learner: Learner, campaign_id: str | None) -> list[Reply]:
        """Send a previewed draft now; a second tap (or any other state) is stale."""
        outcome = self._transition(learner, campaign_id, self._campaigns.send)
        if isinstance(outcome, Reply):
            return [outcome]
        recipients, _, _ = tally(self._campaigns.sample(outcome))
        return [Reply("utter_campaign_scheduled", {"recipients": recipients})]

    def drop(self, learner: Learner, campaign_id: str | None) -> list[Reply]:
        """Cancel a campaign: a draft is discarded, a sending one stops; twice is stale."""
        outcome = self._transition(learner, campaign_id, self._campaigns.cancel)
        return [outcome if isinstance(outcome, Reply) else Reply("utter_campaign_dropped")]

    def history(self, learner: Learner) -> list[Reply]:
        """The learner's own latest campaigns: status, and learners sent to of those targeted."""
        actor = self.actor(learner)
        if actor.reach.nobody:
            return [NOT_SUPERVISOR]
        mine = [c for c in self._campaigns.all(actor) if c.owner_id == learner.id][:LISTED]
        if not mine:
            return [Reply("utter_campaign_list_empty")]
        lines = "\n".join(self._line(c, learner.language) for c in mine)
        return [Reply("utter_campaign_list", {"campaigns": lines})]

    def _count(self, session: Session, cohort: Cohort, actor: Actor) -> int:
        where = conditions(cohort, actor.reach, self._clock(), session)
        query = select(func.count()).select_from(LearnerRow).where(*where)
        return int(session.scalar(query) or 0)

    def _plan(
        self, learner: Learner, kind: str | None, course_id: str | None
    ) -> tuple[str, Cohort, Message] | None:
        sender = learner.name or None
        if kind == "inactive":
            texts = {code: self._catalog.render("campaign_text_inactive", code)["text"]
                     for code in self._catalog.languages()}  # fmt: skip
            inactive = Cohort(inactive_days=INACTIVE_DAYS)
            message = Message("custom", texts, sender=sender)
            return f"Chat: inactive {INACTIVE_DAYS} days", inactive, message
        course = self._library.get(course_id or "") if kind == "course" else None
        if course is None:
            return None
        message = Message("reminder", course=course.id, sender=sender)
        return f"Chat: {_title(course, 'en')}", _course_cohort(course), message

    def _transition(
        self, learner: Learner, campaign_id: str | None, action: Callable[[Actor, str], Campaign]
    ) -> Campaign | Reply:
        if not campaign_id:
            return STALE
        try:
            return action(self.actor(learner), campaign_id)
        except NotAllowed:  # someone else's campaign (the refusal is in the audit log)
            return NOT_SUPERVISOR
        except (CampaignNotFound, CampaignStateError):
            return STALE

    def _line(self, campaign: Campaign, language: str) -> str:
        report = campaign_report(self._sessions, campaign.id, course=campaign.message.course)
        course = self._library.get(campaign.message.course or "")
        if course is not None:
            label = _title(course, self._catalog.resolve(language))
        elif campaign.cohort.inactive_days is not None:
            days = campaign.cohort.inactive_days
            label = self._catalog.render("campaign_label_inactive", language, days=days)["text"]
        else:
            label = campaign.name
        mark = STATUS_MARKS.get(campaign.status, "•")
        return f"{mark} {label}: {report.sent}/{report.targeted}"


def _course_cohort(course: Course) -> Cohort:
    return Cohort(course=course.id, status="not_completed")


def _title(course: Course, language: str) -> str:
    return pick(course.title, language, course.source_language)
