"""The tables of people and their access: accounts, sessions, API tokens, grants, sign-in links.

Secrets are never stored: passwords as Argon2id hashes, session tokens, API tokens and
sign-in links as SHA-256 of the random value the person holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ..models import utc_now

__all__ = ["ApiToken", "ClientGrant", "LoginFailure", "SignInLink", "User", "UserSession"]


class User(SQLModel, table=True):
    """A person who signs in: an owner, a member of the firm, or a lawyer given a client."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True)
    role: str  # owner | member | lawyer
    password_hash: str | None = None  # None: signs in only by a link (a lawyer)
    disabled: bool = False
    created_at_utc: datetime = Field(default_factory=utc_now)


class UserSession(SQLModel, table=True):
    """A signed-in browser: the hash of its cookie's token and when it lapses."""

    __tablename__ = "account_session"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(index=True, unique=True)
    user_id: int = Field(foreign_key="account.id", index=True)
    csrf_token: str  # the value every form of this session carries
    created_at_utc: datetime = Field(default_factory=utc_now)
    last_seen_utc: datetime = Field(default_factory=utc_now)
    expires_at_utc: datetime  # the absolute end, whatever the activity
    address: str = ""


class ApiToken(SQLModel, table=True):
    """A bearer token for scripts, with a role and optionally one client."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    token_sha256: str = Field(index=True, unique=True)
    role: str
    client_slug: str | None = None  # a token for one client's matter only
    created_by: str
    created_at_utc: datetime = Field(default_factory=utc_now)
    expires_at_utc: datetime | None = None
    last_used_utc: datetime | None = None
    revoked_at_utc: datetime | None = None


class ClientGrant(SQLModel, table=True):
    """A lawyer's access to one client's matter, until it expires or is revoked."""

    __tablename__ = "client_grant"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="account.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    granted_by: str
    granted_at_utc: datetime = Field(default_factory=utc_now)
    expires_at_utc: datetime
    revoked_at_utc: datetime | None = None


class SignInLink(SQLModel, table=True):
    """A one-time link that signs a lawyer in: used once, or lapses."""

    __tablename__ = "signin_link"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(index=True, unique=True)
    user_id: int = Field(foreign_key="account.id", index=True)
    created_at_utc: datetime = Field(default_factory=utc_now)
    expires_at_utc: datetime
    used_at_utc: datetime | None = None
    revoked_at_utc: datetime | None = None


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, counted per account and per address for the rate limit."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True)
    address: str = Field(index=True)
    at_utc: datetime = Field(default_factory=utc_now, index=True)
