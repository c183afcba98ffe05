"""`karmabot supervisors …`: sign-in links to the supervisor dashboard, and signing people out.

The operator names a person as the roster knows them (email, learner id, phone, Telegram id or
@username: `learning.roster.find_learner`, as `karmabot campaign token` does). Only admins and
supervisors with an organisation get a link; anyone else gets a polite refusal and nothing.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.container import container

supervisors_app = typer.Typer(
    help="The supervisor dashboard (/dashboard): sign-in links, signing out.",
    no_args_is_help=True,
)

Who = Annotated[
    str,
    typer.Argument(
        help="The supervisor's email (the roster's email column), learner id, phone, Telegram "
        "id or @username"
    ),
]


def _learner(who: str) -> str:
    from learning.roster import find_learner

    learner_id = find_learner(container().sessions, who)
    if learner_id is None:
        typer.secho(f"karmabot: no learner {who!r} in the roster", fg="red", err=True)
        raise typer.Exit(1)
    return learner_id


@supervisors_app.command("invite")
def invite(who: Who) -> None:
    """Print a one-time sign-in link to the dashboard for a supervisor or admin."""
    from bot.dashboard import signin_link
    from learning.dashboard_access import SignInRefused

    app = container()
    access = app.dashboard_access
    try:
        token = access.invite(_learner(who))
    except SignInRefused as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(signin_link(app, token))
    hours = access.link_ttl.total_seconds() / 3600
    typer.echo(
        f"Works once, for {hours:g} hours. Send it to them only (whoever opens it is signed in "
        "as them); `karmabot supervisors signout` voids it.",
        err=True,
    )


@supervisors_app.command("signout")
def signout(who: Who) -> None:
    """Sign a person out of the dashboard everywhere and void their unused links."""
    sessions, links = container().dashboard_access.sign_out_everywhere(_learner(who))
    typer.echo(f"Ended {sessions} sessions and voided {links} unused sign-in links.")
