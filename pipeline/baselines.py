"""What a user would reach for instead of vnevents, scored by the same scorer.

* DATE: ``dateparser.search_dates(text, languages=["vi"])``.
* INSTITUTION: underthesea's ``ner`` ORG entities (B-ORG/I-ORG words), per sentence.
* PERCENT, DOCREF and QUANTITY: the plain regular expressions one writes first.

Each baseline returns a predicted record (mentions only) for a gold record, so
``evaluate.score_mentions`` scores it exactly like vnevents.
"""
from __future__ import annotations

import re
from typing import Callable

from .textutil import fold

PERCENT_RE = re.compile(r"\d+(?:[.,]\d+)?\s?%")
QUANTITY_RE = re.compile(r"(?<![\w.,/])(?P<num>\d+(?:[.,]\d+)*)\s+(?:(?P<scale>nghìn|ngàn|triệu|tỷ)\s+)?"
                         r"(?P<unit>đồng|VNĐ|VND|USD|[^\W\d_]+)(?!\w)")
_SCALE = {"nghìn": 1e3, "ngàn": 1e3, "triệu": 1e6, "tỷ": 1e9}
_CURRENCY = {"đồng": "VND", "VNĐ": "VND", "VND": "VND", "USD": "USD"}
DOCREF_RE = re.compile(r"(?P<type>Quyết định|Nghị quyết|Chỉ thị|Nghị định|Thông tư)\s+(?:số\s+)?(?P<code>\d+[/-][\w/-]+)")


def _record(gold: dict, mentions: list[dict]) -> dict:
    mentions.sort(key=lambda m: (m["start"], -m["end"]))
    return {"id": gold["id"], "text": gold["text"], "mentions": mentions, "events": []}


def _find_in_order(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Offsets of ``pieces`` found left to right in ``text`` (pieces not found are skipped)."""
    out, cursor = [], 0
    for piece in pieces:
        pos = text.find(piece, cursor)
        if pos < 0:
            continue
        out.append((pos, pos + len(piece)))
        cursor = pos + len(piece)
    return out


def dateparser_dates(gold: dict) -> dict:
    """DATE mentions from dateparser.search_dates (value: the day it parsed)."""
    from dateparser.search import search_dates

    text = gold["text"]
    found = search_dates(text, languages=["vi"], settings={"DATE_ORDER": "DMY"}) or []
    offsets = _find_in_order(text, [s for s, _ in found])
    mentions = []
    for (s, e), (_, dt) in zip(offsets, found):
        mentions.append({"start": s, "end": e, "type": "DATE", "text": text[s:e], "value": dt.strftime("%Y-%m-%d")})
    return _record(gold, mentions)


def _align_words(text: str, start: int, words: list[str]) -> list[tuple[int, int] | None]:
    """Offsets of underthesea's (possibly rewritten) words in ``text`` from ``start``."""
    out: list[tuple[int, int] | None] = []
    cursor = start
    for w in words:
        sylls = w.split()
        pos = cursor
        spans = []
        for syl in sylls:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            seg = text[pos:pos + len(syl)]
            if fold(seg) != fold(syl) and seg != syl:
                spans = None
                break
            spans.append((pos, pos + len(syl)))
            pos += len(syl)
        if spans:
            out.append((spans[0][0], spans[-1][1]))
            cursor = pos
        else:
            out.append(None)
    return out


def underthesea_orgs(gold: dict) -> dict:
    """INSTITUTION mentions from underthesea.ner ORG entities (value: the text)."""
    from underthesea import ner

    from .segment import sentence_bounds

    text = gold["text"]
    mentions = []
    for s0, s1 in sentence_bounds(text):
        tagged = ner(text[s0:s1])
        offsets = _align_words(text, s0, [t[0] for t in tagged])
        cur = None
        for (word, *_rest, tag), off in zip(tagged, offsets):
            if off is not None and tag == "B-ORG":
                cur = [off[0], off[1]]
                mentions.append(cur)
            elif off is not None and tag == "I-ORG" and cur is not None:
                cur[1] = off[1]
            else:
                cur = None
    out = [{"start": s, "end": e, "type": "INSTITUTION", "text": text[s:e], "value": text[s:e]} for s, e in mentions]
    return _record(gold, out)


def regex_percents(gold: dict) -> dict:
    """PERCENT mentions from a plain regular expression."""
    text = gold["text"]
    out = []
    for m in PERCENT_RE.finditer(text):
        num = m.group().rstrip("%").strip().replace(",", ".")
        out.append({"start": m.start(), "end": m.end(), "type": "PERCENT", "text": m.group(), "value": float(num)})
    return _record(gold, out)


def regex_docrefs(gold: dict) -> dict:
    """DOCREF mentions from a plain regular expression (value: the number part)."""
    text = gold["text"]
    out = []
    for m in DOCREF_RE.finditer(text):
        out.append({"start": m.start(), "end": m.end(), "type": "DOCREF", "text": m.group(),
                    "value": m.group("code"), "doc_type": m.group("type")})
    return _record(gold, out)


def regex_quantities(gold: dict) -> dict:
    """QUANTITY mentions from a plain regular expression: a number, a scale word, the next word as unit."""
    text = gold["text"]
    out = []
    for m in QUANTITY_RE.finditer(text):
        num = m.group("num")
        number = float(num.replace(".", "").replace(",", ".")) * _SCALE.get(m.group("scale") or "", 1)
        unit = _CURRENCY.get(m.group("unit"), m.group("unit").lower())
        out.append({"start": m.start(), "end": m.end(), "type": "QUANTITY", "text": m.group(),
                    "value": {"number": number, "unit": unit}})
    return _record(gold, out)


BASELINES: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "dateparser.search_dates": ("DATE", dateparser_dates),
    "underthesea.ner ORG": ("INSTITUTION", underthesea_orgs),
    "regex %": ("PERCENT", regex_percents),
    "regex document number": ("DOCREF", regex_docrefs),
    "regex number + unit": ("QUANTITY", regex_quantities),
}
