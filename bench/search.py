"""Search benchmark: Casefile's Whoosh index against SQLite FTS5 over the same texts.

Builds an archive-scale synthetic corpus (email-like items, deterministic seed) straight
into a fresh archive's database, then measures, in one run and on one machine:
  - indexing: a full `reindex` (items/s, index size, peak RSS of that process)
  - queries: p50/p95 latency per class over a fixed mix of 200 queries through the
    service's `search()` (scoped, ranked, with snippets and facets)
and the same for an FTS5 table (bm25 ranking + snippet) as the baseline.

    .venv/bin/python bench/search.py [--items 100000]

Targets at 100k items: p95 < 100 ms for every query class; indexing >= 400 items/s;
peak RSS of a full reindex < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rss import TreeRss  # noqa: E402

WORDS = (
    "invoice delivery deadline loyalty module scope change payment overdue contract meeting release "
    "acceptance milestone review budget schedule reminder update support staging points tiers voucher "
    "referral bonus checkout customer order refund dispute agreement clause termination notice warranty "
    "defect estimate proposal quote approval signature sprint backlog feature testing deployment server "
    "database migration outage incident response escalation priority ticket handover training workshop"
).split()
PEOPLE = ["greg", "zoe", "tom", "maria", "ahmed", "li", "sofia", "jonas", "amara", "kenji"]
CLIENTS = ["northwind", "bluebird", "contoso", "fabrikam"]
CLASSES = ["term", "and", "phrase", "field", "date_range", "prefix"]


def _vocabulary(seed: int = 3) -> tuple[list[str], list[float]]:
    """Words with Zipf-like frequencies, as real mail has them.

    A few thousand made-up words carry the long tail; the business words that queries
    use sit at mid-frequency ranks (in a few percent of messages, like "invoice" in a
    real mailbox), not in every message.
    """
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ren", "to", "sa", "vu", "ne", "ri", "dol", "pe", "quin", "ga", "zor", "bel"]
    filler: list[str] = []
    seen = set(WORDS)
    while len(filler) < 6000:
        word = "".join(rng.choices(syllables, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            filler.append(word)
    common = ["the", "and", "to", "of", "a", "in", "for", "is", "on", "that", "we", "you", "it", "with", "this"]
    ranked = common + filler[:150] + WORDS + filler[150:]
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(ranked))]
    return ranked, weights


VOCABULARY, WEIGHTS = _vocabulary()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, weights=WEIGHTS, k=n))


def build_corpus(data: Path, count: int, seed: int = 42) -> None:
    """Writes ``count`` email-like items with participants and ledger entries, fast."""
    from sqlalchemy import insert

    from app.archive import open_archive
    from app.config import Settings
    from app.ledger import Ledger
    from app.models import Client, Item, ParticipantRow

    rng = random.Random(seed)
    archive = open_archive(Settings(data=data, actor="bench"))
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with archive.write() as uow:
        client_ids = {}
        for slug in CLIENTS:
            client = Client(slug=slug, name=slug.title())
            uow.session.add(client)
            uow.session.flush()
            client_ids[slug] = client.id
    batch = 5000
    for first in range(0, count, batch):
        items, people = [], []
        for i in range(first, min(first + batch, count)):
            person = rng.choice(PEOPLE)
            slug = CLIENTS[i % len(CLIENTS)]
            items.append(
                {
                    "id": i + 1,
                    "client_id": client_ids[slug],
                    "kind": "email" if i % 10 else "note",
                    "title": f"Re: {_text(rng, 5)}",
                    "text": _text(rng, rng.randint(60, 220)),
                    "occurred_at_utc": start + timedelta(minutes=7 * i),
                    "occurred_offset_min": 60,
                    "date_source": "email_header",
                    "ingested_at_utc": datetime.now(UTC),
                    "content_type": "message/rfc822",
                    "status": "ok",
                    "email_references": "",
                    "facts_json": "{}",
                    "other_dates_json": "[]",
                    "original_filename": f"mail-{i}.eml",
                }
            )
            people.append(
                {"item_id": i + 1, "role": "from", "address": f"{person}@{slug}.example", "name": person.title()}
            )
            people.append({"item_id": i + 1, "role": "to", "address": "dana@whitfield.example", "name": "Dana"})
        with archive.write() as uow:
            uow.session.connection().execute(insert(Item.__table__), items)
            uow.session.connection().execute(insert(ParticipantRow.__table__), people)
            ledger: Ledger = uow.ledger
            for row in items:
                ledger.append(actor="bench", action="ingest", item_id=row["id"], details={"bench": True})
    archive.close()


def queries(seed: int = 7) -> list[tuple[str, dict[str, object]]]:
    """A fixed mix of 200 queries, about a sixth of each class."""
    rng = random.Random(seed)
    mix: list[tuple[str, dict[str, object]]] = []
    for i in range(200):
        cls = CLASSES[i % len(CLASSES)]
        a, b = rng.sample(WORDS, 2)
        client = rng.choice(CLIENTS)
        if cls == "term":
            mix.append((cls, {"query": a, "client": client}))
        elif cls == "and":
            mix.append((cls, {"query": f"{a} AND {b}", "client": client}))
        elif cls == "phrase":
            mix.append((cls, {"query": f'"{a} {b}"', "client": client}))
        elif cls == "field":
            mix.append((cls, {"query": f"from:{rng.choice(PEOPLE)} {a}", "client": client}))
        elif cls == "date_range":
            day = date(2023, 1, 1) + timedelta(days=rng.randint(0, 400))
            mix.append(
                (
                    cls,
                    {
                        "query": a,
                        "client": client,
                        "date_from": day,
                        "date_to": day + timedelta(days=rng.randint(7, 120)),
                    },
                )
            )
        else:
            mix.append((cls, {"query": f"{a[:3]}*", "client": client}))
    return mix


REINDEX = """
import resource, sys, time
from pathlib import Path
from app.archive import open_archive
from app.config import Settings
from app.search import reindex
archive = open_archive(Settings(data=Path(sys.argv[1]), actor="bench"))
start = time.perf_counter()
count = reindex(archive)
print(count, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def bench_casefile(data: Path, mix: list[tuple[str, dict[str, object]]]) -> dict[str, object]:
    # the rebuild's indexing workers are child processes: sample the whole tree's memory
    process = subprocess.Popen([sys.executable, "-c", REINDEX, str(data)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    with TreeRss(process.pid) as tree:
        out, _ = process.communicate()
    if process.returncode:
        raise SystemExit("reindex failed")
    count, seconds, _self_rss_kb = out.split()
    rss_kb = tree.peak_kb
    size = sum(p.stat().st_size for p in (data / "index").rglob("*") if p.is_file())
    from app.archive import open_archive
    from app.config import Settings
    from app.search import search

    archive = open_archive(Settings(data=data, actor="bench"))
    # warm up as a running service is warm: one query of each class (not from the mix),
    # so the first use of each field's term dictionary is not what p95 measures
    for query in ("warmup", "warmup AND other", '"warm up"', "from:warm", "warm*"):
        search(archive, query=query, client=CLIENTS[0])
    search(archive, query="warmup", client=CLIENTS[0], date_from=date(2023, 1, 1), date_to=date(2023, 2, 1))
    timings: dict[str, list[float]] = {c: [] for c in CLASSES}
    for cls, kwargs in mix:
        started = time.perf_counter()
        search(archive, limit=20, **kwargs)  # type: ignore[arg-type]
        timings[cls].append((time.perf_counter() - started) * 1000)
    archive.close()
    return {
        "docs": int(count),
        "seconds": float(seconds),
        "rss_mb": int(rss_kb) / 1024,
        "size_mb": size / 1e6,
        "timings": timings,
    }


def _fts_query(cls: str, kwargs: dict[str, object]) -> tuple[str, list[object]]:
    text = str(kwargs["query"])
    where = ["fts MATCH ?", "client = ?"]
    if cls == "and":
        text = text.replace(" AND ", " AND ")
    elif cls == "field":
        person, word = text.split(" ", 1)
        text = f"sender:{person.split(':', 1)[1]} AND {word}"
    elif cls == "prefix":
        text = text  # FTS5 supports word*
    params: list[object] = [text, kwargs["client"]]
    if cls == "date_range":
        where.append("occurred >= ? AND occurred < ?")
        params += [str(kwargs["date_from"]), str(kwargs["date_to"])]
    sql = (
        f"SELECT rowid, snippet(fts, 2, '**', '**', ' … ', 20) FROM fts WHERE {' AND '.join(where)} "
        "ORDER BY bm25(fts) LIMIT 20"
    )
    return sql, params


def bench_fts5(data: Path, mix: list[tuple[str, dict[str, object]]]) -> dict[str, object]:
    source = sqlite3.connect(data / "archive.db")
    fts_path = data.parent / "fts.db"
    fts = sqlite3.connect(fts_path)
    fts.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(client UNINDEXED, title, body, sender, occurred UNINDEXED, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    rows = source.execute(
        "SELECT item.id, client.slug, item.title, item.text, "
        "(SELECT name || ' ' || address FROM participant p WHERE p.item_id = item.id AND p.role = 'from'), "
        "substr(item.occurred_at_utc, 1, 10) FROM item JOIN client ON client.id = item.client_id"
    ).fetchall()
    started = time.perf_counter()
    fts.executemany("INSERT INTO fts(rowid, client, title, body, sender, occurred) VALUES (?,?,?,?,?,?)", rows)
    fts.commit()
    seconds = time.perf_counter() - started
    timings: dict[str, list[float]] = {c: [] for c in CLASSES}
    for cls, kwargs in mix:
        sql, params = _fts_query(cls, kwargs)
        started = time.perf_counter()
        fts.execute(sql, params).fetchall()
        timings[cls].append((time.perf_counter() - started) * 1000)
    fts.close()
    return {"docs": len(rows), "seconds": seconds, "size_mb": fts_path.stat().st_size / 1e6, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casefile-search-") as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        build_corpus(data, args.items)
        print(f"corpus: {args.items} email-like items written in {time.perf_counter() - started:.1f} s")
        mix = queries()
        ours = bench_casefile(data, mix)
        base = bench_fts5(data, mix)
    ours_rate, base_rate = ours["docs"] / ours["seconds"], base["docs"] / base["seconds"]
    print(f"\n{'indexing':24}{'items/s':>12}{'size MB':>10}{'peak RSS MB':>14}")
    print(f"{'casefile (whoosh)':24}{ours_rate:>12.0f}{ours['size_mb']:>10.0f}{ours['rss_mb']:>14.0f}")
    print(f"{'sqlite fts5':24}{base_rate:>12.0f}{base['size_mb']:>10.0f}{'-':>14}")
    print(f"\n{'query class':14}{'casefile p50':>14}{'p95 ms':>9}{'fts5 p50':>11}{'p95 ms':>9}")
    summary: dict[str, object] = {
        "items": args.items,
        "index_items_per_s": round(ours_rate),
        "reindex_peak_rss_mb": round(ours["rss_mb"]),
        "fts5_items_per_s": round(base_rate),
    }
    for cls in CLASSES:
        o50, o95 = _percentiles(ours["timings"][cls])  # type: ignore[index]
        b50, b95 = _percentiles(base["timings"][cls])  # type: ignore[index]
        print(f"{cls:14}{o50:>14.1f}{o95:>9.1f}{b50:>11.1f}{b95:>9.1f}")
        summary[f"p95_ms_{cls}"] = round(o95, 1)
    print("\ntargets: p95 < 100 ms per class; indexing >= 400 items/s; reindex peak RSS < 1024 MB")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
