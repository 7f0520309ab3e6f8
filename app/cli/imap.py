"""The import-imap command: one folder of a mail account into the archive (app.imap_import)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..imap_import import MailServer, Security, import_imap
from .accounts import is_loopback
from .common import JsonOpt, app, archive_for, emit_json, err, out, parse_day

PASSWORD_ENV = "CASEFILE_IMAP_PASSWORD"


def _usage_error(message: str) -> typer.Exit:
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(2)


def _security(host: str, starttls: bool, no_tls: bool, insecure: bool, ca_file: Path | None) -> Security:
    """The connection's protection from the options, refusing combinations that would mislead."""
    if starttls and no_tls:
        raise _usage_error("--starttls and --no-tls contradict each other: give one")
    if insecure and not no_tls:
        raise _usage_error("--insecure only goes with --no-tls (it never turns certificate checks off; for a "
                           "server's own certificate use --ca-file)")
    if no_tls and ca_file is not None:
        raise _usage_error("--ca-file needs TLS: leave out --no-tls")
    if no_tls and not insecure and not is_loopback(host):
        # the password (and every message) would cross the network readable by anyone on the way
        raise _usage_error(f"refusing to send the password unencrypted to {host}: --no-tls is for a server on "
                           "this machine (127.0.0.1, localhost); add --insecure to do it anyway")
    if ca_file is not None and not ca_file.is_file():
        raise _usage_error(f"no such file: {ca_file} (--ca-file)")
    return "none" if no_tls else ("starttls" if starttls else "tls")


def _password(env_name: str | None, user: str, host: str) -> str:
    """The password from the environment, else asked at a hidden prompt; never an argument."""
    name = env_name or PASSWORD_ENV
    value = os.environ.get(name)
    if value:
        return value
    if env_name:
        raise _usage_error(f"the environment variable {env_name} (--password-env) is not set")
    if not sys.stdin.isatty():
        raise _usage_error(f"no password: set {PASSWORD_ENV} (or name another variable with --password-env), "
                           "or run in a terminal to be asked")
    return getpass.getpass(f"IMAP password for {user} at {host}: ")


@app.command("import-imap")
def import_imap_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The IMAP server, e.g. imap.fastmail.com.")],
    user: Annotated[str, typer.Option("--user", help="The account's user name (often the e-mail address).")],
    client: Annotated[str, typer.Option("--client", help="Client slug the messages belong to (created on first use).")],
    folder: Annotated[str, typer.Option("--folder", help="The folder, e.g. INBOX or 'Sent Items'.")] = "INBOX",
    since: Annotated[
        str | None, typer.Option("--since", help="Only messages the server received on or after this day (YYYY-MM-DD).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Default 993 (IMAPS), 143 with --starttls/--no-tls.")
    ] = None,
    starttls: Annotated[
        bool, typer.Option("--starttls", help="Connect in plain text (port 143), then switch to TLS before signing in.")
    ] = False,
    no_tls: Annotated[
        bool, typer.Option("--no-tls", help="No encryption at all: only to 127.0.0.1/localhost (a local bridge), "
                                            "unless --insecure is given too.")
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow --no-tls to another machine (password and mail readable on the "
                                              "way). Certificates are always checked.")
    ] = False,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="Trust this certificate (PEM), for a server with its own "
                                                    "(self-signed) certificate.")
    ] = None,
    password_env: Annotated[
        str | None, typer.Option("--password-env", metavar="NAME", help=f"Read the password from this environment "
                                                                        f"variable (default {PASSWORD_ENV}).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the server before giving up.")
    ] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Import one folder of an IMAP mailbox: each message's exact bytes, stored as an .eml.

    TLS (IMAPS, port 993) by default, certificate checked. The password comes from
    CASEFILE_IMAP_PASSWORD (or --password-env NAME) or is asked, hidden; it is never
    stored, printed or put in the custody ledger. Messages stay unread on the server.
    Messages already in the archive are skipped; a second run fetches only what arrived
    since, and a run that was cut off resumes after the last message it stored.

    Example: casefile import-imap --host imap.example.com --user dana@example.com --folder INBOX --client northwind
    """
    security = _security(host, starttls, no_tls, insecure, ca_file)
    day = parse_day(since)
    password = _password(password_env, user, host)
    server = MailServer(host=host, username=user, port=port, security=security, ca_file=ca_file, timeout=timeout)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not sys.stderr.isatty())
    task = bar.add_task(f"connecting to {server.address}", total=None)

    def progress(note: str, done: int, total: int) -> None:
        bar.update(task, description=note[:40], completed=done, total=total or None)

    with archive_for(ctx) as archive, bar:
        report = import_imap(archive, server=server, password=password, folder=folder, client=client, since=day,
                             progress=progress)
    for line in report.notes + report.problems:
        err.print(line, markup=False, highlight=False)
    if as_json:
        emit_json(report.as_dict())
    else:
        out.print(report.summary(), markup=False, highlight=False)
    for line in report.errors:  # one line: what stopped the import, and that a re-run resumes
        err.print(f"error: {line}", markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
