"""The ``Timeline`` models from the build's plain data, without validating it a second time.

``build`` assembles plain data in the models' shape and writes the JSON from it; the
renderers, the web page and the evidence bundle read models. Validating 23,000 entries
only re-checks what the build has just produced (~180 ms at 20,000 items) and leaves the
collector ~30% more objects to walk afterwards; wrapping the same values takes ~110 ms.
The tests check the result equals a validated copy, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from ..schemas import NotePublic
from .schemas import (
    AttachmentRef,
    KeyFacts,
    MentionRef,
    Silence,
    SourceRef,
    ThreadSummary,
    Timeline,
    TimelineEntry,
    TimelineFilters,
    UndatedItem,
)

__all__ = ["timeline_from", "trusted"]

_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[_M]) -> Callable[[dict[str, Any]], _M]:
    """A constructor of ``cls`` from a dict with every field, in field order, already of its type.

    For payloads this package builds from its own rows. ``model_construct`` costs more
    than validation (it walks the fields in Python); this does what both end with. The
    dict becomes the model's own: it must not be used elsewhere afterwards.
    """
    config, fields = cls.model_config, cls.model_fields
    # Only plain models qualify: an alias, extra fields, private attributes or a
    # post-init hook would make skipping model_construct's bookkeeping wrong.
    if (cls.__pydantic_post_init__ or cls.__private_attributes__ or config.get("extra") == "allow"
            or any(f.alias or f.validation_alias for f in fields.values())):
        raise TypeError(f"{cls.__name__} cannot be built without validation")
    names, count = set(fields), len(fields)
    new = object.__new__

    def make(values: dict[str, Any]) -> _M:
        if len(values) != count:
            raise TypeError(f"{cls.__name__} needs {sorted(names - set(values))}, got {sorted(set(values) - names)}")
        model = new(cls)
        _set(model, "__dict__", values)
        # shared: every field is always set, so pydantic's own updates never change it
        _set(model, "__pydantic_fields_set__", names)
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model

    return make


_attachment = trusted(AttachmentRef)
_entry = trusted(TimelineEntry)
_filters = trusted(TimelineFilters)
_mention = trusted(MentionRef)
_note = trusted(NotePublic)
_source = trusted(SourceRef)
_thread = trusted(ThreadSummary)
_timeline = trusted(Timeline)
_undated = trusted(UndatedItem)


def _notes(notes: Sequence[dict[str, Any]]) -> list[NotePublic]:
    # copied: one item's note dicts are shared by its entries in the plain data
    return [_note(dict(note)) for note in notes]


def timeline_from(data: dict[str, Any]) -> Timeline:
    """The models of ``build``'s plain data; ``data`` and the dicts in it become theirs.

    Lists may arrive as tuples (the plain data shares empty ones) and become lists. The
    few silences and the key facts are validated: they are small.
    """
    for entry in data["entries"]:
        mention, attachments = entry["mention"], entry["attachments"]
        entry["source"] = _source(entry["source"])
        entry["tags"] = list(entry["tags"])
        entry["notes"] = _notes(entry["notes"]) if entry["notes"] else []
        entry["participants"] = list(entry["participants"])
        entry["attachments"] = [_attachment(a) for a in attachments] if attachments else []
        entry["mention"] = _mention(mention) if mention is not None else None
    for item in data["undated"]:
        item["source"] = _source(item["source"])
        item["tags"] = list(item["tags"])
        item["notes"] = _notes(item["notes"]) if item["notes"] else []
    data["filters"] = _filters(data["filters"])
    data["entries"] = [_entry(e) for e in data["entries"]]
    data["silences"] = [Silence.model_validate(s) for s in data["silences"]]
    data["undated"] = [_undated(u) for u in data["undated"]]
    data["summary"] = KeyFacts.model_validate(data["summary"])
    data["threads"] = [_thread(t) for t in data["threads"]]
    return _timeline(data)
