"""Clients and "us": who the archive belongs to, whose mail is whose, and routing.

The owner's own addresses/domains (``casefile init --me``) are never learned as a
client's. A client learns its correspondents' domains (senders and direct recipients of
mail ingested for it; not those copied in) except for public mail providers, where only
the whole address says who it is.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from .errors import ClientNotFound, InvalidInput
from .models import Client, ClientAddress, Meta

__all__ = [
    "UNASSIGNED",
    "Identity",
    "Router",
    "ensure_client",
    "get_client",
    "load_identity",
    "save_identity",
    "validate_slug",
]

UNASSIGNED = "unassigned"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Addresses at these domains belong to individuals, not organisations.
PUBLIC_MAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk live.com live.co.uk msn.com
    yahoo.com yahoo.co.uk yahoo.fr yahoo.de ymail.com rocketmail.com aol.com icloud.com me.com
    mac.com proton.me protonmail.com pm.me gmx.com gmx.de gmx.net web.de mail.com zoho.com
    yandex.com yandex.ru mail.ru fastmail.com hey.com tutanota.com qq.com 163.com 126.com
    btinternet.com sky.com virginmedia.com orange.fr free.fr laposte.net t-online.de
    libero.it comcast.net verizon.net att.net
    """.split()
)


def validate_slug(slug: str) -> str:
    """``slug`` if it is a usable client name (lower-case letters, digits, dashes)."""
    slug = slug.strip()
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"'{slug}' is not a valid client slug: use lower-case letters, digits and dashes"
        )
    return slug


def get_client(session: Session, slug: str) -> Client:
    """The client called ``slug``, or ``ClientNotFound``."""
    client = session.exec(select(Client).where(Client.slug == slug)).first()
    if client is None:
        raise ClientNotFound(slug)
    return client


def ensure_client(session: Session, slug: str) -> tuple[Client, bool]:
    """The client called ``slug``, created on first use; the flag says it is new."""
    slug = validate_slug(slug)
    client = session.exec(select(Client).where(Client.slug == slug)).first()
    if client is not None:
        return client, False
    name = "Unassigned" if slug == UNASSIGNED else slug.replace("-", " ").title()
    client = Client(slug=slug, name=name)
    session.add(client)
    session.flush()
    return client, True


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1] if "@" in address else ""


@dataclass(frozen=True)
class Identity:
    """The archive owner's own addresses and domains."""

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    def is_us(self, address: str) -> bool:
        address = address.lower()
        return address in self.addresses or domain_of(address) in self.domains

    @property
    def configured(self) -> bool:
        return bool(self.addresses or self.domains)


def parse_identity(values: Iterable[str]) -> Identity:
    """Splits ``--me`` values into whole addresses and domains."""
    addresses: set[str] = set()
    domains: set[str] = set()
    for raw in values:
        value = raw.strip().lower().lstrip("@")
        if not value or " " in value:
            raise InvalidInput(f"'{raw}' is neither an email address nor a domain")
        (addresses if "@" in value else domains).add(value)
    return Identity(frozenset(addresses), frozenset(domains))


def load_identity(session: Session) -> Identity:
    meta = session.get(Meta, "owner_identity")
    if meta is None:
        return Identity()
    data = json.loads(meta.value)
    return Identity(frozenset(data["addresses"]), frozenset(data["domains"]))


def save_identity(session: Session, identity: Identity) -> None:
    value = json.dumps(
        {"addresses": sorted(identity.addresses), "domains": sorted(identity.domains)}
    )
    meta = session.get(Meta, "owner_identity")
    if meta is None:
        session.add(Meta(key="owner_identity", value=value))
    else:
        meta.value = value
        session.add(meta)


class Router:
    """Decides a message's client from its correspondents, and learns new ones.

    Loaded once per ingest run; learning writes through to the session immediately.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.identity = load_identity(session)
        self.known: dict[str, int] = {
            row.value: row.client_id for row in session.exec(select(ClientAddress)).all()
        }
        self._client_ids: dict[str, int] = {}

    def client_id(self, slug: str) -> int:
        """The id of the client ``slug`` (created on first use), cached for this run."""
        if slug not in self._client_ids:
            client, _ = ensure_client(self.session, slug)
            assert client.id is not None
            self._client_ids[slug] = client.id
        return self._client_ids[slug]

    def _key(self, address: str) -> tuple[str, str] | None:
        address = address.lower().strip()
        if "@" not in address or self.identity.is_us(address):
            return None
        domain = domain_of(address)
        if domain in PUBLIC_MAIL_DOMAINS:
            return address, "address"
        return domain, "domain"

    def route(self, addresses: Iterable[str]) -> int | None:
        """The client most of these correspondents belong to; None when unknown or tied."""
        votes: Counter[int] = Counter()
        for address in addresses:
            address = address.lower().strip()
            if address in self.known:
                votes[self.known[address]] += 1
                continue
            key = self._key(address)
            if key and key[0] in self.known:
                votes[self.known[key[0]]] += 1
        if not votes:
            return None
        ranked = votes.most_common(2)
        if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]

    def learn(self, client_id: int, addresses: Iterable[str]) -> list[str]:
        """Remembers these correspondents as the client's; returns what was new."""
        learned: list[str] = []
        for address in addresses:
            key = self._key(address)
            if key is None or key[0] in self.known:
                continue
            value, kind = key
            self.session.add(ClientAddress(client_id=client_id, value=value, kind=kind))
            self.known[value] = client_id
            learned.append(value)
        return learned
