"""Email headers as evidence needs them: decoded without raising, addresses read strictly
and, when a mailer wrote them badly, leniently (saying so), and broken folds repaired.

Everything here works on raw header values (``Message.raw_items()``): parsing each header
under ``policy.default`` is several times slower and raises or drops on the malformed
input real mailboxes are full of.
"""

from __future__ import annotations

import csv
import re
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from .dates import parse_email_date
from .records import DatedValue, Participant

__all__ = [
    "Headers",
    "decode_words",
    "gmail_labels",
    "message_ids",
    "read_addresses",
    "received_date",
    "repair_folds",
]

_ADDRESS_ROLES = (("from", "from"), ("sender", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"))
_HEADER_TITLES = {"from": "From", "sender": "Sender", "to": "To", "cc": "Cc", "bcc": "Bcc"}
_MSGID = re.compile(r"<[^<>\s]+>")
_FOLD = re.compile(r"\r?\n[ \t]+|\r[ \t]+")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_END = re.compile(rb"\r?\n\r?\n|\r\r")
# A line of RFC 2047 encoded words at the start of a header line: the continuation of a
# folded header whose mailer forgot the leading space. Read as it is, the stdlib takes it
# for the start of the body, and every header after it (often the Date) is lost.
_UNFOLDED_WORDS = re.compile(rb"(?:\r\n|\n|\r)=\?[^?\s]{1,64}\?[bBqQ]\?")
_ENCODED_START = re.compile(rb"=\?[^?\s]{1,64}\?[bBqQ]\?")
_LINES = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+")
_HEADER_NAME = re.compile(rb"([!-9;-~]{1,76}):")

# What strict reading of an address header refuses: quoted strings and comments are
# removed first so that their brackets and commas count for nothing.
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")
_GROUP_ONLY = re.compile(r"\s*[^:<>@\",]*:\s*;?\s*")  # "undisclosed-recipients:;"
# An address as lenient reading finds it: no spaces, brackets or quotes, one "@".
_ADDR_SPEC = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+")
_SPELLED_AT = re.compile(r"([^\s<>()\[\],;:\"@]+)\s+at\s+([a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.IGNORECASE)
_NAME_JUNK = " \t\"'<>()[],;:\\"


def unsurrogate(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; most such mail is UTF-8."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; anything malformed is kept as written, less the
    control characters (a NUL in a subject) no header may carry and no page can show."""
    value = " ".join(_CONTROLS.sub("", _FOLD.sub(" ", unsurrogate(value))).split())
    if "=?" not in value:
        return value
    try:
        return " ".join(_CONTROLS.sub("", str(make_header(decode_header(value)))).split())
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        return value


def repair_folds(data: bytes) -> tuple[bytes, list[str]]:
    """``data`` with each line of encoded words in its header block folded back into the
    header before it (a leading space added), and a note per repaired header; else
    ``data`` as it is.

    Only the header block (up to the first blank line) is looked at. The stored original
    is never changed: this is the copy that is parsed.
    """
    end = _HEADER_END.search(data)
    head_end = end.start() if end else len(data)
    if b"=?" not in data[:head_end] or not _UNFOLDED_WORDS.search(data, 0, head_end):
        return data, []
    pieces: list[bytes] = []
    repaired: dict[str, int] = {}
    header = "header"
    for line in _LINES.finditer(data, 0, head_end):
        text = line.group(0)
        if line.start() and text.startswith(b"=?") and _ENCODED_START.match(text):
            pieces.append(b" ")
            repaired[header] = repaired.get(header, 0) + 1
        elif text[:1] not in (b" ", b"\t") and (found := _HEADER_NAME.match(text)):
            header = found.group(1).decode("ascii", "replace")
        pieces.append(text)
    pieces.append(data[head_end:])
    notes = [
        f"{name}: {count if count > 1 else 'a'} line{'s' if count > 1 else ''} of encoded words without the "
        "leading space of a folded header joined to it"
        for name, count in repaired.items()
    ]
    return b"".join(pieces), notes


def _strict_flaw(value: str, pairs: list[tuple[str, str]]) -> str | None:
    """Why ``getaddresses`` cannot be trusted on ``value``, or None when it can."""
    bare = _COMMENT.sub(" ", _QUOTED.sub(" ", value))
    if bare.count('"'):
        return "an unclosed quote"
    if bare.count("<") > bare.count(">"):
        return "a '<' without its '>'"
    if bare.count(">") > bare.count("<"):
        return "a '>' without its '<'"
    found = [(name, address) for name, address in pairs if name or address]
    if not found and (not value.strip() or _GROUP_ONLY.fullmatch(value)):
        return None
    if "@" not in value:
        return "an address written as 'name at domain'" if _SPELLED_AT.search(value) else "no address in it"
    if not found:
        return "no address could be read"
    for name, address in found:
        if "@" not in address:
            if name:  # "Mail Delivery Subsystem <MAILER-DAEMON>"
                return f"an address without a domain ({address[:40]})"
            return "an unquoted comma or special character in a name"
        if address.count("@") > 1 or any(c.isspace() for c in address):
            return "an address with spaces or several '@'"
    return None


def _entries(value: str) -> list[str]:
    """``value`` cut at the commas and semicolons outside quotes, brackets and comments."""
    entries: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    angle = comment = 0
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and not comment:
            quoted = not quoted
        elif not quoted:
            if char == "(":
                comment += 1
            elif char == ")" and comment:
                comment -= 1
            elif char == "<" and not comment:
                angle += 1
            elif char == ">" and angle and not comment:
                angle -= 1
            elif char in ",;" and not angle and not comment:
                entries.append("".join(current))
                current = []
                continue
        current.append(char)
    entries.append("".join(current))
    return [entry for entry in entries if entry.strip()]


def _clean_name(text: str) -> str:
    text = re.sub(r"^[^\"<@]*?:\s*", "", text.strip())  # a group's name ("Team: ...")
    return " ".join(text.replace('\\"', '"').strip(_NAME_JUNK).split()).strip(_NAME_JUNK)


def _lenient_entry(entry: str) -> tuple[str, str, bool]:
    """(name, address, written as "name <address>") of one entry, read as best we can."""
    bracket = entry.find("<")
    if bracket >= 0:
        name, rest = entry[:bracket], entry[bracket + 1 :]
        found = _ADDR_SPEC.search(rest)
        if found:
            after = rest[found.end() :].lstrip("> \t")
            if not _clean_name(name) and after.startswith("("):
                name = after  # "<a@x> (Name)"
            return _clean_name(name), found.group(0), True
        if _clean_name(name):
            # "Mail Delivery Subsystem <MAILER-DAEMON>": a local name, no address to keep
            return _clean_name(name), "", True
        entry = rest
    found = _ADDR_SPEC.search(entry)
    if found:
        return _clean_name(entry[: found.start()] + " " + entry[found.end() :]), found.group(0), False
    spelled = _SPELLED_AT.search(entry)  # "andy at example.com", as list archives write it
    if spelled:
        name = entry[: spelled.start()] + " " + entry[spelled.end() :]
        return _clean_name(name), f"{spelled.group(1)}@{spelled.group(2)}", False
    return _clean_name(entry), "", False


def _lenient(value: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    names: list[str] = []  # name-only pieces waiting for their address
    for entry in _entries(value):
        name, address, bracketed = _lenient_entry(entry)
        if not address:
            if bracketed:  # a whole entry of its own, with a local name in brackets
                pairs += [(n, "") for n in [*names, name]]
                names = []
            elif name:
                names.append(name)
            continue
        if names and bracketed:
            # "Smith, John <john@x>": the unquoted comma cut one name in two
            name = ", ".join([*names, name] if name else names)
        else:
            pairs += [(n, "") for n in names]
        names = []
        pairs.append((name, address))
    pairs += [(n, "") for n in names]
    return pairs


def read_addresses(value: str) -> tuple[list[tuple[str, str]], str | None]:
    """The (display name, address) pairs of one address header's raw value, and why it had
    to be read leniently (None when strict reading was sound). Never raises.

    Strict reading is ``email.utils.getaddresses``; when its result does not account for
    what was written (an unclosed bracket, an unquoted comma, no address at all) the
    value is read again by a forgiving scan, so a sender is never lost to a typo.
    """
    value = _FOLD.sub(" ", unsurrogate(value)).replace("\x00", "")
    try:
        pairs = getaddresses([value])
    except Exception:  # the stdlib's own parser on hostile input
        pairs = []
    flaw = _strict_flaw(value, pairs)
    if flaw is None:
        return [(name, address) for name, address in pairs if name or address], None
    return _lenient(value), flaw


class Headers:
    """A message's headers read once, raw, and decoded on demand."""

    def __init__(self, msg: Message) -> None:
        self.raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.raw.setdefault(name.lower(), []).append(str(value))
        self._people: tuple[tuple[Participant, ...], list[str]] | None = None

    def text(self, name: str) -> str:
        """The first ``name`` header, decoded, on one line ("" when absent)."""
        values = self.raw.get(name)
        return decode_words(values[0]) if values else ""

    def all(self, name: str) -> list[str]:
        return self.raw.get(name, [])

    def participants(self) -> tuple[Participant, ...]:
        """Everyone on From/Sender/To/Cc/Bcc, in that order, each once."""
        return self._read_people()[0]

    def repairs(self) -> list[str]:
        """One line per address header that needed lenient reading, with the reason."""
        return list(self._read_people()[1])

    def _read_people(self) -> tuple[tuple[Participant, ...], list[str]]:
        if self._people is not None:
            return self._people
        people: list[Participant] = []
        seen: set[tuple[str, str, str]] = set()
        repairs: list[str] = []
        for header, role in _ADDRESS_ROLES:
            if header == "sender" and any(p.role == "from" for p in people):
                continue
            for value in self.all(header):
                pairs, flaw = read_addresses(value)
                if flaw:
                    repairs.append(f"{_HEADER_TITLES[header]}: parsed leniently: {flaw}")
                for name, written in pairs:
                    name = decode_words(name).strip("'\" ")
                    address = written.strip().lower()
                    if address and "@" not in address:
                        name, address = name or written.strip(), ""  # a bare display name, as written
                    key = (role, address, name)
                    if (address or name) and key not in seen:
                        seen.add(key)
                        people.append(Participant(role=role, address=address, name=name))
        self._people = (tuple(people), repairs)
        return self._people


def message_ids(value: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID/In-Reply-To/References value (else the value)."""
    return tuple(_MSGID.findall(value)) or ((value.strip(),) if value.strip() else ())


def received_date(headers: Headers) -> DatedValue | None:
    """When the message reached its mailbox: the date of the top (last hop) Received header."""
    for value in headers.all("received"):
        text = _FOLD.sub(" ", value)
        if ";" in text:
            found = parse_email_date(text.rsplit(";", 1)[1], detail="Received header")
            if found:
                return found
    return None


def gmail_labels(values: list[str]) -> list[str]:
    """The labels of Gmail's ``X-Gmail-Labels`` headers (Takeout): comma-separated, a label
    with a comma in double quotes, non-ASCII ones as encoded words; each once, in order."""
    labels: list[str] = []
    for value in values:
        decoded = decode_words(value)
        try:
            rows = list(csv.reader([decoded], skipinitialspace=True))
        except csv.Error:  # a label past csv's field size limit: plain commas then
            rows = [decoded.split(",")]
        for row in rows:
            for label in row:
                label = " ".join(label.split()).strip('"')
                if label and label not in labels:
                    labels.append(label)
    return labels
