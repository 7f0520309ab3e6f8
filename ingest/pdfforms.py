"""Filled-in PDF forms: AcroForm field values and XFA form data, as text.

A form's values are not in the page's text layer: each sits in a widget annotation drawn
over the page, so PDFium's text of the page shows the labels ("Name:", "Date signed:")
and not what was typed into them. They are read from the form's structure instead and
appended to the page each field is shown on, under a "Form fields" heading, one
"name: value" line per filled field; a field shown on no page, and XFA data (which has
no pages of its own), go after the last page. Empty fields and unticked boxes are left
out: a blank form says nothing.

Every walk is bounded (nodes visited, depth, loops through indirect references), since a
hostile form tree can be cyclic or enormous; any damage just leaves a field out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

from .pdftrees import MAX_DEPTH, READ_ERRORS, Budget, kids, page_annotations, tree_nodes
from .records import Page

__all__ = ["FORM_HEADING", "XFA_HEADING", "FormText", "form_text"]

log = logging.getLogger(__name__)

FORM_HEADING = "Form fields"
XFA_HEADING = "Form data (XFA)"
_MAX_VALUE = 4_000  # characters kept of one value
_MAX_FACT_FIELDS = 500
_XFA_DATA = "{http://www.xfa.org/schema/xfa-data/1.0/}data"
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)


@dataclass
class FormText:
    """The form's lines: per page number, and those belonging to no page."""

    pages: dict[int, list[str]] = field(default_factory=dict)
    unplaced: list[str] = field(default_factory=list)
    xfa: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # qualified name -> value

    def appended(self, pages: tuple[Page, ...]) -> tuple[Page, ...]:
        """``pages`` with each page's fields after its text under "Form fields"; fields
        shown on no page, then the XFA data, after the last page's."""
        if not (self.pages or self.unplaced or self.xfa) or not pages:
            return pages
        out: list[Page] = []
        for index, page in enumerate(pages):
            text = page.text + _section(self.pages.get(page.number, []), FORM_HEADING)
            if index == len(pages) - 1:
                text += _section(self.unplaced, FORM_HEADING) + _section(self.xfa, XFA_HEADING)
            out.append(replace(page, text=text.strip()) if text != page.text else page)
        return tuple(out)

    def facts(self) -> dict[str, object]:
        """``form_fields``: the filled fields by name (the first ``_MAX_FACT_FIELDS``)."""
        if not self.values:
            return {}
        return {"form_fields": dict(list(self.values.items())[:_MAX_FACT_FIELDS])}


def _section(lines: list[str], heading: str) -> str:
    """``lines`` under ``heading``, ready to append after a page's text ('' if none)."""
    return f"\n\n{heading}\n" + "\n".join(lines) if lines else ""


def _text(value: object) -> str:
    """A PDF value as one line of text ('' for nothing worth showing)."""
    if isinstance(value, StreamObject):  # rich text or a long value kept as a stream
        try:
            value = value.get_data()[: _MAX_VALUE * 4].decode("utf-8", "replace")
        except READ_ERRORS:
            return ""
    if isinstance(value, NameObject):  # a ticked box or a radio choice: /Yes, /Option2
        return "" if value == "/Off" else str(value)[1:]
    if isinstance(value, ArrayObject):  # a multiple-choice list
        return ", ".join(part for part in (_text(v.get_object()) for v in value) if part)
    if isinstance(value, bytes):
        value = value.decode("utf-16" if value.startswith((b"\xfe\xff", b"\xff\xfe")) else "latin-1", "replace")
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:_MAX_VALUE]


def _inherited(node: DictionaryObject, key: str) -> object:
    """``key`` from the field or the nearest ancestor that sets it (/V and /FT inherit)."""
    for _ in range(MAX_DEPTH):
        if key in node:
            return node[key].get_object()
        parent = node.get("/Parent")
        if parent is None:
            return None
        node = parent.get_object()
        if not isinstance(node, DictionaryObject):
            return None
    return None


def _qualified_name(node: DictionaryObject) -> str:
    """"parent.child" as the form names the field ("" when it names none)."""
    parts: list[str] = []
    for _ in range(MAX_DEPTH):
        if "/T" in node:
            parts.append(_text(node["/T"].get_object()))
        parent = node.get("/Parent")
        if parent is None:
            break
        node = parent.get_object()
        if not isinstance(node, DictionaryObject):
            break
    return ".".join(part for part in reversed(parts) if part)


def _value(node: DictionaryObject) -> str:
    """The field's value as shown: a signature says who signed, a box or choice its state."""
    kind = _inherited(node, "/FT")
    value = _inherited(node, "/V")
    if kind == "/Sig":
        if not isinstance(value, DictionaryObject):
            return ""
        signer = _text(value["/Name"]) if "/Name" in value else ""  # [] resolves a reference
        return f"signed by {signer}" if signer else "signed"
    return _text(value)


