"""The one typed settings object: environment (CASEFILE_*) and command-line overrides."""

from __future__ import annotations

import getpass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.limits import Limits

__all__ = ["Settings"]

MiB = 1024 * 1024


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Settings(BaseSettings):
    """Everything configurable, validated at start-up so a bad value fails fast."""

    model_config = SettingsConfigDict(env_prefix="CASEFILE_", extra="ignore")

    data: Path = Field(default=Path("casefile-data"), description="the data folder")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite in the data folder"
    )
    timezone: str = Field(default="UTC", description="zone for dates written without one")
    actor: str = Field(default_factory=_default_actor, description="who the ledger names")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    max_upload_bytes: int = Field(default=512 * MiB, gt=0)
    max_message_bytes: int = Field(default=64 * MiB, gt=0)
    max_mime_parts: int = Field(default=500, gt=0)
    max_mime_depth: int = Field(default=12, gt=0)
    max_header_bytes: int = Field(default=256 * 1024, gt=0)
    max_csv_rows: int = Field(default=100_000, gt=0)
    max_pdf_pages: int = Field(default=2_000, gt=0)
    max_image_pixels: int = Field(default=80_000_000, gt=0)
    max_zip_members: int = Field(default=5_000, gt=0)
    max_zip_expansion_bytes: int = Field(default=1024 * MiB, gt=0)
    max_pdf_stream_bytes: int = Field(default=256 * MiB, gt=0, description="one PDF stream, inflated")
    ocr_seconds_per_page: float = Field(default=120.0, gt=0)
    ocr_languages: str = "eng"
    ocr_workers: int = Field(default=0, ge=0)
    ingest_workers: int = Field(default=0, ge=0, description="processes parsing large mailboxes; 0 = in-process")
    write_wait_seconds: float = Field(
        default=120.0, gt=0, description="how long a writer waits, retrying, for another writer to finish"
    )
    ingest_batch: int = Field(default=200, ge=1, description="mailbox messages committed together")
    imap_fetch_bytes: int = Field(
        default=8 * MiB, gt=0, description="IMAP messages downloaded per request, up to this many bytes (one at least)"
    )

    tsa_url: str | None = Field(
        default=None, description="an RFC 3161 time-stamping authority (http or https) for each checkpoint"
    )
    tsa_ca_file: Path | None = Field(default=None, description="the TSA's CA certificate(s), PEM, to verify its tokens")
    tsa_timeout: float = Field(default=10.0, gt=0, description="seconds to wait for the TSA")

    silence_days: int = Field(default=7, ge=1)

    # Accounts and sessions (app.accounts): a browser session lapses after idle minutes
    # without a request, and after max hours whatever happens.
    session_idle_minutes: int = Field(default=120, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    login_failures_per_account: int = Field(default=5, ge=1, description="in login_window_minutes, then locked")
    login_failures_per_address: int = Field(default=20, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    share_link_hours: int = Field(default=72, ge=1, description="how long a lawyer's sign-in link lasts")
    public_url: str | None = Field(default=None, description="the address people reach Casefile at (sign-in links)")
    # In local mode (no accounts) only requests naming the machine itself are served: a web
    # page that rebinds its own domain to 127.0.0.1 gets nothing (DNS rebinding).
    local_hosts: list[str] = Field(default=["127.0.0.1", "localhost", "::1"])

    queue_url: str | None = Field(
        default=None, description="redis://host:port/db for a shared queue; default a SQLite queue in the data folder"
    )
    queue_workers: int = Field(default=0, ge=0, description="job workers in 'serve'/'worker'; 0 = one per core")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (use an IANA name)") from exc
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data / 'archive.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data / "blobs"

    @property
    def queue_file(self) -> Path:
        return self.data / "queue.db"

    @property
    def index_dir(self) -> Path:
        return self.data / "index"

    def limits(self) -> Limits:
        """The parser limits ingest/ enforces, from these settings."""
        return Limits(
            max_file_bytes=self.max_upload_bytes,
            max_message_bytes=self.max_message_bytes,
            max_mime_parts=self.max_mime_parts,
            max_mime_depth=self.max_mime_depth,
            max_header_bytes=self.max_header_bytes,
            max_csv_rows=self.max_csv_rows,
            max_pdf_pages=self.max_pdf_pages,
            max_image_pixels=self.max_image_pixels,
            max_zip_members=self.max_zip_members,
            max_zip_expansion_bytes=self.max_zip_expansion_bytes,
            max_pdf_stream_bytes=self.max_pdf_stream_bytes,
            ocr_seconds_per_page=self.ocr_seconds_per_page,
            ocr_languages=self.ocr_languages,
            ocr_workers=self.ocr_workers,
            ingest_workers=self.ingest_workers,
            default_timezone=self.timezone,
        )
