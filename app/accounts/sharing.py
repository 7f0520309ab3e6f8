"""Sharing one client's matter with a lawyer: a scoped account, an expiring grant, a one-time link.

The lawyer signs in by the link (used once, within ``share_link_hours``), then reads that
client's evidence until the grant expires or is revoked. Every view and download they
make is a ``disclosed`` custody entry (app.access), which ``access_log`` lists per client.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from ..archive import Archive
from ..clients import get_client, validate_slug
from ..errors import InvalidInput, NotFound
from ..models import LedgerEntry, utc_now
from .common import as_utc, hash_secret, new_secret, validate_email
from .models import ClientGrant, SignInLink, User, UserSession
from .sessions import SignedIn, start_session
from .users import find_user

__all__ = [
    "AccessEntry",
    "GrantPublic",
    "ShareLink",
    "access_log",
    "grants_for_client",
    "revoke_share",
    "share_client",
    "signin_link_usable",
    "use_signin_link",
]

_ACCESS_ACTIONS = ("disclosed", "share", "share-revoke", "share-signin")
LINK_REFUSED = "this sign-in link has been used, has expired or was withdrawn: ask for a new one"


class ShareLink(BaseModel):
    """What sharing hands back: the link to send (shown this once) and until when things last."""

    email: str
    client: str
    link: str
    link_expires_at: datetime
    access_expires_at: datetime


class GrantPublic(BaseModel):
    """A lawyer's access to a client, as the sharing page lists it."""

    email: str
    client: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked: bool
    active: bool


class AccessEntry(BaseModel):
    """One line of a client's access log: who was shown what, when."""

    seq: int
    at: str
    actor: str
    action: str
    item_id: int | None
    what: str


def _base_url(archive: Archive) -> str:
    settings = archive.settings
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def share_client(
    archive: Archive, *, client: str, email: str, expires_in: timedelta, actor: str | None = None
) -> ShareLink:
    """Gives ``email`` read-only access to ``client`` (a lawyer account made if needed) and a sign-in link."""
    slug, address = validate_slug(client), validate_email(email)
    if expires_in <= timedelta(0):
        raise InvalidInput("the access must last some time")
    now = utc_now()
    until = now + expires_in
    link_until = min(until, now + timedelta(hours=archive.settings.share_link_hours))
    secret = new_secret()
    with archive.write(actor) as uow:
        owner = get_client(uow.session, slug)
        user = find_user(uow.session, address)
        if user is None:
            user = User(email=address, role="lawyer")
            uow.session.add(user)
            uow.session.flush()
        elif user.role != "lawyer":
            raise InvalidInput(f"{address} is a {user.role} of this archive and sees everything already")
        elif user.disabled:
            raise InvalidInput(f"the account {address} is disabled")
        assert user.id is not None and owner.id is not None
        grant = uow.session.exec(
            select(ClientGrant).where(ClientGrant.user_id == user.id, ClientGrant.client_id == owner.id)
        ).first()
        if grant is None:
            grant = ClientGrant(user_id=user.id, client_id=owner.id, granted_by=uow.actor, expires_at_utc=until)
        else:  # shared again: a fresh term, in force again if it was revoked
            grant.granted_by, grant.granted_at_utc = uow.actor, now
            grant.expires_at_utc, grant.revoked_at_utc = until, None
        uow.session.add(grant)
        uow.session.add(SignInLink(token_sha256=hash_secret(secret), user_id=user.id, expires_at_utc=link_until))
        uow.ledger.append(
            actor=uow.actor, action="share", item_id=None,
            details={"client": slug, "to": address, "until": until.isoformat(), "link_until": link_until.isoformat()},
        )
    return ShareLink(
        email=address, client=slug, link=f"{_base_url(archive)}/signin/{secret}", link_expires_at=link_until,
        access_expires_at=until,
    )


def revoke_share(archive: Archive, *, client: str, email: str, actor: str | None = None) -> GrantPublic:
    """Ends a lawyer's access to ``client`` now: the next request they make is refused."""
    slug, address = validate_slug(client), validate_email(email)
    with archive.write(actor) as uow:
        owner = get_client(uow.session, slug)
        user = find_user(uow.session, address)
        grant = None if user is None else uow.session.exec(
            select(ClientGrant).where(ClientGrant.user_id == user.id, ClientGrant.client_id == owner.id)
        ).first()
        if user is None or grant is None:
            raise NotFound(f"{address} has no access to '{slug}'")
        if grant.revoked_at_utc is None:
            grant.revoked_at_utc = utc_now()
            uow.session.add(grant)
            uow.ledger.append(
                actor=uow.actor, action="share-revoke", item_id=None, details={"client": slug, "to": address}
            )
        # links not yet used go too; a lawyer left with no client loses their sessions as well
        uow.session.connection().execute(
            update(SignInLink.__table__).where(  # type: ignore[arg-type]
                SignInLink.__table__.c.user_id == user.id, SignInLink.__table__.c.used_at_utc.is_(None)
            ).values(revoked_at_utc=utc_now())
        )
        others = uow.session.exec(
            select(ClientGrant.id).where(
                ClientGrant.user_id == user.id, col(ClientGrant.revoked_at_utc).is_(None),
                col(ClientGrant.expires_at_utc) > utc_now(),
            )
        ).first()
        if others is None:
            uow.session.connection().execute(
                delete(UserSession.__table__).where(UserSession.__table__.c.user_id == user.id)  # type: ignore[arg-type]
            )
        return _grant_public(grant, address, slug)


