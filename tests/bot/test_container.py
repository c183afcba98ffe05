"""The composition root builds every process's services from settings alone."""

from __future__ import annotations

from starlette.routing import Route

from tests.bot.conftest import Configure


def test_the_gateway_services_include_the_admin_api(configure: Configure) -> None:
    services = configure().gateway_services()
    paths = {r.path for r in services.admin_routes if isinstance(r, Route)}
    assert "/admin/api/campaigns" in paths and services.channels == []


def test_the_action_services_carry_reviews_and_supervision(configure: Configure) -> None:
    app = configure()
    services = app.action_services()
    assert services.reviews is app.reviews and services.supervision is not None
    assert app.campaigns is app.campaigns  # built once per process
