"""`GET /certificates/verify/{code}`: anyone can check that a certificate is genuine.

The QR code and link printed on every certificate lead here. The page shows who (the name on
the certificate), what (the course title) and when (the date), in the learner's language, and
nothing else: no phone number, no learner or course id, no organisation. An unknown code gets
a 404 page that says the certificate is not valid. Codes match in any case. Every value is
HTML-escaped; the page loads nothing (its Content-Security-Policy allows only its own style),
asks search engines not to index it, and is rate-limited per client like the API.
"""

from __future__ import annotations

import asyncio
import re
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from connectors.guard import ClientLimits
from learning.certificate_text import CertificateText, certificate_text, issue_date
from learning.records import Certificate, RecordStore
from learning.schedule import learner_zone

_CODE = re.compile(r"[A-Za-z0-9]{4,32}")
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_STYLE = """
body{margin:0;background:#f4f6fa;color:#141414;font:17px/1.5 "Noto Sans",system-ui,sans-serif}
main{max-width:36rem;margin:2.5rem auto;padding:2rem;background:#fff;border-radius:12px;
border-top:6px solid #10346e;box-shadow:0 1px 4px #0002}
main.invalid{border-top-color:#a11}
.status{font-weight:700;font-size:1.2rem;color:#10346e}.invalid .status{color:#a11}
h1{font-size:1.5rem;margin:.3rem 0 1.2rem}dt{color:#555;font-size:.9rem;margin-top:.8rem}
dd{margin:0;font-size:1.2rem;font-weight:600}footer{margin-top:1.5rem;color:#555;font-size:.9rem}
"""


def _page(words: CertificateText, title: str, body: str, css_class: str) -> str:
    return (
        f'<!doctype html>\n<html lang="{escape(words.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex,nofollow">'
        f"<title>{escape(title)} · Karmabot</title><style>{_STYLE}</style></head>"
        f'<body><main class="{css_class}">{body}</main></body></html>\n'
    )


def valid_page(certificate: Certificate) -> str:
    """The page for a genuine certificate: name, course and date only."""
    words = certificate_text(certificate.language, certificate.script)
    zone = learner_zone(certificate.timezone)
    rows = (
        (words.text("learner"), certificate.learner_name),
        (words.text("course"), certificate.course_title),
        (words.text("date"), issue_date(certificate.issued_at, words.language, zone)),
    )
    details = "".join(f"<dt>{escape(term)}</dt><dd>{escape(value)}</dd>" for term, value in rows)
    body = (
        f'<p class="status">✔ {escape(words.text("valid"))}</p>'
        f"<h1>{escape(words.text('title'))}</h1><dl>{details}</dl>"
        f"<footer>{escape(words.text('valid_detail'))} "
        f"{escape(words.text('code', code=certificate.code))}</footer>"
    )
    return _page(words, words.text("page_title"), body, "valid")


def invalid_page(code: str) -> str:
    """The page for a code no certificate has (in English: there is no learner to ask)."""
    words = certificate_text(None)
    body = (
        f'<p class="status">✘ {escape(words.text("invalid"))}</p>'
        f"<p>{escape(words.text('invalid_detail', code=code[:40]))}</p>"
    )
    return _page(words, words.text("invalid"), body, "invalid")


async def verify_certificate(request: Request) -> Response:
    """`GET /certificates/verify/{code}`: the certificate's public check (HTML)."""
    limits: ClientLimits = request.app.state.client_limits
    if not limits.allow(request):
        retry = str(limits.retry_after(request))
        return PlainTextResponse("Too many requests", 429, headers={"Retry-After": retry})
    code = str(request.path_params["code"]).strip()
    certificate = None
    if _CODE.fullmatch(code):
        records: RecordStore = request.app.state.records
        certificate = await asyncio.to_thread(records.certificate, code)
    if certificate is None:
        return HTMLResponse(invalid_page(code), 404, headers=_HEADERS)
    return HTMLResponse(valid_page(certificate), headers=_HEADERS)
