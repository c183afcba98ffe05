"""Rasa SDK actions: one module per feature, each thin (read slots, call a service, respond)."""
