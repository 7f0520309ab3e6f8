"""Email threads: Message-ID / In-Reply-To / References first, subject and people after.

Headers decide when they exist: every Message-ID an email carries or cites is a node,
and an email joins the nodes it cites (union-find), so two replies to a message we never
received still land in one thread. The fallback is for a reply whose client dropped the
headers: an email with neither In-Reply-To nor References, whose subject says it is a
reply or forward (or which has no Message-ID at all), joins the latest earlier email
with the same normalised subject between the same people (each one's sender is among
the other's participants). Originals with a repeated subject stay separate threads.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from .loading import ItemFacts
from .schemas import ThreadSummary, trusted

__all__ = ["build_threads", "normalise_subject"]

_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|r)\s*(?:\[\d+\])?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)",
    re.IGNORECASE,
)
_REPLY = re.compile(r"^\s*(?:re|fw|fwd|aw|wg|sv|vs|antw|tr|rif)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)
_thread_summary = trusted(ThreadSummary)


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


def _people(item: ItemFacts) -> frozenset[str]:
    return frozenset(item.addresses("from", "to", "cc"))


def _order(item: ItemFacts) -> tuple[bool, datetime | None, int]:
    return (item.at_utc is None, item.at_utc, item.id)


def _lost_its_headers(item: ItemFacts) -> bool:
    """A reply (by its subject) without reply headers, or a message without any Message-ID."""
    if item.in_reply_to or item.references.strip():
        return False
    return bool(_REPLY.match(item.title)) or not item.message_id


def build_threads(emails: Sequence[ItemFacts]) -> tuple[dict[int, int], list[ThreadSummary]]:
    """Each email's thread id (its thread's earliest email) and a summary per thread."""
    ordered = sorted(emails, key=_order)  # type: ignore[arg-type]
    nodes = {item.id: _node(item) for item in ordered}  # each Message-ID normalised once
    links = _Union()
    find, union = links.find, links.union
    for item in ordered:
        cites = item.references.split()
        if item.in_reply_to or cites:  # a first message links nothing
            node = find(nodes[item.id])
            for cited in _cited(item.in_reply_to, cites):
                union(node, cited)
    orphans = {item.id for item in ordered if _lost_its_headers(item)}
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
    members: dict[str, list[ItemFacts]] = defaultdict(list)
    for item in ordered:  # in date order, so a thread's first member is its earliest
        members[find(nodes[item.id])].append(item)
    thread_of: dict[int, int] = {}
    summaries: list[ThreadSummary] = []
    # members were filled in date order, so threads come out ordered by their first email
    for group in members.values():
        head = group[0]
        for item in group:
            thread_of[item.id] = head.id
        dated = [i.occurred_at for i in group if i.at_utc is not None]
        summaries.append(_thread_summary({
            "thread_id": head.id,
            "subject": head.title,
            "item_ids": [i.id for i in group],
            "count": len(group),
            "first_at": dated[0] if dated else None,
            "last_at": dated[-1] if dated else None,
        }))
    return thread_of, summaries
