"""Canonical events: statements of the same real-world act or figure get one ``event_id``.

Contract (docs/ANNOTATION.md, ``canonical``): two statements are the same event
when they have the same type, the same object (document, platform, body,
meeting; for figures the indicator and value) and the same occurrence (the
same date where both are dated; an undated statement joins a dated one).

Resolution works on plain statement records, never on article text, so it
runs after extraction over any number of articles (one process, or per
partition with Dask, then a merge of the small key tables). Each statement
gives *natural keys*, blocks of candidates that may be one event:

* ISSUANCE of a numbered document: the document's type and number (a bare
  "Nghị định 55" and "55/2025/NĐ-CP" agree when the years do not conflict);
* MEETING: its head noun with its ordinal ("Kỳ họp thứ 9") or its day;
* RESULT / TARGET: the value with its unit;
* other acts: the content words of the object.

Within a block, statements merge when their dates are compatible (equal,
one inside the other, or one missing; two different days never merge) and,
for figures whose value is common (0, 100, round numbers), when their
indicators share a content word. The event id is derived from the type and
the cluster's strongest natural key, so it does not depend on the order of
the input: it changes only when a statement with a stronger key (a document
number, a day) joins an event that had none.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from .resources import load_table, words as resource_words
from .textutil import fold, strip_marks

if TYPE_CHECKING:
    import sqlite3

_CACHE = 8192  # entries of each per-text cache (a few MB whatever the number of statements)
_RECENT = 20_000  # statements kept decoded between blocks (bounded: memory stays flat)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """``resources/resolve_stopwords.tsv``, folded (with their diacritics: "đang" is not "đăng")."""
    return frozenset(fold(w) for w in resource_words("resolve_stopwords"))


@lru_cache(maxsize=1)
def _act_kinds() -> dict[str, list[tuple[str, str]]]:
    """``resources/act_kinds.tsv``: per type, (folded trigger words, kind), longest words first."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in load_table("act_kinds"):
        out.setdefault(row["type"], []).append((fold(row["trigger"]), row["kind"]))
    for rows in out.values():
        rows.sort(key=lambda r: -len(r[0]))
    return out


@lru_cache(maxsize=_CACHE)
def act_kind(type_: str, trigger: str) -> str:
    """The kind of act or change a trigger names ("" when the trigger has none); see act_kinds.tsv."""
    padded = f" {fold(trigger)} "
    return next((kind for words_, kind in _act_kinds().get(type_, ()) if f" {words_} " in padded), "")


@dataclass
class Statement:
    """One event statement, reduced to what resolution needs."""

    type: str
    documents: tuple[tuple[str, str], ...] = ()  # (doc_type, value)
    date: str | None = None                       # TIMEX3 value
    values: tuple[tuple[float, ...], ...] = ()    # numbers of the figure's values
    unit: str | None = None
    object: str = ""                              # object or indicator text
    article: str = ""                             # the article it was stated in
    position: int = 0                             # where in the article (the trigger's offset)
    trigger: str = ""                             # the trigger's words
    context: str = ""                             # the sentence that states it
    agent: str = ""                               # the acting body's canonical name, if any
    territory: str = ""                           # "VN", a province, or "" (pipeline/territory.py)
    institutions: str = ""                        # the bodies taking part, " | "-joined canonical names
    keys: list = field(default_factory=list)


@lru_cache(maxsize=_CACHE)
def _words(text: str) -> frozenset[str]:
    """Content words of a text, folded and without diacritics; stop words and numbers left out."""
    stop = _stop_words()
    folded = fold(text)  # marks are stripped from the whole text at once (a word keeps its place)
    return frozenset(bare for w, bare in zip(folded.split(), strip_marks(folded).split())
                     if w not in stop and not any(c.isdigit() for c in w))


@lru_cache(maxsize=1)
def _heads() -> tuple[str, ...]:
    """Head nouns of bodies and document types (institution_heads.tsv, doc_types.tsv), longest first."""
    heads = {fold(h) for h in resource_words("institution_heads", "head")}
    heads |= {fold(w) for w in resource_words("doc_types", "word")}
    return tuple(sorted(heads, key=len, reverse=True))


@lru_cache(maxsize=_CACHE)
def object_head(text: str) -> str:
    """The head noun an object starts with, after stop words ("sở" for "Sở Khoa học và Công nghệ",
    "quyết định" for "các quyết định"), or ""."""
    words_ = fold(text).split()
    stop = _stop_words()
    while words_ and words_[0] in stop:
        words_ = words_[1:]
    folded = " ".join(words_)
    return next((h for h in _heads() if folded == h or folded.startswith(h + " ")), "")


@lru_cache(maxsize=_CACHE)
def named_body(text: str) -> str:
    """The canonical name of the body an object starts with ("Bộ KH&CN" -> "Bộ Khoa học và Công nghệ"), or "".

    Read with the institutions knowledge base (institutions.tsv), so every
    alias and abbreviation of a body gives the same name.
    """
    if not object_head(text):
        return ""
    from .institutions import find_institutions

    found = [c for c in find_institutions(text) if c.start == 0]
    return max(found, key=lambda c: c.end).value if found else ""


@lru_cache(maxsize=1)
def _meeting_generic() -> frozenset[str]:
    return frozenset(strip_marks(fold(w)) for w in resource_words("meeting_generic"))


@lru_cache(maxsize=_CACHE)
def _series(text: str) -> frozenset[str]:
    """The series words (meeting_series.tsv) a meeting's name has."""
    padded = f" {strip_marks(fold(text))} "
    return frozenset(w for w in _series_words() if f" {w} " in padded)


@lru_cache(maxsize=1)
def _series_words() -> frozenset[str]:
    return frozenset(strip_marks(fold(w)) for w in resource_words("meeting_series"))


