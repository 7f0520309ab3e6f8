"""What every command shares: the Typer app, the --data option, output and error handling."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from ..archive import Archive, open_archive
from ..config import Settings
from ..errors import CasefileError

__all__ = ["JsonOpt", "app", "archive_for", "emit_json", "err", "out", "parse_day", "when"]

app = typer.Typer(
    name="casefile",
    help="Casefile: a timestamped, hash-verified evidence archive.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.callback()
def _root(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option("--data", envvar="CASEFILE_DATA", help="Data folder (default ./casefile-data)."),
    ] = None,
) -> None:
    overrides: dict[str, Any] = {"data": data} if data else {}
    try:
        ctx.obj = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"error: setting {'.'.join(map(str, first['loc']))}: {first['msg']}")
        raise typer.Exit(2) from None


@contextmanager
def archive_for(ctx: typer.Context) -> Iterator[Archive]:
    """Opens the archive and turns service errors into one-line messages and exit code 1."""
    try:
        archive = open_archive(ctx.obj)
    except OSError as exc:
        err.print(f"error: cannot open the data folder: {exc}")
        raise typer.Exit(1) from None
    try:
        yield archive
    except CasefileError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    except Exception as exc:
        # a bug, not bad input: still one line for the person, the trace for a developer
        if os.environ.get("CASEFILE_DEBUG"):
            raise
        err.print(f"error: internal error ({type(exc).__name__}: {exc}); set CASEFILE_DEBUG=1 for details",
                  markup=False)
        raise typer.Exit(70) from None
    finally:
        archive.close()


def emit_json(value: BaseModel | list[BaseModel] | dict[str, Any]) -> None:
    if isinstance(value, BaseModel):
        payload: Any = value.model_dump(mode="json")
    elif isinstance(value, list):
        payload = [v.model_dump(mode="json") for v in value]
    else:
        payload = value
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def when(value: Any) -> str:
    return value.isoformat(timespec="minutes") if value else "(undated)"


def parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"error: '{value}' is not a date (use YYYY-MM-DD)", markup=False)
        raise typer.Exit(2) from None
