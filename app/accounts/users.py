"""Accounts: adding, listing, disabling people and setting their passwords (Argon2id).

Each change is a custody-ledger entry (never with a password or its hash): who could
read the evidence, and since when, is part of the record.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel
from sqlalchemy import delete
from sqlmodel import Session, col, select

from ..archive import Archive
from ..errors import InvalidInput, NotFound
from ..models import Client, utc_now
from .common import STAFF, validate_email, validate_role
from .models import ClientGrant, User, UserSession

__all__ = [
    "MIN_PASSWORD_CHARS",
    "UserPublic",
    "add_user",
    "any_users",
    "check_password",
    "disable_user",
    "find_user",
    "list_users",
    "set_password",
]

MIN_PASSWORD_CHARS = 10
_MAX_PASSWORD_CHARS = 1_000  # hashing a megabyte of "password" is a denial of service, not security
_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile
# Verifying against this when the account does not exist costs what a real check costs,
# so the time a refusal takes does not tell which addresses have accounts.
_DUMMY_HASH = _hasher.hash("no such account: a fixed string that is never a password")


class UserPublic(BaseModel):
    """An account as lists show it (never its password)."""

    id: int
    email: str
    role: str
    disabled: bool
    has_password: bool
    created_at: datetime
    clients: list[str]  # a lawyer's granted clients that are still in force

    @classmethod
    def of(cls, row: User, clients: list[str]) -> UserPublic:
        assert row.id is not None
        return cls(
            id=row.id, email=row.email, role=row.role, disabled=row.disabled,
            has_password=row.password_hash is not None, created_at=row.created_at_utc, clients=clients,
        )


def _check_policy(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > _MAX_PASSWORD_CHARS:
        raise InvalidInput(f"a password is limited to {_MAX_PASSWORD_CHARS:,} characters")
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash stored for ``password`` (after the length policy)."""
    return _hasher.hash(_check_policy(password))


def check_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always costs one Argon2 verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password[:_MAX_PASSWORD_CHARS]) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def active_clients(session: Session, user_id: int) -> list[str]:
    """The slugs of the clients granted to ``user_id`` that are neither expired nor revoked."""
    now = utc_now()
    rows = session.exec(
        select(Client.slug).join(ClientGrant, col(ClientGrant.client_id) == col(Client.id)).where(
            ClientGrant.user_id == user_id, col(ClientGrant.revoked_at_utc).is_(None),
            col(ClientGrant.expires_at_utc) > now,
        ).order_by(col(Client.slug))
    ).all()
    return list(rows)


def find_user(session: Session, email: str) -> User | None:
    """The account for ``email`` (any case), if there is one."""
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def _require(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise NotFound(f"no account for '{email[:100]}'")
    return user


def any_users(archive: Archive) -> bool:
    """True once any account exists: from then on every request must sign in."""
    with archive.read() as session:
        return session.exec(select(User.id).limit(1)).first() is not None


def add_user(
    archive: Archive, *, email: str, role: str = "member", password: str | None = None, actor: str | None = None
) -> UserPublic:
    """Creates an account (owner or member, with a password; a lawyer's comes from sharing)."""
    address, role = validate_email(email), validate_role(role)
    if role not in STAFF:
        raise InvalidInput("lawyers get their account by sharing a client with them: casefile share CLIENT --to EMAIL")
    if password is None:
        raise InvalidInput("an owner or member account needs a password")
    hashed = hash_password(password)
    with archive.write(actor) as uow:
        if find_user(uow.session, address) is not None:
            raise InvalidInput(f"there is already an account for {address}")
        user = User(email=address, role=role, password_hash=hashed)
        uow.session.add(user)
        uow.session.flush()
        uow.ledger.append(actor=uow.actor, action="user-add", item_id=None, details={"email": address, "role": role})
        return UserPublic.of(user, [])


def list_users(archive: Archive) -> list[UserPublic]:
    """Every account, with each lawyer's clients in force."""
    with archive.read() as session:
        users = session.exec(select(User).order_by(col(User.email))).all()
        return [UserPublic.of(u, active_clients(session, u.id) if u.role == "lawyer" else []) for u in users]


def _end_sessions(session: Session, user_id: int) -> None:
    session.connection().execute(delete(UserSession.__table__).where(UserSession.__table__.c.user_id == user_id))  # type: ignore[arg-type]


def disable_user(archive: Archive, *, email: str, actor: str | None = None) -> UserPublic:
    """Stops an account from signing in and ends its sessions at once (its history stays)."""
    with archive.write(actor) as uow:
        user = _require(uow.session, email)
        user.disabled = True
        uow.session.add(user)
        assert user.id is not None
        _end_sessions(uow.session, user.id)
        uow.ledger.append(actor=uow.actor, action="user-disable", item_id=None, details={"email": user.email})
        return UserPublic.of(user, [])


def set_password(archive: Archive, *, email: str, password: str, actor: str | None = None) -> None:
    """Sets a new password; the account's other sessions end."""
    hashed = hash_password(password)
    with archive.write(actor) as uow:
        user = _require(uow.session, email)
        user.password_hash = hashed
        uow.session.add(user)
        assert user.id is not None
        _end_sessions(uow.session, user.id)
        uow.ledger.append(actor=uow.actor, action="user-passwd", item_id=None, details={"email": user.email})