@lru_cache(maxsize=_CACHE)
def _head_words(text: str) -> str:
    """A name's head noun as keys compare it ("hoi nghi", "cong dien"): its first two syllables, folded,
    without marks."""
    return " ".join(strip_marks(fold(text)).split()[:2])


def _meeting_name(st: Statement) -> frozenset[str]:
    """The words of a meeting's name that say which meeting it is (meeting_generic.tsv left out)."""
    return _words(st.object) - _meeting_generic()


@lru_cache(maxsize=_CACHE)
def _body_ids(name: str) -> tuple[str, str]:
    """(id, parent id) of a body's name in the knowledge base (institutions.tsv); the parent only for a
    department (a "Cục", "Vụ", "Tổng cục" of a ministry), whose acts news also gives to its ministry."""
    from .institutions import find_institutions

    found = [c for c in find_institutions(name) if c.start == 0 and c.end == len(name) and c.info.get("id")]
    if not found:
        return fold(name), ""
    info = found[0].info
    return info["id"], info.get("parent", "") if info.get("kind") == "department" else ""


def related_bodies(a: str, b: str) -> bool:
    """The same body, or a department and its ministry ("Cục Thống kê" and "Bộ Tài chính")."""
    (ia, pa), (ib, pb) = _body_ids(a), _body_ids(b)
    return ia == ib or (pa != "" and pa == ib) or (pb != "" and pb == ia)


def _indicator_text(st: Statement) -> str:
    """The text naming what a figure measures: its object, or its sentence when the object says too little."""
    return st.object if len(_words(st.object)) >= 3 else f"{st.object} {st.context}"


def _counts_alike(a: Statement, b: Statement) -> bool:
    """Two counts of one thing under two nouns: one's counted noun is among the other's words
    ("34 tỉnh" and "34 đơn vị hành chính cấp tỉnh"), not merely another noun ("34 xã")."""
    ua, ub = _words(a.unit or ""), _words(b.unit or "")
    if ua == ub:
        return True
    return bool(ua) and bool(ub) and (ua <= _words(f"{b.unit} {b.object}") or ub <= _words(f"{a.unit} {a.object}"))


def _significant_digits(x: float) -> int:
    return len(f"{abs(x):.6g}".replace(".", "").replace("-", "").strip("0"))


def _distinctive(st: Statement) -> bool:
    """A value with 4+ significant digits ("126,5 tỷ đồng", "1.165.289"): nearly never stated by chance."""
    nums = [x for v in st.values[:1] for x in v]
    return bool(nums) and all(_significant_digits(x) >= 4 for x in nums)


def _unit_class(st: Statement) -> str:
    """The unit as keys compare it: a count of a distinctive value (4+ significant digits) is a count,
    whatever noun counts it ("1.165.289 thí sinh" = "1.165.289 người"); currencies and % stay themselves."""
    unit = st.unit or ""
    if not unit or unit == "%" or unit.isupper():
        return unit
    return "#count" if _distinctive(st) else unit


def _acronyms(text: str) -> frozenset[str]:
    """Capitalised abbreviations that name an indicator's scope ("GDP" is not "GRDP")."""
    return frozenset(re.findall(r"(?<!\w)[A-ZĐ]{2,}(?!\w)", text))


def _doc_key(doc_type: str, value: str) -> tuple[str, str, str]:
    parts = re.split(r"[/-]", value)
    year = next((p for p in parts[1:] if re.fullmatch(r"\d{4}", p)), "")
    return (fold(doc_type or ""), parts[0], year)


def _date_span(value: str | None) -> tuple[str, str] | None:
    """(first, last) of a TIMEX3 value as sortable strings; None for an unknown year."""
    if not value or value.startswith("XXXX"):
        return None
    first, _, last = value.partition("/")
    last = last or first
    return first.split("T")[0], last.split("T")[0] + "~"


def compatible_dates(a: str | None, b: str | None) -> bool:
    """Two statements' dates may be one occurrence: equal, nested, or one missing."""
    da, db_ = _day_number(a), _day_number(b)
    if da and db_ and not _same_day(da, db_):
        return False  # "11/10" and "25/10" are two days, whatever the year
    sa, sb = _date_span(a), _date_span(b)
    if sa is None or sb is None:
        return True
    if len(a.split("T")[0]) == len(b.split("T")[0]) == 10 and "/" not in a + b:
        return a[:10] == b[:10]  # two different days never merge
    return sa[0] <= sb[1] and sb[0] <= sa[1]


def _common_value(values: tuple[tuple[float, ...], ...]) -> bool:
    nums = [x for v in values for x in v]
    return not nums or all(x in (0, 100) or (float(x).is_integer() and abs(x) < 100 and x % 5 == 0) for x in nums)


