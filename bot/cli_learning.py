"""`karmabot content …` and `karmabot certificate …`: course content and certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.container import container

content_app = typer.Typer(
    help="Course content under content/ (docs/CONTENT.md).", no_args_is_help=True
)
certificate_app = typer.Typer(help="Course certificates.", no_args_is_help=True)


@content_app.command("check")
def content_check(
    folder: Annotated[
        Path | None, typer.Argument(help="Content folder (default: settings)")
    ] = None,
) -> None:
    """Validate a content tree; list every problem as `file: field: problem`."""
    from learning.content_loader import check, load

    root = folder or container().settings.content_dir
    problems = check(root)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.secho(f"{len(problems)} problem(s); nothing loaded.", fg="red", err=True)
        raise typer.Exit(1)
    library = load(root)
    lessons = sum(len(c.lessons()) for c in library)
    questions = sum(len(m.quiz.questions) for c in library for m in c.modules)
    languages = sorted({lang for c in library for lang in c.languages})
    typer.echo(
        f"{root}: OK: {len(library)} courses, {lessons} lessons, {questions} quiz "
        f"questions; languages: {', '.join(languages)}"
    )


@certificate_app.command("verify")
def certificate_verify(code: Annotated[str, typer.Argument(help="Verification code")]) -> None:
    """Check a certificate's verification code; exit 1 when it is not genuine."""
    from learning.certificate_text import verify_url

    certificate = container().records.certificate(code)
    if certificate is None:
        typer.secho(f"{code.strip().upper()}: NOT VALID (no certificate has this code)", fg="red")
        raise typer.Exit(1)
    url = verify_url(container().settings.resolved_public_url, certificate.code)
    typer.echo(
        f"{certificate.code}: VALID: {certificate.learner_name} completed "
        f"“{certificate.course_title}” on {certificate.issued_at:%d %B %Y}.\n"
        f"Anyone can check it at {url}"
    )


@certificate_app.command("pdf")
def certificate_pdf(
    code: Annotated[str, typer.Argument(help="Verification code")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PDF file to write")] = Path("."),
) -> None:
    """Write a certificate's PDF."""
    from learning.certificate import render_pdf

    certificate = container().records.certificate(code)
    if certificate is None:
        typer.secho(f"{code.upper()}: no certificate has this code", fg="red", err=True)
        raise typer.Exit(1)
    path = out / f"karmabot-certificate-{certificate.code}.pdf" if out.is_dir() else out
    path.write_bytes(render_pdf(certificate, container().settings.resolved_public_url))
    typer.echo(str(path))


learners_app = typer.Typer(
    help="Learner records: roster import and progress reports.", no_args_is_help=True
)


@learners_app.command("import")
def learners_import(
    roster: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab): name, phone, "
            "telegram, organisation, role, supervisor, language; optional "
            "parent_organisation, access (learner/supervisor/admin), timezone (IANA, e.g. "
            "Asia/Kolkata), platform_user_id (Sunbird/iGOT user id), mandatory "
            "(course-id:YYYY-MM-DD[:batch-id]; ...: enrolls with a due date and Sunbird batch; "
            "course ids are not checked against the content)"
        ),
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing while any row has a problem")
    ] = False,
) -> None:
    """Create or update learners from a roster; bad rows are listed by line and skipped.

    The whole file is checked before anything is written; a file that cannot be read (its
    encoding, its header) imports nothing.
    """
    import sys

    from tqdm import tqdm

    from learning.roster import check, parse, write

    if not roster.is_file():
        typer.secho(f"{roster}: no such file", fg="red", err=True)
        raise typer.Exit(1)
    app = container()
    rows, errors = parse(roster, app.catalog.languages())
    if any(e.whole_file for e in errors):
        typer.secho(f"{roster}: {errors[0]}; nothing imported", fg="red", err=True)
        raise typer.Exit(1)
    checked = check(app.sessions, rows)
    problems = sorted(errors + checked.errors, key=lambda e: e.line)
    for error in problems:
        typer.echo(f"{roster}: {error}", err=True)
    skipped = len({e.line for e in errors}) + len(checked.plan.skipped)
    if strict and problems:
        typer.secho(f"{roster}: nothing imported (--strict)", fg="red", err=True)
        raise typer.Exit(1)
    total = len(checked.plan.entries)
    with tqdm(total=total, unit="row", desc="import", disable=not sys.stderr.isatty()) as bar:
        report = write(app.sessions, checked, progress=lambda done, _: bar.update(done - bar.n))
    typer.echo(
        f"{roster}: {report.created} created, {report.updated} updated, "
        f"{report.organisations} organisations, {skipped} rows skipped"
    )
    if problems:
        raise typer.Exit(1)


