"""The embedded full-text index: Whoosh, on disk in the data folder.

One Whoosh document per item, or per page for multi-page documents (so a hit can cite
its page); hits are collapsed to the best page of each item. Two body fields: stemmed
(``deliver`` finds "delivered") and exact (phrases and precise words), both accent-folded
so ``Zoe`` finds "Zoë".
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.highlight import ContextFragmenter, Formatter, get_text
from whoosh.index import LockError
from whoosh.qparser import OperatorsPlugin, QueryParser, syntax
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.support.charset import accent_map

from ..errors import ArchiveBusy, InvalidInput
from .backend import Hit, IndexDoc, SearchRequest, SearchResult

__all__ = ["WhooshIndex"]

log = logging.getLogger(__name__)


class _FoldingTokenizer(RegexTokenizer):
    """Tokens of the accent-folded text: ``Zoë`` is indexed and searched as ``zoe``.

    Folding the whole text once is one C-level ``translate``; a per-token filter costs a
    Python call per word. Every mapping in ``accent_map`` is one character to one, so
    offsets into the folded text are offsets into the original (snippets depend on it).
    """

    def __call__(self, value, **kwargs):  # type: ignore[no-untyped-def, override]
        return super().__call__(value.translate(accent_map), **kwargs)


_STEMMED = _FoldingTokenizer() | LowercaseFilter() | StopFilter() | StemFilter(cachesize=50000)
_EXACT = _FoldingTokenizer() | LowercaseFilter()
# addresses and file names split on any punctuation: from:greg finds greg.thornton@...
_PARTS = _FoldingTokenizer(r"[^\W_]+") | LowercaseFilter()

_DEFAULT_FIELD = "content"
_FIELD_ALIASES = {
    "from": "sender",
    "to": "recipient",
    "cc": "recipient",
    "date": "occurred",
    "tag": "tags",
    "label": "labels",
    "body": "content",
    "title": "content",
    "subject": "content",
}
# ``-word`` and ``+word``, as people type them into web search boxes: ``-`` excludes like
# NOT; ``+`` requires, which a bare word already does (words AND together), so it is
# accepted and changes nothing. Only at the start of a term (after a space, a parenthesis
# or the query's start): ``e-mail`` and ``2024-05-01`` stay words. Whoosh's
# PlusMinusPlugin is not used: it only reads the top level (``a (b -c)`` fails there)
# and makes unsigned words optional, which would change what ``a b`` means.
# Right-associative, so stacked prefixes (``NOT -late``) apply inside out instead of
# swallowing one another; that pass also handles NOT.
_SIGN_OPERATORS = [
    (
        OperatorsPlugin.OpTagger(
            r"(^|(?<=[\s(]))-(?=[^\s)])", syntax.NotGroup, syntax.PrefixOperator, leftassoc=False, memo="minus"
        ),
        0,
    ),
    (
        OperatorsPlugin.OpTagger(
            r"(^|(?<=[\s(]))\+(?=[^\s)])", syntax.AndGroup, syntax.PrefixOperator, leftassoc=False, memo="plus"
        ),
        0,
    ),
]
_MAX_PREFIX_TERMS = 16  # a prefix query ORs at most this many of its most frequent words
_PREFIX_SCAN = 256  # ... chosen among at most this many candidate words
_FACET_SIZE = 20
_CURRENT = "CURRENT"  # names the live generation folder (see WhooshIndex._open_or_create)
_GENERATION = re.compile(r"^gen-\d{6}$")
_TICK = timedelta(microseconds=1)


def _schema() -> Schema:
    return Schema(
        doc_id=ID(unique=True, stored=True),
        item_key=ID(),  # str(item_id): deletes every page of an item at once
        item_id=NUMERIC(stored=True, sortable=True),
        page=NUMERIC(stored=True),
        client=ID(stored=True),
        kind=ID(stored=True, sortable=True),
        # what a bare word searches: title, body, people and file name in one stemmed
        # field, so a word is one posting list rather than a union over six fields
        content=TEXT(analyzer=_STEMMED, phrase=False),
        exact=TEXT(analyzer=_EXACT, phrase=True),
        sender=TEXT(analyzer=_PARTS),
        recipient=TEXT(analyzer=_PARTS),
        correspondents=KEYWORD(commas=True, lowercase=True),
        people=ID(sortable=True),  # the same addresses as one column value: cheap facet counts
        filename=TEXT(analyzer=_PARTS),
        tags=KEYWORD(commas=True, lowercase=True),
        # source labels split into words like file names: label:northwind finds "Clients/Northwind"
        labels=TEXT(analyzer=_PARTS, phrase=True),
        occurred=DATETIME(stored=False),  # for date:[... to ...] in a query
        # the UTC day as a column: a date range is checked per match while counting
        day=NUMERIC(int, bits=32, signed=False, sortable=True),
        thread=ID(),
    )


def _shape(schema: Schema) -> list[tuple[str, str, bool]]:
    """What a schema must match to be queried as this version does: names, types, columns."""
    return sorted((name, type(field).__name__, field.column_type is not None) for name, field in schema.items())


def _fields(doc: IndexDoc) -> dict[str, object]:
    fields: dict[str, object] = {
        "doc_id": doc.doc_id,
        "item_key": str(doc.item_id),
        "item_id": doc.item_id,
        "client": doc.client,
        "kind": doc.kind,
        "content": f"{doc.title}\n{doc.body}\n{doc.senders}\n{doc.recipients}\n{doc.filename}",
        "exact": f"{doc.title}\n{doc.body}",
        "sender": doc.senders,
        "recipient": doc.recipients,
        "filename": doc.filename,
        "thread": doc.thread_id,
    }
    if doc.page is not None:
        fields["page"] = doc.page
    fields["people"] = ",".join(doc.correspondents)
    if doc.correspondents:
        fields["correspondents"] = ",".join(doc.correspondents)
    if doc.tags:
        fields["tags"] = ",".join(doc.tags)
    if doc.labels:
        fields["labels"] = "\n".join(doc.labels)
    if doc.occurred_at is not None:
        # Whoosh compares naive datetimes: index the UTC instant
        fields["occurred"] = doc.occurred_at.astimezone(UTC).replace(tzinfo=None)
        fields["day"] = doc.occurred_at.astimezone(UTC).date().toordinal()
    return fields


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` held for the block (released by the kernel if we die)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class WhooshIndex:
    """A Whoosh index in ``folder``: one writer at a time, searchers reused between queries."""

    def __init__(self, folder: Path, *, writer_timeout: float = 30.0, writer_memory_mb: int = 256) -> None:
        self.folder = folder
        self.writer_timeout = writer_timeout
        self.writer_memory_mb = writer_memory_mb
        # worker processes for a full rebuild (measured: 2 cores index twice as fast);
        # incremental syncs, which also run inside the threaded server, use one writer
        self.rebuild_processes = min(4, os.cpu_count() or 1)
        self._lock = threading.Lock()
        self.outdated = False
        self._ix = self._open_or_create()
        self._searcher = None

    def _open_or_create(self):  # type: ignore[no-untyped-def]
        """The live generation of the index (``CURRENT`` names it), created or rebuilt as needed.

        A rebuild writes a new generation beside the live one and then replaces ``CURRENT``
        in one rename, so a crash at any moment leaves the old index or the new one, never
        neither. An index that is missing or cannot be read is started empty and marked
        ``fresh``: the service then rebuilds it from the database (it is only a cache).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fresh = False
        # two processes opening an archive with no index yet must not both create one
        with _exclusive(self.folder / ".open.lock"):
            return self._open_or_create_locked()

    def _open_or_create_locked(self):  # type: ignore[no-untyped-def]
        live = self._live_folder()
        if live is not None:
            try:
                ix = whoosh_index.open_dir(str(live))
            except Exception:  # a damaged TOC or segment: rebuilt from the database, not an error
                log.warning("the search index in %s cannot be read; it will be rebuilt", live, exc_info=True)
            else:
                self.live = live
                # an index written by an older Casefile lacks fields this one queries
                self.outdated = _shape(ix.schema) != _shape(_schema())
                return ix
        self.live = self._new_generation()
        ix = whoosh_index.create_in(str(self.live), _schema())
        self._point_to(self.live)
        self.fresh = True
        return ix

    def _live_folder(self) -> Path | None:
        pointer = self.folder / _CURRENT
        if pointer.is_file():
            name = pointer.read_text().strip()
            if _GENERATION.match(name) and (self.folder / name).is_dir():
                return self.folder / name
            return None
        if whoosh_index.exists_in(str(self.folder)):  # the layout before generations
            return self.folder
        return None

    def _new_generation(self) -> Path:
        numbers = [int(p.name[4:]) for p in self.folder.glob("gen-*") if _GENERATION.match(p.name)]
        number = max(numbers, default=0) + 1
        while True:  # another process may take a number at the same moment: take the next one
            fresh = self.folder / f"gen-{number:06d}"
            try:
                fresh.mkdir()
            except FileExistsError:
                number += 1
                continue
            return fresh

    def _point_to(self, generation: Path) -> None:
        tmp = self.folder / f".{_CURRENT}.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(generation.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.folder / _CURRENT)

    def _drop_other_generations(self) -> None:
        """Removes generations other than the live one (rebuilds that died, the one replaced)."""
        for path in self.folder.iterdir():
            if path.is_dir() and _GENERATION.match(path.name) and path != self.live:
                shutil.rmtree(path, ignore_errors=True)
        if self.live != self.folder:  # the files of the layout before generations: only CURRENT stays
            for path in self.folder.iterdir():
                if path.is_file() and path.name not in (_CURRENT, ".open.lock") and not path.name.startswith(
                        f".{_CURRENT}."):
                    path.unlink(missing_ok=True)

    # --- writing -------------------------------------------------------------------
    def _writer(self, ix, procs: int = 1, wait: bool = True):  # type: ignore[no-untyped-def]
        timeout = self.writer_timeout if wait else 0.0
        try:
            if procs > 1:
                # a bulk rebuild: documents are analysed by worker processes, one segment
                # each, instead of one core doing all the tokenising and posting
                return ix.writer(
                    timeout=timeout,
                    delay=0.1,
                    procs=procs,
                    multisegment=True,
                    limitmb=max(64, self.writer_memory_mb // procs),
                )
            return ix.writer(timeout=timeout, delay=0.1, limitmb=self.writer_memory_mb)
        except LockError as exc:
            raise ArchiveBusy(
                "the search index is being written by another process; the evidence is stored "
                "and will be indexed by the next ingest, search or `casefile reindex`"
            ) from exc

    def index(self, docs: Iterable[IndexDoc], remove_items: Sequence[int] = (), *, wait: bool = True) -> int:
        """Adds docs (after dropping every doc of ``remove_items``) in one commit."""
        count = 0
        writer = self._writer(self._ix, wait=wait)
        try:
            for item_id in remove_items:
                writer.delete_by_term("item_key", str(item_id))
            for doc in docs:
                writer.add_document(**_fields(doc))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def rebuild(self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None) -> int:
        """Builds a new generation beside the live one and makes it live in one rename when complete."""
        fresh = self._new_generation()
        ix = whoosh_index.create_in(str(fresh), _schema())
        writer = self._writer(ix, procs=self.rebuild_processes)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**_fields(doc))
                count += 1
                if progress and count % 500 == 0:
                    progress(count)
        except BaseException:
            writer.cancel()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        writer.commit()
        ix.close()
        with self._lock:
            self.close()
            self._point_to(fresh)  # the one moment the index changes: old before, new after
            self.live = fresh
            self._ix = whoosh_index.open_dir(str(fresh))
            self.outdated = self.fresh = False
            self._drop_other_generations()
        if progress:
            progress(count)
        return count

    # --- reading -------------------------------------------------------------------
    def _current_searcher(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._searcher is not None and not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id and so
                # misses deletions made to an existing segment (a re-indexed item).
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                self._searcher = self._ix.searcher()
            return self._searcher

    def _cap_expansions(self, query: Q.Query, reader) -> Q.Query:  # type: ignore[no-untyped-def]
        """Prefix and wildcard terms become an OR of at most _MAX_PREFIX_TERMS real words."""
        if isinstance(query, (Q.Prefix, Q.Wildcard)):
            field = query.fieldname
            if isinstance(query, Q.Prefix):
                candidates = reader.expand_prefix(field, query.text)
            else:
                candidates = (t for t in query._btexts(reader))  # noqa: SLF001
            scanned: list[tuple[int, bytes | str]] = []
            for i, term in enumerate(candidates):
                if i >= _PREFIX_SCAN:
                    break
                scanned.append((reader.doc_frequency(field, term), term))
            scanned.sort(key=lambda pair: -pair[0])
            words = [t.decode("utf-8") if isinstance(t, bytes) else t for _, t in scanned[:_MAX_PREFIX_TERMS]]
            if not words:
                return Q.NullQuery
            return Q.Or([Q.Term(field, w) for w in words], boost=query.boost)
        if query.is_leaf():
            return query
        return query.apply(lambda child: self._cap_expansions(child, reader))

    def _parse(self, text: str, searcher) -> Q.Query:  # type: ignore[no-untyped-def]
        parser = QueryParser(_DEFAULT_FIELD, self._ix.schema)  # words AND together
        parser.add_plugin(DateParserPlugin(free=False))
        parser.replace_plugin(OperatorsPlugin(ops=_SIGN_OPERATORS))  # AND/OR/NOT stay, -/+ join them
        for alias, field in _FIELD_ALIASES.items():
            text = _rename_field(text, alias, field)
        text = _phrases_exact(_compact_range_dates(text))
        try:
            parsed = parser.parse(text)
        except Exception as exc:  # Whoosh raises assorted errors on odd syntax
            raise InvalidInput(f"could not understand the query: {exc}") from exc
        if parsed is Q.NullQuery:
            raise InvalidInput("the query has no searchable words")
        return self._cap_expansions(parsed, searcher.reader())

    def search(self, request: SearchRequest, texts_of: Callable[[list[Hit]], dict[str, str]]) -> SearchResult:
        """Ranked hits (best page per item), snippets and facet counts."""
        searcher = self._current_searcher()
        user_query = self._parse(request.query, searcher)
        scope: list[Q.Query] = [user_query]
        # Scoping lives inside the query itself: another client's documents never match,
        # whatever the query text says (``client:other`` is ANDed with the scope, so it
        # can only narrow it), and totals and facets are counted from the scoped query.
        if request.client:
            scope.append(Q.Term("client", request.client))
        if request.clients is not None:
            if not request.clients:
                return SearchResult(total=0, hits=[], facets={"kind": {}, "correspondent": {}})
            scope.append(Q.Or([Q.Term("client", c) for c in sorted(request.clients)]))
        if request.kind:
            scope.append(Q.Term("kind", request.kind))
        days = None
        if request.date_from or request.date_to:
            first = request.date_from.astimezone(UTC).date().toordinal() if request.date_from else 0
            last = (request.date_to.astimezone(UTC) - _TICK).date().toordinal() if request.date_to else 2**31
            days = (first, last)
        final = Q.And(scope) if len(scope) > 1 else user_query
        if searcher.doc_count_all() == 0:  # nothing indexed yet (an empty archive): nothing matches
            return SearchResult(total=0, hits=[], facets={"kind": {}, "correspondent": {}})
        total, facets, allowed = self._count(searcher, final, days)
        wanted = request.page * request.page_size
        ranked = self._ranked_items(searcher, final, allowed, wanted, total)
        page_hits = ranked[wanted - request.page_size : wanted]
        bases = [
            Hit(item_id=h["item_id"], page=h.get("page"), score=round(h.score, 4), snippet_source=h["doc_id"])
            for h in page_hits
        ]
        texts = texts_of(bases)
        words = _query_words(user_query)
        hits: list[Hit] = []
        for hit, base in zip(page_hits, bases, strict=True):
            text = _window(texts.get(base.snippet_source, ""), words)
            snippet = hit.highlights("content", text=text, top=2) or hit.highlights("exact", text=text, top=2)
            hits.append(Hit(base.item_id, base.page, base.score, base.snippet_source, snippet or text[:200]))
        return SearchResult(total=total, hits=hits, facets=facets)

    def _count(self, searcher, query: Q.Query, days: tuple[int, int] | None):  # type: ignore[no-untyped-def]
        """Distinct matching items, facet counts, and (with a date range) the documents in it.

        One unscored pass over the matches: scoring every match is what makes Whoosh slow
        on large result sets; counting from the column store is several times cheaper, and
        the ranked pass can then stop early (block-max). A date range is checked here too,
        per match, from the ``day`` column: cheaper than a range query's union of postings.
        """
        reader = searcher.reader()
        item_of = reader.column_reader("item_id")
        kind_of = reader.column_reader("kind")
        people_of = reader.column_reader("people")
        day_of = reader.column_reader("day") if days else None
        allowed: set[int] | None = set() if days else None
        items: set[int] = set()
        kinds: dict[str, int] = {}
        people: dict[str, int] = {}
        for docnum in searcher.docs_for_query(query):
            if day_of is not None and allowed is not None:
                if not days[0] <= day_of[docnum] <= days[1]:  # type: ignore[index]
                    continue
                allowed.add(docnum)
            item = item_of[docnum]
            if item in items:
                continue  # another page of an item already counted
            items.add(item)
            kind = kind_of[docnum]
            kinds[kind] = kinds.get(kind, 0) + 1
            for person in people_of[docnum].split(","):
                if person:
                    people[person] = people.get(person, 0) + 1
        top_people = sorted(people.items(), key=lambda kv: (-kv[1], kv[0]))[:_FACET_SIZE]
        return len(items), {"kind": dict(sorted(kinds.items())), "correspondent": dict(top_people)}, allowed

    def _ranked_items(self, searcher, query: Q.Query, allowed: set[int] | None, wanted: int, total: int) -> list:  # type: ignore[no-untyped-def]
        """The best ``wanted`` hits, one per item (its best page)."""
        limit = max(wanted * 2, 20)
        while True:
            # no terms=True: recording matched terms per hit triples the cost of ranking;
            # highlighting falls back to the query's own terms, which is what we want
            results = searcher.search(query, limit=limit, filter=allowed)
            results.fragmenter = ContextFragmenter(maxchars=200, surround=60)
            results.formatter = _MarkFormatter()
            best: dict[int, object] = {}
            for hit in results:
                best.setdefault(hit["item_id"], hit)
            if len(best) >= min(wanted, total) or results.scored_length() < limit:
                return list(best.values())
            limit *= 2

    def health(self) -> dict[str, object]:
        started = time.perf_counter()
        searcher = self._current_searcher()
        return {
            "engine": "whoosh",
            "documents": searcher.doc_count(),
            "check_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._ix.close()


_WINDOW = 4000


def _query_words(query: Q.Query) -> list[str]:
    words = []
    for term in query.all_terms():
        value = term[1]
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and len(value) > 1:
            words.append(value.lower())
    return words


def _window(text: str, words: list[str]) -> str:
    """The part of a long text around the first match: highlighting re-reads its text."""
    if len(text) <= _WINDOW:
        return text
    lowered = text.lower()
    found = [i for i in (lowered.find(w) for w in words) if i >= 0]
    start = max(0, min(found) - _WINDOW // 4) if found else 0
    return text[start : start + _WINDOW]


_BARE_PHRASE = re.compile(r'(^[-+]?|[\s(][-+]?)"')  # "a phrase", -"a phrase", +"a phrase"


def _phrases_exact(text: str) -> str:
    """A quoted phrase means these exact words: bare phrases search the unstemmed field."""
    return _BARE_PHRASE.sub(r'\1exact:"', text)


class _MarkFormatter(Formatter):
    """Matched words as **word**: readable in a terminal, in JSON and escaped in HTML."""

    between = " … "

    def format_token(self, text: str, token, replace: bool = False) -> str:  # type: ignore[no-untyped-def]
        return f"**{get_text(text, token, replace)}**"


_DATE_RANGE = re.compile(r"occurred:([\[{][^\]}]*[\]}])")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")


def _compact_range_dates(text: str) -> str:
    """``date:[2024-06-01 to 2024-06-30]`` → ``[20240601 to 20240630]``.

    Whoosh's range parser reads a dashed date as its year alone, so the range silently
    became all of 2024; a single ``date:2024-06-01`` is read correctly and left alone.
    """

    def compact(match: re.Match[str]) -> str:
        return "occurred:" + _ISO_DATE.sub(lambda d: "".join(part for part in d.groups() if part), match.group(1))

    return _DATE_RANGE.sub(compact, text)


def _rename_field(text: str, alias: str, field: str) -> str:
    """``from:greg`` → ``sender:greg`` (people type the header names they know)."""
    return re.sub(rf"(?<![\w\"]){alias}:", f"{field}:", text)
