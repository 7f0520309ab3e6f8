"""Domain exceptions raised by the service layer; the CLI and the API map them to output.

    CasefileError
    ├── NotFound
    │   ├── ItemNotFound
    │   └── ClientNotFound
    ├── InvalidInput        a value a person typed is not acceptable (slug, date, query)
    ├── UploadTooLarge      a file sent is over CASEFILE_MAX_UPLOAD_BYTES
    ├── NotSignedIn         the request carries no valid session or token
    ├── Forbidden           the account may not do this (a lawyer changing evidence)
    ├── TooManyAttempts     sign-ins refused for a while after repeated failures
    ├── ArchiveBusy         another writer holds the archive for too long
    ├── MailServerProblem   an IMAP server could not be reached, trusted or signed in to
    └── IntegrityProblem    verification found the archive altered or incomplete
"""

from __future__ import annotations

__all__ = [
    "ArchiveBusy",
    "CasefileError",
    "ClientNotFound",
    "Forbidden",
    "IntegrityProblem",
    "InvalidInput",
    "ItemNotFound",
    "MailServerProblem",
    "NotFound",
    "NotSignedIn",
    "TooManyAttempts",
    "UploadTooLarge",
]


class CasefileError(Exception):
    """Base of every error the service raises on purpose; ``str()`` is the user message."""


class NotFound(CasefileError):
    pass


class ItemNotFound(NotFound):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no item with id {item_id}")
        self.item_id = item_id


class ClientNotFound(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no client '{slug}'")
        self.slug = slug


class InvalidInput(CasefileError):
    pass


class UploadTooLarge(CasefileError):
    pass


class NotSignedIn(CasefileError):
    pass


class Forbidden(CasefileError):
    pass


class TooManyAttempts(CasefileError):
    pass


class ArchiveBusy(CasefileError):
    pass


class MailServerProblem(CasefileError):
    """Raised before anything is fetched; the message never contains the password."""


class IntegrityProblem(CasefileError):
    pass
