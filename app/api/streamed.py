"""Multipart bodies read as they arrive: files go to a sink chunk by chunk, never whole in memory.

Starlette's own form parsing would spool every file (into the system's temp folder, with
no size limit) before the route even runs. Here python-multipart's streaming parser runs
on the body as it comes, each file part is handed to a sink the caller opens (a blob
writer, a temporary file) and the size limit is enforced on the bytes as they pass.
After a refusal a bounded rest of the body is read and dropped, so a browser that is
still sending hears the reason instead of a broken connection.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ..errors import InvalidInput, UploadTooLarge

__all__ = ["FileSink", "ReceivedFile", "read_multipart", "receive_file", "too_large"]

_FRAMING = 64 * 1024  # room for the multipart boundaries and part headers around one file
_DRAIN_FACTOR = 2  # after a refusal, read on up to this many limits so the client hears the answer
_MAX_FIELD_BYTES = 10_000  # a form field (a client slug) is a short word


class FileSink(Protocol):
    """Where one file part's bytes go while they arrive."""

    size: int

    def write(self, chunk: bytes) -> None: ...

    def abort(self) -> None: ...


def too_large(limit: int, name: str | None = None) -> UploadTooLarge:
    """The one message for a file over ``CASEFILE_MAX_UPLOAD_BYTES``."""
    what = f"'{name}'" if name else "the file"
    return UploadTooLarge(
        f"{what} is larger than the upload limit of {limit:,} bytes (CASEFILE_MAX_UPLOAD_BYTES)"
    )


class _Parts:
    """python-multipart callbacks: fields are collected, file parts written to sinks."""

    def __init__(
        self, limit: int, open_sink: Callable[[str, str], FileSink | None], on_field: Callable[[str, str], None]
    ) -> None:
        self.limit = limit
        self.open_sink = open_sink
        self.on_field = on_field
        self.done: list[tuple[FileSink, str]] = []  # complete files, not yet handed over
        self.sink: FileSink | None = None
        self._header = self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field: str | None = None
        self._name = ""
        self._field_value = bytearray()

    def on_part_begin(self) -> None:
        self._headers, self._field, self._name, self._field_value = {}, None, "", bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header.lower()] = self._value
        self._header = self._value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        field = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            # an empty file name is what a browser sends for a file input left empty
            self._name = options[b"filename"].decode("utf-8", "replace")
            self.sink = self.open_sink(field, self._name) if self._name else None
        else:
            self._field = field

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.sink is not None:
            if self.sink.size + (end - start) > self.limit:
                self.abort()
                raise too_large(self.limit, self._name)
            self.sink.write(data[start:end])
        elif self._field is not None:
            if len(self._field_value) + (end - start) > _MAX_FIELD_BYTES:
                raise InvalidInput(f"the form field '{self._field[:40]}' is too long")
            self._field_value += data[start:end]

    def on_part_end(self) -> None:
        if self.sink is not None:
            self.done.append((self.sink, self._name))
            self.sink = None
        elif self._field is not None:
            self.on_field(self._field, self._field_value.decode("utf-8", "replace"))

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.abort()
            self.sink = None


async def _drain(body: AsyncIterator[bytes], budget: int) -> None:
    try:
        async for chunk in body:
            budget -= len(chunk)
            if budget <= 0:
                return
    except ClientDisconnect:
        pass


async def read_multipart(
    request: Request,
    *,
    limit: int,
    open_sink: Callable[[str, str], FileSink | None],
    on_file: Callable[[FileSink, str], Awaitable[None]],
    on_field: Callable[[str, str], None] = lambda _name, _value: None,
    single_file: bool = False,
) -> None:
    """Reads a multipart/form-data body, handing each file over (``on_file``) as soon as it is whole.

    ``open_sink(field, filename)`` opens where a file part goes (``None`` skips the part);
    ``on_field(name, value)`` gets each plain field in order. Raises ``UploadTooLarge``
    when a file passes ``limit`` (``single_file``: also from Content-Length, before a byte
    is written), ``InvalidInput`` for a body that is not such a form, ``ClientDisconnect``
    when the sender went away; a file cut short is thrown away, whole ones are handed over.
    """
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidInput("send the files as multipart/form-data")
    body = request.stream()  # one iterator: after a refusal, the drain goes on from where it stopped
    declared = request.headers.get("content-length", "")
    if single_file and declared.isdigit() and int(declared) > limit + _FRAMING:
        await _drain(body, _DRAIN_FACTOR * limit)
        raise too_large(limit)
    parts = _Parts(limit, open_sink, on_field)
    parser = MultipartParser(options[b"boundary"], {  # type: ignore[arg-type]
        name: getattr(parts, name) for name in (
            "on_part_begin", "on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
            "on_part_data", "on_part_end",
        )
    })

    async def hand_over() -> None:
        while parts.done:
            await on_file(*parts.done.pop(0))

    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            parser.write(chunk)
            await hand_over()
        parser.finalize()
        await hand_over()
    except UploadTooLarge:
        await hand_over()
        await _drain(body, _DRAIN_FACTOR * limit - received)
        raise
    except MultipartParseError as exc:
        parts.abort()
        await hand_over()
        raise InvalidInput(f"the upload is not valid multipart/form-data ({exc})") from None
    except BaseException:  # the sender went away (ClientDisconnect) or worse: keep what was whole
        parts.abort()
        await hand_over()
        raise


@dataclass(frozen=True)
class ReceivedFile:
    """An uploaded file kept as a temporary file; the caller deletes it."""

    path: Path
    filename: str  # as the browser named it: for showing only, never part of a path
    size: int


class _TempFile:
    """A sink writing to a new temporary file in a folder of ours."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=".upload-")
        self.path = Path(name)
        self._fh = os.fdopen(handle, "wb")
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._fh.write(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        self._fh.close()

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


async def receive_file(request: Request, *, folder: Path, limit: int, field_name: str = "file") -> ReceivedFile:
    """The first file of the form field ``field_name``, written to a new file in ``folder``.

    ``UploadTooLarge`` once it passes ``limit`` bytes, ``InvalidInput`` when the body is
    not a form with that file; either way nothing is left behind.
    """
    kept: list[ReceivedFile] = []
    sinks: list[_TempFile] = []

    def open_sink(field: str, _filename: str) -> FileSink | None:
        if field != field_name or sinks:
            return None  # other fields, and any file after the first, are skipped unread
        sinks.append(_TempFile(folder))
        return sinks[-1]

    async def on_file(sink: FileSink, filename: str) -> None:
        assert isinstance(sink, _TempFile)
        await run_in_threadpool(sink.close)
        name = filename.replace("\\", "/").rsplit("/", 1)[-1]
        kept.append(ReceivedFile(path=sink.path, filename="".join(c for c in name if c.isprintable())[:200] or "upload",
                                 size=sink.size))

    try:
        await read_multipart(request, limit=limit, open_sink=open_sink, on_file=on_file, single_file=True)
    except BaseException:
        for sink in sinks:
            sink.abort()
        raise
    if not kept:
        raise InvalidInput(f"no file was sent: choose one for the field '{field_name}'")
    return kept[0]