@learners_app.command("invite")
def learners_invite(
    org: Annotated[str, typer.Option("--org", help="Organisation (case-insensitive)")] = "",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV file (default: stdout)")
    ] = None,
    days: Annotated[int, typer.Option(help="Days each code stays valid")] = 30,
    bot: Annotated[str, typer.Option(help="The Telegram bot's username, for t.me links")] = "",
) -> None:
    """Issue one-time codes that link roster learners' Telegram accounts (`/start CODE`).

    A file (`-o`) starts with a UTF-8 byte order mark, so Excel shows names in any script.
    """
    import sys
    from datetime import timedelta

    from learning.invites import Invites, write_csv

    issued = Invites(container().sessions).issue_for_roster(org, ttl=timedelta(days=days))
    if out is None:
        write_csv(issued, sys.stdout, bot)
    else:
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            write_csv(issued, handle, bot)
    typer.echo(f"{len(issued)} invite codes, valid for {days} days.", err=True)


@learners_app.command("report")
def learners_report(
    org: Annotated[str, typer.Option("--org", help="Organisation (case-insensitive)")] = "",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV file (default: stdout)")
    ] = None,
) -> None:
    """Write a progress CSV: one row per learner and course.

    A file (`-o`) starts with a UTF-8 byte order mark, so Excel shows names in any script.
    """
    import sys

    from learning.report import progress_rows, write_csv

    app = container()
    rows = progress_rows(app.sessions, app.records, app.library, org)
    if out is None:
        write_csv(rows, sys.stdout)
        return
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        count = write_csv(rows, handle)
    typer.echo(f"{out}: {count} rows", err=True)


sync_app = typer.Typer(
    help="Sync to the learning platform (LRS, Sunbird): `sync [--once]`, `status`, `retry`.",
    invoke_without_command=True,
)
_Once = Annotated[bool, typer.Option("--once", help="One round, then exit")]
_Interval = Annotated[float, typer.Option(help="Seconds between rounds")]


@sync_app.callback()
def sync_command(ctx: typer.Context, once: _Once = False, interval: _Interval = 5.0) -> None:
    """Send learning events from the outbox to the configured LRS and Sunbird (`sync run`)."""
    if ctx.invoked_subcommand is None:
        sync_run(once, interval)


@sync_app.command("run")
def sync_run(once: _Once = False, interval: _Interval = 5.0) -> None:
    """Send learning events from the outbox to the configured LRS and Sunbird."""
    import asyncio
    import contextlib

    job = container().sync_job()
    if job is None:
        typer.echo("No sink configured: set KARMABOT_LRS_URL and/or KARMABOT_SUNBIRD_URL.")
        raise typer.Exit(1)
    if not once:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(job.run_forever(asyncio.Event(), interval))
        return
    report = asyncio.run(job.run_once())
    for sink in report.sent:
        typer.echo(
            f"{sink}: {report.sent[sink]} sent, {report.failed[sink]} failed, "
            f"{report.held[sink]} waiting for identity, {report.parked[sink]} parked, "
            f"{job.outbox.pending(sink)} pending"
        )


@sync_app.command("status")
def sync_status() -> None:
    """Pending, failed, waiting-for-identity and parked events per sink, with the last errors."""
    from learning.outbox import SinkStatus, SqlOutbox

    app = container()
    found = {s.sink: s for s in SqlOutbox(app.sessions).status()}
    for name in app.settings.sync_sinks:
        found.setdefault(name, SinkStatus(name, 0, 0, 0, 0, None, None))
    if not found:
        typer.echo("No sink configured and nothing waiting in the outbox.")
        return
    typer.echo(f"{'sink':<10}{'pending':>8}{'failed':>8}{'waiting for identity':>22}{'parked':>8}")
    for status in sorted(found.values(), key=lambda s: s.sink):
        typer.echo(
            f"{status.sink:<10}{status.pending:>8}{status.failed:>8}{status.held:>22}"
            f"{status.parked:>8}"
        )
        if status.last_error:
            typer.echo(f"  last error: {status.last_error[:300]}")
        if status.last_parked:
            typer.echo(f"  last parked: {status.last_parked[:300]}")


@sync_app.command("retry")
def sync_retry(
    parked: Annotated[
        bool, typer.Option("--parked", help="Also parked events (after fixing their cause)")
    ] = False,
    sink: Annotated[str | None, typer.Option(help="Only this sink (lrs, sunbird)")] = None,
) -> None:
    """Make failed and waiting events due now (a running sync sends them within a minute)."""
    from learning.models import utcnow
    from learning.outbox import SqlOutbox

    count = SqlOutbox(container().sessions).retry(utcnow(), sink, parked=parked)
    typer.echo(f"{count} events due now{' (parked ones included)' if parked else ''}.")
