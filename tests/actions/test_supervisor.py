"""The supervisor's menu in chat: typed or tapped, through the real campaign service over SQLite.
A plain learner is refused in their language; a supervisor prepares, sends or cancels a reminder
and sees their campaigns; someone else's campaign is refused and audited."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action
from sqlalchemy import select

from actions.services import ActionServices
from actions.supervisor import (
    ActionCampaignConfirm,
    ActionCampaignDrop,
    ActionCampaignList,
    ActionCampaignQuick,
    ActionSupervisorMenu,
)
from core.i18n import get_catalog
from learning.campaign_models import AuditRow, CampaignRow
from learning.campaigns import Campaigns
from learning.content_loader import load
from learning.db import Sessions
from learning.organisations import ensure
from learning.repository import SqlLearnerRepository
from learning.sends import SendQueue
from learning.supervisor import Supervision
from tests.actions.helpers import rendered, run, tracker
from tests.learning.store import add_learner

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
HINDI = {"language": "hi", "script": "native"}


@pytest.fixture
def chat(
    sessions: Sessions, store: SqlLearnerRepository, services: ActionServices
) -> ActionServices:
    """Services with the real supervision service; a District A supervisor, two learners in
    reach (one in a unit below) and one outside."""
    with sessions.begin() as session:
        ensure(session, "District A", None)
        ensure(session, "Block A1", "District A")
        ensure(session, "District B", None)
    add_learner(sessions, "sup", org="District A", access="supervisor")
    add_learner(sessions, "a", org="District A", language="hi")
    add_learner(sessions, "a1", org="Block A1")
    add_learner(sessions, "b", org="District B")
    add_learner(sessions, "supb", org="District B", access="supervisor")
    supervision = Supervision(
        sessions, Campaigns(sessions, SendQueue(sessions)), load(CONTENT), get_catalog()
    )
    return replace(services, learners=store, supervision=supervision)


def tap(intent: str, **values: str) -> dict[str, Any]:
    """What Rasa hands the action for a button payload."""
    entities = [{"entity": k, "value": v} for k, v in values.items()]
    return {"text": f"/{intent}{json.dumps(values) if values else ''}", "intent": intent,
            "entities": entities}  # fmt: skip


async def say(
    action: Action, sender: str, intent: str, slots: dict[str, str] | None = None, **values: str
) -> list[dict[str, Any]]:
    messages, events = await run(action, tracker(sender, slots=slots, **tap(intent, **values)))
    assert events == []
    return messages


def campaigns(sessions: Sessions) -> dict[str, str]:
    with sessions() as session:
        return {r.id: r.status for r in session.scalars(select(CampaignRow))}


async def test_a_plain_learner_is_refused_in_their_language(
    chat: ActionServices, sessions: Sessions
) -> None:
    typed = tracker("a", "मेरी टीम", "supervisor_menu", slots=HINDI)
    messages, _ = await run(ActionSupervisorMenu(chat), typed)
    assert [m["text"] for m in messages] == [rendered("utter_not_supervisor", "hi")]
    [refused] = await say(ActionCampaignQuick(chat), "a", "campaign_quick", HINDI, kind="inactive")
    assert refused["text"] == rendered("utter_not_supervisor", "hi")
    [listed] = await say(ActionCampaignList(chat), "a", "campaign_list")
    assert listed["text"] == rendered("utter_not_supervisor")
    assert campaigns(sessions) == {}


async def test_the_menu_counts_the_team_and_offers_the_mandatory_course(
    chat: ActionServices,
) -> None:
    [menu] = await say(ActionSupervisorMenu(chat), "sup", "supervisor_menu")
    assert menu["text"] == rendered("utter_supervisor_menu", team=3)  # sup, a, a1; not b
    assert [(b["title"], b["payload"]) for b in menu["buttons"]] == [
        ("Demo course", '/campaign_quick{"kind":"course","course":"demo"}'),
        ("Remind inactive", '/campaign_quick{"kind":"inactive"}'),
        ("My campaigns", "/campaign_list"),
    ]


async def test_quick_preview_confirm_and_a_second_confirm_is_stale(
    chat: ActionServices, sessions: Sessions
) -> None:
    quick = ActionCampaignQuick(chat)
    [preview] = await say(quick, "sup", "campaign_quick", kind="course", course="demo")
    [campaign_id] = campaigns(sessions)
    args = {"recipients": 3, "excluded": 0, "languages": "English 2, हिन्दी 1"}
    assert preview["text"] == rendered("utter_campaign_preview", **args)
    assert [b["payload"] for b in preview["buttons"]] == [
        f'/campaign_confirm{{"campaign":"{campaign_id}"}}',
        f'/campaign_drop{{"campaign":"{campaign_id}"}}',
    ]
    confirm = ActionCampaignConfirm(chat)
    [scheduled] = await say(confirm, "sup", "campaign_confirm", campaign=campaign_id)
    assert scheduled["text"] == rendered("utter_campaign_scheduled", recipients=3)
    assert campaigns(sessions) == {campaign_id: "scheduled"}
    [again] = await say(confirm, "sup", "campaign_confirm", campaign=campaign_id)
    assert again["text"] == rendered("utter_campaign_stale")
    [listed] = await say(ActionCampaignList(chat), "sup", "campaign_list")
    assert listed["text"] == rendered("utter_campaign_list", campaigns="⏰ Demo course: 0/0")


async def test_drop_cancels_the_draft_and_a_second_tap_is_stale(
    chat: ActionServices, sessions: Sessions
) -> None:
    quick = ActionCampaignQuick(chat)
    await say(quick, "sup", "campaign_quick", HINDI, kind="inactive")
    [campaign_id] = campaigns(sessions)
    drop = ActionCampaignDrop(chat)
    [dropped] = await say(drop, "sup", "campaign_drop", HINDI, campaign=campaign_id)
    assert dropped["text"] == rendered("utter_campaign_dropped", "hi")
    assert campaigns(sessions) == {campaign_id: "cancelled"}
    [again] = await say(drop, "sup", "campaign_drop", HINDI, campaign=campaign_id)
    assert again["text"] == rendered("utter_campaign_stale", "hi")
    [send] = await say(ActionCampaignConfirm(chat), "sup", "campaign_confirm", campaign=campaign_id)
    assert send["text"] == rendered("utter_campaign_stale")
    assert campaigns(sessions) == {campaign_id: "cancelled"}


async def test_another_supervisors_campaign_is_refused_and_audited(
    chat: ActionServices, sessions: Sessions
) -> None:
    await say(ActionCampaignQuick(chat), "supb", "campaign_quick", kind="course", course="demo")
    [theirs] = campaigns(sessions)
    for action, intent in [(ActionCampaignConfirm(chat), "campaign_confirm"),
                           (ActionCampaignDrop(chat), "campaign_drop")]:  # fmt: skip
        [refused] = await say(action, "sup", intent, campaign=theirs)
        assert refused["text"] == rendered("utter_not_supervisor")
    assert campaigns(sessions) == {theirs: "draft"}
    with sessions() as session:
        refusals = session.execute(
            select(AuditRow.actor, AuditRow.action, AuditRow.campaign_id).filter_by(allowed=False)
        )
        assert sorted(refusals) == [("chat:sup", "cancel", theirs), ("chat:sup", "send", theirs)]
    [empty] = await say(ActionCampaignList(chat), "sup", "campaign_list")
    assert empty["text"] == rendered("utter_campaign_list_empty")


async def test_without_the_service_the_learner_hears_of_an_error(
    services: ActionServices,
) -> None:
    [message] = await say(ActionSupervisorMenu(services), "x", "supervisor_menu")
    assert message["text"] == rendered("utter_error")
