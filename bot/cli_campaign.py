"""`karmabot campaign …` and `karmabot worker`: supervisor campaigns from the operator's terminal.

The terminal is the server's operator, so it acts as an admin (every action is audited as
"cli"); supervisors use the chat menu or the admin API with their own tokens.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from bot.container import container

if TYPE_CHECKING:
    from learning.campaigns import Campaign, Campaigns

campaign_app = typer.Typer(
    help="Supervisor campaigns: create, preview, send, status, pause, resume, cancel.",
    no_args_is_help=True,
)

#: Seconds without progress after which `--wait` stops watching.
STALLED = 30.0

Id = Annotated[str, typer.Argument(help="The campaign id (or its first characters)")]


def _service() -> Campaigns:
    return container().campaigns


def _resolve(service: Campaigns, prefix: str) -> str:
    from learning.campaigns import Actor

    matches = [c.id for c in service.all(Actor.operator()) if c.id.startswith(prefix)]
    if len(matches) != 1:
        reason = "no campaign" if not matches else f"{len(matches)} campaigns"
        typer.secho(f"karmabot: {reason} with id {prefix!r}", fg="red", err=True)
        raise typer.Exit(1)
    return matches[0]


def _texts(values: list[str]) -> dict[str, str]:
    """'--text' values: "Hello" (English) or "hi=नमस्ते" (that language)."""
    texts: dict[str, str] = {}
    for value in values:
        head, sep, rest = value.partition("=")
        if sep and 2 <= len(head) <= 7 and head.replace("-", "").isalpha():
            texts[head] = rest
        else:
            texts["en"] = value
    return texts


@campaign_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for reports")],
    course: Annotated[str | None, typer.Option(help="The course it is about")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="not_started, in_progress, not_completed or completed (needs --course)"),
    ] = None,
    due_before: Annotated[str | None, typer.Option(help="Due before YYYY-MM-DD")] = None,
    inactive_days: Annotated[int | None, typer.Option(help="Inactive at least N days")] = None,
    role: Annotated[str | None, typer.Option(help="Roster role")] = None,
    language: Annotated[str | None, typer.Option(help="Learner language (hi, ta…)")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation and everything below it")] = None,
    template: Annotated[
        str, typer.Option(help="reminder, deadline, new_course or custom")
    ] = "reminder",
    text: Annotated[
        list[str] | None, typer.Option(help='Custom text: "Hello {name}" or "hi=नमस्ते {name}"')
    ] = None,
    due_date: Annotated[str | None, typer.Option(help="Due date quoted, YYYY-MM-DD")] = None,
    sender: Annotated[str | None, typer.Option(help="Who it is from")] = None,
    schedule: Annotated[
        str, typer.Option(help='now, 2026-12-05T09:00+05:30, or "weekly mon 09:30"')
    ] = "now",
) -> None:
    """Create a draft campaign and show how many learners it reaches."""
    from learning.campaign_message import Message, MessageError
    from learning.campaigns import Actor
    from learning.cohort import Cohort, CohortError

    try:
        cohort = Cohort(
            course=course, status=status, due_before=_date(due_before),  # type: ignore[arg-type]
            inactive_days=inactive_days, role=role, language=language, organisation=org,
        )  # fmt: skip
        message = Message(template, _texts(text or []), course, _date(due_date), sender)
        service = _service()
        campaign = service.create(Actor.operator(), name, cohort, message, schedule)
    except (CohortError, MessageError, ValueError) as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    counts = service.sample(campaign)
    reachable = sum(n for (_, _, reason), n in counts.items() if reason is None)
    typer.echo(
        f"Created campaign {campaign.id[:8]} ({campaign.name!r}, draft): {sum(counts.values())} "
        f"learners, {reachable} reachable. Next: karmabot campaign preview {campaign.id[:8]}"
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@campaign_app.command("preview")
def preview(campaign_id: Id) -> None:
    """Counts per language, channel and exclusion reason, and one sample per language."""
    from learning.campaigns import Actor

    service = _service()
    campaign, counts = service.preview(Actor.operator(), _resolve(service, campaign_id))
    _print_preview(campaign, counts)


Counts = dict[tuple[str, str | None, str | None], int]


def _print_preview(campaign: Campaign, counts: Counts) -> None:
    by: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (language, channel, reason), n in counts.items():
        by["language"][language] += n
        by["channel"][channel or "none"] += n
        by["excluded"][reason or "no (will be sent)"] += n
    typer.echo(f"Campaign {campaign.id[:8]} {campaign.name!r} ({campaign.status}), "
               f"filters: {campaign.cohort.describe()}, schedule: {campaign.schedule}")  # fmt: skip
    typer.echo(f"Learners: {sum(counts.values())}")
    for title, values in by.items():
        parts = ", ".join(f"{k} {v}" for k, v in sorted(values.items()))
        typer.echo(f"  by {title}: {parts or '-'}")
    for language in sorted(by["language"]):
        typer.echo(f"--- sample ({language}) ---\n{_sample(campaign, language)}")


def _sample(campaign: Campaign, language: str) -> str:
    from connectors.nudge_render import Renderer
    from learning.sends import Recipient, Send

    app = container()
    renderer = Renderer(app.catalog, app.library, lambda _: campaign)
    learner = Recipient("sample", "Asha Verma", language, "native", None, True, None, "0")
    send = Send(0, "", "campaign", campaign.id, 1, "telegram", 0, {}, learner)
    lines = []
    for message in renderer.messages(send):
        lines.append(message.text)
        lines += [f"  [{b.title}]" for b in message.buttons]
    return "\n".join(lines)


@campaign_app.command("send")
def send(
    campaign_id: Id,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    wait: Annotated[bool, typer.Option(help="Show progress until it is sent")] = False,
) -> None:
    """Confirm a draft: the worker sends it at its schedule."""
    from learning.campaigns import Actor, CampaignStateError

    service = _service()
    cid = _resolve(service, campaign_id)
    campaign, counts = service.preview(Actor.operator(), cid)
    _print_preview(campaign, counts)
    if not yes and not typer.confirm("Send this campaign?"):
        raise typer.Exit(1)
    try:
        campaign = service.send(Actor.operator(), cid)
    except CampaignStateError as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    when = campaign.next_run_at.isoformat(timespec="minutes") if campaign.next_run_at else "now"
    typer.echo(f"Scheduled for {when}; the worker sends it (`make run` starts one).")
    if wait:
        _follow(cid)


def _follow(campaign_id: str) -> None:
    """A progress bar over the campaign's sends until none is left to do."""
    from tqdm import tqdm

    from learning.campaign_report import campaign_report

    sessions = container().sessions
    report = campaign_report(sessions, campaign_id)
    moved = time.monotonic()
    with tqdm(total=report.targeted, unit="learner", desc="sending") as bar:
        while True:
            report = campaign_report(sessions, campaign_id)
            done = report.targeted - report.queued - report.in_flight
            bar.total = report.targeted
            if done != bar.n:
                bar.update(done - bar.n)
                moved = time.monotonic()
            if report.targeted and not report.queued and not report.in_flight:
                return
            if time.monotonic() - moved > STALLED:
                break
            time.sleep(0.5)
    typer.secho(
        f"Nothing sent for {STALLED:.0f} s: is a worker running (`make run` or "
        "`karmabot worker`) with Telegram or WhatsApp configured? Quiet hours hold messages "
        "until morning.",
        fg="yellow",
        err=True,
    )


