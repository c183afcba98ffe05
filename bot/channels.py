"""Messaging channels built from settings: Telegram and WhatsApp, each on when configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.container import Container
    from connectors.channel import Channel
    from connectors.telegram import TelegramChannel
    from connectors.whatsapp import WhatsAppChannel


def build_channels(app: Container) -> list[Channel]:
    """Every channel whose settings are present, Telegram first."""
    found: list[Channel] = []
    for channel in (telegram(app), whatsapp(app)):
        if channel is not None:
            found.append(channel)
    return found


def _refuse(exc: ValueError, names: str) -> Exception:
    from bot.container import ConfigurationError

    return ConfigurationError(f"{exc} ({names}; docs/CHANNELS.md)")


def telegram(app: Container) -> TelegramChannel | None:
    """The Telegram channel, when `TELEGRAM_BOT_TOKEN` is set."""
    settings = app.settings
    if not settings.telegram_bot_token:
        return None
    from connectors.telegram import TelegramChannel
    from connectors.telegram_app import TelegramConfig

    try:
        config = TelegramConfig(
            token=settings.telegram_bot_token,
            mode=settings.telegram_mode,
            webhook_secret=settings.telegram_webhook_secret,
            api_url=settings.telegram_api_url,
            rate=settings.telegram_rate,
            default_language=app.default_language,
            public_url=settings.resolved_public_url,
        )
    except ValueError as exc:
        raise _refuse(exc, "KARMABOT_TELEGRAM_MODE, KARMABOT_TELEGRAM_WEBHOOK_SECRET") from None
    return TelegramChannel(
        config,
        conversation=app.conversation,
        inbox=app.inbox,
        buttons=app.button_keys,
        invites=app.invites,
        deliveries=app.deliveries,
        records=app.records,
    )


def whatsapp(app: Container) -> WhatsAppChannel | None:
    """The WhatsApp channel, when its access token and phone-number id are set."""
    settings = app.settings
    if not (settings.whatsapp_token and settings.whatsapp_phone_number_id):
        return None
    from connectors.whatsapp import WhatsAppChannel, WhatsAppConfig, parse_template_languages

    try:
        config = WhatsAppConfig(
            access_token=settings.whatsapp_token,
            phone_number_id=settings.whatsapp_phone_number_id,
            app_secret=settings.whatsapp_app_secret or "",
            verify_token=settings.whatsapp_verify_token or "",
            api_url=settings.whatsapp_api_url,
            rate=settings.whatsapp_rate,
            template=settings.whatsapp_template,
            template_languages=parse_template_languages(settings.whatsapp_template_languages),
            public_url=settings.resolved_public_url,
        )
    except ValueError as exc:
        names = "WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, KARMABOT_WHATSAPP_TEMPLATE_LANGUAGES"
        raise _refuse(exc, names) from None
    return WhatsAppChannel(
        config,
        app.conversation,
        inbox=app.inbox,
        deliveries=app.deliveries,
        records=app.records,
        button_keys=app.button_keys,
    )
