"""Roster files uploaded on the dashboard, kept until their preview is applied.

The Apply button must write exactly the file that was previewed, so the bytes stay on the
server and the form carries only a random token. A file is named by the digests of the session
id and of the token: another session holding the token finds nothing, and a copy of the
directory reveals neither. A session keeps one upload (a new one replaces it), each is removed
after `TTL`, and taking one to apply it is an atomic rename, so two clicks apply it once.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

#: How long an upload waits for its Apply button.
TTL = timedelta(minutes=30)
#: Largest roster file accepted (100,000 rows with every column are about 20 MB).
MAX_BYTES = 20 * 1024 * 1024
_TAKEN = ".taken"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Uploads:
    """Uploaded roster files in a private directory, by session and token.

    Args:
        directory: Where the files wait (created 0700 on first use); None: a private
            temporary directory of this process.
        ttl: How long a file waits.
        clock: Seconds since the epoch (file times are compared with it).
    """

    def __init__(
        self,
        directory: Path | None,
        ttl: timedelta = TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._directory = directory
        self._ttl = ttl.total_seconds()
        self._clock = clock

    @property
    def directory(self) -> Path:
        """Where the files wait (a temporary one is made on first use if none was given)."""
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="karmabot-roster-"))
        return self._directory

    def _path(self, session_id: str, token: str) -> Path:
        return self.directory / f"{_digest(session_id)[:32]}-{_digest(token)}.csv"

    def put(self, session_id: str, data: bytes) -> tuple[str, Path]:
        """Keep `data` for the session (replacing its earlier upload): (token, the file)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._clean(_digest(session_id)[:32])
        token = secrets.token_urlsafe(32)
        path = self._path(session_id, token)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return token, path

    @contextmanager
    def taken(self, session_id: str, token: str) -> Iterator[Path | None]:
        """The session's upload under `token`, claimed for applying and removed afterwards;
        None when there is none: a foreign or made-up token, expired, or already taken."""
        path = self._path(session_id, token)
        claimed = path.with_name(path.name + _TAKEN)
        try:
            os.rename(path, claimed)  # atomic: a second click finds nothing
        except OSError:
            yield None
            return
        try:
            yield None if self._expired(claimed) else claimed
        finally:
            claimed.unlink(missing_ok=True)

    def _expired(self, path: Path) -> bool:
        try:
            return path.stat().st_mtime < self._clock() - self._ttl
        except FileNotFoundError:
            return True

    def _clean(self, session_prefix: str) -> None:
        """Remove the session's earlier uploads (not one being applied) and expired ones."""
        for path in self.directory.iterdir():
            waiting = path.name.startswith(session_prefix) and not path.name.endswith(_TAKEN)
            if waiting or self._expired(path):
                with suppress(FileNotFoundError):
                    path.unlink()
