"""Extracting many members of one container in worker processes: in order, bounded.

Parsing is CPU-bound pure Python, so a large mailbox is parsed by worker processes while
the caller stores what they return. At most ``window`` members are in flight, so memory
stays flat however large the container is; results come back in input order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

__all__ = ["ordered_map", "worker_count"]

T = TypeVar("T")
R = TypeVar("R")


def worker_count(configured: int) -> int:
    """Workers to use: ``configured``, or one per core when it is 0."""
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int, window: int = 64) -> Iterator[R]:
    """``fn`` over ``items`` in worker processes, yielding results in input order.

    A worker that dies (a crash in a parser's C code, the OOM killer) does not lose the
    batch: the members that were in flight, and the rest, are done in this process.
    """
    # forkserver, not fork: the caller may have threads (a web server, OCR pools)
    context = multiprocessing.get_context("forkserver")
    pending: deque[tuple[T, Future[R]]] = deque()
    source = iter(items)
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    except (OSError, ValueError):
        yield from map(fn, source)
        return
    with pool:
        try:
            for item in source:
                pending.append((item, pool.submit(fn, item)))
                if len(pending) >= window:
                    item0, future = pending.popleft()
                    yield future.result()
            while pending:
                item0, future = pending.popleft()
                yield future.result()
            return
        except BrokenProcessPool:
            pass
    # the pool broke: finish in-process, starting with the member that was being waited on
    yield fn(item0)
    for item, _future in pending:
        yield fn(item)
    yield from map(fn, source)
