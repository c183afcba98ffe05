"""Channels: the gateway app, Telegram, WhatsApp, console and web chat, and outbound senders."""
