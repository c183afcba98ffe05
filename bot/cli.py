"""The `karmabot` command line."""

from __future__ import annotations

import contextlib
import os
import signal
from typing import TYPE_CHECKING, Annotated

import httpx
import typer

from bot import cli_knowledge
from bot.cli_campaign import campaign_app, worker_command
from bot.cli_dashboard import supervisors_app
from bot.cli_learning import certificate_app, content_app, learners_app, sync_app
from bot.container import container
from bot.stack import Stack, StackError, preflight

if TYPE_CHECKING:
    from connectors.telegram import TelegramChannel

app = typer.Typer(
    help="Karmabot: a conversational learning assistant for India's civil servants.",
    no_args_is_help=True,
    add_completion=False,
)

Profile = Annotated[
    str,
    typer.Option(help="embedded (SQLite, one Rasa worker) or scale (Redis lock/tracker store)."),
]


def _gateway_url() -> str:
    settings = container().settings
    return f"http://{settings.gateway_host}:{settings.gateway_port}"


def _gateway_running() -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(_gateway_url() + "/health", timeout=1.0).status_code == 200
    return False


def _start(profile: str, progress: bool = True) -> Stack:
    stack = Stack(container().settings, profile)
    try:
        stack.start(progress=progress)
    except StackError as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    return stack


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _ingest_content() -> None:
    """Ingest the course content into the knowledge base; unchanged files are skipped."""
    folder = container().settings.content_dir
    if not folder.is_dir():
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no model-loading bars here
    report = container().knowledge().ingest([folder], progress=None)
    for error in report.skipped:
        typer.secho(f"skipped {error.path}: {error.reason}", fg="yellow", err=True)
    typer.echo(f"Knowledge base: {report.summary()}")


def _check_content() -> None:
    """Refuse to start on broken course content, listing what is wrong."""
    from learning.content_loader import check

    folder = container().settings.content_dir
    if not folder.is_dir():
        typer.echo(f"No course content at {folder}: the catalog will be empty.")
        return
    problems = check(folder)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.secho(
            f"karmabot: {len(problems)} problem(s) in the course content; fix them "
            "(karmabot content check) and start again.",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)


@app.command()
def up(profile: Profile = "embedded") -> None:
    """Start the whole stack (action server, Rasa, gateway) and keep it running."""
    # Ctrl-C and a supervisor's SIGTERM both stop every process cleanly, even when the shell
    # started us with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    _check_content()
    try:  # a busy port or a missing model is reported before the slower knowledge-base step
        preflight(Stack(container().settings, profile).services)
    except StackError as exc:
        typer.secho(f"karmabot: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    _ingest_content()
    typer.echo("Starting Karmabot …")
    try:
        stack = _start(profile)
    except KeyboardInterrupt:  # Ctrl-C during start-up: start() has stopped what it started
        typer.echo("\nStopped.")
        raise typer.Exit(0) from None
    url = _gateway_url()
    typer.secho(f"Karmabot is up. Web chat: {url}/", fg="green", bold=True)
    typer.echo(f"Console: `.venv/bin/karmabot chat` in another terminal · API: POST {url}/chat/api")
    typer.echo("Press Ctrl-C to stop.")
    code = 0
    try:
        code = stack.wait()
        typer.secho(f"A process exited (code {code}); stopping the stack.", fg="red", err=True)
    except KeyboardInterrupt:
        typer.echo("\nStopping …")
    finally:
        stack.stop()
    typer.echo("Stopped.")
    raise typer.Exit(code)


@app.command()
def chat(
    user: Annotated[str | None, typer.Option(help="Console user id.")] = None,
    profile: Profile = "embedded",
) -> None:
    """Chat in the terminal. Uses the running stack, or starts one for the session."""
    from connectors.console import chat_loop

    stack = None
    if not _gateway_running():
        typer.echo("Karmabot is not running; starting it for this chat (about a minute) …")
        stack = _start(profile)
    try:
        chat_loop(_gateway_url(), user=user, token=container().settings.api_token)
    finally:
        if stack is not None:
            stack.stop()


@app.command("nlu-eval")
def nlu_eval(
    min_f1: Annotated[
        float, typer.Option(help="Fail when any language of the independent set is below this.")
    ] = 0.0,
    errors: Annotated[bool, typer.Option(help="List the independent set's mistakes.")] = False,
) -> None:
    """Intent macro F1 of the trained model on the project's own and the independent held-out
    sets, per language form."""
    from bot.nlu_eval import evaluate_all, format_table

    results = evaluate_all()
    typer.echo(format_table(results))
    independent = [r for r in results if r.set == "independent"]
    if errors:
        for score in independent:
            for text, expected, predicted in score.errors:
                typer.echo(f"{score.language}\t{expected} → {predicted}\t{text}")
    failing = [r.language for r in independent if r.f1 < min_f1]
    if failing:
        typer.secho(f"Independent set below {min_f1:.2f}: {', '.join(failing)}", fg="red", err=True)
        raise typer.Exit(1)


telegram_app = typer.Typer(help="The Telegram bot (docs/CHANNELS.md).", no_args_is_help=True)


def _telegram() -> TelegramChannel:
    from bot.channels import telegram

    channel = telegram(container())
    if channel is None:
        typer.secho(
            "karmabot: set TELEGRAM_BOT_TOKEN first (docs/CHANNELS.md).", fg="red", err=True
        )
        raise typer.Exit(1)
    return channel


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="Public https URL of /telegram/webhook")],
) -> None:
    """Register the webhook with Telegram (with the secret it must send back), once."""
    import asyncio

    channel = _telegram()
    if not container().settings.telegram_webhook_secret:
        typer.secho("karmabot: set KARMABOT_TELEGRAM_WEBHOOK_SECRET first.", fg="red", err=True)
        raise typer.Exit(1)

    async def register() -> None:
        await channel.set_webhook(url)
        await channel.register_commands()

    try:
        asyncio.run(register())
    except Exception as exc:  # Telegram's refusal, in one line
        typer.secho(f"karmabot: Telegram refused: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Webhook set: {url} (and the command menu registered).")


app.add_typer(content_app, name="content")
app.add_typer(telegram_app, name="telegram")
app.add_typer(certificate_app, name="certificate")
app.add_typer(learners_app, name="learners")
app.add_typer(sync_app, name="sync")
app.add_typer(campaign_app, name="campaign")
app.add_typer(supervisors_app, name="supervisors")
app.command("worker")(worker_command)

# Knowledge base: `ingest`, `ask`, `knowledge gaps`, `eval rag` (bot/cli_knowledge.py).
# Heavy imports happen inside the commands.
app.command("ingest")(cli_knowledge.ingest_command)
app.command("ask")(cli_knowledge.ask_command)
knowledge_app = typer.Typer(help="Knowledge base upkeep.", no_args_is_help=True)
knowledge_app.command("gaps")(cli_knowledge.gaps_command)
app.add_typer(knowledge_app, name="knowledge")
eval_app = typer.Typer(help="Evaluations.", no_args_is_help=True)
eval_app.command("rag")(cli_knowledge.eval_rag_command)
app.add_typer(eval_app, name="eval")

if __name__ == "__main__":
    app()
