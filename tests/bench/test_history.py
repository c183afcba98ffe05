"""The pure parts of `bench.turns.history`: schedule, sessions, ratio, verdicts, report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.doc import write_section
from bench.turns.history_drive import Quiet
from bench.turns.history_plan import (
    QUICK_DOC,
    Curve,
    HistoryOptions,
    Point,
    cost_s,
    parse,
    schedule_problem,
    segment_s,
    sessions_before,
    starts_session,
)
from bench.turns.history_report import curve_table, ratio, render, verdict
from bench.turns.stats import Summary


def point(history: int, p50: float, sessions: int = 1) -> Point:
    summary = Summary(turns=24, errors=0, p50_ms=p50, throughput=1000 / p50, cpu_ms={"rasa": 9.0})
    return Point(history, sessions, summary)


def curve(system: str, *p50s: tuple[int, float], shape: str = "session") -> Curve:
    return Curve(system, shape, "rest", [point(h, ms) for h, ms in p50s])


def test_checkpoints_must_leave_room_for_each_batch() -> None:
    assert schedule_problem((10, 100, 300, 600, 1000), 24) is None
    assert schedule_problem((10, 30), 24) is not None
    assert schedule_problem((100, 10), 24) is not None
    assert schedule_problem((), 24) is not None
    assert schedule_problem((10, 100), 0) is not None


def test_a_new_session_opens_every_session_length_turns() -> None:
    opened = [t for t in range(31) if starts_session(t, 10)]
    assert opened == [10, 20, 30]
    assert not any(starts_session(t, None) for t in range(100))


def test_sessions_before_a_turn_count_the_first_one() -> None:
    assert sessions_before(0, 10) == 0
    assert sessions_before(1, 10) == 1
    assert sessions_before(10, 10) == 1
    assert sessions_before(11, 10) == 2
    assert sessions_before(1000, 10) == 100
    assert sessions_before(1000, None) == 1


def test_session_length_spreads_the_longest_history() -> None:
    assert HistoryOptions().session_length == 10
    assert HistoryOptions(checkpoints=(10, 100, 200), sessions=20).session_length == 10
    assert HistoryOptions(checkpoints=(5,), sessions=100).session_length == 1


def test_quick_shortens_the_defaults_and_writes_elsewhere() -> None:
    quick = parse(["--quick"])
    assert quick.checkpoints == (10, 100, 200)
    assert quick.doc == QUICK_DOC
    assert quick.paths == ("rest", "gateway")
    full = parse(["--doc", "/tmp/x.md", "--profiles", "embedded", "--paths", "rest"])
    assert full.checkpoints == (10, 100, 300, 600, 1000)
    assert (full.doc, full.profiles, full.paths) == (Path("/tmp/x.md"), ("embedded",), ("rest",))
    assert parse([]).paths == ("rest",)


@pytest.mark.parametrize(
    "argv",
    [["--checkpoints", "10,20", "--batch", "24"], ["--profiles", "scale-pg"], ["--paths", "x"]],
)
def test_bad_options_are_refused_on_the_command_line(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse(argv)


def test_ratio_is_last_over_first_p50() -> None:
    assert ratio(curve("embedded", (10, 40.0), (100, 44.0), (1000, 52.0))) == pytest.approx(1.3)
    assert ratio(curve("embedded", (10, 40.0))) != ratio(curve("embedded", (10, 40.0)))  # NaN


def test_verdict_says_met_or_not_met_plainly() -> None:
    met = verdict(curve("embedded", (10, 40.0), (1000, 52.0)))
    missed = verdict(curve("scale", (10, 40.0), (1000, 60.0)))
    assert "**met**" in met and "1.30×" in met
    assert "**not met**" in missed and "1.50×" in missed


def test_verdict_does_not_claim_the_target_below_1000_turns() -> None:
    line = verdict(curve("embedded", (10, 40.0), (200, 41.0)))
    assert "**not tested**" in line and "met" not in line


def test_a_curve_over_the_target_early_says_so_without_a_verdict() -> None:
    line = verdict(curve("scale", (10, 40.0), (300, 120.0)))
    assert "3.00×, already over 1.3× at 300" in line and "**not tested**" in line


def test_stock_is_a_baseline_without_target() -> None:
    line = verdict(curve("stock", (10, 80.0), (600, 400.0)))
    assert "5.00×" in line and "no target" in line


def test_curve_table_has_a_cell_per_checkpoint_and_dashes_for_missing() -> None:
    rows = curve_table([curve("stock", (10, 80.0), (100, 120.0))], (10, 100, 1000))
    assert rows[0].count("after") == 3
    assert rows[2].split("|")[4:8] == [" 80 ", " 120 ", " – ", " 1.50× "]


def test_render_fills_its_own_section_only(tmp_path: Path) -> None:
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nsomeone else's text\n")
    curves = [
        curve("embedded", (10, 40.0), (1000, 44.0)),
        curve("stock", (10, 80.0), (600, 400.0), shape="sessions"),
    ]
    section = render(curves, HistoryOptions(), ["Redis: deleted 4 keys."], "Command: `x`.")
    write_section("history", section, doc)
    write_section("history", section, doc)  # rewriting replaces, never appends
    text = doc.read_text()
    assert text.count("<!-- bench:history:start -->") == 1
    assert "someone else's text" in text
    assert (
        "| Karmabot embedded | one session | REST webhook | 40 | – | – | – | 44 | 1.10× |" in text
    )
    assert "- Redis: deleted 4 keys." in text


def test_cost_extrapolates_the_last_two_points_and_never_falls() -> None:
    rising = curve("scale", (10, 40.0), (100, 130.0)).points
    assert cost_s(rising, 100) == pytest.approx(0.130)
    assert cost_s(rising, 200) == pytest.approx(0.230)
    falling = curve("stock", (10, 50.0), (100, 40.0)).points
    assert cost_s(falling, 1000) == pytest.approx(0.040)
    assert cost_s([], 500) == 0.0


def test_segment_is_fast_forward_plus_batch() -> None:
    flat = curve("embedded", (10, 50.0)).points
    assert segment_s(flat, 34, 100, 24) == pytest.approx((66 + 24) * 0.05)


async def test_a_timed_batch_waits_for_untimed_turns_and_holds_new_ones() -> None:
    quiet, log = Quiet(), []

    async def untimed(name: str, pause: float) -> None:
        async with quiet.untimed():
            log.append(f"{name} start")
            await asyncio.sleep(pause)
            log.append(f"{name} end")

    async def timed() -> None:
        async with quiet.timed():
            log.append("batch start")
            await asyncio.sleep(0.02)
            log.append("batch end")

    first = asyncio.create_task(untimed("a", 0.02))
    await asyncio.sleep(0)
    batch = asyncio.create_task(timed())
    await asyncio.sleep(0)
    late = asyncio.create_task(untimed("b", 0))
    await asyncio.gather(first, batch, late)
    assert log == ["a start", "a end", "batch start", "batch end", "b start", "b end"]
