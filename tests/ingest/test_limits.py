"""Size limits: files read whole are refused past the limit; mailboxes stream past it."""

from __future__ import annotations

from pathlib import Path

from ingest import Context, Kind, Limits, Source, Status, extract
from tests.conftest import SAMPLES


def test_a_file_read_whole_over_the_limit_fails_with_a_limit_reason(tmp_path: Path) -> None:
    pdf = SAMPLES / "northwind" / "contracts" / "statement-of-work.pdf"
    record = extract(Source(filename=pdf.name, path=pdf), Context(limits=Limits(max_file_bytes=1000)))
    assert record.status == Status.FAILED
    assert record.error is not None and record.error.startswith("limit:") and "1,000-byte limit" in record.error


def test_a_mailbox_bigger_than_the_file_limit_still_streams() -> None:
    mbox = SAMPLES / "northwind" / "mail" / "northwind-2024.mbox"
    ctx = Context(limits=Limits(max_file_bytes=10_000, ingest_workers=0))
    record = extract(Source(filename=mbox.name, path=mbox), ctx)
    messages = list(record.children)
    assert len(messages) >= 25 and all(m.kind == Kind.EMAIL and m.status == Status.OK for m in messages)
