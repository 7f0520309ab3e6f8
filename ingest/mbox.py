"""Unix mailboxes (.mbox): split in blocks, each message read as an email, streamed.

The mailbox is one record; its messages are its children, produced one at a time (in
worker processes when ``ingest_workers`` asks for them), so memory stays flat however
large the mailbox is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

from .errors import LimitReached
from .mail import parse_message
from .pool import ordered_map
from .records import Kind, Record
from .registry import extract_as, failed_record, register
from .sniff import looks_like_mbox_separator
from .source import Context, Source

__all__ = ["MboxExtractor", "iter_mbox"]

# A line that may be a separator or an escaped body line, found by the newline before it
# (a literal search; "^" in MULTILINE mode is ten times slower here).
_CANDIDATE_LINE = re.compile(rb"\n>?From ")
_LONG_LINE = 64 * 1024  # a line this long is no separator: it is passed on in pieces, not held whole


def iter_mbox(
    stream: BinaryIO, max_message_bytes: int, *, block_bytes: int = 1 << 20
) -> Iterator[tuple[int, int, bytes | None]]:
    """Yields ``(index, byte_offset, message_bytes)`` one message at a time.

    Memory stays bounded by one message: a message over ``max_message_bytes`` is yielded
    as ``None`` (its bytes remain in the stored mailbox) and skipped. The mailbox is read
    in blocks and only lines that start with "From " or ">From " are looked at one by one
    (a per-line loop costs more than parsing the messages it finds).
    """
    splitter = _MboxSplitter(max_message_bytes)
    offset = 0  # of ``pending`` in the file
    pending = b""
    at_line_start = True
    while block := stream.read(block_bytes):
        data = pending + block if pending else block
        cut = data.rfind(b"\n") + 1
        if cut:
            yield from splitter.feed(data[:cut], offset, at_line_start)
            offset, pending, at_line_start = offset + cut, data[cut:], True
        elif len(data) >= max(block_bytes, _LONG_LINE):  # part of a very long line: body text
            yield from splitter.feed(data, offset, at_line_start)
            offset, pending, at_line_start = offset + len(data), b"", False
        else:
            pending = data
    if pending:
        yield from splitter.feed(pending, offset, at_line_start)
    yield from splitter.close()


class _MboxSplitter:
    """Cuts mailbox text into messages; fed whole lines (or the pieces of one very long line)."""

    def __init__(self, max_message_bytes: int) -> None:
        self.max_bytes = max_message_bytes
        self.index = -1  # of the message being read; -1 before the first separator
        self.start = 0
        self.chunks: list[bytes] = []
        self.size = 0
        self.too_big = False

    def feed(self, text: bytes, offset: int, at_line_start: bool) -> Iterator[tuple[int, int, bytes | None]]:
        done = 0
        for begin in self._candidates(text, at_line_start):
            if text[begin] == 0x3E:  # ">From ": an escaped body line loses one ">"
                self._keep(text[done:begin])
                done = begin + 1
                continue
            end = text.find(b"\n", begin) + 1 or len(text)
            if self.index >= 0 and not looks_like_mbox_separator(text[begin:end]):
                continue  # "From " in body text that was never escaped
            self._keep(text[done:begin])
            yield from self.close()
            self.index += 1
            self.start, self.chunks, self.size, self.too_big = offset + begin, [], 0, False
            done = end
        self._keep(text[done:])

    @staticmethod
    def _candidates(text: bytes, at_line_start: bool) -> Iterator[int]:
        if at_line_start and text.startswith((b"From ", b">From ")):
            yield 0
        for match in _CANDIDATE_LINE.finditer(text):
            yield match.start() + 1

    def _keep(self, piece: bytes) -> None:
        if self.index < 0 or self.too_big or not piece:
            return  # before the first separator nothing belongs to a message
        self.size += len(piece)
        if self.size > self.max_bytes:
            self.too_big, self.chunks = True, []
        else:
            self.chunks.append(piece)

    def close(self) -> Iterator[tuple[int, int, bytes | None]]:
        """The message being read, if any (at the next separator and at the end)."""
        if self.index >= 0 and self.start >= 0:
            yield self.index, self.start, None if self.too_big else _without_separator_gap(b"".join(self.chunks))
            self.start = -1


def _without_separator_gap(message: bytes) -> bytes:
    # the blank line before the next "From " belongs to the mailbox format, not the message
    last = message.rfind(b"\n", 0, len(message) - 1) + 1
    if message[last:].strip(b"\r\n") == b"":
        return message[:last]
    return message


class MboxExtractor:
    """Unix mailboxes: the mailbox is one record, each message a streamed child."""

    name = "mbox"
    content_types = frozenset({"application/mbox"})
    extensions = frozenset({"mbox", "mbx"})

    def extract(self, source: Source, ctx: Context) -> Record:
        name = source.filename.rsplit("/", 1)[-1]
        return Record(
            kind=Kind.DOCUMENT,
            title=f"Mailbox {name}",
            content_type="application/mbox",
            filename=source.filename,
            children=self._messages(source, ctx),
        )

    def _messages(self, source: Source, ctx: Context) -> Iterator[Record]:
        # members go to worker processes (pickled): the progress hook stays here, where the
        # mailbox's own caller counts the messages as they are stored
        inner = replace(ctx.deeper(), progress=None)
        mailbox = source.filename.rsplit("/", 1)[-1]
        workers = ctx.limits.ingest_workers
        with source.open() as stream:
            raw = ((mailbox, index, offset, data, inner)
                   for index, offset, data in iter_mbox(stream, ctx.limits.max_message_bytes))
            if workers > 0 and source.size >= ctx.limits.parallel_from_bytes:
                yield from ordered_map(_mailbox_member, raw, workers=workers, weight=_member_size)
            else:
                yield from map(_mailbox_member, raw)


def _member_size(member: tuple[str, int, int, bytes | None, Context]) -> int:
    return len(member[3] or b"")


def _mailbox_member(member: tuple[str, int, int, bytes | None, Context]) -> Record:
    """The record of one mailbox message (module-level: it runs in worker processes)."""
    mailbox, index, offset, data, ctx = member
    name = f"{mailbox}#{index + 1}"
    facts = {"mbox_index": index + 1, "mbox_offset": offset}
    if data is None:
        error = LimitReached(
            f"message {index + 1} is over max_message_bytes ({ctx.limits.max_message_bytes:,}); "
            "kept inside the mailbox"
        )
        record = failed_record(Source.from_bytes(b"", name), "message/rfc822", error, Kind.EMAIL)
        return replace(record, facts=facts)
    # a mailbox member is a message by definition: read it as one, without sniffing
    record = extract_as(_read_member, Source.from_bytes(data, name), ctx, "message/rfc822", Kind.EMAIL)
    return replace(record, data=data, filename=name, facts={**record.facts, **facts})


def _read_member(source: Source, ctx: Context) -> Record:
    """One member as an email, with the labels a mailbox export writes into its messages
    (Gmail Takeout's X-Gmail-Labels): they are the mailbox owner's, so they count here."""
    return parse_message(source.read(ctx.limits.max_message_bytes), source.filename, ctx, mailbox_labels=True)


register(MboxExtractor())