def natural_keys(st: Statement) -> list[tuple]:
    """The blocking keys of a statement (strongest first)."""
    keys: list[tuple] = []
    if st.type == "ISSUANCE":
        keys += [("doc",) + _doc_key(t, v)[:2] for t, v in st.documents]
        if st.article:
            keys += [("doc-in-article", st.article, strip_marks(fold(t))) for t, _ in st.documents if t]
    if st.type in ("RESULT", "TARGET") and st.values:
        value = tuple(round(x, 4) for v in st.values[:1] for x in v)
        if _common_value(st.values[:1]):  # "100%": only with a shared indicator word
            keys += [("value-word", st.type, value, _unit_class(st), w) for w in sorted(_words(st.object))]
            if st.context:  # or a sentence that says the same
                keys.append(("value-context", st.type, value, _unit_class(st)))
        else:
            keys.append(("value", st.type, value, _unit_class(st)))
        if st.unit and _unit_class(st) == st.unit and st.unit != "%" and not st.unit.isupper():
            keys.append(("count", st.type, value))  # "34 tỉnh" and "34 đơn vị hành chính cấp tỉnh"
    if st.type == "ISSUANCE" and _day_number(st.date) and object_head(st.object):
        keys.append(("issued-day", fold(object_head(st.object)), st.date[:10]))
    if st.type == "MEETING":
        keys += [("meeting-doc", v) for _, v in st.documents]
        ordinal = re.search(r"(?:lan thu|thu|khoa)\s+(\w+)", strip_marks(fold(st.object)))
        noun = _head_words(st.object)
        if ordinal:
            keys.append(("meeting", noun, ordinal.group(1)))
        if st.date and len(st.date) >= 10 and not st.date.startswith("XXXX"):
            keys.append(("meeting-day", noun, st.date[:10]))
    words = _words(st.object)
    if st.type == "ISSUANCE" and not st.documents and st.article:
        keys.append(("doc-in-article", st.article, _head_words(st.object)))  # "Công điện yêu cầu ..." restating "Công điện số 220/CĐ-TTg"
    if st.type == "MEETING" and st.article:
        keys.append(("meeting-in-article", st.article, _head_words(st.object)))
    if st.article and st.context and not (st.values and st.type in ("RESULT", "TARGET")):  # an act (or a rank) restated in its article
        keys.append(("in-article", st.article, st.type))
    merged = merged_units(st)
    if merged:  # "hợp nhất tỉnh Hà Giang và tỉnh Tuyên Quang" = "tỉnh Tuyên Quang mới được thành lập trên cơ sở nhập ..."
        keys.append(("merged", st.type, " | ".join(sorted(merged))))
    body = named_body(st.object) if st.type in ("ORGANIZATION", "LAUNCH", "LICENSING") else ""
    if body:  # the body acted on, however it is written
        keys.append(("body", st.type, fold(body)))
    if len(words) >= 2 and st.type not in ("RESULT", "TARGET"):
        keys.append(("object-all", st.type, " ".join(sorted(words))))  # the whole object: the event's name in its id
        keys += [("object", st.type, w) for w in sorted(words) if len(w) >= 4]
    return keys


def merged_units(st: Statement) -> frozenset[str]:
    """What a restructuring brings together, which names it whatever its wording: the provinces its
    object names with those of its clause (unless the clause lists more than four: several mergers),
    when two or more; else the two or three bodies taking part besides its agent."""
    if st.type != "ORGANIZATION" or act_kind(st.type, st.trigger) != "restructure":
        return frozenset()
    from .territory import provinces_in

    places = set(provinces_in(st.object))
    if places:  # the object is a territory: its clause says what it was made of
        clause = next((c for c in st.context.split(";") if st.object and st.object in c), st.context)
        around = set(provinces_in(clause))
        if len(around) <= 4:
            places |= around
    if len(places) >= 2:
        return frozenset(places)
    bodies = {b for b in st.institutions.split(" | ") if b and b != st.agent}
    return frozenset(bodies) if 2 <= len(bodies) <= 3 else frozenset()


def _ordinal(st: Statement) -> str | None:
    return _ordinal_of(st.object)


@lru_cache(maxsize=_CACHE)
def _ordinal_of(text: str) -> str | None:
    """The ordinal a name carries ("lần thứ 11", "khóa XV"), or None."""
    m = re.search(r"(?:lan thu|thu|khoa)\s+(\w+)", strip_marks(fold(text)))
    return m.group(1) if m else None


def _same(a: Statement, b: Statement, key: str) -> bool:
    """May ``a`` and ``b``, which share a blocking key of class ``key``, be one event? (keep-apart rules first)."""
    if a.type != b.type or not compatible_dates(a.date, b.date):
        return False
    if key in ("meeting-ref", "merged"):  # a meeting named by its noun alone refers to the one named before it;
        return True  # a restructuring of the same units is one act, however its object is cut
    if territories_conflict(a.territory, b.territory):
        return False
    pa, pb = _named_period(a.object), _named_period(b.object)
    if any(pa[k] != pb[k] for k in pa.keys() & pb.keys()):
        return False  # "Phiên họp thường kỳ tháng 1/2025" is not "... tháng 9/2025"  # a province's figure is not the nation's, nor another province's (same value or not)
    if a.article == b.article and a.context == b.context and a.context:
        return False  # one sentence states an act or a value once: its statements are different events
    ka, kb = act_kind(a.type, a.trigger), act_kind(b.type, b.trigger)
    if ka and kb and ka != kb:
        return False  # "kiện toàn" and "đổi tên" the same body are two acts; "tăng 5%" is not "giảm 5%"
    oa, ob = _ordinal(a), _ordinal(b)
    if oa and ob and oa != ob:
        return False  # "Hội nghị lần thứ 11" is not "Hội nghị lần thứ nhất"
    ha, hb = object_head(a.object), object_head(b.object)
    if ha and hb and ha != hb and a.type not in ("RESULT", "TARGET"):
        return False  # "Bộ Khoa học và Công nghệ" is not "Sở Khoa học và Công nghệ"
    if a.type == "MEETING" and _series(a.object) != _series(b.object):
        return False  # "Kỳ họp bất thường lần thứ 9" is not "Kỳ họp thứ 9"
    if a.type == "MEETING" and a.article != b.article and not _identified_meeting(a, b, oa, ob):
        return False  # "họp báo thường kỳ" in two articles: two briefings unless something names the same one
    if key == "doc":
        ya = {_doc_key(t, v)[2] for t, v in a.documents} - {""}
        yb = {_doc_key(t, v)[2] for t, v in b.documents} - {""}
        return not (ya and yb and not ya & yb)
    if key in ("value", "value-word"):
        if _unit_class(a) != _unit_class(b):
            return False
        xa, xb = _acronyms(a.object), _acronyms(b.object)
        if xa and xb and not xa & xb:
            return False
        if key == "value-word":  # a common value: two shared indicator words
            return len(_words(a.object) & _words(b.object)) >= 2
        # the same uncommon value: a restatement in the same article; in another article it must
        # also measure something named alike ("58,7%" of online files is not "58,7%" of investment)
        return a.article == b.article or _same_indicator(a, b) or _distinctive(a)
    if key == "value-context":
        wa, wb = _words(a.object), _words(b.object)
        if len(wa) >= 2 and len(wb) >= 2 and not wa & wb:
            return False  # two named indicators with nothing in common
        return (_unit_class(a) == _unit_class(b) and not _acronym_conflict(a, b) and a.context != b.context
                and _says_the_same(a.context, b.context, a.article == b.article))
    if key == "in-article":
        return _restated_in_article(a, b)
    if key == "count":
        return (_counts_alike(a, b) and not _acronym_conflict(a, b)
                and (a.article == b.article or _same_indicator(a, b)))
    if key == "meeting-doc":  # the meeting that adopted a document, one name inside the other
        wa, wb = _words(a.object), _words(b.object)
        return wa <= wb or wb <= wa
    if key == "issued-day":
        return _same_issuance(a, b)
    if key in ("object", "object-all", "meeting-in-article"):
        wa, wb = _words(a.object), _words(b.object)
        shared = len(wa & wb)
        if key in ("object", "object-all"):
            return shared >= 3 and shared / len(wa | wb) >= 0.75
        return bool(wa and wb) and shared / len(wa | wb) >= 0.3
    if key == "doc-in-article":  # only onto the one numbered document of that type in the article
        return bool(a.documents) != bool(b.documents) and _doc_heads(a, b)
    return True


