"""Account commands: user (add, list, disable, passwd), token (create, list, revoke), share, access-log.

Passwords are asked twice at a hidden prompt, or read from the first line of stdin with
``--password-stdin`` (scripts); they are never printed, logged or put on a command line
(where ``ps`` and the shell's history would show them).
"""

from __future__ import annotations

import ipaddress
import sys
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table

from ..accounts.common import STAFF, as_utc, parse_duration
from ..accounts.sharing import access_log, revoke_share, share_client
from ..accounts.tokens import create_token, list_tokens, revoke_token
from ..accounts.users import add_user, any_users, disable_user, list_users, set_password
from ..archive import Archive
from ..models import utc_now
from .common import JsonOpt, app, archive_for, emit_json, err, out

__all__ = ["FIRST_ACCOUNT", "is_loopback", "open_serving_refusal", "token_app", "user_app"]

user_app = typer.Typer(help="Accounts of the people who sign in (owners and members).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts (Authorization: Bearer).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

FIRST_ACCOUNT = "casefile user add you@example.com --role owner"
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin (for scripts).")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            err.print("error: --password-stdin given but stdin is empty", markup=False)
            raise typer.Exit(1)
        return line.rstrip("\r\n")
    # hidden, and typed twice: a typo in a password nobody can see locks its owner out
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


def _local(archive: Archive, value: datetime | str | None) -> str:
    """An instant as a person reads it: in the archive's time zone (CASEFILE_TIMEZONE), to the minute."""
    if value is None:
        return "never"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).astimezone(ZoneInfo(archive.settings.timezone)).strftime("%Y-%m-%d %H:%M")


_TIME_COLUMNS = {"created", "expires", "last used", "when"}


def _table(archive: Archive, *columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, caption=f"times in {archive.settings.timezone}")
    for name in columns:  # a time is read whole or not at all
        table.add_column(name, no_wrap=name in _TIME_COLUMNS)
    return table


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    role: Annotated[str, typer.Option("--role", help="owner (manages accounts, sharing) or member.")] = "member",
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Create an account; the password is asked twice (hidden).

    Example: casefile user add dana@whitfield-digital.example --role owner
    """
    password = _password(password_stdin)
    with archive_for(ctx) as archive:
        user = add_user(archive, email=email, role=role, password=password)
    if as_json:
        emit_json(user)
    else:
        out.print(f"added {user.email} ({user.role})", markup=False, highlight=False)


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the accounts: role, state and (for a lawyer) the clients shared with them."""
    with archive_for(ctx) as archive:
        users = list_users(archive)
        if as_json:
            emit_json(users)
            return
        table = _table(archive, "email", "role", "state", "clients", "created")
        for u in users:
            state = "disabled" if u.disabled else ("link only" if not u.has_password else "active")
            shown = ", ".join(u.clients) if u.role == "lawyer" else "all"
            table.add_row(u.email, u.role, state, shown, _local(archive, u.created_at))
    out.print(table)


