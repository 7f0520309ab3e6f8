"""Reading GET forms as people fill them in: blank fields, typed dates, links that keep the filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from urllib.parse import urlencode

from ..errors import InvalidInput

__all__ = ["Pager", "blank_none", "optional_day", "url_with"]

FormValue = str | int | bool | Iterable[str] | None


def blank_none(value: str | None) -> str | None:
    """A form field's value, or None when it was left empty (a GET form sends ``kind=``)."""
    text = (value or "").strip()
    return text or None


def optional_day(value: str | None, label: str) -> date | None:
    """The date typed in the ``label`` field (YYYY-MM-DD), None if blank, else ``InvalidInput``."""
    text = blank_none(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' in “{label}” is not a date: use the form YYYY-MM-DD, e.g. 2024-05-31") from None


def url_with(path: str, params: Mapping[str, FormValue], **changes: FormValue) -> str:
    """``path`` with the query ``params`` (blank ones dropped) and ``changes`` applied."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value is False or value == "":
            continue
        if value is True:
            pairs.append((key, "true"))
        elif isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, v) for v in value if v)
    return f"{path}?{urlencode(pairs)}" if pairs else path


class Pager:
    """Where a page of ``size`` results sits in ``total``: "showing 51–100 of 340", previous/next."""

    def __init__(self, *, page: int, size: int, total: int) -> None:
        self.page, self.size, self.total = page, size, total

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))
