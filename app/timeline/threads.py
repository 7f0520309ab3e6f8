"""Email threads: Message-ID / In-Reply-To / References first, subject and people after.

Headers decide when they exist: every Message-ID an email carries or cites is a node,
and an email joins the nodes it cites (union-find), so two replies to a message we never
received still land in one thread. The fallback is for a reply whose client dropped the
headers: an email with neither In-Reply-To nor References, whose subject says it is a
reply or forward (or which has no Message-ID at all), joins the latest earlier email
with the same normalised subject between the same people (each one's sender is among
the other's participants). Originals with a repeated subject stay separate threads.
Gmail's thread id (``X-GM-THRID`` in a Takeout mbox) is a node too: Gmail's own grouping.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from .loading import ItemFacts

__all__ = ["build_threads", "normalise_subject"]

_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|r)\s*(?:\[\d+\])?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)",
    re.IGNORECASE,
)
_REPLY = re.compile(r"^\s*(?:re|fw|fwd|aw|wg|sv|vs|antw|tr|rif)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)
_ID, _AT = attrgetter("id"), attrgetter("at_utc")


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes or list tags, spaced and cased alike."""
    value = subject
    while match := _PREFIX.match(value):
        value = value[match.end() :]
    return " ".join(value.split()).casefold()


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}  # only linked nodes: any other node is its own root

    def find(self, node: str) -> str:
        parent = self.parent
        root = parent.get(node, node)
        if root == node:  # most messages start or join nothing: one lookup
            return node
        up = parent.get(root, root)
        while up != root:
            root, up = up, parent.get(up, up)
        while node != root:  # path compression keeps the whole pass near-linear
            parent[node], node = root, parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _node(item: ItemFacts) -> str:
    return item.message_id.strip().lower() if item.message_id else f"item:{item.id}"


def _cited(in_reply_to: str | None, references: list[str]) -> Iterable[str]:
    if in_reply_to:
        yield in_reply_to.strip().lower()
    for ref in references:
        yield ref.lower()


def _gmail_thread(item: ItemFacts) -> str | None:
    """The node of the Gmail conversation the email belongs to, if its mbox said."""
    if '"gmail_thread_id"' not in item.facts_json:  # a substring test spares parsing every email's facts
        return None
    value = json.loads(item.facts_json).get("gmail_thread_id")
    return f"x-gm-thrid:{value}" if value else None


def _people(item: ItemFacts) -> frozenset[str]:
    return frozenset(item.addresses("from", "to", "cc"))


def _in_date_order(emails: Sequence[ItemFacts]) -> list[ItemFacts]:
    """By instant, undated last, then by id: two stable sorts, no key tuple per email."""
    by_id = sorted(emails, key=_ID)  # near free: callers pass emails in id order
    dated = [item for item in by_id if item.at_utc is not None]
    dated.sort(key=_AT)
    return dated + [item for item in by_id if item.at_utc is None] if len(dated) < len(by_id) else dated


def _lost_its_headers(item: ItemFacts) -> bool:
    """A reply (by its subject) without reply headers, or a message without any Message-ID."""
    if item.in_reply_to or item.references.strip():
        return False
    return bool(_REPLY.match(item.title)) or not item.message_id


def build_threads(emails: Sequence[ItemFacts]) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Each email's thread id (its thread's earliest email) and a summary per thread.

    A summary is plain data: the fields of ``schemas.ThreadSummary``, in order.
    """
    ordered = _in_date_order(emails)
    nodes = {item.id: _node(item) for item in ordered}  # each Message-ID normalised once
    links = _Union()
    find, union = links.find, links.union
    orphans: set[int] = set()
    for item in ordered:
        gmail = _gmail_thread(item)
        if gmail:
            # Gmail's own thread id (X-GM-THRID, kept by Takeout) holds a conversation
            # together even where a client dropped the reply headers
            union(find(nodes[item.id]), gmail)
        if item.in_reply_to or item.references:
            cites = item.references.split()
            if item.in_reply_to or cites:  # a first message links nothing
                node = find(nodes[item.id])
                for cited in _cited(item.in_reply_to, cites):
                    union(node, cited)
                continue
        if _lost_its_headers(item) and not gmail:
            orphans.add(item.id)
    by_subject: dict[str, list[ItemFacts]] = defaultdict(list)
    for item in ordered if orphans else ():
        subject = normalise_subject(item.title)
        if item.id in orphans and subject:
            people, sender = _people(item), item.sender
            for earlier in reversed(by_subject[subject]):
                if earlier.sender in people and sender in _people(earlier):
                    union(nodes[earlier.id], nodes[item.id])
                    break
        by_subject[subject].append(item)
    members: dict[str, list[ItemFacts]] = {}
    parent = links.parent
    for item in ordered:  # in date order, so a thread's first member is its earliest
        node = nodes[item.id]
        if node in parent:  # only linked nodes need a walk to their root
            node = find(node)
        found = members.get(node)
        if found is None:
            members[node] = [item]
        else:
            found.append(item)
    thread_of: dict[int, int] = {}
    summaries: list[dict[str, Any]] = []
    # members were filled in date order, so threads come out ordered by their first email
    for group in members.values():
        head = group[0]
        head_id = head.id
        if len(group) == 1:  # most threads are one message: no lists to filter
            thread_of[head_id] = head_id
            first = head.occurred_at if head.at_utc is not None else None
            summaries.append({"thread_id": head_id, "subject": head.title, "item_ids": [head_id], "count": 1,
                              "first_at": first, "last_at": first})
            continue
        for item in group:
            thread_of[item.id] = head_id
        dated = [i.occurred_at for i in group if i.at_utc is not None]
        summaries.append({
            "thread_id": head_id,
            "subject": head.title,
            "item_ids": [i.id for i in group],
            "count": len(group),
            "first_at": dated[0] if dated else None,
            "last_at": dated[-1] if dated else None,
        })
    return thread_of, summaries
