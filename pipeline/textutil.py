"""Small Vietnamese text helpers shared by the rules: tone placement and folding."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache, wraps
from typing import Callable

# Old-style ("Uỷ", "hoá") to modern ("Ủy", "hóa") tone placement: the tone mark
# moves from the second vowel of "oa", "oe", "uy" onto the first when the
# syllable has no final consonant.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_OLD_STYLE_NFC = re.compile(r"(?i)(?<![qg])[ou][áàãảạéèẽẻẹýỳỹỷỵ]")  # a candidate in composed text
_OLD_STYLE = re.compile(r"(?i)(?<![qg])([ou])([aeyAEY])([\u0300\u0301\u0303\u0309\u0323])(?![a-zđ\u0300-\u036f])")


MEMO_CHARS = 24        # strings up to this long are memoised: syllables, words, short names
MEMO_ENTRIES = 16_384  # at most this many per function (a few MB), so memory stays flat on long runs
MEMO_LONG = 2_048      # and the latest longer strings (an article's sentences and clauses, folded by
                       # several rules): a few MB at most


def memo_short(fn: Callable[[str], str]) -> Callable[[str], str]:
    """``fn`` with its results memoised for short strings only, in a bounded LRU table.

    Short strings (syllables, words) repeat across articles; longer spans
    (names in context, sentences) rarely do, and memoising them would fill the
    table with strings of every article read. ``cache_info``/``cache_clear``
    are those of the table.
    """
    cached = lru_cache(maxsize=MEMO_ENTRIES)(fn)
    recent = lru_cache(maxsize=MEMO_LONG)(fn)

    @wraps(fn)
    def call(text: str) -> str:
        return cached(text) if len(text) <= MEMO_CHARS else recent(text)

    call.cache_info = cached.cache_info  # type: ignore[attr-defined]
    call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return call


@memo_short
def modern_tones(text: str) -> str:
    """Return ``text`` (NFC) with old-style tone placement moved to the modern place.

    "Uỷ ban" -> "Ủy ban", "hoá" -> "hóa"; anything else is unchanged.
    """
    if unicodedata.is_normalized("NFC", text) and not _OLD_STYLE_NFC.search(text):
        return text  # most text: nothing to move
    nfd = unicodedata.normalize("NFD", text)
    fixed = _OLD_STYLE.sub(lambda m: m.group(1) + m.group(3) + m.group(2), nfd)
    return unicodedata.normalize("NFC", fixed)


@memo_short
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