def _grant_public(grant: ClientGrant, email: str, slug: str) -> GrantPublic:
    now = utc_now()
    expires = as_utc(grant.expires_at_utc)
    return GrantPublic(
        email=email, client=slug, granted_by=grant.granted_by, granted_at=as_utc(grant.granted_at_utc),
        expires_at=expires, revoked=grant.revoked_at_utc is not None,
        active=grant.revoked_at_utc is None and expires > now,
    )


def grants_for_client(archive: Archive, *, client: str) -> list[GrantPublic]:
    """Who has (or had) access to ``client``, newest first."""
    with archive.read() as session:
        owner = get_client(session, client)
        rows = session.exec(
            select(ClientGrant, User.email).join(User, col(User.id) == col(ClientGrant.user_id))
            .where(ClientGrant.client_id == owner.id).order_by(col(ClientGrant.granted_at_utc).desc())
        ).all()
        return [_grant_public(grant, email, owner.slug) for grant, email in rows]


def _usable_link(session: Session, secret: str) -> tuple[SignInLink, User] | None:
    link = session.exec(select(SignInLink).where(SignInLink.token_sha256 == hash_secret(secret))).first()
    if link is None or link.used_at_utc is not None or link.revoked_at_utc is not None:
        return None
    if as_utc(link.expires_at_utc) <= utc_now():
        return None
    user = session.get(User, link.user_id)
    return None if user is None or user.disabled else (link, user)


def signin_link_usable(archive: Archive, *, secret: str) -> bool:
    """Whether a sign-in link would still sign someone in (it is not used by asking)."""
    with archive.read() as session:
        return _usable_link(session, secret) is not None


def use_signin_link(archive: Archive, *, secret: str, address: str) -> tuple[str, SignedIn]:
    """Signs a lawyer in by their link (once); ``NotFound`` for a used, expired or revoked link."""
    with archive.write() as uow:
        usable = _usable_link(uow.session, secret)
        if usable is None:
            raise NotFound(LINK_REFUSED)
        link, user = usable
        link.used_at_utc = utc_now()
        uow.session.add(link)
        uow.ledger.append(
            actor=user.email, action="share-signin", item_id=None, details={"to": user.email, "address": address[:100]}
        )
        user_id = user.id
    assert user_id is not None
    return start_session(archive, user_id=user_id, address=address)


def access_log(archive: Archive, *, client: str, limit: int = 500) -> list[AccessEntry]:
    """Sharing and every disclosure concerning ``client``, newest first."""
    with archive.read() as session:
        owner = get_client(session, client)
        emails = set(session.exec(
            select(User.email).join(ClientGrant, col(ClientGrant.user_id) == col(User.id))
            .where(ClientGrant.client_id == owner.id)
        ).all())
        rows = session.exec(
            select(LedgerEntry).where(col(LedgerEntry.action).in_(_ACCESS_ACTIONS))
            .where(or_(col(LedgerEntry.details).contains(f'"client":"{owner.slug}"'),
                       col(LedgerEntry.action) == "share-signin"))
            .order_by(col(LedgerEntry.seq).desc()).limit(limit * 2)
        ).all()
    entries: list[AccessEntry] = []
    for row in rows:
        details = json.loads(row.details)
        if row.action == "share-signin" and details.get("to") not in emails:
            continue
        entries.append(AccessEntry(
            seq=row.seq, at=row.at, actor=row.actor, action=row.action, item_id=row.item_id,
            what=_what(row.action, details),
        ))
    return entries[:limit]


def _what(action: str, details: dict[str, object]) -> str:
    if action == "share":
        return f"shared with {details.get('to')} until {str(details.get('until', ''))[:16].replace('T', ' ')}"
    if action == "share-revoke":
        return f"access of {details.get('to')} withdrawn"
    if action == "share-signin":
        return f"{details.get('to')} signed in by their link"
    shown = details.get("what", "")
    query = details.get("query")
    return f"disclosed {shown}" + (f": “{query}”" if query else "")
