"""The supervisor dashboard: web pages where a supervisor sees their team's learning.

Mounted on the gateway under /dashboard (docs/DASHBOARD.md). Sign-in is by one-time link
(`karmabot supervisors invite WHO`); sessions are signed HttpOnly cookies checked against the
learner store on every request; every form carries a CSRF token; every figure is counted only
over the learners the signed-in actor may see (`learning.dashboard_queries.visible`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route

from connectors.dashboard.campaign_pages import campaign_routes
from connectors.dashboard.insight import insight_routes
from connectors.dashboard.pages import Pages
from connectors.dashboard.roster_pages import roster_routes
from connectors.dashboard.services import DashboardServices
from connectors.dashboard.signin import SignIn

__all__ = ["DashboardServices", "dashboard_routes"]


def dashboard_routes(services: DashboardServices) -> list[BaseRoute]:
    """The dashboard's routes, under /dashboard."""
    pages, signin = Pages(services), SignIn(services)
    return [
        Mount(
            "/dashboard",
            routes=[
                Route("/", pages.overview, methods=["GET"]),
                Route("/signin", signin.help, methods=["GET"]),
                Route("/signin/{token:str}", signin.link, methods=["GET"]),
                Route("/signin/{token:str}", signin.redeem, methods=["POST"]),
                Route("/signout", signin.sign_out, methods=["POST"]),
                *campaign_routes(services),
                *insight_routes(services),
                *roster_routes(services),
            ],
        )
    ]
