"""Run Rasa's own command line, with Karmabot's speed-ups to Rasa internals. Runs in `.venv-rasa`.

Usage: `.venv-rasa/bin/python -m bot.rasa_server [--stock] run --model … --endpoints …`

Every argument except `--stock` goes to Rasa's CLI unchanged. `--stock` (removed before Rasa
sees the arguments) starts stock Rasa with no patch at all. The patches replace Rasa internals,
so they are installed only on the Rasa version they were written for (`RASA_VERSION`); on any
other version the launcher logs a warning naming both versions and starts stock Rasa. None of
them changes what Rasa computes (docs/ARCHITECTURE.md, D10; tests/bot/test_rasa_server.py runs
the same conversations through patched and stock Rasa and compares predictions and events):

- `_cached_validate`: `jsonschema.validate` checks each distinct schema against the meta-schema
  once, not on every action-server and NLG reply; replies are still validated. An
  action-server reply's events are each checked against the one event type they name (Rasa's
  `oneOf` tried all 23): 611 → 54 µs per reply; anything not found valid that way is
  validated in full, so errors are Rasa's (tests/bot/test_rasa_validate.py). Only with
  jsonschema `JSONSCHEMA_VERSION`, whose `validate` it reproduces.
- `_tracker_store_sqlite_sync_normal`: the SQLite tracker store's engine, and no other, opens
  its connections with ``synchronous=NORMAL`` and keeps them in a pool (not one per call).
- `_reuse_http_sessions`: one long-lived aiohttp session per endpoint and event loop for calls
  to the action server and the NLG endpoint.
- `_close_http_sessions_at_shutdown`: the Rasa server closes those sessions when it stops.
- `_sequential_graph_runs`: the model graph is evaluated in order, without dask's scheduler.
- `_event_types_by_name`: event classes are found by name in a table.
- `_contiguous_intent_weights`: the intent classifier's weights are kept in the layout its
  prediction reads.
- `_sentence_features_only`: the intent classifier combines only the sentence features it
  reads, not the sequence features too.
- `_domain_emptiness_by_responses`: a domain with responses is not empty, without comparing
  it whole with an empty one on every parse.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from importlib import metadata

from bot.rasa_patches import RASA_PATCHES, _cached_validate

logger = logging.getLogger("bot.rasa_server")  # the same name when run with -m

#: The Rasa version the patches were written for, and read the internals of.
RASA_VERSION = "3.6.21"
#: The jsonschema version whose `validate` `_cached_validate` reproduces.
JSONSCHEMA_VERSION = "3.2.0"
#: The launcher's own flag: start stock Rasa, with no patch.
STOCK_FLAG = "--stock"

_installed: list[str] | None = None


def split_stock_flag(argv: Sequence[str]) -> tuple[bool, list[str]]:
    """Whether `--stock` is among the arguments, and the arguments without it (for Rasa)."""
    rest = [arg for arg in argv if arg != STOCK_FLAG]
    return len(rest) != len(argv), rest


def installed_versions() -> tuple[str, str | None]:
    """The installed Rasa version, as Rasa reports it, and jsonschema's (None if absent)."""
    from rasa.version import __version__ as rasa_version

    try:
        jsonschema_version: str | None = metadata.version("jsonschema")
    except metadata.PackageNotFoundError:
        jsonschema_version = None
    return rasa_version, jsonschema_version


def install_patches(rasa_version: str, jsonschema_version: str | None) -> list[str]:
    """Install the patches written for these versions; return the names of those installed.

    On a Rasa other than `RASA_VERSION` nothing is installed; on a jsonschema other than
    `JSONSCHEMA_VERSION` all but `_cached_validate` are. Each mismatch is logged as a warning
    naming both versions. A second call installs nothing more.
    """
    global _installed
    if _installed is not None:
        return list(_installed)
    if rasa_version != RASA_VERSION:
        logger.warning(
            "Rasa %s is installed, but bot/rasa_server.py's patches were written for Rasa %s: "
            "starting stock Rasa without them.",
            rasa_version,
            RASA_VERSION,
        )
        _installed = []
        return []
    patches = list(RASA_PATCHES)
    if jsonschema_version == JSONSCHEMA_VERSION:
        patches.insert(0, _cached_validate)
    else:
        logger.warning(
            "jsonschema %s is installed, but the cached jsonschema.validate was written for "
            "jsonschema %s: Rasa validates replies with the stock one.",
            jsonschema_version,
            JSONSCHEMA_VERSION,
        )
    for patch in patches:
        patch()
    _installed = [patch.__name__ for patch in patches]
    return list(_installed)


def _run_rasa(argv: list[str]) -> None:
    """Hand over to Rasa's own command line with these arguments."""
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()


def main(argv: Sequence[str] | None = None) -> None:
    """Install the patches (unless `--stock` or another Rasa version), then run Rasa's CLI."""
    if not logger.handlers:  # Rasa configures logging only later, in its CLI
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    stock, rasa_argv = split_stock_flag(sys.argv[1:] if argv is None else argv)
    if stock:
        logger.info("%s: starting stock Rasa, without patches.", STOCK_FLAG)
    else:
        installed = install_patches(*installed_versions())
        if installed:
            logger.info("Rasa patches installed: %s", ", ".join(installed))
    _run_rasa(rasa_argv)


if __name__ == "__main__":
    main()
