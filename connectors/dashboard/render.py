"""Pages of the dashboard: Jinja2 templates, the reader's language, and strict headers.

Templates autoescape every value. Pages load nothing from anywhere (styles are inline, charts
are inline SVG), are never cached or indexed, send no Referer (a sign-in link must not leak
to another site), and may not be framed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from connectors.dashboard.text import chosen_language, languages, url_language, words
from core.i18n import get_catalog

TEMPLATES = Path(__file__).with_name("templates")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def with_language(path: str, lang: str | None, /, **params: str) -> str:
    """A dashboard URL keeping the reader's chosen language (and other query parameters)."""
    query = {k: v for k, v in params.items() if v} | ({"lang": lang} if lang else {})
    return f"{path}?{urlencode(query)}" if query else path


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the reader's language with the dashboard's headers."""
    language, _ = chosen_language(request)
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    switch = [
        (code, get_catalog().native_name(code), with_language(request.url.path, code, **params))
        for code in languages()
    ]
    html = _environment.get_template(template).render(
        t=words(language), lang=language, lang_links=switch,
        keep=url_language(request), link=with_language, path=request.url.path,
        language_name=get_catalog().native_name, **context,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def message(request: Request, key: str, status: int, back: bool = False) -> HTMLResponse:
    """A page that says one thing (a refusal, a used link, signed out)."""
    return page(request, "message.html", status, key=key, back=back)