def _acronym_conflict(a: Statement, b: Statement) -> bool:
    xa, xb = _acronyms(a.object), _acronyms(b.object)
    return bool(xa and xb and not xa & xb)


def _says_the_same(a: str, b: str, same_article: bool) -> bool:
    """Two sentences that state one figure: in one article, most content words of the shorter are in the
    longer (a headline, its lead, the body); across articles, most of both (a copied sentence); 4 at least."""
    wa, wb = _words(a), _words(b)
    shared = len(wa & wb)
    if same_article:
        return shared >= 4 and shared >= 0.5 * min(len(wa), len(wb))
    return shared >= 4 and shared >= 0.5 * len(wa | wb)


def _restated_in_article(a: Statement, b: Statement) -> bool:
    """The same act (or rank) stated again in another sentence of its article: the headline, the lead and
    the body say it with most of the same words ("Cổng dịch vụ công quốc gia được chính thức khai trương"
    and "Ngày 09/12/2019, Cổng dịch vụ công quốc gia được chính thức khai trương ..."). A figure without
    a value must also have the same trigger."""
    if a.context == b.context or not _says_the_same(a.context, b.context, True):
        return False
    if a.type in ("RESULT", "TARGET") and fold(a.trigger) != fold(b.trigger):
        return False
    return not _names_conflict(a, b)


def _names_conflict(a: Statement, b: Statement) -> bool:
    """Two objects that name different things: beyond their head noun, both have 2+ words, neither
    holds all of the other's, and they share less than half ("Luật Tổ chức Chính phủ" and "Luật Tổ chức
    chính quyền địa phương"; not "tỷ trọng giá trị tăng thêm" and "kết quả biên soạn chỉ tiêu tỷ trọng
    giá trị tăng thêm")."""
    head_a, head_b = _words(object_head(a.object)), _words(object_head(b.object))
    na, nb = _words(a.object) - head_a, _words(b.object) - head_b
    return len(na) >= 2 and len(nb) >= 2 and not (na <= nb or nb <= na) and _jaccard(na, nb) < 0.5


@lru_cache(maxsize=_CACHE)
def _pairs(text: str) -> frozenset[tuple[str, str]]:
    """Adjacent content syllables of a text: Vietnamese words are mostly two syllables ("giải quyết")."""
    stop = _stop_words()
    toks = fold(text).split()
    return frozenset((strip_marks(x), strip_marks(y)) for x, y in zip(toks, toks[1:])
                     if x not in stop and y not in stop and not any(c.isdigit() for c in x + y))


def _same_indicator(a: Statement, b: Statement) -> bool:
    """Two figures' indicators name the same thing: a shared two-syllable word or two shared syllables
    ("giải quyết trực tuyến" and "giải ngân vốn" share only a syllable)."""
    ta, tb = _indicator_text(a), _indicator_text(b)
    if _acronyms(ta) & _acronyms(tb):
        return True  # "GDP", "GRDP", "THPT" name an indicator's scope
    return bool(_pairs(ta) & _pairs(tb)) or len(_words(ta) & _words(tb)) >= 2


def _same_issuance(a: Statement, b: Statement) -> bool:
    """Two documents of one type issued the same day: the same number, or, for one stated without its
    number, its name's words in the numbered one's sentence ("Nghị quyết về sắp xếp đơn vị hành chính"
    and "thông qua Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị hành chính")."""
    if a.documents and b.documents:
        return bool({_doc_key(t, v)[:2] for t, v in a.documents} & {_doc_key(t, v)[:2] for t, v in b.documents})
    head = _words(object_head(a.object))
    if a.documents or b.documents:
        numbered, bare = (a, b) if a.documents else (b, a)
        name = _words(bare.object) - head
        return len(name) >= 2 and len(name & _words(numbered.context)) >= 0.75 * len(name)
    na, nb = _words(a.object) - head, _words(b.object) - head
    return bool(na and nb) and _jaccard(na, nb) >= 0.5


