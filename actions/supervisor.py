"""A supervisor's own menu in chat: the team, quick reminder campaigns, confirm or cancel them,
and the latest campaigns (learning/supervisor.py; every campaign action is audited there)."""

from __future__ import annotations

from abc import abstractmethod

from rasa_sdk import Tracker

from actions.base import LearnerAction, entity
from learning.replies import Reply
from learning.repository import Learner
from learning.supervisor import Supervision


class SupervisorAction(LearnerAction):
    """An action of the supervisor's menu; without the service, the learner hears of an error."""

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        supervision = self.services.supervision
        if supervision is None:  # campaigns are not set up in this process
            return [Reply("utter_error")]
        return self.handle(supervision, learner, tracker)

    @abstractmethod
    def handle(self, supervision: Supervision, learner: Learner, tracker: Tracker) -> list[Reply]:
        """The action's work with the supervision service."""


class ActionSupervisorMenu(SupervisorAction):
    """The team's size and quick campaigns (a plain learner is politely refused)."""

    action_name = "action_supervisor_menu"

    def handle(self, supervision: Supervision, learner: Learner, tracker: Tracker) -> list[Reply]:
        return supervision.menu(learner)


class ActionCampaignQuick(SupervisorAction):
    """A draft campaign from a menu button, and its preview with Send and Cancel."""

    action_name = "action_campaign_quick"

    def handle(self, supervision: Supervision, learner: Learner, tracker: Tracker) -> list[Reply]:
        return supervision.quick(learner, entity(tracker, "kind"), entity(tracker, "course"))


class ActionCampaignConfirm(SupervisorAction):
    """Send the previewed draft."""

    action_name = "action_campaign_confirm"

    def handle(self, supervision: Supervision, learner: Learner, tracker: Tracker) -> list[Reply]:
        return supervision.confirm(learner, entity(tracker, "campaign"))


class ActionCampaignDrop(SupervisorAction):
    """Cancel the previewed draft (or stop a campaign still sending)."""

    action_name = "action_campaign_drop"

    def handle(self, supervision: Supervision, learner: Learner, tracker: Tracker) -> list[Reply]:
        return supervision.drop(learner, entity(tracker, "campaign"))


class ActionCampaignList(SupervisorAction):
    """The supervisor's latest campaigns with how far each has gone."""

    action_name = "action_campaign_list"

    def handle(self, supervision: Supervision, learner: Learner, tracker: Tracker) -> list[Reply]:
        return supervision.history(learner)
