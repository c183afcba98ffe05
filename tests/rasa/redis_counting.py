"""Count what a Redis-backed store sends: every command (a script call is one) and pipeline."""

from __future__ import annotations

from typing import Any


def commands(store: Any) -> list[str]:
    """Record, from now on, the name of every command `store.red` sends ("PIPELINE" for
    each pipeline, whose commands go in one round trip)."""
    sent: list[str] = []
    execute_command, pipeline = store.red.execute_command, store.red.pipeline

    def counted_command(*args: Any, **kwargs: Any) -> Any:
        sent.append(str(args[0]))
        return execute_command(*args, **kwargs)

    def counted_pipeline(*args: Any, **kwargs: Any) -> Any:
        sent.append("PIPELINE")
        return pipeline(*args, **kwargs)

    store.red.execute_command = counted_command
    store.red.pipeline = counted_pipeline
    return sent
