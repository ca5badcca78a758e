"""The text the rules read: format characters hidden, fullwidth forms folded, offsets kept.

Crawled text carries characters that are invisible or look like others:
zero-width spaces and joiners, soft hyphens, bidi marks, a BOM inside the
text, fullwidth digits and signs ("１５/６/２０２１", "９０％"). Left in place
they cut numbers ("1\\u200b5/6/2021" read as 5/6/2021) and codes
("749/QĐ-\\u00adTTg"). ``view(text)`` returns the text without the format
characters and with fullwidth ASCII forms folded to ASCII, and the map from
each view offset back to the stored text, so every mention is still reported
as ``text[start:end]`` of the stored text (the invisible characters stay
inside the span they were written in).
"""
from __future__ import annotations

import re
import unicodedata

_SPECIAL = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\uff01-\uff5e\u3000]")


def _is_format(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def view(text: str) -> tuple[str, list[int] | None]:
    """(view, offsets): ``offsets[i]`` is the stored offset of view character ``i`` (and
    ``offsets[len(view)] == len(text)``); ``None`` when the view is the text itself."""
    if not _SPECIAL.search(text):
        return text, None
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        code = ord(ch)
        if _is_format(ch):
            continue
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)  # fullwidth ASCII form -> ASCII
        elif code == 0x3000:
            ch = " "
        out.append(ch)
        offsets.append(i)
    offsets.append(len(text))
    return "".join(out), offsets


def to_stored(offsets: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Stored offsets of the view span [start, end)."""
    if offsets is None:
        return start, end
    return offsets[start], (offsets[end - 1] + 1 if end > start else offsets[start])
