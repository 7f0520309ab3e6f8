"""Extracting many members of one container in worker processes: in order, bounded.

Parsing is CPU-bound pure Python, so a large mailbox is parsed by worker processes while
the caller stores what they return. At most ``window`` members are in flight, so memory
stays flat however large the container is; results come back in input order.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

__all__ = ["ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def _apply(fn: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [fn(item) for item in chunk]


def _chunks(items: Iterator[T], size: int, max_bytes: int, weight: Callable[[T], int] | None) -> Iterator[list[T]]:
    if weight is None:
        while chunk := list(itertools.islice(items, size)):
            yield chunk
        return
    chunk, total = [], 0
    for item in items:
        chunk.append(item)
        total += weight(item)
        if len(chunk) >= size or total >= max_bytes:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    window: int = 8,
    chunk: int = 16,
    chunk_bytes: int = 1024 * 1024,
    weight: Callable[[T], int] | None = None,
    inflight_bytes: int = 4 * 1024 * 1024,
) -> Iterator[R]:
    """``fn`` over ``items`` in worker processes, yielding results in input order.

    Items travel in chunks (a task per item costs more in IPC than parsing a small
    message) of at most ``chunk`` items or, with a ``weight``, about ``chunk_bytes``; at
    most ``window`` chunks, and about ``inflight_bytes`` of them, are in flight, which
    bounds memory whatever the size of the items. A worker that dies (a crash in a
    parser's C code, the OOM killer) does not lose the batch: the chunks that were in
    flight, and the rest, are done in this process.
    """
    # forkserver, not fork: the caller may have threads (a web server, OCR pools)
    context = multiprocessing.get_context("forkserver")
    pending: deque[tuple[list[T], Future[list[R]]]] = deque()
    size = (lambda part: sum(map(weight, part))) if weight else len
    inflight = 0
    source = _chunks(iter(items), chunk, chunk_bytes, weight)
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    except (OSError, ValueError):
        for part in source:
            yield from _apply(fn, part)
        return
    waiting: list[T] = []
    with pool:
        try:
            for part in source:
                pending.append((part, pool.submit(_apply, fn, part)))
                inflight += size(part)
                while pending and (len(pending) >= window or (weight and inflight >= inflight_bytes)):
                    waiting, future = pending.popleft()
                    inflight -= size(waiting)
                    yield from future.result()
            while pending:
                waiting, future = pending.popleft()
                yield from future.result()
            return
        except BrokenProcessPool:
            pass
    # the pool broke: finish in-process, starting with the chunk that was being waited on
    yield from _apply(fn, waiting)
    for part, _future in pending:
        yield from _apply(fn, part)
    for part in source:
        yield from _apply(fn, part)
