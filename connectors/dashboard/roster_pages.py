"""The dashboard's roster page: upload a roster, check it, apply it; download progress.

Routes (all under /dashboard, signed in):
- `GET /roster`: the upload form and the progress download.
- `POST /roster`: a multipart upload (CSRF checked, at most `MAX_BYTES`). The file is read and
  checked as `karmabot learners import` does and the report shown; nothing is written. The
  bytes stay on the server (`learning.dashboard_uploads`), the page carries only a token.
- `POST /roster/apply`: applies the upload the token names, for this session only, once. It
  is checked again first; if the report differs from the one shown (the store changed), or the
  file has problems and the button did not say so, it is shown again instead.
- `GET /roster/progress.csv`: the progress report of the learners the person may see, with the
  overview's filters.

Scope: a supervisor's rows outside their subtree are problems, left out
(`learning.dashboard_roster_scope`); the CSV is counted under `visible`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from connectors.dashboard.auth import FormTooLarge, read_form
from connectors.dashboard.pages import BadFilter, parse_filters
from connectors.dashboard.render import HEADERS, message, page
from connectors.dashboard.services import DashboardServices, signed_in_or_redirect
from connectors.dashboard.text import chosen_language
from core.i18n import get_catalog
from learning.campaigns import Actor
from learning.content import pick
from learning.dashboard_export import progress_export
from learning.dashboard_queries import OutOfScope, choices, viewer_name
from learning.dashboard_roster import Preview, apply, preview
from learning.dashboard_uploads import MAX_BYTES, Uploads

#: Room for the multipart framing and the CSRF field around the file.
FRAMING = 64 * 1024
#: Problems listed on the page at most (the summary counts them all).
SHOWN_PROBLEMS = 500


class UploadTooLarge(Exception):
    """The upload is over `MAX_BYTES`."""


async def read_upload(request: Request) -> FormData:
    """A multipart form of one file and a few short fields, refused once over the cap.

    Raises:
        UploadTooLarge: over `MAX_BYTES` (declared or read).
        MultiPartException: not a multipart form, or a malformed one.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES + FRAMING:
        raise UploadTooLarge
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise MultiPartException("not multipart/form-data")

    async def capped() -> AsyncGenerator[bytes, None]:
        read = 0
        async for chunk in request.stream():
            read += len(chunk)
            if read > MAX_BYTES + FRAMING:
                raise UploadTooLarge
            yield chunk

    parser = MultiPartParser(
        request.headers, capped(), max_files=1, max_fields=4, max_part_size=4096
    )
    return await parser.parse()


