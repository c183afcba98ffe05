"""The name certificates carry: confirm the profile name, or type one in `name_form`.

A course completed before the learner's name is confirmed holds its certificate and asks:
"Yes, that's my name" (`/confirm_name`) confirms the name the learner has; "Change the name"
(`/change_name`) opens `name_form`, which asks for `full_name`. Either way the held
certificates are then issued, one message with its PDF each.
"""

from __future__ import annotations

from abc import ABC

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet

from actions.base import LearnerAction, Outcome
from learning.name import certificate_name
from learning.replies import Reply
from learning.repository import Learner

#: The form and its one slot (domain.yml).
NAME_FORM, FULL_NAME = "name_form", "full_name"
#: NLU confidence from which a typed message is a request rather than a name. Of about 90
#: typed names (en, hi, hi-Latn, ta) none scored over 0.66 for any intent; requests typed in
#: full ("show my progress", "thanks", "bye") score 0.8 and more.
COMMAND_CONFIDENCE = 0.8


class _NameAction(LearnerAction, ABC):
    """Saves a confirmed name and issues the certificates held for it."""

    def save(self, learner: Learner, name: str) -> Outcome:
        """Confirm `name`; the held certificates, else a thank-you that shows the name."""
        confirmed = self.services.learners.confirm_name(learner.id, name)
        issued = self.services.journey.issue_certificates(confirmed)
        replies = issued or [Reply("utter_name_saved", {"name": confirmed.name})]
        return Outcome(replies, [SlotSet("name", confirmed.name)])


class ActionConfirmName(_NameAction):
    """Confirm the name the learner has (from their channel profile) and issue what was held."""

    action_name = "action_confirm_name"

    def turn(self, learner: Learner, tracker: Tracker) -> Outcome | list[Reply]:
        name = certificate_name(learner.name)
        if name is None:  # nothing a certificate can carry: offer to type one instead
            return [Reply("utter_name_missing")]
        return self.save(learner, name)


class ActionSaveName(_NameAction):
    """`name_form` is done: save the typed name as confirmed and issue what was held."""

    action_name = "action_save_name"

    def turn(self, learner: Learner, tracker: Tracker) -> Outcome | list[Reply]:
        name = certificate_name(tracker.get_slot(FULL_NAME))
        if name is None:  # the form validated it; only a tampered tracker gets here
            return Outcome([Reply("utter_name_missing")], [SlotSet(FULL_NAME, None)])
        saved = self.save(learner, name)
        return Outcome(saved.replies, [*saved.events, SlotSet(FULL_NAME, None)])


class ValidateNameForm(LearnerAction):
    """Check what the learner sent while `name_form` asks for `full_name` (every turn).

    The slot takes any text; this action, which sees the raw message, tells a name from the
    rest (NLU cannot: a typed name gets a random intent, often `answer_quiz` or `greet`):

    - a button tap (a "/…" payload), or a request typed in full (an intent other than
      `nlu_fallback` at `COMMAND_CONFIDENCE` or more), rejects the message, so it does what it
      always does and the form does not trap the learner; "Change the name" only asks again;
    - a name is trimmed and NFC-normalized; one a certificate cannot carry (see
      `learning.name.certificate_name`) gets a short reason and the form asks again.
    """

    action_name = "validate_name_form"
    ends_active_form = False

    def turn(self, learner: Learner, tracker: Tracker) -> Outcome:
        candidates = tracker.slots_to_validate()
        if FULL_NAME not in candidates:  # activation, or back after an interruption
            return Outcome()
        text = str(candidates[FULL_NAME] or "").strip()
        intent = tracker.latest_message.get("intent") or {}
        command = text.startswith("/") or (
            intent.get("name") != "nlu_fallback"
            and float(intent.get("confidence") or 0) >= COMMAND_CONFIDENCE
        )
        if command and intent.get("name") == "change_name":
            return Outcome(events=[SlotSet(FULL_NAME, None)])  # the form asks again
        if command:
            return Outcome(events=[SlotSet(FULL_NAME, None), ActionExecutionRejected(NAME_FORM)])
        name = certificate_name(text)
        if name is None:
            return Outcome([Reply("utter_name_invalid")], [SlotSet(FULL_NAME, None)])
        return Outcome(events=[SlotSet(FULL_NAME, name)])
