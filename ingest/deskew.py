"""Small rotations of a scan (up to about 15 degrees either way), found and undone before OCR.

Tesseract fits each line's baseline and copes with a degree or two, and its orientation
detection (``ocr``) handles quarter turns; a page fed to the scanner at 10 degrees it
reads as noise. The angle is found with a projection profile: turned the right way, the
rows of a page of text alternate between ink (lines) and paper (the gaps between them),
so the sum of squared differences between neighbouring rows' ink peaks when the lines are
level. Everything runs in Pillow's C code (rotate, then a 1-pixel-wide BOX resize gives
each row's mean ink); only the profile sums are Python, on a copy no larger than
``_WORK_SIDE`` pixels: ~50 ms a page, against a second or more for the OCR itself.
"""

from __future__ import annotations

import math
from array import array

from PIL import Image

__all__ = ["MAX_SKEW", "straighten", "straightening_angle"]

MAX_SKEW = 15.0  # degrees either way that are searched
_COARSE = 1.0
_FINE = 0.1
_MIN_SKEW = 1.0  # below this tesseract copes on its own, and resampling would only blur
_MIN_GAIN = 1.25  # the best angle's score over the upright one's: less means no clear lines
_WORK_SIDE = 700


def _ink(image: Image.Image) -> Image.Image:
    """A small float copy of ``image``: 1.0 where there is ink, 0.0 for paper (Otsu's threshold)."""
    grey = image if image.mode == "L" else image.convert("L")
    factor = max(1, math.ceil(max(grey.size) / _WORK_SIDE))
    small = grey.reduce(factor) if factor > 1 else grey
    histogram = small.histogram()
    threshold = _otsu(histogram)
    # ink as 1.0 on 0.0, so the black a rotation brings in at the corners adds no ink
    return small.point(lambda v: 255 if v <= threshold else 0).convert("F").point(lambda v: v / 255.0)


def _otsu(histogram: list[int]) -> int:
    """The grey level best splitting ``histogram`` into ink and paper."""
    total = sum(histogram)
    weighted = sum(level * count for level, count in enumerate(histogram))
    below = below_weighted = 0.0
    best, best_level = -1.0, 127
    for level, count in enumerate(histogram):
        below += count
        if below == 0:
            continue
        above = total - below
        if above == 0:
            break
        below_weighted += level * count
        mean_below = below_weighted / below
        mean_above = (weighted - below_weighted) / above
        between = below * above * (mean_below - mean_above) ** 2
        if between > best:
            best, best_level = between, level
    return best_level


def _score(ink: Image.Image, angle: float) -> float:
    """How level the lines are with ``ink`` turned ``angle`` degrees counter-clockwise."""
    turned = ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=True, fillcolor=0.0)
    # each row's mean ink as 32-bit floats ("F" mode's raw bytes; getdata is deprecated)
    rows = array("f", turned.resize((1, turned.height), Image.Resampling.BOX).tobytes())
    return sum((a - b) ** 2 for a, b in zip(rows, rows[1:], strict=False))


def straightening_angle(image: Image.Image) -> float:
    """Degrees to turn ``image`` counter-clockwise (``Image.rotate``'s sense) so its text
    lines are level; 0.0 when it is level within ``_MIN_SKEW``, skewed beyond
    ``MAX_SKEW``, or shows no clear lines (a photograph, a page on its side)."""
    if min(image.size) < 32:
        return 0.0
    ink = _ink(image)
    upright = _score(ink, 0.0)
    if upright <= 0.0:
        return 0.0  # blank
    steps = int(MAX_SKEW / _COARSE)
    scores = {step * _COARSE: _score(ink, step * _COARSE) for step in range(-steps, steps + 1) if step}
    scores[0.0] = upright
    coarse = max(scores, key=lambda a: scores[a])
    fine_steps = int(_COARSE / _FINE)
    for step in range(-fine_steps + 1, fine_steps):
        angle = round(coarse + step * _FINE, 2)
        if abs(angle) <= MAX_SKEW + _COARSE and angle not in scores:
            scores[angle] = _score(ink, angle)
    best = max(scores, key=lambda a: scores[a])
    if abs(best) < _MIN_SKEW or scores[best] < _MIN_GAIN * upright:
        return 0.0
    return best


def straighten(image: Image.Image, angle: float) -> Image.Image:
    """``image`` turned ``angle`` degrees counter-clockwise about its centre, same size,
    corners filled with white (bi-level pictures come back grey)."""
    grey = image if image.mode == "L" else image.convert("L")
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
