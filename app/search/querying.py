"""Checking a person's query before it reaches the engine: limits and friendly errors.

Whoosh's parser accepts almost anything and guesses; a person deserves to be told when
a query cannot mean what they typed (an open quote, a wildcard that would scan every word
in the archive) instead of getting a surprising result or a slow one.
"""

from __future__ import annotations

import re

from ..errors import InvalidInput

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "check_query"]

MAX_QUERY_CHARS = 500
MAX_TERMS = 40
MIN_WILDCARD_PREFIX = 2

_TOKEN = re.compile(r'[-+]?"[^"]*"|\S+')  # a phrase, excluded (-) or required (+), is one term
# the operator words; the signs ``-word`` and ``+word`` (whoosh_index) are stripped per term below
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def _balanced_parentheses(text: str) -> bool:
    depth = 0
    for char in re.sub(r'"[^"]*"', "", text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def check_query(text: str) -> str:
    """The query, trimmed, if it is acceptable; otherwise ``InvalidInput`` saying why."""
    query = " ".join(text.split())
    if not query:
        raise InvalidInput("the query is empty: type a word or a phrase")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    if query.count('"') % 2:
        raise InvalidInput('the query has an unclosed quote (")')
    if not _balanced_parentheses(query):
        raise InvalidInput("the query's parentheses do not match")
    tokens = [t for t in _TOKEN.findall(query) if t not in _OPERATORS]
    if len(tokens) > MAX_TERMS:
        raise InvalidInput(f"the query has {len(tokens)} terms; the limit is {MAX_TERMS}")
    for token in tokens:
        if token.lstrip("-+").startswith('"'):
            continue
        word = token.lstrip("(-+").rstrip(")")
        if ":" in word and not word.startswith(("[", "{")):
            word = word.split(":", 1)[1].lstrip("([{")
        if not word or word.startswith("["):
            continue
        if word in ("*", "?") or set(word) <= {"*", "?"}:
            raise InvalidInput("'*' alone would match everything: add a word, or list items instead")
        first_wild = min((i for i, c in enumerate(word) if c in "*?"), default=None)
        if first_wild is not None and first_wild < MIN_WILDCARD_PREFIX:
            raise InvalidInput(
                f"'{token}': wildcards need at least {MIN_WILDCARD_PREFIX} letters before them "
                "(a leading wildcard would scan every word in the archive)"
            )
    return query
