"""Picks the extractor for a file by its sniffed content type, and never lets one crash us.

Each extractor declares the content types it reads and the extensions it prefers; the
highest score wins (content beats name). An extractor that says ``Unsupported`` passes
the file to the next candidate; any other failure becomes a ``failed`` record carrying
a one-line reason, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from .errors import Corrupt, IngestError, LimitReached, Unsupported
from .records import Kind, Record, Status
from .sniff import sniff
from .source import Context, Source

__all__ = ["Extractor", "extract", "extract_as", "failed_record", "register", "registered"]

log = logging.getLogger(__name__)

# Formats we keep as evidence but cannot read (yet): stored as `partial`, not `failed`.
_KEPT_UNREAD_PREFIXES = ("image/", "application/pdf", "application/vnd.", "application/msword", "application/epub")


class Extractor(Protocol):
    """Reads one format family; ``extract`` returns the record for the whole file."""

    name: str
    content_types: frozenset[str]
    extensions: frozenset[str]

    def extract(self, source: Source, ctx: Context) -> Record: ...


@dataclass(frozen=True)
class _Entry:
    extractor: Extractor
    priority: int


_REGISTRY: list[_Entry] = []


def register(extractor: Extractor, priority: int = 0) -> Extractor:
    """Adds an extractor; ``priority`` breaks ties between extractors of equal score."""
    _REGISTRY.append(_Entry(extractor, priority))
    return extractor


def registered() -> list[Extractor]:
    _load_builtin()
    return [entry.extractor for entry in _REGISTRY]


def _score(entry: _Entry, content_type: str, extension: str) -> int:
    ex = entry.extractor
    score = 0
    if content_type in ex.content_types:
        score += 100
    elif "text/plain" == content_type and extension in ex.extensions:
        # plain text is the weakest verdict a sniffer gives; let the name decide
        score += 50
    if score and extension in ex.extensions:
        score += 10
    return score + entry.priority if score else 0


def _candidates(content_type: str, extension: str) -> Iterator[Extractor]:
    scored = [(_score(e, content_type, extension), e) for e in _REGISTRY]
    for score, entry in sorted(scored, key=lambda pair: -pair[0]):
        if score > 0:
            yield entry.extractor


def failed_record(source: Source, content_type: str, error: IngestError, kind: Kind) -> Record:
    """The record of a file we kept but could not read."""
    return _unread_record(source, content_type, kind, Status.FAILED, str(error))


def _unread_record(source: Source, content_type: str, kind: Kind, status: Status, error: str) -> Record:
    return Record(
        kind=kind,
        title=source.filename.rsplit("/", 1)[-1] or "(unnamed)",
        content_type=content_type,
        filename=source.filename,
        status=status,
        error=error,
    )


def _guard(call: Callable[[], Record]) -> Record:
    """Runs one extractor, turning library crashes and runaway recursion into IngestErrors."""
    try:
        return call()
    except IngestError:
        raise
    except RecursionError as exc:
        raise LimitReached("structure nested too deeply to read") from exc
    except MemoryError as exc:
        raise LimitReached("ran out of memory reading it") from exc
    except Exception as exc:  # a third-party parser failing on hostile bytes
        log.debug("extractor crashed", exc_info=True)
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise Corrupt(f"could not be parsed ({detail})") from exc


def extract_as(
    read: Callable[[Source, Context], Record], source: Source, ctx: Context, content_type: str, kind: Kind
) -> Record:
    """``read(source, ctx)`` when the format is already known (a mailbox's messages): no
    sniffing, the same protection: never raises, unreadable content is a failed record."""
    _load_builtin()  # its members' attachments may be of any format
    try:
        return _guard(lambda: read(source, ctx))
    except IngestError as exc:
        return failed_record(source, content_type, exc, kind)


def extract(source: Source, ctx: Context | None = None, kind: Kind | None = None) -> Record:
    """The record for ``source``; always returns, with ``status`` failed when unreadable.

    ``kind`` overrides the kind the extractor chose (an email's attachment is an
    ``attachment`` whatever it contains).
    """
    _load_builtin()
    ctx = ctx or Context()
    content_type = sniff(source.head(), source.filename)
    fallback_kind = kind or Kind.DOCUMENT
    if source.size == 0:
        return failed_record(source, content_type, Corrupt("empty file (0 bytes)"), fallback_kind)
    # No size check here: an extractor that reads a whole file asks ``source.read(limit)``
    # (a clear "limit" failure), while a mailbox streams and is bounded per message.
    unsupported: Unsupported | None = None
    for extractor in _candidates(content_type, source.extension):
        try:
            record = _guard(lambda ex=extractor: ex.extract(source, ctx))
        except Unsupported as exc:
            unsupported = exc
            continue
        except IngestError as exc:
            return failed_record(source, content_type, exc, fallback_kind)
        return replace(record, kind=kind) if kind else record
    if content_type.startswith(_KEPT_UNREAD_PREFIXES):
        return _unread_record(
            source, content_type, fallback_kind, Status.PARTIAL, f"stored; reading {content_type} is not supported"
        )
    error = unsupported or Unsupported(f"no reader for {content_type} content")
    return failed_record(source, content_type, error, fallback_kind)


_loaded = False


def _load_builtin() -> None:
    """Imports the format modules once; each registers itself on import."""
    global _loaded
    if _loaded:
        return
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    _loaded = True  # only once every module imported: a broken one keeps failing loudly


# Format families, each a module that registers its extractors when imported.
_BUILTIN_MODULES = ("mail", "mbox", "emlx", "outlook", "pst", "notes", "calls", "pdf", "images", "archives", "office")
