"""Crash drills: this process kills itself at a named point when ``CASEFILE_DRILL`` asks.

For the tests and bench/drills.py, which must kill a real ingest exactly where a crash
hurts most and then check that running it again leaves a whole archive. Unset (always,
outside those), ``drill()`` is one dictionary lookup.

    CASEFILE_DRILL=after-blob        the first file's bytes are stored, nothing recorded yet
    CASEFILE_DRILL=after-commit      the first file is recorded, the rest not begun
    CASEFILE_DRILL=mid-container@2   after the 2nd batch of a mailbox's members is committed
    CASEFILE_DRILL=before-index      everything recorded, the search index not yet told
    CASEFILE_DRILL=export-recorded   a bundle is complete and on record, not yet at --out
"""

from __future__ import annotations

import os
import signal

__all__ = ["POINTS", "drill"]

POINTS = ("after-blob", "after-commit", "mid-container", "before-index", "export-recorded")
_passed: dict[str, int] = {}


def drill(point: str) -> None:
    """Kills this process (SIGKILL: no cleanup at all) if ``CASEFILE_DRILL`` names ``point`` and its count."""
    wanted = os.environ.get("CASEFILE_DRILL")
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