def _likeness(a: Statement, b: Statement) -> tuple[int, float, float]:
    """How alike two statements are: same article, then their objects' and sentences' word overlap."""
    return (int(a.article == b.article), _jaccard(_words(a.object), _words(b.object)),
            _jaccard(_words(a.context), _words(b.context)))


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _identified_meeting(a: Statement, b: Statement, oa: str | None, ob: str | None) -> bool:
    """Do two meetings stated in different articles name the same one: an ordinal, a day, a document,
    or a word of the name beyond the generic ones?"""
    if oa and ob:
        return True
    if _day_number(a.date) and _day_number(b.date):
        return True
    if {d for _, d in a.documents} & {d for _, d in b.documents}:
        return True
    return bool(_meeting_name(a) & _meeting_name(b))


def _doc_heads(a: Statement, b: Statement) -> bool:
    numbered, bare = (a, b) if a.documents else (b, a)
    head = _head_words(bare.object)
    return any(strip_marks(fold(t)) == head for t, _ in numbered.documents)


_PERIOD = re.compile(r"(?<!\w)(thang|quy|nam)\s+(\d{1,4}|[ivx]+)(?:\s*/\s*(\d{4}))?(?!\w)")


@lru_cache(maxsize=_CACHE)
def _named_period(text: str) -> dict[str, str]:
    """The month, quarter and year a name gives ("tháng 1/2025" -> {"thang": "1", "nam": "2025"})."""
    out: dict[str, str] = {}
    for unit, value, year in _PERIOD.findall(strip_marks(fold(text))):
        if unit == "nam" and len(value) != 4:
            continue  # "năm 2" of a plan is no calendar year
        out.setdefault(unit, value.lstrip("0") or value)
        if year:
            out.setdefault("nam", year)
    return out


def territories_conflict(a: str, b: str) -> bool:
    """Two figures' territories that cannot be one ("VN" and a province, two provinces; "" is unknown)."""
    return bool(a and b and a != b)


# Set explicitly: a build's defaults may differ (some keep temporary tables in memory, which would
# then hold a sort of every key of the run)
SQLITE_BOUNDED = "PRAGMA cache_size=-2000; PRAGMA temp_store=FILE;"

MAX_BLOCK = 400  # a key shared by more statements than this ("tỉnh", 100 %) identifies nothing: skipped
# and a weak key much sooner: one word of an object shared by 30 statements names no one event; a
# block's cost grows with the square of its size, so these bounds keep resolution linear in the input
_BLOCK_LIMIT = {"object": 30, "value-context": 50, "value": 100, "value-word": 100, "count": 100, "meeting-doc": 100, "issued-day": 100,
                "meeting-day": 200, "body": 200, "object-all": 200}


def resolve(statements: Iterable[Statement], workdir: str | os.PathLike | None = None) -> list[str]:
    """The ``event_id`` of each statement (same id = same real-world event); see ``resolve_iter``."""
    return list(resolve_iter(statements, workdir))


