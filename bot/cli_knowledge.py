"""Knowledge-base commands: `ingest`, `ask`, `gaps`, `eval-rag` (mounted by bot/cli.py).

Heavy imports (torch, sentence-transformers, Chroma) happen inside the commands, so mounting
them keeps `karmabot --help` fast. The knowledge base comes from the composition root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.container import container

if TYPE_CHECKING:
    from knowledge.base import KnowledgeBase

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _base() -> KnowledgeBase:
    return container().knowledge()


def _echo_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Ingest Markdown (course lessons too), text, HTML, PDF and DOCX files or folders."""
    report = _base().ingest(paths, progress=False if quiet else None)
    for error in report.skipped:
        typer.secho(f"skipped {error.path}: {error.reason}", fg="yellow", err=True)
    typer.echo(report.summary())
    if report.skipped and not report.files and not report.unchanged:
        raise typer.Exit(1)


def ask_command(
    question: Annotated[str, typer.Argument(help="The question, in any language or script.")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="Learner's language (en, hi, ta, bn).")
    ] = None,
    course: Annotated[str | None, typer.Option(help="Answer only from this course.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Answer a question from the ingested content, with citations."""
    kb = _base()
    if kb.is_empty():
        typer.secho("karmabot: nothing ingested yet; run `karmabot ingest content/`", err=True)
        raise typer.Exit(1)
    answer = kb.ask(question, language=lang, course=course)
    if json_output:
        _echo_json(answer.as_dict())
        return
    typer.echo(answer.text)
    for citation in answer.citations:
        parts = (citation.course, citation.title, citation.heading)
        where = " › ".join(dict.fromkeys(x for x in parts if x))
        typer.echo(f"  [{citation.score:.2f}] {where or citation.source} ({citation.source})")
    if not answer.confident:
        typer.secho(f"  (confidence {answer.confidence:.2f}: no answer given)", dim=True)


def gaps_command(
    limit: Annotated[int, typer.Option(help="How many questions to list.")] = 30,
    json_output: JsonFlag = False,
) -> None:
    """List the questions the knowledge base could not answer, most frequent first."""
    gaps = _base().unanswered(limit)
    if json_output:
        _echo_json([vars(g) for g in gaps])
        return
    if not gaps:
        typer.echo("No unanswered questions logged.")
        return
    for gap in gaps:
        tags = ", ".join(x for x in (gap.languages, gap.courses) if x)
        typer.echo(f"{gap.count:5d}  {gap.question}" + (f"  [{tags}]" if tags else ""))


def eval_rag_command(
    qa: Annotated[Path, typer.Option("--qa", help="JSONL question file.", exists=True)],
    json_output: JsonFlag = False,
    mode: Annotated[
        list[str] | None, typer.Option(help="Modes to run (hybrid, dense, bm25); default all.")
    ] = None,
    calibrate: Annotated[
        bool, typer.Option(help="Also print the threshold that fits this set best (hybrid).")
    ] = False,
) -> None:
    """Score retrieval and answers: recall@1/@5, MRR, answer-hit, abstention, per language."""
    from knowledge import evaluate
    from knowledge.retrieval import MODES

    try:
        questions = evaluate.read_questions(qa)
    except evaluate.QAFileError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    modes = [m for m in MODES if not mode or m in mode]
    kb = _base()
    if kb.is_empty():
        typer.secho("karmabot: nothing ingested yet; run `karmabot ingest content/`", err=True)
        raise typer.Exit(1)
    results = evaluate.run(kb, questions, modes)
    summary = evaluate.report(results, kb.config.threshold)
    if calibrate and "hybrid" in results:
        threshold, rate = evaluate.calibrate(results["hybrid"])
        summary["calibrated"] = {"threshold": threshold, "correct": round(rate, 4)}
    if json_output:
        _echo_json(summary)
        return
    typer.echo(evaluate.markdown(summary))
    if "calibrated" in summary:
        best = summary["calibrated"]
        typer.echo(
            f"Best threshold on this set: {best['threshold']:.3f} ({best['correct']:.1%} right)"
        )