@campaign_app.command("status")
def status(
    campaign_id: Id,
    days: Annotated[int, typer.Option(help="Conversion window in days")] = 7,
    follow: Annotated[bool, typer.Option(help="Show a progress bar while it sends")] = False,
) -> None:
    """What the campaign achieved so far."""
    from learning.campaign_report import campaign_report
    from learning.campaigns import Actor

    service = _service()
    campaign = service.get(Actor.operator(), _resolve(service, campaign_id), "status")
    if follow:
        _follow(campaign.id)
    r = campaign_report(container().sessions, campaign.id, days, campaign.message.course)
    upcoming = campaign.next_run_at.isoformat(timespec="minutes") if campaign.next_run_at else "-"
    typer.echo(f"Campaign {campaign.id[:8]} {campaign.name!r}: {campaign.status}, "
               f"run {campaign.runs}, next run {upcoming}")  # fmt: skip
    typer.echo(f"  targeted {r.targeted}, sent {r.sent}, delivered {r.delivered}, read {r.read}, "
               f"failed {r.failed + r.undelivered}, unknown {r.unknown}, "
               f"waiting {r.queued + r.in_flight}, cancelled {r.cancelled}")  # fmt: skip
    for title, values in (("skipped", r.skipped), ("waiting", r.deferred), ("failed", r.failures)):
        if values:
            typer.echo(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(values.items())))
    typer.echo(f"  within {days} days of the message: {r.lesson_after} completed a lesson, "
               f"{r.course_after} completed the course")  # fmt: skip


def _switch(action: str, campaign_id: str) -> None:
    from learning.campaigns import Actor, CampaignStateError

    service = _service()
    try:
        campaign = getattr(service, action)(Actor.operator(), _resolve(service, campaign_id))
    except CampaignStateError as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Campaign {campaign.id[:8]} is now {campaign.status}.")


@campaign_app.command("pause")
def pause(campaign_id: Id) -> None:
    """Stop sending within seconds; resume picks up where it stopped."""
    _switch("pause", campaign_id)


@campaign_app.command("resume")
def resume(campaign_id: Id) -> None:
    """Send again after a pause."""
    _switch("resume", campaign_id)


@campaign_app.command("cancel")
def cancel(campaign_id: Id) -> None:
    """Stop for good: what has not gone yet never will."""
    _switch("cancel", campaign_id)


@campaign_app.command("list")
def list_campaigns() -> None:
    """Every campaign, newest first."""
    from learning.campaigns import Actor

    for c in _service().all(Actor.operator()):
        typer.echo(f"{c.id[:8]}  {c.status:<9}  {c.schedule:<18}  runs {c.runs}  {c.name}")


def worker_command() -> None:
    """Deliver nudges and campaigns until Ctrl+C (`make run` starts one)."""
    from bot.worker import run

    raise typer.Exit(run(container()))


@campaign_app.command("token")
def token(
    who: Annotated[
        str, typer.Argument(help="The supervisor's email, phone, Telegram id or @username")
    ],
    label: Annotated[str | None, typer.Option(help="A note on what the token is for")] = None,
    revoke: Annotated[bool, typer.Option(help="Revoke every token of this person")] = False,
) -> None:
    """Issue a token for the admin API (/admin/api/campaigns) to a supervisor or admin."""
    from learning.roster import find_learner
    from learning.tokens import ApiTokens, TokenRefused

    sessions = container().sessions
    learner_id = find_learner(sessions, who)
    if learner_id is None:
        typer.secho(f"karmabot: no learner {who!r} in the roster", fg="red", err=True)
        raise typer.Exit(1)
    tokens = ApiTokens(sessions)
    if revoke:
        typer.echo(f"Revoked {tokens.revoke_all(learner_id)} tokens.")
        return
    try:
        issued = tokens.issue(learner_id, label)
    except TokenRefused as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(issued)
    typer.echo("Shown once: give it to them over a safe channel. "
               "Use it as `Authorization: Bearer <token>`.", err=True)  # fmt: skip
