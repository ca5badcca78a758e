"""Mentions as spaCy spans: the extension attributes and the one way to add them.

Every extractor finds candidate mentions as character offsets on ``doc_text(doc)``
and hands them to :func:`add_mentions`, which

* drops a candidate that overlaps a mention already in ``doc.spans["mentions"]``
  (components run in priority order: institutions, document references, dates,
  percentages) or a boilerplate line, and resolves overlaps among the new
  candidates longest-first (INSTITUTION candidates may nest);
* makes sure every mention boundary is a token boundary: underthesea may have
  joined syllables across it ("Trong năm" + "2021"); such words are split by
  rebuilding the Doc with the extra boundaries (spaCy's retokenizer cannot split
  at a space), carrying over sentence starts, spans and extension values;
* writes the spans with their extension attributes.

Span extensions: ``value`` (normalised value), ``mod`` (DATE START/MID/END),
``doc_type`` (DOCREF), ``info`` (a dict of extra facts: granularity, issuer,
year, institution id and kind ...).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from spacy.tokens import Doc, Span

from .resources import load_table
from .segment import doc_from_offsets, doc_text

MENTIONS = "mentions"
LABELS = ("DATE", "PERCENT", "DOCREF", "INSTITUTION", "QUANTITY")

for _name in ("value", "mod", "doc_type"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)
if not Span.has_extension("info"):
    Span.set_extension("info", default=None)
for _name, _default in (("published", None), ("events", None), ("article_id", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


@dataclass
class Candidate:
    """A mention found by a rule, before it becomes a span."""

    start: int
    end: int
    label: str
    value: Any
    mod: str | None = None
    doc_type: str | None = None
    info: dict = field(default_factory=dict)


def _boilerplate_regex() -> re.Pattern:
    pats = [row["pattern"] for row in load_table("boilerplate")]
    return re.compile(r"(?im)^[ \t]*(?:" + "|".join(f"(?:{p})" for p in pats) + r")[ \t]*$")


_BOILERPLATE: re.Pattern | None = None


def boilerplate_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of the web-furniture lines of ``text`` (see ``boilerplate.tsv``)."""
    global _BOILERPLATE
    if _BOILERPLATE is None:
        _BOILERPLATE = _boilerplate_regex()
    return [m.span() for m in _BOILERPLATE.finditer(text)]


class Intervals:
    """Sorted intervals with an overlap query in O(log n + k) (mentions are short)."""

    def __init__(self, items=()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.longest = 0
        for s, e in sorted(items):
            self.add(s, e)

    def add(self, s: int, e: int) -> None:
        i = bisect.bisect_left(self.starts, s)
        self.starts.insert(i, s)
        self.ends.insert(i, e)
        self.longest = max(self.longest, e - s)

    def overlapping(self, s: int, e: int) -> list[tuple[int, int]]:
        lo = bisect.bisect_left(self.starts, s - self.longest)
        hi = bisect.bisect_left(self.starts, e)
        return [(self.starts[i], self.ends[i]) for i in range(lo, hi) if self.ends[i] > s]


def add_mentions(doc: Doc, candidates: Iterable[Candidate], *, nest: bool = False) -> Doc:
    """Add candidates to ``doc.spans["mentions"]``; return the (possibly rebuilt) Doc.

    With ``nest=True`` a candidate may lie inside another new candidate of the
    same call (nested INSTITUTION mentions); crossing overlaps are never kept.
    """
    existing = list(doc.spans[MENTIONS]) if MENTIONS in doc.spans else []
    taken = Intervals((s.start_char, s.end_char) for s in existing)
    blocked = doc.user_data.get(("vnevents", "boilerplate"))
    if blocked is None:
        blocked = boilerplate_ranges(doc_text(doc))
        doc.user_data[("vnevents", "boilerplate")] = blocked
    blocked_iv = Intervals(blocked)
    chosen: list[Candidate] = []
    chosen_iv = Intervals()
    for cand in sorted(candidates, key=lambda c: (-(c.end - c.start), c.start)):
        if cand.end <= cand.start:
            continue
        if taken.overlapping(cand.start, cand.end) or blocked_iv.overlapping(cand.start, cand.end):
            continue
        clash = False
        for o_start, o_end in chosen_iv.overlapping(cand.start, cand.end):
            inside = o_start <= cand.start and cand.end <= o_end
            if not (nest and inside and (cand.start, cand.end) != (o_start, o_end)):
                clash = True
                break
        if not clash:
            chosen.append(cand)
            chosen_iv.add(cand.start, cand.end)
    if not chosen:
        return doc
    if any(doc.char_span(c.start, c.end) is None for c in chosen):
        doc = _ensure_boundaries(doc, {b for c in chosen for b in (c.start, c.end)})
    spans = list(doc.spans[MENTIONS]) if MENTIONS in doc.spans else []
    for cand in chosen:
        span = doc.char_span(cand.start, cand.end, label=cand.label)
        span._.value = cand.value
        span._.mod = cand.mod
        span._.doc_type = cand.doc_type
        span._.info = cand.info or {}
        spans.append(span)
    spans.sort(key=lambda s: (s.start_char, -s.end_char))
    doc.spans[MENTIONS] = spans
    return doc


def _ensure_boundaries(doc: Doc, offsets: set[int]) -> Doc:
    """Return ``doc``, or a rebuilt copy whose tokens have a boundary at each offset."""
    bounds = {t.idx for t in doc} | {t.idx + len(t.text) for t in doc}
    missing = [off for off in offsets if off not in bounds and 0 < off < len(doc_text(doc))]
    if not missing:
        return doc
    cuts = set(missing)
    spans: list[tuple[int, int]] = []
    starts = {s.start_char for s in doc.sents}
    for tok in doc:
        if tok.is_space:
            continue
        s, e = tok.idx, tok.idx + len(tok.text)
        inner = sorted(c for c in cuts if s < c < e)
        for c in inner:
            left = doc_text(doc)[s:c].rstrip()
            if left:
                spans.append((s, s + len(left)))
            s = c + (len(doc_text(doc)[c:e]) - len(doc_text(doc)[c:e].lstrip()))
        spans.append((s, e))
    new = doc_from_offsets(doc.vocab, doc_text(doc), spans, starts)
    new.user_data.update(doc.user_data)  # extension values are keyed by character offsets
    for key, group in doc.spans.items():
        new.spans[key] = [new.char_span(sp.start_char, sp.end_char, label=sp.label_) for sp in group]
    return new
