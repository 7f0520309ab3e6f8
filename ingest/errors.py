"""The one error family of ingest/.

Every extractor raises (or records) one of these; the archive turns them into a
``failed`` status with a one-line reason a person can act on::

    IngestError
    ├── Unsupported    the content is not a format we read (or not what its name claims)
    ├── Encrypted      the content is password-protected and no (right) password was given
    ├── LimitReached   a configured limit (size, parts, depth, pages, pixels, time) was hit
    └── Corrupt        the content claims a format but is damaged, truncated or empty
"""

from __future__ import annotations

__all__ = ["Corrupt", "Encrypted", "IngestError", "LimitReached", "Unsupported"]


class IngestError(Exception):
    """Extraction of one file failed; ``reason`` is the short category shown to people."""

    reason = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class Unsupported(IngestError):
    reason = "unsupported"


class Encrypted(IngestError):
    reason = "encrypted"


class LimitReached(IngestError):
    reason = "limit"


class Corrupt(IngestError):
    reason = "corrupt"
