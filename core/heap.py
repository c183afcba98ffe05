"""Keep a long-lived process's start-up objects out of the garbage collector's way.

A server process builds most of its objects once (the course library, the catalog, the
embedding model, SQLAlchemy's mappers) and keeps them for its whole life. Each of Python's
full collections walks every one of them; `gc.freeze` moves the objects alive at that moment
into the permanent generation, which collections skip (docs/ARCHITECTURE.md, D35). Call it
from a process entry point once start-up is over, never from a library or a test.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_startup_heap(what: str) -> int:
    """Collect once, then freeze every object alive now; returns how many are frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("%s: %d start-up objects frozen out of garbage collection", what, frozen)
    return frozen
