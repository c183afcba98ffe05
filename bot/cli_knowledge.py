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
from core.settings import PROJECT_ROOT

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


OWN_QA = PROJECT_ROOT / "bench" / "knowledge" / "qa.jsonl"
BLIND = PROJECT_ROOT / "bench" / "knowledge" / "blind"
#: A second blind set, written later by another helper, never used for tuning.
FRESH = PROJECT_ROOT / "bench" / "knowledge" / "blind2"


def eval_rag_command(
    qa: Annotated[
        Path | None,
        typer.Option(
            "--qa", help="One JSONL question file (default: all three sets).", exists=True
        ),
    ] = None,
    docs: Annotated[
        Path | None,
        typer.Option(help="With --qa: answer from these documents alone, not the content."),
    ] = None,
    json_output: JsonFlag = False,
    mode: Annotated[
        list[str] | None, typer.Option(help="Modes to run (hybrid, dense, bm25); default all.")
    ] = None,
    calibrate: Annotated[
        bool,
        typer.Option(
            help="Also print the threshold that fits best (hybrid; by default on the own set "
            "and the blind dev set, never on the blind test set)."
        ),
    ] = False,
) -> None:
    """Score retrieval and answers: recall@1/@5, MRR, answer-hit, precision and abstention per
    language. Without --qa: the project's own set over the content, and the blind test set
    over documents nobody tuned for (bench/knowledge/blind), and the fresh blind set written
    later and never used for tuning (bench/knowledge/blind2)."""
    from knowledge import evaluate
    from knowledge.retrieval import MODES

    sets = (
        [
            ("own", OWN_QA, None),
            ("blind test", BLIND / "qa.test.jsonl", BLIND / "docs"),
            ("fresh blind", FRESH / "qa.jsonl", FRESH / "docs"),
        ]
        if qa is None
        else [(qa.name, qa, docs)]
    )
    tuning = [(OWN_QA, None), (BLIND / "qa.dev.jsonl", BLIND / "docs")] if qa is None else []
    try:
        questions = {path: evaluate.read_questions(path) for _, path, _ in sets}
        questions |= {path: evaluate.read_questions(path) for path, _ in tuning if calibrate}
    except evaluate.QAFileError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    kb = _base()
    if kb.is_empty():
        typer.secho("karmabot: nothing ingested yet; run `karmabot ingest content/`", err=True)
        raise typer.Exit(1)
    modes = [m for m in MODES if not mode or m in mode]
    bases: dict[Path | None, KnowledgeBase] = {None: kb}

    def base_for(folder: Path | None) -> KnowledgeBase:
        """The learners' base, or one over `folder` (ingested once for test and dev)."""
        if folder is not None and folder not in bases:
            bases[folder] = evaluate.separate_base(kb, folder)
        return bases[folder]

    summaries, calibration = {}, []
    for name, path, folder in sets:
        base = base_for(folder)
        results = evaluate.run(base, questions[path], modes)
        summaries[name] = evaluate.report(results, kb.config.threshold)
        if qa is not None and "hybrid" in results:
            calibration += results["hybrid"]
    for path, folder in tuning if calibrate else []:
        calibration += evaluate.run(base_for(folder), questions[path], ["hybrid"])["hybrid"]
    best = evaluate.calibrate(calibration) if calibrate and calibration else None
    if json_output:
        out: dict[str, object] = dict(summaries) if qa is None else dict(summaries[qa.name])
        if best is not None:
            out["calibrated"] = {"threshold": best[0], "correct": round(best[1], 4)}
        _echo_json(out)
        return
    for name, summary in summaries.items():
        if qa is None:
            typer.echo(f"## {name}\n")
        typer.echo(evaluate.markdown(summary))
    if best is not None:
        where = "this set" if qa is not None else "the own set and the blind dev set"
        typer.echo(f"Best threshold on {where}: {best[0]:.3f} ({best[1]:.1%} right)")
