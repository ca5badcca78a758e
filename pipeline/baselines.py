"""What a user would reach for instead of vnevents, scored by the same scorer.

* DATE: ``dateparser.search_dates(text, languages=["vi"])``, and Duckling's
  Vietnamese time rules (Facebook's Haskell Duckling, offline, through the
  ``pyduckling-native-phihos`` wheel; listed only where that wheel is installed).
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


_DUCKLING: dict = {}


def _duckling_available() -> bool:
    """Whether the offline Duckling bindings are installed (checked without starting Haskell's runtime)."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("pyduckling-native-phihos", "pyduckling-native"):
        try:
            version(dist)
            return True
        except PackageNotFoundError:
            continue
    return False


def _duckling_context(published: str | None):
    """A Duckling context for Vietnamese, the reference time being ``published`` (else now), Asia/Ho_Chi_Minh."""
    import datetime
    import os

    import duckling

    if "tz" not in _DUCKLING:
        try:
            import tzdata  # a pandas dependency: the IANA database as a package

            zoneinfo = os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo")
        except ImportError:
            zoneinfo = "/usr/share/zoneinfo"
        _DUCKLING["tz"] = duckling.load_time_zones(zoneinfo)
        _DUCKLING["locale"] = duckling.default_locale_lang(duckling.parse_lang("VI"))
        _DUCKLING["dims"] = duckling.parse_dimensions(["time"])
    zone = datetime.timezone(datetime.timedelta(hours=7))
    try:
        ref = datetime.datetime.fromisoformat(published[:10]).replace(tzinfo=zone) if published else None
    except ValueError:
        ref = None
    ref = ref or datetime.datetime.now(zone)
    when = duckling.parse_ref_time(_DUCKLING["tz"], "Asia/Ho_Chi_Minh", int(ref.timestamp()))
    return duckling.Context(when, _DUCKLING["locale"]), _DUCKLING["dims"]


def _duckling_point(point: dict, end: bool = False) -> str | None:
    """A Duckling time value at its grain as a TIMEX3 value.

    ``end``: the exclusive end of an interval, moved back one grain.
    """
    import datetime

    raw, grain = point.get("value"), point.get("grain", "day")
    if not raw:
        return None
    t = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if end:
        if grain == "year":
            t = t.replace(year=t.year - 1)
        elif grain in ("month", "quarter"):
            t = (t.replace(day=1) - datetime.timedelta(days=1))
        elif grain in ("hour", "minute", "second"):
            t -= datetime.timedelta(**{f"{grain}s": 1})
        else:
            t -= datetime.timedelta(days=1)
    if grain == "year":
        return f"{t.year:04d}"
    if grain == "month":
        return f"{t.year:04d}-{t.month:02d}"
    if grain == "quarter":
        q0 = t.month - (t.month - 1) % 3
        return f"{t.year:04d}-{q0:02d}" if end else f"{t.year:04d}-{q0:02d}/{t.year:04d}-{q0 + 2:02d}"
    if grain in ("hour", "minute", "second"):
        return t.strftime("%Y-%m-%dT%H:%M")
    return t.strftime("%Y-%m-%d")  # day, week (its first day)


def _duckling_value(value: dict) -> str | None:
    """The TIMEX3 value of a Duckling time value or interval (a part of one day is that day)."""
    if value.get("type") != "interval":
        return _duckling_point(value)
    start = _duckling_point(value["from"]) if value.get("from") else None
    end = _duckling_point(value["to"], end=True) if value.get("to") else None
    if start and end and start[:10] == end[:10] and "T" in start:
        return start[:10]
    if start and end and start != end:
        return f"{start.split('/')[0]}/{end}"
    return start or end


def duckling_dates(gold: dict) -> dict:
    """DATE mentions from Duckling's Vietnamese time rules, longest first where they overlap."""
    import duckling

    text = gold["text"]
    context, dims = _duckling_context(gold.get("published"))
    found = [x for x in duckling.parse(text, context, dims, False) if x.get("dim") == "time"]
    found.sort(key=lambda x: (-(x["end"] - x["start"]), x["start"]))
    taken: list[tuple[int, int]] = []
    mentions = []
    for x in found:
        s, e = x["start"], x["end"]
        if any(s < te and ts < e for ts, te in taken):
            continue
        value = _duckling_value(x.get("value") or {})
        if value is None:
            continue
        taken.append((s, e))
        mentions.append({"start": s, "end": e, "type": "DATE", "text": text[s:e], "value": value})
    return _record(gold, mentions)


BASELINES: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "dateparser.search_dates": ("DATE", dateparser_dates),
    **({"Duckling (vi)": ("DATE", duckling_dates)} if _duckling_available() else {}),
    "underthesea.ner ORG": ("INSTITUTION", underthesea_orgs),
    "regex %": ("PERCENT", regex_percents),
    "regex document number": ("DOCREF", regex_docrefs),
    "regex number + unit": ("QUANTITY", regex_quantities),
}
