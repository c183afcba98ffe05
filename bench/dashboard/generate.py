"""An organisation of synthetic learners with a year of learning, for the dashboard bench.

The tree is bench.campaigns' (one root, 4 ministries, 5 departments each, 5 districts each: 100
districts); learner number g (1…n, id `L<g, 9 digits>`) works in district g mod 100, so a
district holds n/100 learners and a ministry n/4. Three people sign in: an admin at the root,
a supervisor of Ministry 1 and one of its first district.

Each learner, from g alone (a hash, so both databases hold the same rows):
- 3 enrollments among 10 courses, half of them completed, 40 % of learners with a mandatory
  one due within 60 days either side of today;
- 85 % of learners learned this year: 6 to 38 lessons (22 on average) and 0 to 8 quizzes (4),
  at times spread evenly over the last 365 days;
- a Karma Points row per lesson, passed quiz and completed course;
- the dashboard's rollups, rebuilt from those rows as migration 0010 does (learning/activity.py).

At 100,000 learners: 300,000 enrollments, about 1.9 million lessons, 340,000 quiz attempts and
2.4 million points rows. Rows are made by `INSERT … SELECT` in the database from the learners
and a small table of numbers (only the time expressions differ between SQLite and
PostgreSQL); the learners themselves by `executemany`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, text

from bench.campaigns.stores import ROOT, Store, learner_id, leaves, organisation_tree
from learning.activity import rebuild
from learning.models import LearnerRow
from learning.organisations import import_tree

COURSES = 10
ROLES = ("Section Officer", "Assistant", "Clerk", "Inspector", "Under Secretary",
         "Deputy Secretary", "Data Entry Operator", "Director")  # fmt: skip
LANGUAGES = ("en", "hi", "ta", "bn")
MINISTRY = "Ministry 1"
#: The people who sign in: id → (access, organisation).
VIEWERS = {
    "admin": ("admin", ROOT),
    "ministry": ("supervisor", MINISTRY),
    "district": ("supervisor", leaves()[0]),
}
YEAR_S = 365 * 86_400
#: The deployment's time zone (the settings' default): due dates, the dashboard's weeks.
INDIA = ZoneInfo("Asia/Kolkata")
#: Lessons and quizzes a learner made at most (the numbers table holds 0 … this - 1).
MOST_STEPS = 40

#: SQL over `g` (the learner's number, BIGINT) shared by both databases.
ACTIVE = "g % 20 NOT IN (3, 11, 17)"
LESSONS = "6 + (g * 37) % 33"
QUIZZES = "(g * 11) % 9"


def course(index_sql: str) -> str:
    """A course id from an integer SQL expression (course-0 … course-9)."""
    return f"'course-' || (({index_sql}) % {COURSES})"


def course_name(index: int) -> str:
    """The id of course number `index` (as `course` writes it)."""
    return f"course-{index % COURSES}"


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs: a time `seconds` before now, a date `days` from today."""

    kind: str

    def ago(self, seconds: str) -> str:
        if self.kind == "postgresql":
            return f"to_timestamp(:now_s - ({seconds}))"
        # SQLAlchemy's own text format for DateTime on SQLite, so comparisons hold.
        return f"strftime('%Y-%m-%d %H:%M:%S', :now_s - ({seconds}), 'unixepoch') || '.000000'"

    @property
    def false(self) -> str:
        return "false" if self.kind == "postgresql" else "0"

    def days_from_today(self, days: str) -> str:
        if self.kind == "postgresql":
            return f"CAST(:today AS date) + CAST({days} AS integer)"
        return f"date(:today, ({days}) || ' days')"


def numbered(where: str = "1 = 1") -> str:
    """The synthetic learners with their number g (people who sign in are left out)."""
    return (
        "(SELECT id, language, CAST(substr(id, 2) AS BIGINT) AS g FROM learners "
        f"WHERE id LIKE 'L%') AS l WHERE {where}"
    )


