"""RTF bodies to text: Outlook's encapsulated HTML unwrapped, any other RTF stripped to its text."""

from __future__ import annotations

from ingest.rtf import rtf_to_text

ENCAPSULATED_HTML = rb"""{\rtf1\ansi\ansicpg1252\fromhtml1 \fbidis \deff0{\fonttbl
{\f0\fswiss\fcharset0 Arial;}}
{\*\htmltag19 <html>}
{\*\htmltag50 <body>}\htmlrtf \lang1033 \htmlrtf0
{\*\htmltag64 <p>}\htmlrtf {\htmlrtf0 Payment is {\*\htmltag84 <b>}\htmlrtf {\b \htmlrtf0 overdue
{\*\htmltag92 </b>}\htmlrtf }\htmlrtf0 .\htmlrtf\par}\htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag58 </body>}
{\*\htmltag27 </html>}}"""


def test_outlook_encapsulated_html_is_unwrapped() -> None:
    assert rtf_to_text(ENCAPSULATED_HTML) == ("Payment is overdue.", "rtf (html)")


def test_plain_rtf_keeps_its_visible_text_only() -> None:
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Calibri;}}{\colortbl;\red0\green0\blue0;}{\*\generator Word;}"
        rb"{\pict\pngblip 89504e470d0a}\f0 Scope \b two\b0  screens\tab caf\'e9 \u8364? 900\par Thanks\line Greg}"
    )
    assert rtf_to_text(rtf) == ("Scope two screens\tcafé € 900\nThanks\nGreg", "rtf")


def test_the_codepage_decides_hex_escapes_and_unicode_skips_its_fallback() -> None:
    rtf = rb"{\rtf1\ansi\ansicpg1251 \uc1\u1055?\u1088?\u1080? \'cf\'f0\par}"
    assert rtf_to_text(rtf) == ("При Пр", "rtf")


def test_anything_else_never_raises() -> None:
    assert rtf_to_text(b"not rtf at all") == ("not rtf at all", "rtf")
    assert rtf_to_text(rb"{\rtf1\fromhtml1 {\*\htmltag broken")[1] == "rtf"  # malformed: stripped instead
    assert rtf_to_text(b"") == ("", "rtf")
