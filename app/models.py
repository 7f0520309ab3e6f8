"""The archive's tables (SQLModel). Kept together so relationships never import-cycle.

Times: ``*_utc`` columns hold aware UTC instants (SQLModel stores them as UTC and reads
them back aware); an item's original offset is kept beside its instant so it can be
shown as the sender wrote it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

__all__ = [
    "Client",
    "ClientAddress",
    "CheckpointRow",
    "DateMentionRow",
    "DerivedFile",
    "INGEST_STATES",
    "ImapFolderState",
    "Item",
    "ItemCorrection",
    "ItemLabel",
    "ItemNote",
    "ItemTag",
    "Job",
    "LedgerEntry",
    "Meta",
    "PageRow",
    "ParticipantRow",
    "utc_now",
]


# receiving: an upload's bytes are stored, reading has not begun; extracting: a container's
# members are being stored; complete: read to the end (whatever could be read); failed:
# reading crashed (the original is kept, ``error`` says why).
INGEST_STATES = ("receiving", "extracting", "complete", "failed")


def utc_now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


class Meta(SQLModel, table=True):
    """Archive-wide facts: schema version, the owner's own addresses."""

    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))


class Client(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True)
    name: str
    created_at_utc: datetime = Field(default_factory=utc_now)


class ClientAddress(SQLModel, table=True):
    """A correspondent address or domain learned for a client; routes future mail."""

    __table_args__ = (UniqueConstraint("value"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    value: str  # "northwind.example" or "bob@gmail.com"
    kind: str  # domain | address
    learned_at_utc: datetime = Field(default_factory=utc_now)


class Item(SQLModel, table=True):
    """One piece of evidence: a file, a message inside a file, a call-log row, an event."""

    __table_args__ = (
        Index("ix_item_client_occurred", "client_id", "occurred_at_utc"),
        # The same bytes are one top-level item however many processes ingest them at once:
        # the database refuses the second, not a check that two processes can both pass.
        Index(
            "ux_item_top_sha256", "sha256", unique=True,
            sqlite_where=text("parent_id IS NULL AND sha256 IS NOT NULL"),
            postgresql_where=text("parent_id IS NULL AND sha256 IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    kind: str = Field(index=True)
    title: str
    occurred_at_utc: datetime | None = Field(default=None, index=True)
    occurred_offset_min: int | None = None
    date_source: str = "none"
    date_detail: str = ""
    date_precision: str | None = None
    ingested_at_utc: datetime = Field(default_factory=utc_now)
    sha256: str | None = Field(default=None, index=True)
    size: int | None = None
    original_filename: str | None = None
    content_type: str = "application/octet-stream"
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    message_id: str | None = Field(default=None, index=True)
    in_reply_to: str | None = None
    email_references: str = ""  # space-separated Message-IDs
    status: str = "ok"
    error: str | None = None
    source_row: int | None = None
    page_count: int | None = None
    facts_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    other_dates_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # Worked out from ``text`` when the item is stored (app.timeline.digest): the text never
    # changes, and a timeline reads these instead of every item's text.
    summary: str = ""
    text_hints: int = 0
    # How far reading got (INGEST_STATES): a container whose members were still being
    # stored when its ingest stopped is "extracting" until a re-run finishes it.
    ingest_state: str = "complete"

    @property
    def occurred_at(self) -> datetime | None:
        """The instant with the offset it was originally written in."""
        if self.occurred_at_utc is None:
            return None
        offset = timezone(timedelta(minutes=self.occurred_offset_min or 0))
        return self.occurred_at_utc.astimezone(offset)


class ParticipantRow(SQLModel, table=True):
    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    role: str  # from | to | cc | bcc | contact | attendee
    address: str = Field(default="", index=True)
    name: str = ""


class PageRow(SQLModel, table=True):
    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    number: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    method: str = "text_layer"
    confidence: float | None = None
    engine: str | None = None
    error: str | None = None


class DateMentionRow(SQLModel, table=True):
    __tablename__ = "date_mention"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    mentioned_date: date
    raw: str
    sentence: str = Field(sa_column=Column(Text, nullable=False))
    label: str = "date"
    page: int | None = None
    # why it has its label: "preamble", "another document's date", "computed: 5 years from ..."
    reason: str = ""


class DerivedFile(SQLModel, table=True):
    """A file produced from an original (e.g. a searchable PDF); the original stays as is."""

    __tablename__ = "derived_file"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    role: str
    content_type: str
    sha256: str = Field(index=True)
    size: int
    created_at_utc: datetime = Field(default_factory=utc_now)


class LedgerEntry(SQLModel, table=True):
    """One custody event; ``hash`` chains it to every entry before it."""

    __tablename__ = "ledger"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: str  # ISO 8601 UTC with microseconds, exactly as hashed
    actor: str
    action: str = Field(index=True)
    item_id: int | None = Field(default=None, index=True)
    details: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, as hashed
    prev_hash: str
    hash: str


class ItemTag(SQLModel, table=True):
    """A label a person put on an item (``key``, ``scope-change``, ``payment``...)."""

    __tablename__ = "item_tag"
    __table_args__ = (UniqueConstraint("item_id", "tag"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    tag: str = Field(index=True)


class ItemLabel(SQLModel, table=True):
    """A label the item carried where it came from (Gmail's ``X-Gmail-Labels``: "Inbox",
    "Clients/Northwind"): part of the evidence as read, unlike a tag, which a person adds."""

    __tablename__ = "item_label"
    __table_args__ = (UniqueConstraint("item_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    label: str = Field(index=True)


class ItemNote(SQLModel, table=True):
    """A remark a person added to an item; the original is never touched."""

    __tablename__ = "item_note"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at_utc: datetime = Field(default_factory=utc_now)
    actor: str


class ItemCorrection(SQLModel, table=True):
    """A person's correction of an item's title or date, keeping the value it replaced.

    The item row carries the corrected value (what lists, search and the timeline use);
    this row keeps the earlier one, with where it came from, so it stays visible.
    """

    __tablename__ = "item_correction"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    field: str  # title | occurred_at
    old_value: str = Field(sa_column=Column(Text, nullable=False))  # a date as ISO 8601 with its offset
    new_value: str = Field(sa_column=Column(Text, nullable=False))
    old_source: str = ""  # for a date: where the replaced value came from ("document_text"...)
    old_detail: str = ""
    old_precision: str | None = None  # for a date: day | minute | second
    reason: str = Field(sa_column=Column(Text, nullable=False))
    actor: str
    at_utc: datetime = Field(default_factory=utc_now)


class Job(SQLModel, table=True):
    """A piece of background work (extracting an upload, building a bundle) and how far it got.

    The queue (Huey) only carries the job's id; its state lives here, beside the evidence,
    so any process (the server, a worker elsewhere) can report it and a restart can find
    work that was accepted but never finished.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # ingest | export | verify-archive
    state: str = Field(default="queued", index=True)  # queued | running | done | failed
    item_id: int | None = Field(default=None, index=True)  # the upload's item, for ingest jobs
    params_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    progress_done: int = 0
    progress_total: int | None = None
    progress_note: str = ""
    result_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    error: str | None = None
    attempts: int = 0
    actor: str = ""
    created_at_utc: datetime = Field(default_factory=utc_now)
    started_at_utc: datetime | None = None
    finished_at_utc: datetime | None = None
    # a running job's worker pushes this forward; a job whose lease ran out was abandoned
    lease_until_utc: datetime | None = None


class CheckpointRow(SQLModel, table=True):
    """A signed checkpoint of the custody ledger (``app.checkpoints``): its tree's size and
    root, when, and the signature. The signing key is never kept in the database."""

    __tablename__ = "checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    tree_size: int = Field(unique=True)
    root_hash: str
    at: str
    key_id: str
    signature: str
    public_key: str
    # RFC 3161 (app.timestamps): the TSA's reply, base64; state "" (none asked), pending, stamped
    timestamp_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    timestamp_state: str = ""
    timestamp_error: str = ""


class ImapFolderState(SQLModel, table=True):
    """How far ``casefile import-imap`` got in one folder of one mail account.

    Every message of the folder with a UID up to ``last_uid`` (and, when ``since`` is set,
    received on or after that day) is in the archive, as long as the server's
    ``uidvalidity`` is unchanged: a later import starts after ``last_uid``. No password
    or other secret is ever kept here.
    """

    __tablename__ = "imap_folder_state"
    __table_args__ = (UniqueConstraint("host", "username", "folder"),)

    id: int | None = Field(default=None, primary_key=True)
    host: str  # lower case, as the server was named
    username: str
    folder: str
    uidvalidity: int
    last_uid: int = 0
    since: date | None = None  # the --since of the runs that stored up to last_uid
    updated_at_utc: datetime = Field(default_factory=utc_now)
