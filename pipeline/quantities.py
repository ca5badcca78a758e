"""QUANTITY mentions: money and counts ("130.280 tỷ đồng", "555 DN", "22,307 triệu lượt").

Contract (docs/ANNOTATION.md, QUANTITY): the span is the number with its scale
words and its unit; the unit is a currency or the counted noun right after the
number, as one word. Hedges stay out ("hơn 35.000 tỷ đồng" → "35.000 tỷ
đồng"); a dash range is one mention. ``value`` is ``{"number": N, "unit": U}``
with the scale applied (``[low, high]`` for a range); U is the ISO 4217 code of
a currency, else the counted noun in lower case as written.

Rules and data:

* numbers are read the Vietnamese way (``percents.parse_number``);
* scale words from ``scales.tsv``, currencies from ``currencies.tsv``, counted
  nouns of several syllables from ``count_units.tsv``; a single lower-case
  syllable is accepted as a counted noun unless ``not_units.tsv`` lists it
  (durations, ages, multiples, ranks, function words);
* not a QUANTITY: a number glued to letters ("5G"), inside a slash ratio or
  followed by "/" and a number ("63/63 tỉnh", "135 thuê bao/100 dân"), an
  ordinal or a rank group ("thứ 86", "nhóm 50 nước"), a scale with no unit
  ("2.000 tỷ"). A rate per period keeps its quantity ("2 triệu đồng/tháng"). Dates, percentages and document
  numbers are found first and win any overlap.
"""
from __future__ import annotations

import re
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc

from .mentions import Candidate, add_mentions
from .segment import doc_text
from .percents import parse_number
from .resources import load_table

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_NUMBER = re.compile(rf"(?<![\w.,/%-])(?P<low>{_NUM})(?:\s*[-–]\s*(?P<high>{_NUM}))?(?![\w%/]|[.,]\d)")
_SYLLABLE = re.compile(r"[^\W\d_]+")
_ORDINAL = re.compile(r"(?:^|\s)(?:thứ|số|hạng|top|nhóm)\s*$")


def _alternation(words) -> re.Pattern:
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile(r"(?:" + "|".join(re.escape(w) for w in ordered) + r")(?![\w])")


@cache
def _currencies() -> tuple[re.Pattern, dict[str, str]]:
    table = {_lower(r["word"]): r["code"] for r in load_table("currencies")}
    return _alternation(table), table


@cache
def _scales() -> tuple[re.Pattern, dict[str, int]]:
    table = {_lower(r["word"]): int(r["factor"]) for r in load_table("scales")}
    return _alternation(table), table


@cache
def _count_units() -> re.Pattern:
    return _alternation(_lower(r["word"]) for r in load_table("count_units"))


@cache
def _not_units() -> frozenset[str]:
    return frozenset(_lower(r["word"]) for r in load_table("not_units")) | frozenset(_scales()[1])


def _lower(text: str) -> str:
    """Lower case with the offsets of ``text`` (str.lower may change lengths in rare scripts)."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _clean(x: float) -> int | float:
    r = round(x)
    return int(r) if abs(x - r) <= 1e-6 * max(1.0, abs(x)) else round(x, 6)


def find_quantities(text: str) -> list[Candidate]:
    """QUANTITY candidates in ``text``."""
    folded = _lower(text)
    cur_re, cur_table = _currencies()
    scale_re, scale_table = _scales()
    unit_re = _count_units()
    banned = _not_units()
    out = []
    for m in _NUMBER.finditer(text):
        if _ORDINAL.search(folded[max(0, m.start() - 8):m.start()]):
            continue
        pos = m.end()
        factor = 1
        gap = len(text[pos:]) - len(text[pos:].lstrip(" \u00a0"))
        sm = scale_re.match(folded, pos + gap) if gap else None
        if sm:
            factor = scale_table[sm.group()]
            pos = sm.end()
            gap = len(text[pos:pos + 3]) - len(text[pos:pos + 3].lstrip(" \u00a0"))
        if not gap:
            continue
        at = pos + gap
        unit, end, source = None, None, "list"
        cm = cur_re.match(folded, at)
        if cm and (cm.group() != "đ" or text[at] == "đ"):
            unit, end, source = cur_table[cm.group()], cm.end(), "currency"
        else:
            um = unit_re.match(folded, at)
            if um:
                end = um.end()
            else:
                sy = _SYLLABLE.match(text, at)
                if sy and sy.group()[0].islower() and _lower(sy.group()) not in banned:
                    end, source = sy.end(), "syllable"
            if end is not None:
                unit = text[at:end].lower()
        if unit is None or re.match(r"/\s*\d", text[end:end + 3]):
            continue  # "135 thuê bao/100 dân": a ratio; "2 triệu đồng/tháng" stays a quantity
        low = _clean(parse_number(m.group("low")) * factor)
        if m.group("high"):
            high = _clean(parse_number(m.group("high")) * factor)
            if high < low:
                continue
            number: object = [low, high]
        else:
            number = low
        out.append(Candidate(m.start(), end, "QUANTITY", {"number": number, "unit": unit},
                             info={"unit_kind": "currency" if source == "currency" else "count",
                                   "unit_from": source}))
    return out


@Language.factory("vnevents_quantities")
def make_quantities(nlp: Language, name: str):
    """spaCy factory: the QUANTITY component (runs after dates, documents and percentages)."""
    return quantity_component


def quantity_component(doc: Doc) -> Doc:
    """Add QUANTITY mentions (counted nouns from count_units.tsv, or one syllable)."""
    return add_mentions(doc, find_quantities(doc_text(doc)))
