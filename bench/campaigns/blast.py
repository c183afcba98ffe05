"""The fake Telegram API's own ceiling: PTB's `Bot.send_message` in a tight loop, no database.

    python -m bench.campaigns.blast URL COUNT CONCURRENCY FIRST_CHAT START_AT

Sends COUNT messages like a campaign reminder (HTML text, one inline button) to chats
FIRST_CHAT… with CONCURRENCY in flight, through PTB's `Bot` with the client and pool the
worker's `TelegramOutbound` uses (PTB on aiohttp), starting at the wall-clock time START_AT
(so that several of these processes start together); prints the CPU seconds it spent
sending as JSON on exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from connectors.telegram_request import AiohttpRequest

TOKEN = "123456:fake-token"  # FakeTelegram's
TEXT = (
    "Namaste Learner! <b>Karmabot</b> reminds you to continue <b>RTI for Officials</b>. "
    "A few minutes today keep you on track for your certificate."
)
BUTTON = '/start_lesson{"course":"rti-for-officials"}'


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


async def blast(url: str, count: int, concurrency: int, first_chat: int, start: float) -> float:
    """Send `count` messages with `concurrency` in flight; returns the CPU seconds it took."""
    request = AiohttpRequest(connection_pool_size=concurrency + 2)
    bot = Bot(TOKEN, base_url=url, request=request)
    await bot.initialize()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Continue", callback_data=BUTTON)]])
    chats = iter(range(first_chat, first_chat + count))
    await asyncio.sleep(max(0.0, start - time.time()))
    before = _cpu()

    async def loop() -> None:
        for chat in chats:
            await bot.send_message(chat, TEXT, parse_mode=ParseMode.HTML, reply_markup=markup)

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    used = _cpu() - before
    await bot.shutdown()
    return used


def main() -> None:
    """Parse argv, send, print CPU seconds."""
    url, count, concurrency, first = sys.argv[1], *map(int, sys.argv[2:5])
    used = asyncio.run(blast(url, count, concurrency, first, float(sys.argv[5])))
    print(json.dumps({"cpu": used}))


if __name__ == "__main__":
    main()
