"""Accounts at the service level: Argon2id passwords, sessions, tokens, sharing and their records."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from app.accounts.common import parse_duration, validate_email
from app.accounts.models import User
from app.accounts.sessions import session_user, sign_in
from app.accounts.sharing import access_log, revoke_share, share_client, use_signin_link
from app.accounts.tokens import create_token, revoke_token, token_user
from app.accounts.users import add_user, any_users, disable_user, list_users, set_password
from app.archive import Archive
from app.errors import InvalidInput, NotFound, TooManyAttempts
from app.ingesting import ingest_paths
from app.models import LedgerEntry
from app.verify import verify_archive
from tests.conftest import SAMPLES

PASSWORD = "correct horse battery"


def test_passwords_are_argon2id_hashes_and_never_recorded(archive: Archive) -> None:
    assert not any_users(archive)
    add_user(archive, email="Dana@Whitfield-Digital.example", role="owner", password=PASSWORD)
    assert any_users(archive)
    with archive.read() as session:
        user = session.exec(select(User)).one()
        entries = session.exec(select(LedgerEntry)).all()
    assert user.email == "dana@whitfield-digital.example"
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert [e.action for e in entries] == ["user-add"]
    assert PASSWORD not in entries[0].details and "argon2" not in entries[0].details
    assert verify_archive(archive).ok


def test_account_rules_are_checked(archive: Archive) -> None:
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        add_user(archive, email="a@b.example", role="owner", password="short")
    with pytest.raises(InvalidInput, match="not an e-mail address"):
        add_user(archive, email="not an address", role="owner", password=PASSWORD)
    with pytest.raises(InvalidInput, match="unknown role"):
        add_user(archive, email="a@b.example", role="admin", password=PASSWORD)
    with pytest.raises(InvalidInput, match="sharing a client"):
        add_user(archive, email="a@b.example", role="lawyer", password=PASSWORD)
    add_user(archive, email="a@b.example", role="member", password=PASSWORD)
    with pytest.raises(InvalidInput, match="already an account"):
        add_user(archive, email="A@B.example", role="member", password=PASSWORD)
    assert validate_email(" X@Example.ORG ") == "x@example.org"
    assert parse_duration("30d") == timedelta(days=30) and parse_duration("12h") == timedelta(hours=12)
    with pytest.raises(InvalidInput, match="not a duration"):
        parse_duration("forever")


def test_sign_in_sessions_and_the_end_of_them(archive: Archive) -> None:
    add_user(archive, email="dana@whitfield-digital.example", role="owner", password=PASSWORD)
    token, signed = sign_in(archive, email="dana@whitfield-digital.example", password=PASSWORD, address="127.0.0.1")
    assert session_user(archive, token) == signed and signed.role == "owner" and signed.csrf_token
    with pytest.raises(InvalidInput, match="not right"):
        sign_in(archive, email="dana@whitfield-digital.example", password="wrong password", address="127.0.0.1")
    with pytest.raises(InvalidInput, match="not right"):  # the same words for an address with no account
        sign_in(archive, email="nobody@example.org", password=PASSWORD, address="127.0.0.1")
    set_password(archive, email="dana@whitfield-digital.example", password="a new long password")
    assert session_user(archive, token) is None  # a new password ends the other sessions
    token, _ = sign_in(archive, email="dana@whitfield-digital.example", password="a new long password", address="x")
    disable_user(archive, email="dana@whitfield-digital.example")
    assert session_user(archive, token) is None
    with pytest.raises(InvalidInput):
        sign_in(archive, email="dana@whitfield-digital.example", password="a new long password", address="x")


def test_failed_sign_ins_lock_the_account_for_a_while(archive: Archive) -> None:
    add_user(archive, email="dana@whitfield-digital.example", role="owner", password=PASSWORD)
    for _ in range(archive.settings.login_failures_per_account):
        with pytest.raises(InvalidInput):
            sign_in(archive, email="dana@whitfield-digital.example", password="guess", address="10.0.0.1")
    with pytest.raises(TooManyAttempts, match="this account: try again in 1[0-9] minutes"):
        sign_in(archive, email="dana@whitfield-digital.example", password=PASSWORD, address="10.0.0.2")


def test_tokens_are_shown_once_and_stop_when_revoked_or_expired(archive: Archive) -> None:
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    secret, listed = create_token(archive, name="backup script", role="member")
    assert secret.startswith("cf_") and secret not in listed.model_dump_json()
    found = token_user(archive, secret)
    assert found is not None and found.role == "member" and found.client is None
    revoke_token(archive, token_id=listed.id)
    assert token_user(archive, secret) is None
    short, _ = create_token(archive, name="lawyer script", role="lawyer", client="northwind",
                            expires_in=timedelta(microseconds=1))
    assert token_user(archive, short) is None
    with pytest.raises(InvalidInput, match="give --client"):
        create_token(archive, name="x", role="lawyer")
    with pytest.raises(NotFound):
        create_token(archive, name="x", role="member", client="nobody")


def test_sharing_makes_a_lawyer_a_one_time_link_and_a_log(archive: Archive) -> None:
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    shared = share_client(archive, client="northwind", email="kim@lawfirm.example", expires_in=timedelta(days=30))
    assert "/signin/" in shared.link and shared.access_expires_at > shared.link_expires_at
    lawyer = next(u for u in list_users(archive) if u.email == "kim@lawfirm.example")
    assert lawyer.role == "lawyer" and lawyer.clients == ["northwind"] and not lawyer.has_password
    secret = shared.link.rsplit("/", 1)[1]
    token, signed = use_signin_link(archive, secret=secret, address="127.0.0.1")
    assert signed.role == "lawyer" and session_user(archive, token) is not None
    with pytest.raises(NotFound, match="has been used"):
        use_signin_link(archive, secret=secret, address="127.0.0.1")
    revoke_share(archive, client="northwind", email="kim@lawfirm.example")
    assert session_user(archive, token) is None  # no client left: the lawyer's sessions end
    log = access_log(archive, client="northwind")
    assert [e.action for e in log] == ["share-revoke", "share-signin", "share"]
    with archive.read() as session:
        share = session.exec(select(LedgerEntry).where(LedgerEntry.action == "share")).one()
    assert secret not in share.details and json.loads(share.details)["to"] == "kim@lawfirm.example"
    assert verify_archive(archive).ok
