"""`bench.dashboard` at small sizes: the generator makes the same rows on SQLite and PostgreSQL,
the overview's figures on them match a count done by hand in Python (for an admin and a
district's supervisor), the campaign's outcome is as described, percentiles and the report,
and a whole run on SQLite writing its section between the markers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bench.campaigns.stores import Store, fresh
from bench.dashboard.__main__ import main
from bench.dashboard.campaign import sent_campaign
from bench.dashboard.generate import VIEWERS, Counts, fill
from bench.dashboard.measure import Timing, percentile
from bench.dashboard.report import Row, StoreRun, section
from learning.campaigns import Actor
from learning.dashboard_queries import CHART_WEEKS, Filters, overview
from learning.models import aware
from learning.organisations import reach_of
from tests.learning.conftest import postgres_or_skip

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
N = 400


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgresql":
        postgres_or_skip().dispose()
    with fresh(request.param, tmp_path) as made:
        yield made


def moment(at: datetime | str) -> datetime:
    """A stored time (SQLite's raw text, in SQLAlchemy's format) as an aware UTC time."""
    parsed = datetime.strptime(at, "%Y-%m-%d %H:%M:%S.%f") if isinstance(at, str) else at
    return aware(parsed)  # type: ignore[return-value]


def by_hand(store: Store, organisations: set[str] | None) -> dict[str, object]:
    """The overview's figures counted in Python from every row."""
    with store.engine.connect() as c:
        learners = {
            lid: org for lid, org in c.execute(text("SELECT id, organisation FROM learners"))
        }
        seen = {
            lid for lid, org in learners.items() if organisations is None or org in organisations
        }
        steps = [*c.execute(text("SELECT learner_id, completed_at FROM lesson_completions")),
                 *c.execute(text("SELECT learner_id, started_at FROM quiz_attempts"))]  # fmt: skip
        lessons = [lid for (lid,) in c.execute(text("SELECT learner_id FROM lesson_completions"))]
        points = list(c.execute(text("SELECT learner_id, points FROM points_ledger")))
    steps = [(lid, moment(at)) for lid, at in steps if lid in seen]

    def active(start: datetime, end: datetime | None) -> int:
        return len({lid for lid, at in steps if at >= start and (end is None or at < end)})

    # Calendar weeks, Monday to Sunday in India time; the last is the current week so far.
    india = ZoneInfo("Asia/Kolkata")
    today = NOW.astimezone(india).date()
    monday = today - timedelta(days=today.weekday())
    starts = [datetime.combine(monday - timedelta(weeks=CHART_WEEKS - 1 - i), time(), india)
              for i in range(CHART_WEEKS)]  # fmt: skip
    ends: list[datetime | None] = [*starts[1:], None]
    return {
        "learners": len(seen),
        "active_7": active(NOW - timedelta(days=7), None),
        "active_30": active(NOW - timedelta(days=30), None),
        "lessons_completed": sum(1 for lid in lessons if lid in seen),
        "karma_points": sum(p for lid, p in points if lid in seen),
        "weeks": [active(s, e) for s, e in zip(starts, ends, strict=True)],
    }


def test_the_overview_counts_the_generated_year_as_a_count_by_hand(store: Store) -> None:
    counts = fill(store, N, NOW)
    # The same rows on both databases (made from each learner's number alone).
    assert counts == Counts(N + 3, 3 * N, 7_526, 1_360, 8_809)
    district = VIEWERS["district"][1]
    for who, organisations in (("admin", None), ("district", {district})):
        access, organisation = VIEWERS[who]
        actor = Actor(f"dashboard:{who}", reach_of(access, organisation), who)
        with store.sessions() as session:
            seen = overview(session, actor, Filters(), NOW, ZoneInfo("Asia/Kolkata"))
        expected = by_hand(store, organisations)
        assert {key: getattr(seen, key) for key in expected if key != "weeks"} == {
            key: value for key, value in expected.items() if key != "weeks"
        }, who
        assert [week.active for week in seen.weeks] == expected["weeks"], who
        assert seen.active_30 > seen.active_7 > 0 and seen.lessons_completed > 0


def test_the_campaign_reaches_everyone_with_the_outcome_described(store: Store) -> None:
    fill(store, N, NOW)
    cid, sends = sent_campaign(store, "admin", NOW)
    assert sends == N + 3  # everyone, the three viewers included
    with store.engine.connect() as c:
        statuses: dict[str, int] = dict(c.execute(text(
            "SELECT status, count(*) FROM sends WHERE campaign_id = :c GROUP BY status"), {"c": cid}
        ).all())  # fmt: skip
        outbound = c.scalar(text("SELECT count(*) FROM outbound_messages WHERE campaign_id = :c"),
                            {"c": cid})  # fmt: skip
    assert set(statuses) == {"sent", "skipped", "failed", "queued"}
    assert statuses["sent"] == outbound and 0.85 < statuses["sent"] / sends < 0.95


def test_percentiles_and_the_report_say_met_or_not_against_300_ms() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([10.0, 20.0], 95) == pytest.approx(19.5)
    fast, slow = Timing((100.0, 120.0, 110.0)), Timing((100.0, 120.0, 900.0))
    assert fast.median == 110.0 and slow.p95 > 300
    run = StoreRun("sqlite", Counts(5, 15, 100, 20, 130), 1.0, load=(1.5, 1.7), other_cores=0.2)
    run.rows += [
        Row("sqlite", "overview", "admin", "", fast, "5"),
        Row(
            "sqlite",
            "overview",
            "district",
            "role=Clerk",
            slow,
            "1",
            slowest=(("SELECT count(*) FROM x", 850.0),),
        ),
        Row("sqlite", "`SELECT count(*) FROM learners`", "–", "", fast, baseline=True),
    ]
    text_ = section([run], 5, "Command: x", 3)
    assert "| sqlite | overview | admin | – | 5 | 110.0 | 119.0 | met |" in text_
    assert (
        "| sqlite | overview | district | role=Clerk | 1 | 120.0 | 822.0 | **not met** |" in text_
    )
    assert "| baseline |" in text_ and "850 ms `SELECT count(*) FROM x`" in text_
    assert "load average 1.50 before, 1.70 after" in text_


def test_a_small_run_writes_its_section_between_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nOther sections stay.\n", encoding="utf-8")
    main(["--learners", "200", "--runs", "1", "--warmup", "0", "--stores", "sqlite",
          "--out", str(doc)])  # fmt: skip
    written = doc.read_text(encoding="utf-8")
    assert "Other sections stay." in written
    inside = written.split("<!-- bench:dashboard:start -->")[1].split("<!-- bench:dashboard:end")[0]
    assert "| sqlite | overview | district |" in inside and "| sqlite | campaign report |" in inside
    assert "203 sends" in inside
