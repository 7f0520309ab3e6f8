"""File names taken from inside evidence (an attachment's, a zip member's) made safe to show.

The name only labels an item (the blob store names files by hash), but people read it,
it ends up in download headers and bundle listings, and someone may one day save a file
under it: so it is one plain name, never a path, never a device, never a visual trick.
"""

from __future__ import annotations

import re

__all__ = ["MAX_NAME", "display_name"]

MAX_NAME = 200
# control characters (NUL included) and the bidirectional controls that make
# "invoice\u202efdp.exe" look like "invoiceexe.pdf"
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# names Windows treats as devices whatever their extension ("CON", "nul.txt", "COM1.log")
_DEVICE = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$", re.IGNORECASE)
_EXTENSION = re.compile(r"\.[^.\s]{1,16}$")


def display_name(raw: str, fallback: str) -> str:
    """The last component of ``raw`` with unshowable characters removed, no device name and
    at most ``MAX_NAME`` characters (the extension kept); ``fallback`` if nothing is left."""
    name = _UNSHOWABLE.sub("", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split()).strip(" .")  # Windows drops trailing dots and spaces
    if not name:
        return fallback
    if _DEVICE.match(name):
        name = f"_{name}"
    if len(name) > MAX_NAME:
        found = _EXTENSION.search(name)
        extension = found.group(0) if found else ""
        name = name[: MAX_NAME - len(extension)].rstrip(" .") + extension
    return name
