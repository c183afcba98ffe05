"""Course completion and the certificates it issues, found again by their verification code.

The PDF of a certificate is drawn by learning/certificate.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.events import LearningEvent
from learning.models import CertificateRow, EnrollmentRow, aware
from learning.points import PointsLedger
from learning.store import OutboxWriter, insert_once, read_one

#: Characters of certificate codes: no 0/O or 1/I/L to misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Certificate:
    """An issued certificate."""

    code: str
    learner_id: str
    course_id: str
    learner_name: str
    course_title: str
    issued_at: datetime


def _certificate(row: CertificateRow) -> Certificate:
    return Certificate(
        row.code,
        row.learner_id,
        row.course_id,
        row.learner_name,
        row.course_title,
        aware(row.issued_at) or row.issued_at,
    )


@dataclass(frozen=True)
class Certificates:
    """Completed courses and their certificates.

    Attributes:
        sessions: The record database.
        outbox: Queues the course_completed event in the same transaction.
        points: Awards the course's points in the same transaction.
    """

    sessions: sessionmaker[Session]
    outbox: OutboxWriter
    points: PointsLedger

    def complete_course(
        self, event: LearningEvent, learner_name: str, course_title: str
    ) -> tuple[Certificate, int]:
        """Mark a course complete, issue its certificate (once) and award points (once)."""
        with self.sessions.begin() as session:
            session.execute(
                update(EnrollmentRow)
                .filter_by(
                    learner_id=event.learner_id, course_id=event.course_id, completed_at=None
                )
                .values(completed_at=event.timestamp)
            )
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
            if insert_once(
                session,
                CertificateRow,
                {
                    "code": code,
                    "learner_id": event.learner_id,
                    "course_id": event.course_id,
                    "learner_name": learner_name,
                    "course_title": course_title,
                    "issued_at": event.timestamp,
                },
            ):
                self.outbox.emit(session, event)
            points = self.points.award(
                session, event.learner_id, "course_completed", f"course:{event.course_id}"
            )
            row = session.scalars(
                select(CertificateRow).filter_by(
                    learner_id=event.learner_id, course_id=event.course_id
                )
            ).one()
            return _certificate(row), points

    def get(self, code: str) -> Certificate | None:
        """The certificate with that verification code (any case, spaces around), if any."""
        with self.sessions() as session:
            row = session.get(CertificateRow, code.strip().upper())
            return _certificate(row) if row else None

    def for_course(self, learner_id: str, course_id: str) -> Certificate | None:
        """The learner's certificate for a course, if issued."""
        statement = select(CertificateRow).filter_by(learner_id=learner_id, course_id=course_id)
        return read_one(self.sessions, statement, _certificate)