@user_app.command("disable")
def user_disable(
    ctx: typer.Context, email: Annotated[str, typer.Argument(metavar="EMAIL")], as_json: JsonOpt = False
) -> None:
    """Stop an account from signing in; its sessions end at once (its history stays).

    Example: casefile user disable sam@whitfield-digital.example
    """
    with archive_for(ctx) as archive:
        user = disable_user(archive, email=email)
    if as_json:
        emit_json(user)
    else:
        out.print(f"disabled {user.email}: signed out everywhere", markup=False, highlight=False)


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context, email: Annotated[str, typer.Argument(metavar="EMAIL")], password_stdin: PasswordStdinOpt = False
) -> None:
    """Set a new password (asked twice, hidden); the account's sessions end.

    Example: casefile user passwd dana@whitfield-digital.example
    """
    password = _password(password_stdin)
    with archive_for(ctx) as archive:
        set_password(archive, email=email, password=password)
    out.print(f"password of {email.strip().lower()} changed; its sessions ended", markup=False, highlight=False)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in lists).")],
    role: Annotated[str, typer.Option("--role", help="member (reads and changes), owner, or lawyer.")] = "member",
    client: Annotated[str | None, typer.Option("--client", help="Only this client's matter (a lawyer's).")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="How long it works: 90d, 12h, 2w.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; its secret is printed this once (keep it, it is stored hashed).

    Example: casefile token create --name nightly-backup --role member --expires 90d
    """
    with archive_for(ctx) as archive:
        secret, token = create_token(
            archive, name=name, role=role, client=client, expires_in=parse_duration(expires) if expires else None
        )
        expiry = _local(archive, token.expires_at)
    if as_json:
        emit_json({"secret": secret, "token": token.model_dump(mode="json")})
        return
    scope = f"client {token.client}" if token.client else "all clients"
    zone = f" ({ctx.obj.timezone})" if token.expires_at else ""
    out.print(f"token {token.id} '{token.name}': {token.role}, {scope}, expires {expiry}{zone}", markup=False,
              highlight=False)
    out.print(secret, markup=False, highlight=False)
    err.print("this is the only time the token is shown: send it as 'Authorization: Bearer <token>'", markup=False)


@token_app.command("list")
def token_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the tokens (never their secrets), with when each was last used."""
    with archive_for(ctx) as archive:
        tokens = list_tokens(archive)
        if as_json:
            emit_json(tokens)
            return
        table = _table(archive, "id", "name", "role", "client", "expires", "last used", "state")  # --json: all
        for t in tokens:
            expired = t.expires_at is not None and as_utc(t.expires_at) <= utc_now()
            state = "revoked" if t.revoked else ("expired" if expired else "active")
            table.add_row(str(t.id), t.name, t.role, t.client or "all", _local(archive, t.expires_at),
                          _local(archive, t.last_used_at), state)
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOpt = False
) -> None:
    """Stop a token from working, from its next request on.

    Example: casefile token revoke 3
    """
    with archive_for(ctx) as archive:
        token = revoke_token(archive, token_id=token_id)
    if as_json:
        emit_json(token)
    else:
        out.print(f"revoked token {token.id} '{token.name}'", markup=False, highlight=False)


@app.command()
def share(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client slug.")],
    to: Annotated[str, typer.Option("--to", help="The lawyer's e-mail address.")],
    expires: Annotated[str, typer.Option("--expires", help="How long their access lasts: 30d, 2w, 12h.")] = "30d",
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw their access now instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Give a lawyer read-only access to one client, with a one-time sign-in link (or --revoke it).

    Example: casefile share northwind --to counsel@lawfirm.example --expires 30d
    """
    with archive_for(ctx) as archive:
        if revoke:
            grant = revoke_share(archive, client=client, email=to)
            if as_json:
                emit_json(grant)
            else:
                out.print(f"access of {grant.email} to {grant.client} withdrawn", markup=False, highlight=False)
            return
        staff_before = any(u.role in STAFF for u in list_users(archive))
        shared = share_client(archive, client=client, email=to, expires_in=parse_duration(expires))
        zone = archive.settings.timezone
        link_until = f"{_local(archive, shared.link_expires_at)} ({zone})"
        access_until = f"{_local(archive, shared.access_expires_at)} ({zone})"
        public_url = archive.settings.public_url
    if as_json:
        emit_json(shared)
    else:
        out.print(f"shared {shared.client} with {shared.email} until {access_until}", markup=False, highlight=False)
        out.print(f"sign-in link (works once, until {link_until}):", markup=False, highlight=False)
        out.print(shared.link, markup=False, highlight=False, soft_wrap=True)
    if not public_url:
        err.print("note: the link names this machine; set CASEFILE_PUBLIC_URL to the address the lawyer reaches "
                  "Casefile at", markup=False)
    if not staff_before:
        err.print(f"note: the archive now has accounts, so the browser asks everyone to sign in; create yours: "
                  f"{FIRST_ACCOUNT}", markup=False)


@app.command("access-log")
def access_log_cmd(
    ctx: typer.Context, client: Annotated[str, typer.Argument(help="Client slug.")], as_json: JsonOpt = False
) -> None:
    """What was shared from a client and everything a lawyer was shown, newest first.

    Example: casefile access-log northwind
    """
    with archive_for(ctx) as archive:
        entries = access_log(archive, client=client)
        if as_json:
            emit_json(entries)
            return
        table = _table(archive, "when", "who", "what", "item")
        for e in entries:
            table.add_row(_local(archive, e.at), e.actor, e.what, f"#{e.item_id}" if e.item_id else "")
    out.print(table)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (127.0.0.1, ::1, localhost); a name may resolve anywhere."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_serving_refusal(archive: Archive, host: str) -> str | None:
    """Why serving on ``host`` is refused (reachable from other machines while nobody has to sign in), if it is."""
    if is_loopback(host) or any_users(archive):
        return None
    return (f"refusing to serve on {host} with no accounts: anyone reaching this port would read the whole "
            f"archive; create your account first: {FIRST_ACCOUNT}")