def resolve_iter(statements: Iterable[Statement], workdir: str | os.PathLike | None = None) -> Iterator[str]:
    """The ``event_id`` of each statement, in input order, with memory flat in the number of statements.

    Statements and their natural keys go to a SQLite store (on disk in
    ``workdir``, else in memory); blocks of one key are read back one at a
    time, strongest keys first, through a bounded window of decoded
    statements; the union-find (``_Clusters``) keeps a few bytes per
    statement in memory, and the names, documents and acronyms of clusters in
    the store. SQLite's page cache is bounded and its temporary B-trees (sorts,
    groupings) go to files.
    """
    import sqlite3
    import tempfile

    tmpdir = tempfile.TemporaryDirectory(dir=workdir) if workdir is not None else None
    db = sqlite3.connect(os.path.join(tmpdir.name, "resolve.sqlite") if tmpdir else ":memory:")
    try:
        db.executescript(f"""PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; {SQLITE_BOUNDED}
            CREATE TABLE st (i INTEGER PRIMARY KEY, type TEXT, date TEXT, data TEXT, fp TEXT, at TEXT);
            CREATE TABLE k (strength INTEGER, key TEXT, i INTEGER);""")
        n = 0
        clusters = _Clusters(db)
        named: dict[str, int] = {}  # the article's last named meeting of each head noun
        article = None
        for n, st in enumerate(statements, 1):
            i = n - 1
            db.execute("INSERT INTO st VALUES (?,?,?,?,?,?)", (i, st.type, st.date or "", _pack(st), fingerprint(st),
                                                               f"{st.article}@{st.position}"))
            keys = natural_keys(st)
            if st.article != article:
                article, named = st.article, {}
            if st.type == "MEETING" and st.article:
                head = _head_words(st.object)
                if not _meeting_name(st) and not _ordinal(st) and head in named:
                    ref = ("meeting-ref", st.article, named[head])  # "Hội nghị diễn ra ...": the one just named
                    keys.append(ref)
                    db.execute("INSERT INTO k VALUES (?,?,?)", (_STRENGTH["meeting-ref"], repr(ref), named[head]))
                elif _meeting_name(st) or _ordinal(st):
                    named[head] = i
            db.executemany("INSERT INTO k VALUES (?,?,?)", [(_STRENGTH[key[0]], repr(key), i) for key in keys])
            clusters.add(i, st)
        db.execute("CREATE INDEX k_key ON k (strength, key)")
        find = clusters.find
        recent: dict[int, tuple[Statement, bytes]] = {}  # statements read back lately, with what they say
        # (a statement is in several blocks); and the decisions on pairs of what two statements say, for
        # news repeats itself (one story carried by several outlets, a lead restated in the body)
        decided: dict[tuple, bool] = {}
        blocks = db.execute("SELECT key, group_concat(i) FROM k GROUP BY strength, key "
                            f"HAVING count(*) BETWEEN 2 AND {MAX_BLOCK} ORDER BY strength, key")
        for key_text, members_text in blocks.fetchall() if n < 50_000 else blocks:
            members = [int(x) for x in members_text.split(",")]
            key = key_text.split("'", 2)[1]  # the class of the key: repr(("doc", ...)) -> doc
            if len(members) > _BLOCK_LIMIT.get(key, MAX_BLOCK):
                continue
            missing = [i for i in members if i not in recent]
            if missing:
                if len(recent) > _RECENT:  # the block's members already read stay: only the missing are read
                    recent = {i: recent[i] for i in members if i in recent}
                recent.update((i, (_unpack(t, d, data, at), _said(t, d, data))) for i, t, d, data, at in db.execute(
                    f"SELECT i, type, date, data, at FROM st WHERE i IN ({','.join('?' * len(missing))})", missing))
            if len(decided) > _RECENT:
                decided.clear()
            rows = {i: recent[i] for i in members}
            root = {i: find(i) for i in members}  # no union happens while the pairs are weighed
            pairs = []
            for x, i in enumerate(members):
                a, said_a = rows[i]
                for j in members[:x]:
                    if root[i] == root[j]:
                        continue
                    b, said_b = rows[j]
                    asked = (said_a, said_b, a.article == b.article, key)
                    if asked in decided:
                        alike = decided[asked]
                    else:
                        alike = decided[asked] = _likeness(a, b) if _same(a, b, key) else None
                    if alike is not None:
                        pairs.append((alike, j, i))
            for _, j, i in sorted(pairs, key=lambda p: (-p[0][0], -p[0][1], -p[0][2], p[1], p[2])):
                ri, rj = find(i), find(j)  # the most alike first: an undated statement joins its closest event
                if ri != rj:
                    clusters.union(ri, rj)
        db.execute("CREATE TABLE r (i INTEGER PRIMARY KEY, root INTEGER)")
        db.executemany("INSERT INTO r VALUES (?,?)", ((i, find(i)) for i in range(clusters.n)))
        db.execute("CREATE INDEX r_root ON r (root)")
        # each statement's strongest key, then each event's: two grouped passes (no per-event subquery)
        db.execute("""CREATE TABLE sb AS SELECT i, MIN(printf('%02d|%s', strength, key)) AS best
                      FROM k GROUP BY i""")
        db.execute("CREATE UNIQUE INDEX sb_i ON sb (i)")
        db.execute("""CREATE TABLE e AS
            SELECT r.root AS root, MIN(st.type) AS type, MIN(sb.best) AS best,
                   MIN(CASE WHEN st.date != '' AND st.date NOT LIKE 'X%' THEN st.date END) AS date,
                   MIN(st.fp) AS fp, MIN(st.at) AS at
            FROM r JOIN st ON st.i = r.i LEFT JOIN sb ON sb.i = r.i GROUP BY r.root""")
        # Two events may share their strongest key (a value, an object's words, kept apart by
        # their indicators or agents): then the event's content (its smallest fingerprint), and
        # where it was first stated if that is shared too, tell them apart.
        db.execute("""CREATE TABLE e2 AS SELECT root, type, best, date, fp, at,
                   count(*) OVER (PARTITION BY type, best, date) AS n_best,
                   count(*) OVER (PARTITION BY type, best, date, fp) AS n_fp FROM e""")
        db.execute("CREATE UNIQUE INDEX e2_root ON e2 (root)")
        for type_, best, date, fp, at, n_best, n_fp in db.execute(
                "SELECT e2.type, e2.best, e2.date, e2.fp, e2.at, e2.n_best, e2.n_fp "
                "FROM r JOIN e2 ON e2.root = r.root ORDER BY r.i"):
            yield event_id(type_, best, date, fp if best is not None and n_best > 1 else None,
                           at if best is None or n_fp > 1 else None)
    finally:
        db.close()
        if tmpdir is not None:
            tmpdir.cleanup()


def event_id(type_: str, best: str | None, date: str | None, content: str | None = None,
             where: str | None = None) -> str:
    """The id of an event from its type, strongest natural key and earliest date.

    ``content`` (the smallest fingerprint of its statements) and ``where`` it
    was first stated enter only when another event has the same key (and the
    same content), so an id changes only when a statement with a stronger key
    joins the event or another event comes to share its key.
    """
    parts: tuple = (type_, best if best is not None else "statement|" + (where or ""), [date] if date else [])
    if content is not None:
        parts += (content,)
    if where is not None and best is not None:
        parts += (where,)
    return f"ev-{hashlib.sha1(repr(parts).encode()).hexdigest()[:12]}"


class _Ints:
    """A list of integers in the narrowest array type that holds every value stored so far: one byte
    a statement while the values are small, widened (copied once) when a value does not fit."""

    __slots__ = ("items",)
    _RANGES = (("b", 1 << 7), ("h", 1 << 15), ("i", 1 << 31), ("q", 1 << 63))

    def __init__(self) -> None:
        self.items = array("b")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> int:
        return self.items[i]

    def __setitem__(self, i: int, value: int) -> None:
        try:
            self.items[i] = value
        except OverflowError:
            self._widen(value)
            self.items[i] = value

    def append(self, value: int) -> None:
        try:
            self.items.append(value)
        except OverflowError:
            self._widen(value)
            self.items.append(value)

    def _widen(self, value: int) -> None:
        code = next(c for c, bound in self._RANGES if -bound <= value < bound)
        self.items = array(code, self.items)


