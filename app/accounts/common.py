"""What the account modules share: roles, secrets, e-mail addresses and durations a person types."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from ..errors import InvalidInput

__all__ = ["ROLES", "STAFF", "as_utc", "hash_secret", "new_secret", "parse_duration", "validate_email", "validate_role"]

ROLES = ("owner", "member", "lawyer")
STAFF = frozenset({"owner", "member"})  # the firm's own people: everything but (for members) accounts
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")
_DURATION = re.compile(r"^\s*(\d{1,5})\s*([mhdw])\s*$", re.I)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def validate_email(email: str) -> str:
    """The address, trimmed and lower-cased, if it looks like one."""
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidInput(f"'{email[:100]}' is not an e-mail address")
    return value


def validate_role(role: str) -> str:
    """``role`` if it is one of owner, member, lawyer."""
    value = role.strip().lower()
    if value not in ROLES:
        raise InvalidInput(f"unknown role '{role}' (one of: {', '.join(ROLES)})")
    return value


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w`` as a duration."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"'{text}' is not a duration (try 30d, 12h, 90m or 2w)")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def new_secret(prefix: str = "") -> str:
    """A random, URL-safe secret of 256 bits (what a cookie, token or link carries)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """What is stored of a secret: its SHA-256 (the secret itself is random, so no salt is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def as_utc(value: datetime) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite hands them back naive)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
