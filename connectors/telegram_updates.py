"""Telegram updates as conversation turns (see `connectors/telegram.py` for what gets what).

Private chats: text and button taps are turns of the `Conversation`; commands map to Rasa
payloads; `/start <code>` opens a course (`c_<course id>`) or redeems an invite. Groups get
`utter_private_chat_only` when they address the bot; stickers, photos and voice notes get
`utter_unsupported_message`. Each update is processed once, and a failure is logged and
answered with `utter_error`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import CallbackQuery, Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from connectors.conversation import Conversation, Inbound
from connectors.messages import BotMessage, from_nlg
from connectors.rasa_client import RasaUnavailable
from connectors.telegram_render import (
    COMMANDS,
    USED,
    command_payload,
    course_link,
    expired_note,
    used_keyboard,
)
from connectors.telegram_send import CHANNEL, TelegramSender
from learning.buttons import PREFIX as KEY_PREFIX
from learning.buttons import ButtonKeys
from learning.inbox import Inbox
from learning.invites import Invites
from learning.repository import Learner

logger = logging.getLogger(__name__)


def inbound(user: User, text: str | None) -> Inbound:
    """A turn from a Telegram user, with the profile name and @username."""
    return Inbound(CHANNEL, str(user.id), text, name=user.full_name, username=user.username)


async def _answer(query: CallbackQuery, text: str) -> None:
    """Answer a callback query (stops the button's spinner); a late answer is no failure."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        logger.info("could not answer a Telegram callback query: %s", exc)


class TelegramUpdates:
    """Processes Telegram updates.

    Args:
        sender: Sends the replies (and holds the bot).
        conversation: Runs turns and renders catalog responses.
        inbox: Remembers processed update ids.
        buttons: Resolves the keys of long button payloads.
        invites: Redeems invite codes.
    """

    def __init__(
        self,
        sender: TelegramSender,
        conversation: Conversation,
        inbox: Inbox,
        buttons: ButtonKeys,
        invites: Invites,
    ) -> None:
        self._sender = sender
        self._conversation = conversation
        self._inbox = inbox
        self._buttons = buttons
        self._invites = invites

    async def handle(self, update: Update) -> None:
        """Process one update, once; never raises."""
        try:
            first = await asyncio.to_thread(
                self._inbox.first_delivery, CHANNEL, str(update.update_id)
            )
            if not first:
                logger.info("Telegram update %s seen before: skipped", update.update_id)
            elif update.callback_query is not None:
                await self._on_callback(update.callback_query)
            elif update.message is not None:
                await self._on_message(update.message)
            # Edited messages, channel posts and other kinds: nothing to answer.
        except Forbidden as exc:  # the learner blocked the bot: nobody to tell
            logger.info("Telegram update %s: %s", update.update_id, exc)
        except RasaUnavailable as exc:  # no traceback: the dialogue engine is down or slow
            logger.error("Telegram update %s not answered: %s", update.update_id, exc)
            await self._apologise(update)
        except Exception:
            logger.exception("Telegram update %s failed", update.update_id)
            await self._apologise(update)

    async def _on_message(self, message: Message) -> None:
        user = message.from_user
        if user is None or user.is_bot:
            return
        if message.chat.type != ChatType.PRIVATE:
            if self._addressed(message):
                note = await self._render_for(user, "utter_private_chat_only")
                await self._sender.deliver(message.chat_id, [note], None, kind="private_only")
            return
        turn = inbound(user, message.text)
        if message.text is None:
            if message.effective_attachment is not None:  # not a service message
                await self._turn(message.chat_id, turn)
            return
        command = command_payload(message.text, self._sender.bot.username)
        if command is not None:
            name, argument = command
            if name == "start" and argument:
                await self._deep_link(message.chat_id, turn, argument)
                return
            turn = replace(turn, text=COMMANDS[name])
        await self._turn(message.chat_id, turn)

    def _addressed(self, message: Message) -> bool:
        """Whether a group message is meant for the bot (so it deserves an answer)."""
        bot = self._sender.bot
        mention = f"@{bot.username}".lower()
        mentions = message.parse_entities([MessageEntity.MENTION]).values()
        replied_to = message.reply_to_message.from_user if message.reply_to_message else None
        words = (message.text or "").split(maxsplit=1)
        command, _, target = (words[0] if words else "").partition("@")
        return (
            (command.startswith("/") and target.lower() in ("", mention[1:]))  # not another bot's
            or any(text.lower() == mention for text in mentions)
            or (replied_to is not None and replied_to.id == bot.id)
            or any(member.id == bot.id for member in message.new_chat_members)
        )

    async def _on_callback(self, query: CallbackQuery) -> None:
        data = query.data or ""
        if data == USED:  # the inert button of a keyboard already used
            await _answer(query, USED)
            return
        message = query.message if isinstance(query.message, Message) else None
        payload: str | None = data
        if data.startswith(KEY_PREFIX):
            payload = await asyncio.to_thread(self._buttons.payload_for, data)
        if not payload or (message is not None and message.chat.type != ChatType.PRIVATE):
            learner = await self._known_learner(query.from_user)
            language = learner.language if learner else query.from_user.language_code or ""
            await _answer(query, expired_note(language))
            return
        await _answer(query, self._conversation.catalog.render("utter_button_used", None)["text"])
        if message is not None:
            await self._mark_used(message, data)
        chat_id = message.chat_id if message is not None else query.from_user.id
        await self._turn(chat_id, inbound(query.from_user, payload))

    async def _mark_used(self, message: Message, data: str) -> None:
        """Replace the tapped keyboard with the chosen button and a ✓."""
        try:
            await self._sender.bot.edit_message_reply_markup(
                chat_id=message.chat_id,
                message_id=message.message_id,
                reply_markup=used_keyboard(message.reply_markup, data),
            )
        except TelegramError as exc:  # too old, already edited, deleted: the turn goes on
            logger.info("could not mark a Telegram keyboard used: %s", exc)

    async def _deep_link(self, chat_id: int, turn: Inbound, argument: str) -> None:
        """`/start <argument>`: open a course, or redeem an invite code."""
        course = course_link(argument)
        if course is not None:
            await self._turn(chat_id, replace(turn, text=course))
            return
        redemption = await asyncio.to_thread(self._invites.redeem, argument, CHANNEL, turn.user_id)
        if redemption.outcome in ("linked", "already") and redemption.learner_id:
            self._conversation.forget(CHANNEL, turn.user_id)  # the cached learner is stale
            learner = await self._learner(redemption.learner_id)
            suffix = f", {learner.name}" if learner.name else ""
            reply = self._conversation.render("utter_invite_linked", learner, name_suffix=suffix)
            await self._sender.deliver(chat_id, [reply], learner.id)
            return
        learner = await self._learner(await self._conversation.learner_id_for(turn))
        reply = self._conversation.render("utter_invite_invalid", learner)
        await self._sender.deliver(chat_id, [reply], learner.id)

    async def _turn(self, chat_id: int, turn: Inbound) -> None:
        learner_id = await self._conversation.learner_id_for(turn)
        async with self._sender.typing(chat_id):
            replies = await self._conversation.handle(turn)
        await self._sender.deliver(chat_id, replies, learner_id)

    async def _apologise(self, update: Update) -> None:
        """After a failure, tell a private chat that something went wrong (best effort)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        try:
            reply = await self._render_for(user, "utter_error")
            await self._sender.deliver(chat.id, [reply], None, kind="error")
        except Exception:
            logger.exception("could not tell Telegram chat %s about a failure", chat.id)

    async def _learner(self, learner_id: str) -> Learner:
        learner = await asyncio.to_thread(self._conversation.learners.get, learner_id)
        if learner is None:
            raise LookupError(f"learner {learner_id} is not in the learner store")
        return learner

    async def _known_learner(self, user: User) -> Learner | None:
        """The learner behind a Telegram user, without creating one."""
        learners = self._conversation.learners
        return await asyncio.to_thread(learners.get_by_channel, CHANNEL, str(user.id))

    async def _render_for(self, user: User, response: str) -> BotMessage:
        """A catalog response in the user's language: the learner's, else Telegram's."""
        learner = await self._known_learner(user)
        if learner is not None:
            return self._conversation.render(response, learner)
        return from_nlg(self._conversation.catalog.render(response, user.language_code))
