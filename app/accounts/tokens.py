"""API tokens for scripts: a role, optionally one client, an expiry; shown once, stored hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import col, select

from ..archive import Archive
from ..clients import get_client, validate_slug
from ..errors import InvalidInput, NotFound
from ..models import utc_now
from .common import as_utc, hash_secret, new_secret, validate_role
from .models import ApiToken

__all__ = ["TOKEN_PREFIX", "TokenPublic", "TokenUser", "create_token", "list_tokens", "revoke_token", "token_user"]

TOKEN_PREFIX = "cf_"  # recognisable in a config file or a leak scanner
_TOUCH_SECONDS = 60


class TokenPublic(BaseModel):
    """A token as listed: never its secret."""

    id: int
    name: str
    role: str
    client: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, row: ApiToken) -> TokenPublic:
        assert row.id is not None
        return cls(
            id=row.id, name=row.name, role=row.role, client=row.client_slug, created_by=row.created_by,
            created_at=row.created_at_utc, expires_at=row.expires_at_utc, last_used_at=row.last_used_utc,
            revoked=row.revoked_at_utc is not None,
        )


@dataclass(frozen=True)
class TokenUser:
    """Who a valid bearer token speaks for."""

    token_id: int
    name: str
    role: str
    client: str | None


def create_token(
    archive: Archive, *, name: str, role: str = "member", client: str | None = None,
    expires_in: timedelta | None = None, actor: str | None = None,
) -> tuple[str, TokenPublic]:
    """A new token; returns its secret (shown this once) and how it is listed."""
    label = name.strip()
    if not label or len(label) > 100:
        raise InvalidInput("a token needs a name of 1-100 characters")
    role = validate_role(role)
    slug = validate_slug(client) if client else None
    if role == "lawyer" and slug is None:
        raise InvalidInput("a lawyer's token is for one client: give --client")
    secret = new_secret(TOKEN_PREFIX)
    with archive.write(actor) as uow:
        if slug is not None:
            get_client(uow.session, slug)
        row = ApiToken(
            name=label, token_sha256=hash_secret(secret), role=role, client_slug=slug, created_by=uow.actor,
            expires_at_utc=utc_now() + expires_in if expires_in else None,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.ledger.append(
            actor=uow.actor, action="token-create", item_id=None,
            details={"token": row.id, "name": label, "role": role, "client": slug,
                     "expires_at": row.expires_at_utc.isoformat() if row.expires_at_utc else None},
        )
        return secret, TokenPublic.of(row)


def list_tokens(archive: Archive) -> list[TokenPublic]:
    """Every token, newest first, with when it was last used."""
    with archive.read() as session:
        return [TokenPublic.of(r) for r in session.exec(select(ApiToken).order_by(col(ApiToken.id).desc())).all()]


def revoke_token(archive: Archive, *, token_id: int, actor: str | None = None) -> TokenPublic:
    """Stops a token from working, from the next request on."""
    with archive.write(actor) as uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no token with id {token_id}")
        if row.revoked_at_utc is None:
            row.revoked_at_utc = utc_now()
            uow.session.add(row)
            uow.ledger.append(actor=uow.actor, action="token-revoke", item_id=None, details={"token": token_id})
        return TokenPublic.of(row)


def token_user(archive: Archive, secret: str) -> TokenUser | None:
    """Whom a bearer token speaks for, if it is valid (not revoked, not expired)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = utc_now()
    with archive.read() as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_sha256 == hash_secret(secret))).first()
    if row is None or row.revoked_at_utc is not None:
        return None
    if row.expires_at_utc is not None and as_utc(row.expires_at_utc) <= now:
        return None
    if row.last_used_utc is None or (now - as_utc(row.last_used_utc)).total_seconds() >= _TOUCH_SECONDS:
        with archive.write() as uow:
            uow.session.connection().execute(
                update(ApiToken.__table__).where(ApiToken.__table__.c.id == row.id).values(last_used_utc=now)  # type: ignore[arg-type]
            )
    assert row.id is not None
    return TokenUser(row.id, row.name, row.role, row.client_slug)
