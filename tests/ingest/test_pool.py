from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ingest import Context, Limits, Source, extract
from ingest.pool import ordered_map
from tests.conftest import SAMPLES

PARENT = os.getpid()


def _square_or_die(n: int) -> int:
    if n == 3 and os.getpid() != PARENT:
        os._exit(1)  # a worker crashing hard, as a parser's C code might
    return n * n


def _square(n: int) -> int:
    return n * n


def test_results_come_back_in_order_with_a_bounded_window() -> None:
    assert list(ordered_map(_square, range(50), workers=2, window=4)) == [n * n for n in range(50)]


def test_a_crashed_worker_does_not_lose_members() -> None:
    assert list(ordered_map(_square_or_die, range(10), workers=2, window=3)) == [n * n for n in range(10)]


def test_parallel_mailbox_parse_equals_in_process(tmp_path: Path) -> None:
    path = SAMPLES / "northwind" / "mail" / "northwind-2024.mbox"
    serial_ctx = Context(limits=Limits(ingest_workers=0))
    parallel_ctx = Context(limits=replace(Limits(), ingest_workers=1, parallel_from_bytes=1))

    def flatten(ctx: Context) -> list[tuple[object, ...]]:
        record = extract(Source(filename=path.name, path=path), ctx)
        return [
            (m.title, m.occurred, m.participants, m.text, m.data, [(c.filename, c.data, c.status) for c in m.children])
            for m in record.children
        ]

    serial = flatten(serial_ctx)
    assert len(serial) >= 25
    assert flatten(parallel_ctx) == serial
