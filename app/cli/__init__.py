"""The ``casefile`` command: a thin shell over the service functions the API uses too.

Each module adds its commands to the one Typer app in ``common``.
"""

from __future__ import annotations

from . import (
    accounts,  # noqa: F401
    bundle,  # noqa: F401
    evidence,  # noqa: F401  (registers its commands)
    imap,  # noqa: F401
    search,  # noqa: F401
    timeline,  # noqa: F401
)
from .common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``casefile`` console script."""
    app()


if __name__ == "__main__":
    main()
