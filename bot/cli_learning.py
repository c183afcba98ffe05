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
    certificate = container().records.certificate(code)
    if certificate is None:
        typer.secho(f"{code.upper()}: NOT VALID (no certificate has this code)", fg="red")
        raise typer.Exit(1)
    typer.echo(
        f"{certificate.code}: VALID: {certificate.learner_name} completed "
        f"“{certificate.course_title}” on {certificate.issued_at:%d %B %Y}."
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
    path.write_bytes(render_pdf(certificate))
    typer.echo(str(path))


learners_app = typer.Typer(
    help="Learner records: roster import and progress reports.", no_args_is_help=True
)


@learners_app.command("import")
def learners_import(
    roster: Annotated[
        Path,
        typer.Argument(
            help="CSV: name, phone, telegram, organisation, role, supervisor, language; "
            "optional parent_organisation, access (learner/supervisor/admin), timezone "
            "(IANA, e.g. Asia/Kolkata), mandatory (course-id:YYYY-MM-DD; ...: enrolls with "
            "a due date; course ids are not checked against the content)"
        ),
    ],
) -> None:
    """Create or update learners from a roster; bad rows are listed by line and skipped."""
    from learning.roster import import_rows, parse

    if not roster.is_file():
        typer.secho(f"{roster}: no such file", fg="red", err=True)
        raise typer.Exit(1)
    rows, errors = parse(roster, container().catalog.languages())
    report = import_rows(container().sessions, rows)
    for error in sorted(errors + report.errors, key=lambda e: e.line):
        typer.echo(f"{roster}: {error}", err=True)
    typer.echo(
        f"{roster}: {report.created} created, {report.updated} updated, "
        f"{report.organisations} organisations, {len(errors)} rows skipped"
    )
    if errors or report.errors:
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
    """Issue one-time codes that link roster learners' Telegram accounts (`/start CODE`)."""
    import csv
    import sys
    from datetime import timedelta

    from learning.invites import Invites

    issued = Invites(container().sessions).issue_for_roster(org, ttl=timedelta(days=days))
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["name", "organisation", "phone", "code", "link"])
        for invite in issued:
            link = f"https://t.me/{bot.lstrip('@')}?start={invite.code}" if bot else ""
            writer.writerow([invite.name, invite.organisation, invite.phone, invite.code, link])
    finally:
        if out:
            handle.close()
    typer.echo(f"{len(issued)} invite codes, valid for {days} days.", err=True)


@learners_app.command("report")
def learners_report(
    org: Annotated[str, typer.Option("--org", help="Organisation (case-insensitive)")] = "",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV file (default: stdout)")
    ] = None,
) -> None:
    """Write a progress CSV: one row per learner and course."""
    import sys

    from learning.report import progress_rows, write_csv

    app = container()
    rows = progress_rows(app.sessions, app.records, app.library, org)
    if out is None:
        write_csv(rows, sys.stdout)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = write_csv(rows, handle)
    typer.echo(f"{out}: {count} rows", err=True)


def sync_command(
    once: Annotated[bool, typer.Option("--once", help="One round, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds")] = 5.0,
) -> None:
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
            f"{job.outbox.pending(sink)} pending"
        )
