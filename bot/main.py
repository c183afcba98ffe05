"""Entry point of the `karmabot` command: explains a broken install in one line."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the CLI; a missing dependency gets a one-line hint instead of a traceback."""
    try:
        from bot.cli import app
    except ModuleNotFoundError as exc:
        print(
            f"karmabot: the Python package '{exc.name}' is not installed; run `make setup` "
            "(or `.venv/bin/pip install -e .`).",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    app()


if __name__ == "__main__":
    main()