def _field_of(widget: DictionaryObject) -> DictionaryObject:
    """The field a widget shows: itself when merged (it has a /T), else its parent."""
    if "/T" in widget:
        return widget
    parent = widget.get("/Parent")
    parent = parent.get_object() if parent is not None else None
    return parent if isinstance(parent, DictionaryObject) else widget


def _named_kids(node: DictionaryObject) -> list[object]:
    # kids that are only widgets (no /T) belong to this field: it is the terminal one
    return [k for k in kids(node) if "/T" in k.get_object()]  # type: ignore[attr-defined]


def _all_fields(reader: PdfReader, budget: Budget) -> Iterator[DictionaryObject]:
    """Every terminal field of /AcroForm /Fields, depth first, each once."""
    try:
        form = reader.trailer["/Root"].get("/AcroForm")
        form = form.get_object() if form is not None else None
        fields = form.get("/Fields") if isinstance(form, DictionaryObject) else None
        fields = fields.get_object() if fields is not None else None
    except READ_ERRORS:
        return
    if not isinstance(fields, ArrayObject):
        return
    for node, named in tree_nodes(fields, _named_kids, budget, "form field"):
        if not named:
            yield node


def _acroform(reader: PdfReader, out: FormText, budget: Budget) -> None:
    placed: set[str] = set()
    for number, widget in page_annotations(reader, "/Widget", budget):
        try:
            node = _field_of(widget)
            name, value = _qualified_name(node), _value(node)
        except READ_ERRORS:
            continue
        if name and value and name not in placed:  # radio buttons: one widget per choice
            placed.add(name)
            out.values[name] = value
            out.pages.setdefault(number, []).append(f"{name}: {value}")
    for node in _all_fields(reader, budget):
        try:
            name, value = _qualified_name(node), _value(node)
        except READ_ERRORS:
            continue
        if name and value and name not in placed:
            placed.add(name)
            out.values[name] = value
            out.unplaced.append(f"{name}: {value}")


def _xfa_packets(reader: PdfReader) -> list[bytes]:
    """The XFA streams: one whole XDP document, or the parts of an array of packets."""
    try:
        form = reader.trailer["/Root"].get("/AcroForm")
        form = form.get_object() if form is not None else None
        xfa = form.get("/XFA") if isinstance(form, DictionaryObject) else None
        xfa = xfa.get_object() if xfa is not None else None
        if isinstance(xfa, StreamObject):
            return [xfa.get_data()]
        if isinstance(xfa, ArrayObject):
            # [name1 stream1 name2 stream2 ...]; the datasets packet holds the values
            pairs = list(zip(xfa[0::2], xfa[1::2], strict=False))
            wanted = [s for n, s in pairs if _text(n) == "datasets"] or [s for _, s in pairs]
            return [s.get_object().get_data() for s in wanted if isinstance(s.get_object(), StreamObject)]
    except READ_ERRORS as exc:
        log.debug("XFA not read: %s", exc)
    return []


def _xfa(reader: PdfReader, out: FormText, budget: Budget) -> None:
    packets = _xfa_packets(reader)
    if not packets:
        return
    try:
        root = etree.fromstring(b"".join(packets), _XML)
    except (etree.XMLSyntaxError, ValueError):
        # an array of packets does not join into one document: wrap them
        try:
            root = etree.fromstring(b"<xdp>" + b"".join(packets) + b"</xdp>", _XML)
        except (etree.XMLSyntaxError, ValueError):
            return
    if root is None:
        return
    for data in root.iter(_XFA_DATA):
        for element in data.iter():
            if not budget.spend():
                return
            if not isinstance(element.tag, str) or len(element):  # only leaves hold values
                continue
            value = " ".join((element.text or "").split())[:_MAX_VALUE]
            if value:
                out.xfa.append(f"{_xfa_path(element, data)}: {value}")


def _xfa_path(element: etree._Element, data: etree._Element) -> str:
    """"form1.Customer.Name": the element's place below ``xfa:data``."""
    names = [etree.QName(element).localname]
    for ancestor in element.iterancestors():
        if ancestor is data:
            break
        names.append(etree.QName(ancestor).localname)
    return ".".join(reversed(names))


def form_text(reader: PdfReader | None) -> FormText:
    """The filled-in values of the document's form (empty when it has none)."""
    out = FormText()
    if reader is None:
        return out
    try:
        root = reader.trailer["/Root"]
        if "/AcroForm" not in root:
            return out  # no form: nothing to walk (the common case, decided at once)
    except READ_ERRORS:
        return out
    budget = Budget()
    _acroform(reader, out, budget)
    _xfa(reader, out, budget)
    return out
