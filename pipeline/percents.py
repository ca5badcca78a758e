"""PERCENT mentions: "90,81%", "0,3%", "90.7%", "20 - 30%", "100%", "5 phần trăm".

Contract (docs/ANNOTATION.md, PERCENT): the span runs from the number through
"%" or "phần trăm"; qualifiers stay out; a minus sign written straight before
the number ("(-1,4%)") belongs to it and makes the value negative. ``value`` is a float, or ``[low,
high]`` for a range. Numbers are read the Vietnamese way: "," is the decimal
mark and "." groups thousands, except that a dot followed by one or two digits
right before "%" is a decimal point ("90.7%").
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from .mentions import Candidate, add_mentions
from .segment import doc_text

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_PERCENT = re.compile(
    rf"(?<![\w.,/])(?P<low>{_NUM})(?:\s*[-–—]\s*(?P<high>{_NUM}))?\s*(?:%|phần\s+trăm(?!\w))",
    re.IGNORECASE,
)


def parse_number(text: str) -> float:
    """Read a Vietnamese-written number: "90,81" -> 90.81, "1.000.000" -> 1e6, "90.7" -> 90.7."""
    if "," in text:
        return float(text.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+\.\d{1,2}", text):
        return float(text)
    return float(text.replace(".", ""))


def _clean(x: float) -> float | int:
    return int(x) if x == int(x) else round(x, 6)


def find_percents(text: str) -> list[Candidate]:
    """PERCENT candidates in ``text``."""
    out = []
    for m in _PERCENT.finditer(text):
        low = parse_number(m.group("low"))
        if m.group("high"):
            high = parse_number(m.group("high"))
            if high < low:  # "2019 - 10%" is not a range
                start = m.start("high")
                out.append(Candidate(start, m.end(), "PERCENT", _clean(high)))
                continue
            value: object = [_clean(low), _clean(high)]
        else:
            value = _clean(low)
        start = m.start()
        before = text[max(0, start - 2):start]
        if before[-1:] in ("-", "\u2212") and (len(before) < 2 or before[0] in "( \t\n") and \
                not re.search(r"\d\s*$", text[max(0, start - 12):start - 1]):
            start -= 1  # a negative figure keeps its sign: "(-1,4%)"
            value = [-value[1], -value[0]] if isinstance(value, list) else -value
        out.append(Candidate(start, m.end(), "PERCENT", value))
    return out


@Language.factory("vnevents_percents")
def make_percents(nlp: Language, name: str):
    """spaCy factory: the PERCENT component."""
    return percent_component


def percent_component(doc: Doc) -> Doc:
    """Add PERCENT mentions."""
    return add_mentions(doc, find_percents(doc_text(doc)))