class RosterPages:
    """The roster page and its upload, apply and download endpoints.

    Args:
        services: What the dashboard is handed (`uploads`: where uploads wait).
    """

    def __init__(self, services: DashboardServices) -> None:
        self._services = services
        self._keys = services.keys()
        self._uploads = Uploads(services.uploads)

    def _common(self, actor: Actor, session_id: str) -> dict[str, Any]:
        with self._services.sessions() as session:
            name = viewer_name(session, actor.learner_id or "")
        return {"name": name, "csrf": self._keys.csrf("session", session_id), "actor": actor,
                "section": "roster", "megabytes": MAX_BYTES // (1024 * 1024)}  # fmt: skip

    def _form(self, actor: Actor, session_id: str, language: str) -> dict[str, Any]:
        with self._services.sessions() as session:
            offered = choices(session, actor)
        library = self._services.library
        courses = [
            (c, pick(course.title, language, course.source_language) if course else c)
            for c in offered.courses
            for course in [library.get(c)]
        ]
        return self._common(actor, session_id) | {"choices": offered, "courses": courses}

    async def show(self, request: Request, note: str | None = None, status: int = 200) -> Response:
        """`GET /dashboard/roster`: the upload form and the progress download."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        language, _ = chosen_language(request)
        context = await run_in_threadpool(self._form, *current, language)
        return page(request, "roster.html", status, note=note, **context)

    def _preview(self, actor: Actor, path: Path) -> Preview:
        languages = get_catalog().languages()
        return preview(self._services.sessions, actor.reach, path, languages)

    def _report(
        self, request: Request, context: dict[str, Any], checked: Preview, **more: Any
    ) -> Response:
        status = more.pop("status", 200)
        shown = {"done": None, "note": None} | context | more
        return page(request, "roster_report.html", status, preview=checked,
                    problems=checked.problems[:SHOWN_PROBLEMS],
                    hidden=max(0, len(checked.problems) - SHOWN_PROBLEMS),
                    fingerprint=checked.fingerprint(), **shown)  # fmt: skip

    async def upload(self, request: Request) -> Response:
        """`POST /dashboard/roster`: check an uploaded roster and show what it would change."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        try:
            form = await read_upload(request)
        except UploadTooLarge:
            return await self.show(request, "roster_too_large", 413)
        except MultiPartException:
            return await self.show(request, "roster_bad_upload", 400)
        try:
            if not self._keys.csrf_ok("session", session_id, _text(form.get("csrf"))):
                return message(request, "forbidden", 403, back=True)
            upload = form.get("roster")
            data = await upload.read() if isinstance(upload, UploadFile) else b""
            filename = upload.filename if isinstance(upload, UploadFile) else None
        finally:
            await form.close()
        if not data:
            return await self.show(request, "roster_no_file", 400)
        token, path = await run_in_threadpool(self._uploads.put, session_id, data)
        checked = await run_in_threadpool(self._preview, actor, path)
        if not checked.writable:
            with self._uploads.taken(session_id, token):
                pass  # nothing to apply: do not keep it
        context = await run_in_threadpool(self._common, actor, session_id)
        return self._report(request, context, checked, token=token, filename=filename or "")

    async def apply(self, request: Request) -> Response:
        """`POST /dashboard/roster/apply`: write the upload the token names, as previewed."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, session_id = current
        try:
            form = await read_form(request)
        except FormTooLarge:
            return message(request, "forbidden", 413, back=True)
        if not self._keys.csrf_ok("session", session_id, form.get("csrf")):
            return message(request, "forbidden", 403, back=True)
        with self._uploads.taken(session_id, form.get("token", "")) as path:
            if path is None:
                return await self.show(request, "roster_gone", 410)
            checked = await run_in_threadpool(self._preview, actor, path)
            agreed = form.get("fingerprint") == checked.fingerprint()
            partial = form.get("partial") == "1" or not checked.problems
            context = await run_in_threadpool(self._common, actor, session_id)
            filename = form.get("filename", "")[:200]
            if not (agreed and partial and checked.writable):
                token = await self._keep(session_id, path) if checked.writable else ""
                return self._report(request, context, checked, token=token, filename=filename,
                                    note="roster_changed", status=409)  # fmt: skip
            done = await run_in_threadpool(apply, self._services.sessions, checked)
        return self._report(request, context, checked, token="", filename=filename, done=done)

    async def _keep(self, session_id: str, path: Path) -> str:
        """Keep a taken upload again, under a new token, for the report's Apply button."""
        data = await run_in_threadpool(path.read_bytes)
        token, _ = await run_in_threadpool(self._uploads.put, session_id, data)
        return token

    async def progress(self, request: Request) -> Response:
        """`GET /dashboard/roster/progress.csv`: progress of the visible learners, filtered."""
        current = await signed_in_or_redirect(self._services, self._keys, request)
        if isinstance(current, Response):
            return current
        actor, _ = current
        services = self._services
        try:
            filters = parse_filters(request)
            now = services.clock()
            export = await run_in_threadpool(
                progress_export, services.sessions, services.library, actor, filters, now
            )
        except BadFilter:
            return message(request, "bad_request", 400, back=True)
        except OutOfScope:
            return message(request, "not_found", 404, back=True)
        day = now.astimezone(services.zone).date().isoformat()
        disposition = f'attachment; filename="karmabot-progress-{day}.csv"'
        headers = HEADERS | {"Content-Disposition": disposition}
        return StreamingResponse(export.chunks(), media_type="text/csv; charset=utf-8",
                                 headers=headers)  # fmt: skip


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def roster_routes(services: DashboardServices) -> list[Route]:
    """The roster page's routes (relative to /dashboard)."""
    pages = RosterPages(services)
    return [
        Route("/roster", pages.show, methods=["GET"]),
        Route("/roster", pages.upload, methods=["POST"]),
        Route("/roster/apply", pages.apply, methods=["POST"]),
        Route("/roster/progress.csv", pages.progress, methods=["GET"]),
    ]