class _Stored:
    """Interned texts kept in the resolution store (a table of ``db``): each distinct text has an id
    (from 1; 0 is the empty text), and only the latest ``_CACHE`` lookups stay in memory, so memory
    does not grow with the number of distinct documents, names or acronyms."""

    def __init__(self, db: sqlite3.Connection, table: str) -> None:
        self.db, self.table = db, table
        db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, value TEXT UNIQUE)")
        self._ids: dict[str, int] = {}
        self._texts: dict[int, str] = {}

    def id(self, text: str) -> int:
        """The id of ``text`` (stored on first sight); 0 for ""."""
        if not text:
            return 0
        n = self._ids.get(text)
        if n is None:
            row = self.db.execute(f"SELECT id FROM {self.table} WHERE value = ?", (text,)).fetchone()
            n = row[0] if row else self.db.execute(f"INSERT INTO {self.table} (value) VALUES (?)", (text,)).lastrowid
            self._remember(n, text)
        return n

    def text(self, n: int) -> str:
        """The text of id ``n``."""
        text = self._texts.get(n)
        if text is None:
            text = self.db.execute(f"SELECT value FROM {self.table} WHERE id = ?", (n,)).fetchone()[0]
            self._remember(n, text)
        return text

    def _remember(self, n: int, text: str) -> None:
        if len(self._ids) >= _CACHE:
            self._ids.clear()
            self._texts.clear()
        self._ids[text], self._texts[n] = n, text


@lru_cache(maxsize=_CACHE)
def _set_text(values: frozenset) -> str:
    """A set as stored text: its members (strings or tuples of strings) sorted, in JSON ("" when empty)."""
    return json.dumps(sorted(values), ensure_ascii=False) if values else ""


@lru_cache(maxsize=_CACHE)
def _text_set(text: str) -> frozenset:
    """The set a stored text (``_set_text``) holds."""
    return frozenset(tuple(x) if isinstance(x, list) else x for x in json.loads(text))


