"""Signing in: passwords checked with a rate limit, server-side sessions that lapse.

A session is a random token in a cookie; the archive keeps only its hash, when it was
last used and when it ends regardless. Failed sign-ins are counted per account and per
address over a window: past the limit every attempt is refused with the time to wait,
before any password is checked (so guessing costs the guesser, not the server).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from ..archive import Archive
from ..errors import InvalidInput, TooManyAttempts
from ..models import utc_now
from .common import as_utc, hash_secret, new_secret
from .models import LoginFailure, User, UserSession
from .users import check_password, find_user

__all__ = ["COOKIE", "SignedIn", "end_session", "session_user", "sign_in", "start_session"]

COOKIE = "casefile_session"
_TOUCH_SECONDS = 60  # last-seen is written at most once a minute per session


@dataclass(frozen=True)
class SignedIn:
    """A valid session: whose it is and the CSRF token its forms carry."""

    session_id: int
    user_id: int
    email: str
    role: str
    csrf_token: str


def _recent_failures(session: Session, column: object, value: str, since: datetime) -> tuple[int, datetime | None]:
    count, first = session.exec(
        select(func.count(), func.min(LoginFailure.at_utc)).where(column == value, col(LoginFailure.at_utc) >= since)
    ).one()
    return int(count), first


def _refuse_if_limited(archive: Archive, session: Session, email: str, address: str) -> None:
    settings = archive.settings
    window = timedelta(minutes=settings.login_window_minutes)
    since = utc_now() - window
    for column, value, limit, what in (
        (LoginFailure.email, email, settings.login_failures_per_account, "this account"),
        (LoginFailure.address, address, settings.login_failures_per_address, "this address"),
    ):
        count, first = _recent_failures(session, column, value, since)
        if count >= limit and first is not None:
            first = as_utc(first)
            wait = max(1, int(((first + window) - utc_now()).total_seconds() // 60) + 1)
            raise TooManyAttempts(
                f"too many failed sign-ins for {what}: try again in {wait} minute{'s' if wait != 1 else ''}"
            )


def start_session(archive: Archive, *, user_id: int, address: str) -> tuple[str, SignedIn]:
    """A new session for the account; returns the cookie's token (shown to nobody else) and the session."""
    token = new_secret()
    now = utc_now()
    with archive.write() as uow:
        user = uow.session.get(User, user_id)
        assert user is not None and user.id is not None
        row = UserSession(
            token_sha256=hash_secret(token), user_id=user.id, csrf_token=new_secret(), created_at_utc=now,
            last_seen_utc=now, expires_at_utc=now + timedelta(hours=archive.settings.session_max_hours),
            address=address[:100],
        )
        uow.session.add(row)
        uow.session.flush()
        assert row.id is not None
        return token, SignedIn(row.id, user.id, user.email, user.role, row.csrf_token)


def sign_in(archive: Archive, *, email: str, password: str, address: str) -> tuple[str, SignedIn]:
    """Checks the password and starts a session; ``InvalidInput`` (one message for every
    reason, so it tells no one which addresses have accounts) or ``TooManyAttempts``."""
    address_key = address or "unknown"
    email_key = email.strip().lower()[:200]
    with archive.read() as session:
        _refuse_if_limited(archive, session, email_key, address_key)
        user = find_user(session, email_key)
        ok = check_password(user.password_hash if user else None, password)
        usable = user is not None and ok and not user.disabled
    if not usable:
        with archive.write() as uow:
            uow.session.add(LoginFailure(email=email_key, address=address_key))
        raise InvalidInput("the e-mail address or the password is not right (or the account is disabled)")
    assert user is not None and user.id is not None
    with archive.write() as uow:  # a success clears the account's count
        uow.session.connection().execute(
            delete(LoginFailure.__table__).where(LoginFailure.__table__.c.email == email_key)  # type: ignore[arg-type]
        )
    return start_session(archive, user_id=user.id, address=address_key)


def session_user(archive: Archive, token: str) -> SignedIn | None:
    """The session a cookie's token belongs to, if it is still valid (idle and absolute expiry)."""
    if not token or len(token) > 200:
        return None
    now = utc_now()
    idle = timedelta(minutes=archive.settings.session_idle_minutes)
    with archive.read() as session:
        found = session.exec(
            select(UserSession, User).join(User, col(User.id) == col(UserSession.user_id))
            .where(UserSession.token_sha256 == hash_secret(token))
        ).first()
    if found is None:
        return None
    row, user = found
    last_seen, expires = as_utc(row.last_seen_utc), as_utc(row.expires_at_utc)
    if user.disabled or expires <= now or last_seen + idle <= now:
        return None
    if (now - last_seen).total_seconds() >= _TOUCH_SECONDS:
        with archive.write() as uow:
            uow.session.connection().execute(
                update(UserSession.__table__).where(UserSession.__table__.c.id == row.id)  # type: ignore[arg-type]
                .values(last_seen_utc=now)
            )
    assert row.id is not None and user.id is not None
    return SignedIn(row.id, user.id, user.email, user.role, row.csrf_token)


def end_session(archive: Archive, token: str) -> None:
    """Signs a browser out (its session is deleted)."""
    with archive.write() as uow:
        uow.session.connection().execute(
            delete(UserSession.__table__).where(UserSession.__table__.c.token_sha256 == hash_secret(token))  # type: ignore[arg-type]
        )
