"""The account commands: user, token, share, access-log, and serve refusing an open address without accounts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from app.accounts.sessions import sign_in
from app.accounts.sharing import use_signin_link
from app.accounts.tokens import token_user
from app.archive import open_archive
from app.cli import app
from app.cli.accounts import is_loopback, open_serving_refusal
from app.config import Settings
from app.ingesting import ingest_paths
from app.models import LedgerEntry
from tests.conftest import CASEFILE, SAMPLES

PASSWORD = "correct horse battery"
OWNER = "dana@whitfield-digital.example"
LAWYER = "counsel@lawfirm.example"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    archive = open_archive(Settings(data=folder, actor="tester", timezone="Europe/London"))
    try:
        ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml"], client="northwind")
    finally:
        archive.close()
    return folder


def _cli(data: Path, *args: str, input: str | None = None, code: int = 0) -> Result:  # noqa: A002 (CliRunner's name)
    result = CliRunner().invoke(app, ["--data", str(data), *args], input=input,
                                env={"CASEFILE_TIMEZONE": "Europe/London"})
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def _settings(data: Path) -> Settings:
    return Settings(data=data, actor="tester", timezone="Europe/London")


def _add_owner(data: Path) -> None:
    _cli(data, "user", "add", OWNER, "--role", "owner", "--password-stdin", input=PASSWORD + "\n")


def test_user_add_asks_twice_hidden_and_never_shows_the_password(data: Path) -> None:
    added = _cli(data, "user", "add", OWNER, "--role", "owner", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.stdout.strip().endswith(f"added {OWNER} (owner)")
    assert "Password:" in added.stderr and "Repeat for confirmation:" in added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    mismatch = _cli(data, "user", "add", "sam@whitfield-digital.example", input=f"{PASSWORD}\nsomething else\n", code=1)
    assert "do not match" in mismatch.stderr and "something else" not in mismatch.stdout + mismatch.stderr
    archive = open_archive(_settings(data))
    try:
        token, signed = sign_in(archive, email=OWNER, password=PASSWORD, address="127.0.0.1")
        assert token and signed.role == "owner"
        with archive.read() as session:
            details = " ".join(e.details for e in session.exec(select(LedgerEntry)).all())
        assert PASSWORD not in details
    finally:
        archive.close()


def test_password_stdin_through_the_real_command(data: Path) -> None:
    env = {**os.environ, "CASEFILE_DATA": str(data)}
    added = subprocess.run([str(CASEFILE), "user", "add", OWNER, "--password-stdin", "--json"], input=PASSWORD + "\n",
                           capture_output=True, text=True, env=env, timeout=120)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["email"] == OWNER and PASSWORD not in added.stdout + added.stderr
    short = subprocess.run([str(CASEFILE), "user", "passwd", OWNER, "--password-stdin"], input="short\n",
                           capture_output=True, text=True, env=env, timeout=120)
    assert short.returncode == 1 and short.stderr == "error: a password needs at least 10 characters\n"


def test_user_list_disable_and_passwd(data: Path) -> None:
    _add_owner(data)
    _cli(data, "user", "add", "sam@whitfield-digital.example", "--password-stdin", input=PASSWORD + "\n")
    listed = json.loads(_cli(data, "user", "list", "--json").stdout)
    assert [(u["email"], u["role"], u["disabled"]) for u in listed] == [
        (OWNER, "owner", False), ("sam@whitfield-digital.example", "member", False)]
    human = _cli(data, "user", "list").stdout
    assert "sam@whitfield-digital.example" in human and "member" in human and "times in Europe/London" in human

    changed = _cli(data, "user", "passwd", OWNER, "--password-stdin", input="a brand new password\n")
    assert changed.stdout.strip() == f"password of {OWNER} changed; its sessions ended"
    disabled = json.loads(_cli(data, "user", "disable", "sam@whitfield-digital.example", "--json").stdout)
    assert disabled["disabled"] is True
    archive = open_archive(_settings(data))
    try:
        assert sign_in(archive, email=OWNER, password="a brand new password", address="x")[1].email == OWNER
    finally:
        archive.close()
    unknown = _cli(data, "user", "disable", "nobody@example.org", code=1)
    assert unknown.stderr == "error: no account for 'nobody@example.org'\n"


def test_tokens_are_shown_once_listed_with_last_use_and_revoked(data: Path) -> None:
    created = json.loads(_cli(data, "token", "create", "--name", "nightly", "--expires", "90d", "--json").stdout)
    secret, token = created["secret"], created["token"]
    assert secret.startswith("cf_") and token["role"] == "member" and token["expires_at"]
    human = _cli(data, "token", "create", "--name", "counsel", "--role", "lawyer", "--client", "northwind")
    first_line, second_line = human.stdout.splitlines()[:2]
    assert first_line.startswith("token 2 'counsel': lawyer, client northwind, expires never")
    assert second_line.startswith("cf_") and "only time the token is shown" in human.stderr

    listed = json.loads(_cli(data, "token", "list", "--json").stdout)
    assert [t["name"] for t in listed] == ["counsel", "nightly"] and listed[1]["last_used_at"] is None
    assert all("secret" not in t and secret not in json.dumps(t) for t in listed)
    archive = open_archive(_settings(data))
    try:
        assert token_user(archive, secret) is not None
    finally:
        archive.close()
    used = json.loads(_cli(data, "token", "list", "--json").stdout)
    assert used[1]["last_used_at"] is not None
    assert "last used" in _cli(data, "token", "list").stdout

    assert _cli(data, "token", "revoke", str(token["id"])).stdout.strip() == f"revoked token {token['id']} 'nightly'"
    assert json.loads(_cli(data, "token", "list", "--json").stdout)[1]["revoked"] is True
    archive = open_archive(_settings(data))
    try:
        assert token_user(archive, secret) is None
    finally:
        archive.close()
    assert _cli(data, "token", "revoke", "99", code=1).stderr == "error: no token with id 99\n"
    bad = _cli(data, "token", "create", "--name", "x", "--expires", "forever", code=1)
    assert bad.stderr == "error: 'forever' is not a duration (try 30d, 12h, 90m or 2w)\n"


def test_share_prints_the_link_and_its_expiry_then_revoke_and_the_access_log(data: Path) -> None:
    _add_owner(data)
    shared = _cli(data, "share", "northwind", "--to", LAWYER, "--expires", "30d")
    lines = shared.stdout.splitlines()
    assert lines[0].startswith(f"shared northwind with {LAWYER} until ") and lines[0].endswith("(Europe/London)")
    assert lines[1].startswith("sign-in link (works once, until ")
    assert lines[2].startswith("http://127.0.0.1:8000/signin/")
    assert "CASEFILE_PUBLIC_URL" in shared.stderr
    as_json = json.loads(_cli(data, "share", "northwind", "--to", LAWYER, "--json").stdout)
    assert as_json["email"] == LAWYER and as_json["client"] == "northwind" and as_json["link_expires_at"]
    archive = open_archive(_settings(data))
    try:
        use_signin_link(archive, secret=as_json["link"].rsplit("/", 1)[1], address="x")
    finally:
        archive.close()

    log = json.loads(_cli(data, "access-log", "northwind", "--json").stdout)
    assert [e["action"] for e in log] == ["share-signin", "share", "share"]
    assert "signed in by their link" in _cli(data, "access-log", "northwind").stdout

    revoked = _cli(data, "share", "northwind", "--to", LAWYER, "--revoke")
    assert revoked.stdout.strip() == f"access of {LAWYER} to northwind withdrawn"
    assert json.loads(_cli(data, "access-log", "northwind", "--json").stdout)[0]["action"] == "share-revoke"
    assert json.loads(_cli(data, "user", "list", "--json").stdout)[1]["clients"] == []
    missing = _cli(data, "share", "nobody", "--to", LAWYER, code=1)
    assert missing.stderr == "error: no client 'nobody'\n"


def test_sharing_before_any_account_of_the_firm_says_what_to_run(data: Path) -> None:
    shared = _cli(data, "share", "northwind", "--to", LAWYER)
    assert "casefile user add you@example.com --role owner" in shared.stderr


def test_serve_on_an_open_address_without_accounts_refuses_and_says_what_to_run(data: Path) -> None:
    refused = _cli(data, "serve", "--host", "0.0.0.0", "--port", "1", code=2)
    assert refused.stderr.startswith("error: refusing to serve on 0.0.0.0 with no accounts")
    assert "casefile user add you@example.com --role owner" in refused.stderr
    env = {**os.environ, "CASEFILE_DATA": str(data)}
    real = subprocess.run([str(CASEFILE), "serve", "--host", "192.0.2.10", "--port", "1"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert real.returncode == 2 and "refusing to serve on 192.0.2.10" in real.stderr
    archive = open_archive(_settings(data))
    try:
        assert open_serving_refusal(archive, "127.0.0.1") is None  # make run: local mode stays
    finally:
        archive.close()
    _add_owner(data)  # with an account the open address is allowed (everyone must sign in)
    archive = open_archive(_settings(data))
    try:
        assert open_serving_refusal(archive, "0.0.0.0") is None
    finally:
        archive.close()


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("casefile.example.org", False),
])
def test_which_addresses_count_as_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