class _Clusters:
    """Union-find over statements, with what a whole event may not contradict.

    An event has at most one day and one agent, and its documents and the
    acronyms of its indicators: two clusters merge only when their days and
    agents agree (where both have one) and their documents and acronyms meet
    (where both have some). Each is a small integer a statement (``_Ints``: a
    day's index, or the id of a name or set); the names and sets themselves
    are kept in the resolution store ``db`` (``_Stored``), so memory is a few
    bytes a statement whatever the number of distinct documents.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.parent = array("i")
        self.day = _Ints()         # index into self._days, 0 for none
        self.agent = _Ints()       # stored agent name, 0 for none
        self.docs = _Ints()        # stored set of (type, number) documents, 0 for none
        self.acronyms = _Ints()    # stored set of acronyms, 0 for none
        self.territory = _Ints()   # stored territory of a figure or a restructuring ("VN", a province), 0 for none
        self._days = array("i", [0])  # YYYYMMDD, 0000MMDD for a day of unknown year
        self._day_index: dict[int, int] = {0: 0}  # at most one entry a calendar day
        self._agents, self._docs, self._acronyms, self._territories = (
            _Stored(db, t) for t in ("v_agent", "v_docs", "v_acronyms", "v_territory"))

    @property
    def n(self) -> int:
        return len(self.parent)

    def add(self, i: int, st: Statement) -> None:
        self.parent.append(i)
        day = _day_number(st.date)
        index = self._day_index.get(day)
        if index is None:
            index = self._day_index[day] = len(self._days)
            self._days.append(day)
        self.day.append(index)
        self.agent.append(self._agents.id(st.agent if st.agent and st.type not in ("RESULT", "TARGET") else ""))
        self.docs.append(self._docs.id(_set_text(frozenset(_doc_key(t, v)[:2] for t, v in st.documents))))
        self.acronyms.append(self._acronyms.id(_set_text(_acronyms(st.object)) if st.type in ("RESULT", "TARGET") else ""))
        self.territory.append(self._territories.id(st.territory))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _share_documents(self, ri: int, rj: int) -> bool:
        si, sj = self.docs[ri], self.docs[rj]
        return bool(si and sj and (si == sj or _text_set(self._docs.text(si)) & _text_set(self._docs.text(sj))))

    def union(self, ri: int, rj: int) -> bool:
        """Merge the clusters of roots ``ri`` and ``rj`` unless they contradict each other."""
        xi, xj = self.day[ri], self.day[rj]
        di, dj = self._days[xi], self._days[xj]
        if di and dj and not _same_day(di, dj):
            return False
        ai, aj = self.agent[ri], self.agent[rj]
        if ai and aj and ai != aj and not related_bodies(self._agents.text(ai), self._agents.text(aj)) \
                and not self._share_documents(ri, rj):
            return False  # two acting bodies, unless one is the other's parent ("Cục Thống kê (Bộ Tài chính)"),
            # or the document is the same: its signer and its issuing body are both said to issue it
        ti, tj = self.territory[ri], self.territory[rj]
        if ti and tj and ti != tj:
            return False  # an unknown territory joins either, but must not bridge two
        merged = []
        for sets, stored in ((self.docs, self._docs), (self.acronyms, self._acronyms)):
            si, sj = sets[ri], sets[rj]
            if si and sj and si != sj:
                a, b = _text_set(stored.text(si)), _text_set(stored.text(sj))
                if not a & b:
                    return False  # two documents, or GDP and GRDP
                merged.append(sj if a <= b else si if b <= a else stored.id(_set_text(a | b)))
            else:
                merged.append(si or sj)
        self.parent[ri] = rj
        self.day[rj] = (xi if di > dj else xj) if di and dj else (xi or xj)  # a known year wins over an unknown one
        self.agent[rj] = aj or ai
        self.docs[rj], self.acronyms[rj] = merged
        self.territory[rj] = tj or ti
        return True


@lru_cache(maxsize=_CACHE)
def _day_number(value: str | None) -> int:
    """A TIMEX3 day as YYYYMMDD (0000MMDD for an unknown year); 0 for anything that is not one day."""
    m = re.fullmatch(r"(\d{4}|XXXX)-(\d\d)-(\d\d)(?:T.*)?", value or "")
    if not m:
        return 0
    return (0 if m.group(1) == "XXXX" else int(m.group(1))) * 10000 + int(m.group(2)) * 100 + int(m.group(3))


def _same_day(a: int, b: int) -> bool:
    """Two day numbers may be one day: the same month and day, and the same year where both know it."""
    return a % 10000 == b % 10000 and (a < 10000 or b < 10000 or a == b)


def _said(type_: str, date: str, data: str) -> bytes:
    """A short digest of what a statement says (the decisions on pairs are kept by it, not by the text)."""
    return hashlib.blake2b(f"{type_}\x1f{date}\x1f{data}".encode(), digest_size=16).digest()


def _pack(st: Statement) -> str:
    """What a statement says, as stored (where it is said is stored apart: ``article@position``)."""
    return json.dumps({"documents": st.documents, "values": st.values, "unit": st.unit, "object": st.object,
                       "trigger": st.trigger, "context": st.context, "agent": st.agent,
                       "territory": st.territory}, ensure_ascii=False)


def _unpack(type_: str, date: str, data: str, at: str) -> Statement:
    d = json.loads(data)
    return Statement(type=type_, documents=tuple(tuple(x) for x in d["documents"]), date=date or None,
                     values=tuple(tuple(v) for v in d["values"]), unit=d["unit"], object=d["object"],
                     trigger=d["trigger"], context=d["context"], agent=d["agent"], article=at.rsplit("@", 1)[0],
                     territory=d["territory"])


def fingerprint(st: Statement) -> str:
    """What a statement says, without where it says it: tells apart events whose strongest key is shared."""
    return repr((st.type, " ".join(sorted(_words(st.object))), st.values, st.unit or "",
                 sorted(_doc_key(t, v) for t, v in st.documents), st.date or "", act_kind(st.type, st.trigger)))


_STRENGTH = {"doc": 0, "meeting": 1, "meeting-day": 2, "meeting-doc": 2, "issued-day": 2, "value": 3,
             "value-word": 3, "value-context": 3, "count": 3, "body": 4, "object-all": 4, "doc-in-article": 5, "in-article": 5,
             "meeting-in-article": 5, "meeting-ref": 5, "merged": 3, "object": 6}


def statements_of(rec: dict) -> list[Statement]:
    """The statements of one record (gold format with values), in event order: read from its events
    table rows (``records.event_rows``), exactly as a run reads them back from ``events.parquet``."""
    from .records import event_rows

    return [statement_of_row(row) for row in event_rows({"source": "", "id": "", **rec})]


def cell_text(v) -> str:
    """A table cell as text: "" for None and NaN/NaT."""
    if v is None:
        return ""
    try:
        if v != v:  # NaN
            return ""
    except (TypeError, ValueError):
        pass
    text = str(v)
    return "" if text in ("NaT", "<NA>") else text


def statement_of_row(row: Mapping) -> Statement:
    """The statement of one events-table row (columns of ``records.EVENT_COLUMNS``).

    An ISSUANCE's identity is the document it issues: the one its object names, else, when its
    object is an unnumbered document ("ban hành quyết định phê duyệt phương án"), none, else the
    first one it cites.
    """
    docs = [d for d in cell_text(row.get("documents")).split(" | ") if d]
    types = cell_text(row.get("doc_types")).split(" | ")
    pairs = list(zip(types + [""] * len(docs), docs))[:len(docs)]
    obj = cell_text(row.get("object"))
    if row["type"] == "ISSUANCE" and pairs:
        own = [p for p in pairs if p[1] in obj]
        pairs = own or ([] if obj and object_head(obj) else pairs[:1])
    low, high, number = cell_text(row.get("value_low")), cell_text(row.get("value_high")), cell_text(row.get("value_number"))
    values: tuple = ()
    if number:
        values = ((float(number),),)
    elif low and high:
        values = ((float(low), float(high)),)
    return Statement(type=row["type"], documents=tuple(pairs), date=cell_text(row.get("date_value")) or None,
                     values=values, unit=cell_text(row.get("value_unit")) or None,
                     object=obj or stand_in(row["type"], cell_text(row.get("trigger"))),
                     article=cell_text(row.get("article_id")), position=int(row["trigger_start"]),
                     trigger=cell_text(row.get("trigger")), context=cell_text(row.get("sentence")),
                     agent=cell_text(row.get("agent")),
                     territory=cell_text(row.get("territory")) if row["type"] not in ("ISSUANCE", "MEETING") else "",
                     institutions=cell_text(row.get("institutions")))


def stand_in(type_: str, trigger: str) -> str:
    """The object of a statement that names none: a meeting's head noun names it; other triggers name nothing."""
    return trigger if type_ == "MEETING" else ""


def resolve_records(records: list[dict]) -> None:
    """Set each event's ``canonical`` to its resolved ``event_id``, across all ``records``."""
    sts, where = [], []
    for r, rec in enumerate(records):
        for e, st in enumerate(statements_of(rec)):
            st.article = str(rec.get("id", r))
            sts.append(st)
            where.append((r, e))
    for (r, e), eid in zip(where, resolve(sts)):
        records[r]["events"][e]["canonical"] = eid
