"""Rasa's NLG-server protocol: turn Rasa's request into a rendered catalog response.

Rasa (with ``nlg: url:`` in endpoints.yml) POSTs, for every response it wants to send::

    {"response": "utter_greet", "arguments": {...}, "id": null,
     "tracker": {"sender_id": ..., "slots": {...}, "latest_message": {...}, ...},
     "channel": {"name": "rest"}}

and expects ``{"text": ..., "buttons": [{"title", "payload"}], "image": ..., "elements": [...],
"attachments": [...], "custom": {...}}`` back. The HTTP route lives in the action server; this
module is the pure function behind it and does no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from core.i18n import NATIVE_SCRIPT, Catalog

logger = logging.getLogger(__name__)

FALLBACK_RESPONSE = "utter_default"
#: Keys rasa-sdk's `utter_message` always sends along; they are message parts, not placeholders.
_MESSAGE_KEYS = frozenset(
    {"text", "image", "json_message", "buttons", "elements", "attachment", "custom",
     "response", "template", "id"}
)  # fmt: skip


def _placeholder_values(source: Any) -> dict[str, Any]:
    """The scalar entries of a slots or arguments mapping (None and message parts dropped)."""
    if not isinstance(source, dict):
        return {}
    return {
        str(key): value
        for key, value in source.items()
        if key not in _MESSAGE_KEYS and isinstance(value, str | int | float)
    }


def render_nlg_request(
    body: dict[str, Any],
    catalog: Catalog,
    buttons: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """Render the response Rasa asks for, in the conversation's language and script.

    The language (slot ``language``, default "en") and script (slot ``script``, "native" or
    "latin") come from the tracker, unless the action passed them as arguments: an action that
    has just changed the language does, because its `SlotSet` events are not yet applied when
    Rasa renders its messages. Every slot and argument is available as a placeholder
    (arguments win); ``name_suffix`` is ", <name>" when the ``name`` slot is set and
    ``language_name`` defaults to the conversation language's own name.

    Args:
        body: Rasa's request: ``response``, ``arguments``, ``tracker`` (with ``slots``).
        catalog: The catalog to render from.
        buttons: Extra buttons to show before the response's own (see `Catalog.render`).

    Returns:
        The response in the format Rasa's NLG endpoint expects. An unknown response name is
        logged and answered with `FALLBACK_RESPONSE`.
    """
    tracker = body.get("tracker")
    slots = _placeholder_values(tracker.get("slots") if isinstance(tracker, dict) else None)
    values = slots | _placeholder_values(body.get("arguments"))
    language = str(values.pop("language", "") or "") or None
    script = str(values.pop("script", "") or "") or NATIVE_SCRIPT
    name = str(values.get("name") or "").strip()
    values.setdefault("name_suffix", f", {name}" if name else "")
    values.setdefault("language_name", catalog.native_name(catalog.resolve(language)))
    response = str(body.get("response") or FALLBACK_RESPONSE)
    try:
        return catalog.render(response, language, script=script, buttons=buttons, **values)
    except KeyError:
        logger.warning(
            "no catalog entry for response %r; answering with %s", response, FALLBACK_RESPONSE
        )
        return catalog.render(FALLBACK_RESPONSE, language, script=script, **values)
