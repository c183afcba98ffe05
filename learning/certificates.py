"""Course completion and the certificates it issues, found again by their verification code.

A certificate carries the learner's confirmed name. Completing a course before the name is
confirmed records everything else (completion, points, the course_completed event) and holds
the certificate: `held` lists those courses and `issue` issues one once the name is known.
The PDF of a certificate is drawn by learning/certificate.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.activity import course_completed
from learning.events import LearningEvent
from learning.models import CertificateRow, EnrollmentRow, LearnerRow, aware
from learning.points import PointsLedger
from learning.store import OutboxWriter, insert_once

#: Characters of certificate codes: no 0/O or 1/I/L to misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: Characters per code: 10 of 31 is 49.5 bits, too many to guess a valid code.
CODE_LENGTH = 10


@dataclass(frozen=True)
class Certificate:
    """An issued certificate."""

    code: str
    learner_id: str
    course_id: str
    learner_name: str
    course_title: str
    issued_at: datetime
    #: The learner's language, script and time zone now (the PDF and verification page use
    #: them; None: the deployment's zone).
    language: str = "en"
    script: str = "native"
    timezone: str | None = None


@dataclass(frozen=True)
class HeldCertificate:
    """A completed course whose certificate waits for the learner's confirmed name."""

    course_id: str
    completed_at: datetime


def _certificate(
    row: CertificateRow, language: str | None, script: str | None, zone: str | None
) -> Certificate:
    return Certificate(
        row.code,
        row.learner_id,
        row.course_id,
        row.learner_name,
        row.course_title,
        aware(row.issued_at) or row.issued_at,
        language or "en",
        script or "native",
        zone,
    )


def _find(session: Session, *where: Any) -> Certificate | None:
    """The certificate matching `where`, with its learner's language, if any."""
    statement = (
        select(CertificateRow, LearnerRow.language, LearnerRow.script, LearnerRow.timezone)
        .outerjoin(LearnerRow, LearnerRow.id == CertificateRow.learner_id)
        .where(*where)
    )
    found = session.execute(statement).one_or_none()
    return _certificate(*found) if found is not None else None


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
        self, event: LearningEvent, learner_name: str | None, course_title: str
    ) -> tuple[Certificate | None, int]:
        """Mark a course complete, award its points (once) and issue its certificate (once).

        Args:
            event: The course_completed event; it is queued on every call, which the outbox
                ignores after the first (its id comes from the natural key).
            learner_name: The learner's confirmed name; None holds the certificate until the
                learner gives one (`held`, `issue`).
            course_title: The title the certificate carries.

        Returns:
            The certificate (None while held) and the points this call awarded.
        """
        with self.sessions.begin() as session:
            completed = session.execute(
                update(EnrollmentRow)
                .filter_by(
                    learner_id=event.learner_id, course_id=event.course_id, completed_at=None
                )
                .values(completed_at=event.timestamp)
            )
            if completed.rowcount:  # type: ignore[attr-defined]
                course_completed(session, event.learner_id, event.course_id)
            certificate = None
            if learner_name is not None:
                certificate = self._issue(
                    session, event.learner_id, event.course_id, learner_name, course_title,
                    event.timestamp,
                )  # fmt: skip
            self.outbox.emit(session, event)
            points = self.points.award(
                session, event.learner_id, "course_completed", f"course:{event.course_id}"
            )
            return certificate, points

    def held(self, learner_id: str) -> list[HeldCertificate]:
        """The learner's completed courses whose certificate waits for a name, oldest first."""
        issued = and_(
            CertificateRow.learner_id == EnrollmentRow.learner_id,
            CertificateRow.course_id == EnrollmentRow.course_id,
        )
        statement = (
            select(EnrollmentRow.course_id, EnrollmentRow.completed_at)
            .outerjoin(CertificateRow, issued)
            .where(EnrollmentRow.learner_id == learner_id)
            .where(EnrollmentRow.completed_at.is_not(None), CertificateRow.code.is_(None))
            .order_by(EnrollmentRow.completed_at, EnrollmentRow.course_id)
        )
        with self.sessions() as session:
            return [
                HeldCertificate(course_id, aware(completed_at) or completed_at)
                for course_id, completed_at in session.execute(statement)
                if completed_at is not None
            ]

    def issue(
        self,
        learner_id: str,
        course_id: str,
        learner_name: str,
        course_title: str,
        completed_at: datetime,
    ) -> Certificate | None:
        """Issue a held certificate, dated when the course was completed.

        Returns:
            The certificate; None when it was already issued (a double tap, a second worker).
        """
        with self.sessions.begin() as session:
            return self._issue(
                session, learner_id, course_id, learner_name, course_title, completed_at,
                fresh_only=True,
            )  # fmt: skip

    @staticmethod
    def _issue(
        session: Session,
        learner_id: str,
        course_id: str,
        learner_name: str,
        course_title: str,
        issued_at: datetime,
        *,
        fresh_only: bool = False,
    ) -> Certificate | None:
        """Insert the certificate unless the learner has one for the course already.

        Returns:
            The stored certificate; None when it existed already and `fresh_only` is set.
        """
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        values = {
            "code": code,
            "learner_id": learner_id,
            "course_id": course_id,
            "learner_name": learner_name,
            "course_title": course_title,
            "issued_at": issued_at,
        }
        if not insert_once(session, CertificateRow, values) and fresh_only:
            return None
        mine = (CertificateRow.learner_id == learner_id, CertificateRow.course_id == course_id)
        return _find(session, *mine)

    def get(self, code: str) -> Certificate | None:
        """The certificate with that verification code (any case, spaces around), if any."""
        with self.sessions() as session:
            return _find(session, CertificateRow.code == code.strip().upper())

    def for_course(self, learner_id: str, course_id: str) -> Certificate | None:
        """The learner's certificate for a course, if issued."""
        mine = (CertificateRow.learner_id == learner_id, CertificateRow.course_id == course_id)
        with self.sessions() as session:
            return _find(session, *mine)