def statements(dialect: Dialect) -> list[tuple[str, str]]:
    """(what, SQL) of the activity, in order; parameters :now_s and :today."""
    enrolled = dialect.ago("(g * 7 + j.n * 13) % 300 * 86400 + 86400 * 30")
    done = dialect.ago("(g * 5 + j.n * 3) % 280 * 86400 + (g % 86400)")
    due = dialect.days_from_today("(g * 17 + 3) % 121 - 60")
    enrollments = f"""
INSERT INTO enrollments (id, learner_id, course_id, course_version, part, enrolled_at,
    completed_at, due_on, updated_at)
SELECT 'E' || g || '-' || j.n, l.id, {course("g + 3 * j.n")}, 1, 0, {enrolled},
    CASE WHEN (g + j.n) % 2 = 0 THEN {done} END,
    CASE WHEN j.n = 0 AND g % 5 < 2 THEN {due} END, {enrolled}
FROM bench_numbers AS j, {numbered("j.n < 3")}"""
    at = dialect.ago(f"(g * 48271 + k.n * 2654435761) % {YEAR_S}")
    lessons = f"""
INSERT INTO lesson_completions (learner_id, course_id, lesson_id, language, completed_at)
SELECT l.id, {course("g + k.n / 8")}, 'l' || k.n, l.language, {at}
FROM bench_numbers AS k, {numbered(f"{ACTIVE} AND k.n < {LESSONS}")}"""
    quizzes = f"""
INSERT INTO quiz_attempts (id, learner_id, course_id, quiz_id, number, layout, position, score,
    total, passed, language, started_at, finished_at)
SELECT 'Q' || g || '-' || k.n, l.id, {course("g + k.n")}, 'm' || k.n, 1, '[]', 5,
    (g + k.n) % 6, 5, (g + k.n) % 6 >= 3, l.language, {at}, {at}
FROM bench_numbers AS k, {numbered(f"{ACTIVE} AND k.n < {QUIZZES}")}"""
    points = [
        ("lesson", "lesson_completions", "course_id || ':' || lesson_id", "10", "completed_at",
         "1 = 1"),
        ("quiz", "quiz_attempts", "course_id || ':' || quiz_id", "score * 2", "finished_at",
         "passed"),
        ("course", "enrollments", "course_id", "50", "completed_at", "completed_at IS NOT NULL"),
    ]  # fmt: skip
    found = [("enrollments", enrollments), ("lessons", lessons), ("quizzes", quizzes)]
    for reason, table, key, value, when, where in points:
        found.append(
            (
                f"points ({reason})",
                f"INSERT INTO points_ledger (learner_id, key, reason, points, awarded_at) "
                f"SELECT learner_id, '{reason}:' || {key}, '{reason}', {value}, {when} "
                f"FROM {table} WHERE {where}",
            )
        )
    return found


def learners(
    n: int, now: datetime, start: int = 1, stop: int | None = None
) -> list[dict[str, object]]:
    """Rows of learners start … stop (default n)."""
    districts = leaves()
    created = now - timedelta(days=400)
    return [
        {"id": learner_id(g), "name": f"Learner {g}", "name_confirmed": True,
         "language": LANGUAGES[(g // 100) % 4], "script": "native", "language_chosen": True,
         "reminders_enabled": g % 20 != 7, "organisation": districts[g % len(districts)],
         "role": ROLES[(g // 7) % len(ROLES)], "access": "learner", "created_at": created,
         "updated_at": created}
        for g in range(start, (stop or n) + 1)
    ]  # fmt: skip


def viewers(now: datetime) -> list[dict[str, object]]:
    """The three people who sign in."""
    return [
        {"id": who, "name": f"Bench {who}", "name_confirmed": True, "language": "en",
         "script": "native", "language_chosen": True, "reminders_enabled": True,
         "organisation": organisation, "role": "Director", "access": access,
         "created_at": now, "updated_at": now}
        for who, (access, organisation) in VIEWERS.items()
    ]  # fmt: skip


@dataclass(frozen=True)
class Counts:
    """Rows made, by table."""

    learners: int
    enrollments: int
    lessons: int
    quizzes: int
    points: int

    @staticmethod
    def of(connection: Connection) -> Counts:
        def count(table: str) -> int:
            return int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)

        return Counts(count("learners"), count("enrollments"), count("lesson_completions"),
                      count("quiz_attempts"), count("points_ledger"))  # fmt: skip


def fill(store: Store, n: int, now: datetime, log: object = None, chunk: int = 20_000) -> Counts:
    """Fill an empty, migrated store: the tree, n learners, the viewers, a year of activity;
    then ANALYZE on PostgreSQL (as autovacuum would; SQLite is left as the app leaves it)."""
    say = log if callable(log) else (lambda _message: None)
    with store.sessions.begin() as session:
        import_tree(session, organisation_tree())
    with store.engine.begin() as connection:
        for start in range(1, n + 1, chunk):
            rows = learners(n, now, start, min(n, start + chunk - 1))
            connection.execute(insert(LearnerRow), rows)
        connection.execute(insert(LearnerRow), viewers(now))
    say(f"{n:,} learners")
    params = {"now_s": int(now.timestamp()), "today": today_of(now).isoformat()}
    with store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_numbers (n INTEGER PRIMARY KEY)"))
        connection.execute(
            text("INSERT INTO bench_numbers (n) VALUES (:n)"),
            [{"n": i} for i in range(MOST_STEPS)],
        )
    for what, sql in statements(Dialect(store.kind)):
        with store.engine.begin() as connection:
            connection.execute(text(sql), params)
        say(what)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_numbers"))
        rebuild(connection, INDIA, now)  # the rollups, as migration 0010 fills them
        counts = Counts.of(connection)
    say("rollups")
    if store.kind == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    say(f"activity: {counts}")
    return counts


def today_of(now: datetime) -> date:
    """Today in India (the deployment's time zone for due dates)."""
    return (now.astimezone(UTC) + timedelta(hours=5, minutes=30)).date()
