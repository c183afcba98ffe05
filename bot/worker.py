"""The worker's wiring: the send queue, campaigns, nudge planners and the channels, from settings.

karmabot worker            # deliver nudges and campaigns until Ctrl+C / SIGTERM
python -m bot.serve worker # the same, as `karmabot up` starts it
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.container import Container
    from connectors.outbound import Outbound
    from connectors.worker import Worker
    from learning.sends import SendQueue

logger = logging.getLogger(__name__)


def worker_name(app: Container) -> str:
    """`KARMABOT_WORKER_NAME`, else the host name."""
    return app.settings.worker_name or socket.gethostname()[:64]


def send_queue(app: Container) -> SendQueue:
    """The send queue, claiming as this worker."""
    from learning.sends import SendQueue

    return SendQueue(app.sessions, worker=worker_name(app))


def outbound_channels(app: Container, concurrency: int) -> dict[str, Outbound]:
    """The channels the worker can send to: each one whose settings are present."""
    from connectors.outbound import TelegramOutbound, WhatsAppOutbound
    from connectors.telegram_app import TelegramConfig

    settings = app.settings
    found: dict[str, Outbound] = {}
    if settings.telegram_bot_token:
        token, url = settings.telegram_bot_token, settings.telegram_api_url
        config = TelegramConfig(token=token, api_url=url)
        found["telegram"] = TelegramOutbound(
            config.token, config.api_url, config.file_url, buttons=app.button_keys,
            deliveries=app.deliveries, records=app.records, concurrency=concurrency,
            public_url=settings.resolved_public_url,
        )  # fmt: skip
    if settings.whatsapp_token and settings.whatsapp_phone_number_id:
        from bot.channels import whatsapp

        channel = whatsapp(app)
        if channel is not None:
            found["whatsapp"] = WhatsAppOutbound(channel.sender)
    return found


def build_worker(app: Container) -> Worker:
    """A worker for these settings (channels without settings are left out)."""
    from connectors.nudge_render import Renderer
    from connectors.pacing import pacer_for
    from connectors.worker import Worker
    from learning.delivery_rules import DeliveryPolicy
    from learning.models import utcnow
    from learning.schedule import parse_quiet_hours

    settings = app.settings
    queue = send_queue(app)
    from learning.campaigns import Campaigns

    service = Campaigns(app.sessions, queue)
    policy = DeliveryPolicy(
        quiet=parse_quiet_hours(settings.quiet_hours),
        default_zone=settings.timezone,
        nudge_cap=settings.nudge_daily_cap,
    )
    rates = {"telegram": settings.telegram_rate, "whatsapp": settings.whatsapp_rate}
    return Worker(
        queue=queue,
        campaigns=service,
        outbound=outbound_channels(app, settings.worker_concurrency),
        renderer=Renderer(app.catalog, app.library, service.find),  # it caches them
        pacer=pacer_for(settings.redis_url, rates),
        policy=policy,
        clock=utcnow,
        planners=planners(app, queue),
        concurrency=settings.worker_concurrency,
    )


def planners(app: Container, queue: SendQueue) -> list[Callable[[], object]]:
    """The automatic nudge planners the settings switch on."""
    from learning.models import utcnow
    from learning.nudges import NudgePlanner, NudgeRules
    from learning.schedule import parse_offsets

    settings = app.settings
    rules = NudgeRules(
        inactive_days=settings.nudge_inactive_days,
        deadline_days=parse_offsets(settings.nudge_deadline_days),
        default_zone=settings.timezone,
    )
    found: list[Callable[[], object]] = [
        NudgePlanner(app.sessions, queue, app.library, rules, utcnow).plan
    ]
    if settings.review_nudges:
        from learning.review import ReviewPlanner

        found.append(ReviewPlanner(app.sessions, queue, app.library, utcnow).plan)
    return found


def run(app: Container) -> int:
    """Run a worker until SIGINT or SIGTERM; returns the exit code."""
    worker = build_worker(app)
    if not worker.outbound:
        logger.warning(
            "no channel to send to (set TELEGRAM_BOT_TOKEN or the WhatsApp settings); "
            "the worker plans campaigns and nudges, and sends once a channel is configured"
        )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(stop)

    asyncio.run(main())
    return 0
