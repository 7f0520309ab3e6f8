"""A message's MIME tree read as evidence: its body text in order, and its attachments.

Every inline body part counts, in the order written: text/plain parts, text/html parts
turned into text, and inline messages (forwarded inline, digests) as placeholders the
message reader fills with the enclosed message's headers and body. Of a
multipart/alternative one rendering is kept, plain text by preference, so the same words
never appear twice. Attached messages are cut out of the original bytes exactly, so a
forwarded message keeps its own hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy

from .errors import LimitReached
from .names import display_name
from .text import decode_bytes, html_to_text

__all__ = [
    "ATTACHED_MESSAGE_TYPES", "Attachment", "BodyWalk", "Segment", "content_type", "message_bytes", "part_filename",
    "render",
]

ATTACHED_MESSAGE_TYPES = ("message/rfc822", "message/global")
_UNPARSED = "application/x-casefile-unparsed-message"


def content_type(part: Message) -> tuple[str, str | None]:
    """A part's content type and charset from one parse of its header.

    ``get_content_type()`` and ``get_content_charset()`` each re-parse the header under
    policy.default; a mailbox has thousands of parts.
    """
    try:
        header = part.get("content-type")
        ctype = header.content_type if header is not None else part.get_default_type()
        charset = header.params.get("charset") if header is not None else None
    except Exception:  # a header too broken to parse: the stdlib's own fallback
        return part.get_content_type(), part.get_content_charset()
    if ctype.count("/") != 1:
        ctype = "text/plain"  # what RFC 2045 says an invalid type means
    return ctype, str(charset).lower() if charset else None


def _part_text(part: Message, charset: str | None) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, charset)


def _raw_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(p) for p in payload)
    if isinstance(payload, str):
        decoded = part.get_payload(decode=True)
        if isinstance(decoded, bytes):
            return decode_bytes(decoded, part.get_content_charset())
        return payload
    return ""


def part_filename(part: Message, index: int) -> str:
    """A safe name for attachment ``index`` (1-based): its own, else one for its type."""
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return display_name(name, f"attachment-{index}")
    if content_type(part)[0] in ATTACHED_MESSAGE_TYPES:
        return f"attached-message-{index}.eml"
    subtype = part.get_content_subtype() or "bin"
    return f"attachment-{index}.{subtype[:10]}"


@dataclass
class Segment:
    """One piece of body text: ``plain`` (or report) text, ``html`` to convert, or the
    ``message`` placeholder of inline attachment number ``attachment`` (0-based)."""

    kind: str
    raw: str = ""
    attachment: int = -1
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            # converted only once chosen: an unused HTML alternative costs nothing
            self._text = html_to_text(self.raw) if self.kind == "html" else self.raw
        return self._text


@dataclass(frozen=True)
class Attachment:
    """A part kept as a child, and where it sits in the tree (indices into each
    multipart's parts, from the top)."""

    part: Message
    path: tuple[int, ...]


class BodyWalk:
    """One pass over a message's MIME tree: the body segments and the attachment parts."""

    def __init__(self, max_parts: int, max_depth: int) -> None:
        self.max_parts = max_parts
        self.max_depth = max_depth
        self.parts = 0
        self.segments: list[Segment] = []
        self.attachments: list[Attachment] = []

    def visit(self, part: Message, depth: int = 0, path: tuple[int, ...] = ()) -> None:
        """Reads ``part`` and everything under it, in order; raises ``LimitReached`` past the
        part or depth limit."""
        self.parts += 1
        if self.parts > self.max_parts:
            raise LimitReached(f"more than {self.max_parts} MIME parts")
        if depth > self.max_depth:
            raise LimitReached(f"MIME parts nested more than {self.max_depth} deep")
        ctype, charset = content_type(part)
        # `in` looks at raw header names; parsing a header under policy.default is not free
        disposition = (part.get_content_disposition() or "") if "content-disposition" in part else ""
        if ctype in ATTACHED_MESSAGE_TYPES:
            if disposition != "attachment":  # shown in the body as well as kept as a child
                self.segments.append(Segment("message", attachment=len(self.attachments)))
            self.attachments.append(Attachment(part, path))
            return
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            # delivery reports and header dumps: machine text worth keeping in the body
            self.segments.append(Segment("plain", _raw_text(part)))
            return
        if part.is_multipart():
            payload = part.get_payload()
            if not isinstance(payload, list):
                return
            if ctype == "multipart/alternative":
                self._alternative(payload, depth, path)
            else:
                for index, child in enumerate(payload):
                    self.visit(child, depth + 1, (*path, index))
            return
        if ctype.startswith("multipart/"):
            # a multipart whose boundary is missing: its raw text is the best body we have
            self.segments.append(Segment("plain", _raw_text(part)))
            return
        is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment"
        if is_body_text and not (disposition == "inline" and part.get_filename()):
            self.segments.append(Segment("plain" if ctype == "text/plain" else "html", _part_text(part, charset)))
        else:
            self.attachments.append(Attachment(part, path))

    def _alternative(self, payload: list[Message], depth: int, path: tuple[int, ...]) -> None:
        """One rendering of the alternatives: the first that is all plain text and says
        something, else the last (the richest, RFC 2046) that says something. Attachments
        of every alternative are kept (the inline images of an HTML rendering)."""
        kept = self.segments
        options: list[list[Segment]] = []
        try:
            for index, child in enumerate(payload):
                self.segments = []
                self.visit(child, depth + 1, (*path, index))
                options.append(self.segments)
        finally:
            self.segments = kept
        chosen = next((o for o in options if all(s.kind != "html" for s in o) and _says(o)), None)
        chosen = chosen or next((o for o in reversed(options) if _says(o)), None)
        if chosen:
            self.segments.extend(chosen)


def _says(segments: list[Segment]) -> bool:
    return any(s.kind == "message" or s.text.strip() for s in segments)


def render(segments: list[Segment], enclosed: dict[int, str]) -> str:
    """The body text: each segment's text in order, inline messages as ``enclosed`` says."""
    texts = [enclosed.get(s.attachment, "") if s.kind == "message" else s.text for s in segments]
    return "\n\n".join(t for t in texts if t.strip())


class _Unparsed(EmailMessage):
    """A message class under which the parser leaves message/rfc822 parts as bytes.

    The stdlib parses an attached message into a tree and never keeps its text; with
    its type hidden from the parser the part is an ordinary leaf whose payload is the
    attached message exactly as it sits in the file.
    """

    def get_content_type(self) -> str:
        ctype = super().get_content_type()
        return _UNPARSED if ctype in ATTACHED_MESSAGE_TYPES else ctype


def message_bytes(data: bytes, policy: EmailPolicy, paths: list[tuple[int, ...]]) -> dict[tuple[int, ...], bytes]:
    """The exact bytes of the attached messages at ``paths`` in the message ``data`` (its
    transfer encoding undone, if it had one); a path that cannot be found is left out."""
    if not paths:
        return {}
    tree = BytesParser(_class=_Unparsed, policy=policy).parsebytes(data)
    found: dict[tuple[int, ...], bytes] = {}
    for path in paths:
        node: Message | None = tree
        for index in path:
            payload = node.get_payload() if node is not None else None
            node = payload[index] if isinstance(payload, list) and index < len(payload) else None
        if node is not None and node.get_content_type() == _UNPARSED:
            raw = node.get_payload(decode=True)
            if isinstance(raw, bytes):
                found[path] = raw
    return found
