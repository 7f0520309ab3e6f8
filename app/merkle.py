"""A Merkle tree over the custody ledger, as RFC 6962 (Certificate Transparency) defines it.

Leaves are the ledger entries' own hashes, in sequence order. The tree's root after N
entries commits to every one of them: a checkpoint (``app.checkpoints``) signs that root,
an *inclusion proof* shows one entry is in it, and a *consistency proof* shows a later
tree extends an earlier one, i.e. nothing before the earlier size was changed, removed or
re-hashed. The hashing and the proof shapes are RFC 6962 § 2.1 exactly, so any
implementation of it (and the short ``verify_*`` functions below) can check them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "audit_paths",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "prefix_roots",
    "root",
    "verify_consistency",
    "verify_inclusion",
]


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): a leaf, never mistaken for an inner node."""
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaf hashes; the hash of the empty string for no leaves.

    Computed level by level (not by recursion): an odd node out is carried up unpaired,
    which gives the same tree as RFC 6962's split at the largest power of two.
    """
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    while len(level) > 1:
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def prefix_roots(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The roots of the trees of the first ``size`` leaves, for each size, in one pass.

    The pass keeps the frontier (the roots of the perfect subtrees that make up the prefix
    so far); a prefix's root is the frontier folded from the right, as RFC 6962's split at
    the largest power of two builds it. Checking a thousand checkpoints costs one walk.
    """
    wanted = sorted({s for s in sizes if 0 < s <= len(leaves)})
    found: dict[int, bytes] = {}
    frontier: list[tuple[int, bytes]] = []  # (height, root), heights strictly decreasing
    at = 0
    for size in wanted:
        while at < size:
            height, value = 0, leaves[at]
            while frontier and frontier[-1][0] == height:
                value = _node(frontier.pop()[1], value)
                height += 1
            frontier.append((height, value))
            at += 1
        folded = frontier[-1][1]
        for _, left in reversed(frontier[:-1]):
            folded = _node(left, folded)
        found[size] = folded
    return found


def audit_paths(leaves: Sequence[bytes], indices: Iterable[int]) -> dict[int, list[bytes]]:
    """``inclusion_proof`` for many leaves of one tree, from its levels built once.

    A node without a sibling on its level is carried up unpaired (as ``root`` builds the
    tree), and that level adds nothing to its path: the same paths as RFC 6962's PATH.
    """
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        levels.append(paired)
    paths: dict[int, list[bytes]] = {}
    for index in indices:
        if not 0 <= index < len(leaves):
            raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
        path, at = [], index
        for level in levels[:-1]:
            sibling = at ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            at >>= 1
        paths[index] = path
    return paths


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index`` in the tree of ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            path.append(root(leaves[lo : lo + k]))
            lo = lo + k
    return path[::-1]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """True when ``proof`` shows ``leaf`` (a leaf hash) at ``index`` in the tree of ``size``
    with root ``expected_root`` (RFC 9162 § 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, value = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            value = _node(sibling, value)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            value = _node(value, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and value == expected_root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): that the tree of the first ``old_size`` leaves is a prefix of this one."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from {old_size} to {len(leaves)}")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """True when ``proof`` shows the tree of ``new_size`` (root ``new_root``) extends the
    tree of ``old_size`` (root ``old_root``) (RFC 9162 § 2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
