"""Small Vietnamese text helpers shared by the rules: tone placement and folding."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Old-style ("Uỷ", "hoá") to modern ("Ủy", "hóa") tone placement: the tone mark
# moves from the second vowel of "oa", "oe", "uy" onto the first when the
# syllable has no final consonant.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_OLD_STYLE = re.compile(r"(?i)(?<![qg])([ou])([aeyAEY])([\u0300\u0301\u0303\u0309\u0323])(?![a-zđ\u0300-\u036f])")


@lru_cache(maxsize=65536)
def modern_tones(text: str) -> str:
    """Return ``text`` (NFC) with old-style tone placement moved to the modern place.

    "Uỷ ban" -> "Ủy ban", "hoá" -> "hóa"; anything else is unchanged.
    """
    nfd = unicodedata.normalize("NFD", text)
    fixed = _OLD_STYLE.sub(lambda m: m.group(1) + m.group(3) + m.group(2), nfd)
    return unicodedata.normalize("NFC", fixed)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Matching key: modern tones, case-folded, punctuation and spaces collapsed.

    Two ways of writing the same name ("Ban chỉ đạo phòng, chống dịch" and
    "Ban Chỉ đạo phòng chống dịch") get the same key.
    """
    text = modern_tones(text).casefold()
    text = re.sub(r"[,\-–—.:;()\"“”'’]+", " ", text)
    return " ".join(text.split())


def strip_marks(text: str) -> str:
    """Remove Vietnamese diacritics ("Thông tin" -> "Thong tin"; "đ" -> "d")."""
    nfd = unicodedata.normalize("NFD", text)
    base = "".join(ch for ch in nfd if not unicodedata.combining(ch))
    return base.replace("đ", "d").replace("Đ", "D")


def word_alternation(words) -> str:
    """Regex alternation of literal words, longest first; a space matches any run of whitespace."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
