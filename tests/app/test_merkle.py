"""The ledger's Merkle tree: RFC 6962 hashing, inclusion and consistency proofs."""

from __future__ import annotations

import hashlib

import pytest

from app.merkle import (
    audit_paths,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    prefix_roots,
    root,
    verify_consistency,
    verify_inclusion,
)


def _rfc6962_mth(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 § 2.1 writes it (recursive, split at the largest power of two)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _rfc6962_mth(leaves[:k]) + _rfc6962_mth(leaves[k:])).digest()


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_leaves_and_nodes_are_domain_separated() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    # RFC 6962's empty tree, and a one-leaf tree is its leaf
    assert root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root(_leaves(1)) == _leaves(1)[0]


@pytest.mark.parametrize("n", range(1, 34))
def test_the_root_is_rfc6962s(n: int) -> None:
    assert root(_leaves(n)) == _rfc6962_mth(_leaves(n))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 13, 32, 33])
def test_every_leaf_has_an_inclusion_proof_and_a_wrong_one_fails(n: int) -> None:
    leaves = _leaves(n)
    top = root(leaves)
    for index in range(n):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(index, n, leaves[index], proof, top)
        assert not verify_inclusion(index, n, leaf_hash(b"forged"), proof, top)
        if n > 1:
            assert not verify_inclusion((index + 1) % n, n, leaves[index], proof, top)


@pytest.mark.parametrize("n", [2, 3, 4, 7, 8, 9, 16, 21])
def test_a_grown_tree_is_consistent_with_every_earlier_one(n: int) -> None:
    leaves = _leaves(n)
    for m in range(1, n + 1):
        proof = consistency_proof(m, leaves)
        assert verify_consistency(m, n, root(leaves[:m]), root(leaves), proof)


def test_a_changed_or_removed_entry_breaks_consistency() -> None:
    leaves = _leaves(12)
    kept_root = root(leaves[:7])
    changed = leaves.copy()
    changed[3] = leaf_hash(b"re-hashed entry 3")
    assert not verify_consistency(7, 12, kept_root, root(changed), consistency_proof(7, changed))
    shorter = leaves[:3] + leaves[4:]  # entry 3 removed, the rest moved up
    assert not verify_consistency(7, 11, kept_root, root(shorter), consistency_proof(7, shorter))


def test_prefix_roots_in_one_pass_are_each_prefixs_root() -> None:
    leaves = _leaves(40)
    sizes = [1, 2, 3, 7, 8, 9, 16, 17, 31, 40, 41, 0]
    found = prefix_roots(leaves, sizes)
    assert sorted(found) == [s for s in sorted(set(sizes)) if 0 < s <= 40]
    assert all(found[s] == _rfc6962_mth(leaves[:s]) for s in found)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 7, 8, 9, 15, 16, 17, 33])
def test_audit_paths_from_the_levels_are_rfc6962s(n: int) -> None:
    leaves = _leaves(n)
    paths = audit_paths(leaves, range(n))
    assert all(paths[i] == inclusion_proof(i, leaves) for i in range(n))
