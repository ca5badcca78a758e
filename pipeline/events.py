"""Events: one thing that happened or was set, stated in one sentence, with a trigger.

Contract (docs/ANNOTATION.md, Events): an event has a ``type`` (ISSUANCE,
LAUNCH, ORGANIZATION, MEETING, LICENSING, TARGET, RESULT), a ``trigger`` span,
the DATE that dates it, and the INSTITUTION, DOCREF and PERCENT mentions of its
sentence that take part in it. Events are stored in ``doc._.events`` as dicts
whose arguments are indices into ``doc.spans["mentions"]``, with the
``sentence`` offsets added for review.

Rules (words from ``triggers.tsv``, ``event_cues.tsv``, ``doc_types.tsv``):

* A trigger is a sequence of whole underthesea words ("tăng" is not inside the
  word "tăng cường"); its ``requires`` column adds a condition: a figure near
  it, a document or an institution in the sentence, an aspect word before it,
  a goal context, or, for a meeting noun, that the meeting took place.
* MEASURE triggers are TARGET in a goal context and RESULT otherwise. A clause
  with "đã"/"ước"/"dự báo" before the trigger reports a result; else a goal cue
  in the sentence, or an event date whose period ends after the article's
  reference date (its publication date, else its latest full date), makes it a
  goal.
* A meeting noun after a reference word ("tại phiên họp") or a count ("5
  phiên họp", "các phiên họp") is no meeting.
* Arguments: the date is the nearest DATE before the trigger in its sentence,
  else the first after it in the same clause, never a comparison base ("so với
  năm 2018"); institutions are the sentence's bodies except the quoted source
  ("Theo Bộ TT&TT, ..."); each PERCENT goes to the trigger before it in its
  clause, else the next trigger; each DOCREF to the nearest trigger (and to any
  trigger right next to it).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple
from functools import cache

from spacy.attrs import IDX
from spacy.language import Language
from spacy.tokens import Doc, Span

from .mentions import MENTIONS
from .segment import SYLLABLES, TEXT, doc_text
from .resources import load_table
from .textutil import fold, word_alternation

FIGURE_AFTER = 6    # words after a trigger in which its figure may stand
FIGURE_BEFORE = 4   # words before it for a counted subject ("378.941 thành viên tham gia")
NEAR_DOC = 20       # characters: a document this close to a trigger belongs to it
_TAGS_LINE = re.compile(r"\s*([^\W\d]+(?: [^\W\d]+)?)\s*:")  # "Từ khóa: ...", "Tags: ..."
_HORIZON = re.compile(r"(?:^|\s)(?:đến|tới|hướng tới|trước)\s*$")  # frames of a deadline, not of an act
_DIGIT = re.compile(r"\d")
_CLAUSE_BREAK = re.compile(r"[;:!?]|\.(?=\s)")


@dataclass(frozen=True)
class Trigger:
    words: tuple[str, ...]
    type: str
    requires: str


class _Syl(NamedTuple):
    key: str
    start: int
    end: int
    word_start: bool
    upper: bool


@cache
def _triggers() -> dict[str, list[Trigger]]:
    """Triggers indexed by their first folded word, longest first."""
    index: dict[str, list[Trigger]] = {}
    for row in load_table("triggers"):
        words = tuple(fold(row["trigger"]).split())
        index.setdefault(words[0], []).append(Trigger(words, row["type"], row.get("requires", "")))
    for items in index.values():
        items.sort(key=lambda t: -len(t.words))
    return index


@cache
def _cue(*kinds: str) -> re.Pattern:
    """The words of the given cue kinds (event_cues.tsv), folded, as one whole-word pattern."""
    words = (fold(r["word"]) for r in load_table("event_cues") if r["cue"] in kinds)
    return re.compile(r"(?<!\w)(?:" + word_alternation(words) + r")(?!\w)")


@cache
def _doc_words() -> re.Pattern:
    words = (fold(r["word"]) for r in load_table("doc_types"))
    return re.compile(r"(?<!\w)(?:" + word_alternation(words) + r")(?!\w)")


_WORDLIKE = re.compile(r"\w")


def _sentence_syllables(text: str, s0: int, s1: int, known: dict | None) -> tuple[list[tuple[int, int]], list[str]]:
    """underthesea's syllables of a sentence and their folded forms, as the tokenizer found them
    (``known``) or found again."""
    from .segment import segmenter

    found = known.get(s0) if known else None
    if found is not None:
        return found
    offsets = segmenter().syllables(text, s0, s1)
    return offsets, [fold(text[a:b]) for a, b in offsets]


def _syllables(text: str, offsets: list[tuple[int, int]], keys: list[str], word_starts: set[int]) -> list[_Syl]:
    """The word-like syllables of a sentence with their folded form and whether each starts a token."""
    out = []
    for (a, b), key in zip(offsets, keys):
        piece = text[a:b]
        if _WORDLIKE.search(piece):
            out.append(_Syl(key, a, b, a in word_starts, piece[0].isupper()))
    return out


def _reference_date(doc: Doc, mentions: list[Span]) -> str | None:
    if doc._.published:
        return doc._.published[:10]
    days = [s._.info.get("end") for s in mentions
            if s.label_ == "DATE" and s._.info and s._.info.get("granularity") in ("day", "minute")]
    days = [d for d in days if d]
    return max(days) if days else None


_LIST_COMMA = re.compile(r",(?!\d)|(?<!\d),")  # a comma that separates words, not a decimal comma ("107,9%")


def _comma_before(text: str, lo: int, hi: int | None = None) -> int:
    """Position of the last separating comma in ``text[lo:hi]``, or -1 (``str.rfind`` semantics)."""
    hi = len(text) if hi is None else hi
    found = -1
    for m in _LIST_COMMA.finditer(text, lo, hi):
        found = m.start()
    return found


def _comma_after(text: str, pos: int) -> int:
    """Position of the first separating comma from ``pos``, or -1."""
    m = _LIST_COMMA.search(text, pos)
    return m.start() if m else -1


def _clause_start(text: str, s0: int, pos: int) -> int:
    """Start of the clause holding ``pos``: after the last ";", ":" or sentence mark."""
    last = s0
    for m in _CLAUSE_BREAK.finditer(text, s0, pos):
        last = m.end()
    return last


def _clause_end(text: str, pos: int, s1: int) -> int:
    m = _CLAUSE_BREAK.search(text, pos, s1)
    return m.start() if m else s1


def find_events(doc: Doc) -> list[dict]:
    """Events of ``doc`` (its mentions must already be in ``doc.spans``)."""
    mentions = list(doc.spans[MENTIONS]) if MENTIONS in doc.spans else []
    index_of = {(s.start_char, s.end_char, s.label_): i for i, s in enumerate(mentions)}
    reference = _reference_date(doc, mentions)
    boiler = doc.user_data.get(("vnevents", "boilerplate"), [])
    text = doc_text(doc)
    events: list[dict] = []
    mention_starts = [s.start_char for s in mentions]
    word_starts = set(doc.to_array([IDX]).tolist())
    known = doc.user_data.get(SYLLABLES)
    goal_list = False  # inside a list of goals ("MỤC TIÊU NĂM 2026", "Phấn đấu đến hết năm 2025:")
    for sent in doc.sents:
        s0, s1 = sent.start_char, sent.end_char
        if any(b0 <= s0 and s1 <= b1 for b0, b1 in boiler):
            continue
        goal_list = _goal_list_state(text[s0:s1], goal_list)
        if _TAGS_LINE.match(text, s0, s1) and fold(_TAGS_LINE.match(text, s0, s1).group(1)) in _cue_words("tags"):
            continue  # "Từ khóa: Phiên họp Chính phủ, ...": a page's keywords
        lo, hi = bisect.bisect_left(mention_starts, s0), bisect.bisect_left(mention_starts, s1)
        in_sent = [s for s in mentions[lo:hi] if s.end_char <= s1]
        offsets, keys = _sentence_syllables(text, s0, s1, known)
        if not may_fire(keys):
            continue  # no trigger can fire here
        sylls = _syllables(text, offsets, keys, word_starts)
        matched = _match_triggers(sylls)
        starts = {k for k, _, _ in matched}
        found = []
        for k, n, trig in matched:  # the first reading of these words whose condition holds
            for alt in (t for t in _triggers()[trig.words[0]] if t.words == trig.words):
                if _requirement_met(text, (k, n, alt), sylls, in_sent, s0, s1, starts) and not _blocked(
                        text, alt, sylls[k].start, s0, in_sent):
                    found.append((k, n, alt))
                    break
        if not found:
            continue
        found = [f for f in found if not _pair_end(text, s0, sylls[f[0]].start, f[2], found, sylls, in_sent)]
        triggers = _one_per_act(text, [(sylls[k].start, sylls[k + n - 1].end, trig) for k, n, trig in found])
        if not triggers:
            continue
        values = [s for s in in_sent if s.label_ in ("PERCENT", "QUANTITY") and not _is_comparison(text, s, s0)]
        percents = _assign_values(text, triggers, [s for s in values if s.label_ == "PERCENT"], s0)
        quantities = _assign_values(text, triggers, [s for s in values if s.label_ == "QUANTITY"], s0)
        documents = _assign_documents(triggers, [s for s in in_sent if s.label_ == "DOCREF"])
        for n, (start, end, trig) in enumerate(triggers):
            bodies = _participants(text, in_sent, start, end, s0, s1,
                                   [(a, b) for a, b, _ in triggers if (a, b) != (start, end)],
                                   trig.type in FIGURES, trig.type == "ORGANIZATION", trig.type)
            date = _event_date(text, in_sent, start, end, s0, s1, trig.type not in ("MEASURE", "TARGET"),
                               trig.type == "MEETING",
                               [(a, b) for a, b, _ in triggers if (a, b) != (start, end)])
            etype = trig.type
            if etype == "ISSUANCE":  # "ban hành Kế hoạch số 1234/KH-UBND ngày 10/01/2024": the document's date
                date = _document_date(text, in_sent, documents[n]) or date
            if trig.requires == "goal" and not _goal_by_date(date, reference):
                continue
            rule = f"{trig.type.lower()}:{' '.join(trig.words)}" + (f"/{trig.requires}" if trig.requires else "")
            confidence = _WEAK.get(trig.requires, 0.9)
            if etype not in FIGURES and _counted_act(text, end, s1, in_sent, start):
                etype = "MEASURE"  # "cấp phép 46 dự án", "thành lập 14 đội": a count of acts is a figure
                rule, confidence = rule + "+counted-act", 0.75
            if etype == "LAUNCH" and _body_starts_work(text, start, end, s0, s1, in_sent):
                continue  # "Sở ... chính thức đi vào hoạt động": a body starts work, no system is launched
            if etype in ("MEASURE", "TARGET") and re.search(r"(?:^|\s)(?:chưa|không)(?:\s+(?:được|thể))?\s*$",
                                                           fold(text[max(s0, start - 15):start])):
                continue  # "tỷ lệ tiêm chưa đạt 95%": a value not reached is no figure of the indicator
            if etype in ("MEASURE", "TARGET"):
                if not (percents[n] or quantities[n]) and (
                        _value_after(in_sent, end, s1) or not _digit_after(text, in_sent, end, s1)):
                    continue  # its only value is a comparison base or another trigger's
                if _structural(text, trig, quantities[n], s0, s1):
                    continue  # "Bộ có 22 đơn vị", "gồm 28 tỉnh": a composition, not a figure
                if not quantities[n] and _unit_share(text, start, percents[n], in_sent, s0):
                    continue  # "giảm 38,1% đầu mối", "16 đầu mối, tương ứng giảm 38,1%": a body's own units
                if re.search(r"(?:^|\s)so với(?:\s+\S+){0,2}\s*$", fold(text[_clause_start(text, s0, start):start])) or (
                        trig.type == "TARGET" and re.search(r"(?:^|\s)vượt\s*$", fold(text[max(s0, start - 8):start]))):
                    continue  # "so với ước tính 18,3%", "vượt mục tiêu 6,5%": a comparison base
                if _meeting_reach(text, trig, start, s0):
                    continue  # "Hội nghị được kết nối tới 15.345 điểm cầu": the size of a meeting
                goal = _is_goal(text, s0, s1, start, date, reference, goal_list)
                if etype == "MEASURE":
                    etype = "TARGET" if goal else "RESULT"
                    rule += "+goal-list" if goal_list else ""
                if trig.words in (("có",), ("là",)):
                    confidence = min(confidence, 0.7)  # copulas carry many figures that are not reported values
            act = etype not in FIGURES
            agent = _agent(text, bodies, start, s0) if act else None
            if act and agent is None:  # "Bộ đã tổ chức Hội nghị ...": a bare head noun refers back
                agent = _referent(text, mentions, start, s0)
                if agent is not None and agent not in bodies:
                    bodies = [agent] + bodies
            if agent is not None and etype == "ORGANIZATION" and not _decides(text, agent, start, end, s1, in_sent):
                agent = None  # "Bộ X được thành lập", "Vụ A hợp nhất với Vụ B": the body changed, not who decided
            obj = (_act_object(text, etype, start, end, s1, documents[n], in_sent, s0) if act
                   else _counted_object(text, end, s1, quantities[n])
                   or _figure_object(text, start, end, s0, s1, in_sent, percents[n] + quantities[n]))
            if etype == "ORGANIZATION" and agent is None and not _units_after(text, end, in_sent):
                obj = _changed_body(text, start, s0, in_sent) or obj  # the body changed is the subject

            def idx(spans):
                return [index_of[(s.start_char, s.end_char, s.label_)] for s in spans]

            events.append({
                "type": etype,
                "trigger": {"start": start, "end": end, "text": text[start:end]},
                "sentence": {"start": s0, "end": s1},
                "date": index_of[(date.start_char, date.end_char, "DATE")] if date is not None else None,
                "agent": idx([agent])[0] if agent is not None else None,
                "institutions": idx(bodies),
                "documents": idx(documents[n]),
                "percents": idx(percents[n]),
                "quantities": idx(quantities[n]),
                "object": {"start": obj[0], "end": obj[1]} if obj else None,
                "rank": None if act or percents[n] or quantities[n] else _rank_value(text, start, end, s1, in_sent),
                "status": _status(text, s0, start, date, reference) if act else None,
                "rule": rule,
                "confidence": confidence,
            })
    events = [piece for ev in events for piece in _one_per_value(text, ev, mentions)]
    for prev, ev in zip([None] + events, events):  # "đạt X, tăng Y%": the second value measures the same
        if (ev["object"] is None and prev is not None and prev["sentence"] == ev["sentence"]
                and ev["type"] in ("RESULT", "TARGET") and prev["type"] in ("RESULT", "TARGET")
                and prev["object"] is not None and (prev["object"]["start"] < prev["trigger"]["start"]
                                                    or fold(text[max(0, prev["object"]["start"] - 4):prev["object"]["start"]]).strip() == "về")):
            ev["object"] = prev["object"]  # an indicator, not a count's own object ("37 trường hợp vi phạm")
        ev["canonical"] = statement_key(ev, mentions, text)
    return events


FIGURES = ("MEASURE", "TARGET", "RESULT")
SYLLABLE_SAFE = ("figure-next", "doc-next", "figure")  # requirements that bound a trigger without segmentation
# Confidence of an event by the condition its trigger met: where the rule has known weak cases, it says so
# ("vận hành" after an aspect word launches a body as often as a system; "có" + a document may be a mention).
_WEAK = {"aspect": 0.7, "doc-next": 0.7, "unit": 0.75, "transfer": 0.75, "held": 0.8, "figure-next": 0.8,
         "doc-near": 0.85, "published": 0.85}


def _agent(text: str, bodies: list[Span], start: int, s0: int) -> Span | None:
    """The body that performs an act: the nearest one before the trigger in its clause.

    None when that body belongs to a person's title ("Chủ tịch UBND tỉnh X ký
    ..."): the office-holder acts, and the guidelines give no agent then.
    """
    clause0 = _clause_start(text, s0, start)
    before = [b for b in bodies if clause0 <= b.start_char and b.end_char <= start]
    if not before:
        return None
    last_end = max(b.end_char for b in before)
    best = min((b for b in before if b.end_char == last_end), key=lambda b: b.start_char)
    outer = [b for b in before if b.start_char <= best.start_char and best.end_char <= b.end_char]
    best = min(outer, key=lambda b: b.start_char)
    if _cue("title").search(fold(text[max(s0, best.start_char - 20):best.start_char]) + "$"):
        return None
    return best


def _decides(text: str, agent: Span, start: int, end: int, s1: int, in_sent: list[Span]) -> bool:
    """An ORGANIZATION's subject decides it only in the active voice with its own object after the verb
    ("UBND tỉnh thành lập Ban Chỉ đạo ..."), not when it is the body changed ("được thành lập", "trên cơ
    sở hợp nhất", "đổi tên thành", "hợp nhất với", "chuyển sang")."""
    gap = fold(text[agent.end_char:start])
    if re.search(r"(?:^|\s)(?:được|bị|trên cơ sở|sau khi|mới)(?:\s|$)", gap):
        return False
    after = fold(text[end:_clause_end(text, end, s1)]).split()
    if not after or after[0] in ("thành", "với", "sang", "về", "vào", "từ", "trên", "lại"):
        return False
    return any(x.label_ == "INSTITUTION" and end <= x.start_char and len(fold(text[end:x.start_char]).split()) <= 3
               for x in in_sent) or not any(x.label_ == "INSTITUTION" for x in in_sent if x.start_char >= end)


def _status(text: str, s0: int, start: int, date: Span | None, reference: str | None) -> str:
    """"planned" when the clause frames the act as future or its date lies ahead, else "done"."""
    clause0 = _clause_start(text, s0, start)
    if _cue("plan").search(fold(text[clause0:start])):
        return "planned"
    if date is not None and reference and date._.info and (date._.info.get("start") or "") > reference:
        return "planned"
    return "done"


def _phrase_end(text: str, pos: int, limit: int, in_sent: list[Span], max_words: int = 14) -> int:
    """End of a noun phrase starting at ``pos``: before a comma, a clause break, an ending word or a date."""
    stop = min([limit] + [s.start_char for s in in_sent if s.label_ in ("DATE", "PERCENT", "QUANTITY")
                          and s.start_char >= pos])
    m = re.search(r"[,;:!?()]|\.(?=\s|$)|\n", text[pos:stop])
    if m:
        stop = pos + m.start()
    words = list(re.finditer(r"\S+", text[pos:stop]))
    ender = _cue("objend")
    end = pos
    for k, w in enumerate(words):
        if k >= max_words or (k and ender.fullmatch(fold(w.group()))) or (
                k + 1 < len(words) and k and ender.fullmatch(fold(w.group() + " " + words[k + 1].group()))):
            break
        end = pos + w.end()
    return end


def _act_object(text: str, etype: str, start: int, end: int, s1: int, docs: list[Span],
                in_sent: list[Span], s0: int | None = None) -> tuple[int, int] | None:
    """What an act acts on: the issued document, the meeting's name, or the phrase after the verb.

    ORGANIZATION: the body or units changed. A merger keeps its coordinated list ("hợp nhất Sở KH&CN
    và Sở TT&TT", "tỉnh A, tỉnh B và tỉnh C"); when the verb is followed by its basis or time ("được
    thành lập trên cơ sở nhập ...", "được tổ chức lại từ ngày ..."), the body is the subject before it.
    """
    if etype == "ISSUANCE" and docs:
        after = [d for d in docs if d.start_char >= end]
        cited = not after and "," in text[max(d.end_char for d in docs if d.end_char <= start):start] \
            if any(d.end_char <= start for d in docs) else False
        if not (cited and _doc_words().match(fold(text[end:s1].lstrip()))):
            return (after or docs)[0].start_char, (after or docs)[0].end_char
        # "thực hiện Nghị quyết số 66/NQ-CP, 7 bộ đã ban hành quyết định ...": the document issued is the
        # unnumbered one after the verb, not one cited in another comma part before it
    if etype == "ORGANIZATION":  # the body established, renamed, merged or moved
        head = fold(text[end:end + 30]).split()
        moved = fold(text[start:end]) in _cue_words("transfer") and head[:1] in (["sang"], ["về"], ["vào"])
        if s0 is not None and head and (moved or head[0] == "thành" or any(
                _cue("objend").fullmatch(" ".join(head[:k])) for k in (1, 2, 3))):
            subject = ((_changed_body(text, start, s0, in_sent) if moved or head[0] == "thành" else None)
                       or _subject_phrase(text, start, s0, in_sent))
            if subject:
                return subject
        if fold(text[start:end]) in _cue_words("merge"):
            stop = _merged_list_end(text, end, _clause_end(text, end, s1))
            pos = end + len(text[end:stop]) - len(text[end:stop].lstrip())
            if stop > pos:
                return pos, stop
        clause_end = _clause_end(text, end, s1)
        bodies = [x for x in in_sent if x.label_ == "INSTITUTION" and end <= x.start_char < clause_end]
        if bodies and len(fold(text[end:bodies[0].start_char]).split()) <= 4:
            first = bodies[0]
            outer = [x for x in bodies if x.start_char == first.start_char]
            return first.start_char, max(x.end_char for x in outer)
    if etype == "MEETING":
        noun = re.search(r"(?i)\b(?:hội nghị|phiên họp|kỳ họp|cuộc họp|họp báo|hội thảo|diễn đàn|tọa đàm|tọa đàm|"
                         r"buổi làm việc|cuộc gặp|hội đàm|đại hội)", text[start:end])
        pos = start + noun.start() if noun else start
        e = _phrase_end(text, pos, _clause_end(text, pos, s1), [s for s in in_sent if s.label_ != "DATE"])
        if noun:  # the name ends where the sentence goes on about it ("Hội nghị được kết nối ...", "... diễn ra")
            verb = _cue("aspect", "held").search(fold(text[start + noun.end():e]))  # not part of its name
            if verb:
                e = start + noun.end() + len(text[start + noun.end():start + noun.end() + verb.start()].rstrip())
        return (pos, e) if e > pos else (start, end)
    pos = end + len(text[end:s1]) - len(text[end:s1].lstrip())
    e = _phrase_end(text, pos, _clause_end(text, pos, s1), in_sent)
    first = fold(text[pos:e]).split()[:1]
    if first and (first[0] in _cue_words("noobject") or _cue("aspect").fullmatch(first[0])):
        return None  # "Việc sắp xếp được thực hiện theo ...": no object after the verb
    return (pos, e) if e > pos else None


def _units_after(text: str, end: int, in_sent: list[Span]) -> bool:
    """A body or an administrative unit right after the verb: the act names what it changes there."""
    if any(x.label_ == "INSTITUTION" and end <= x.start_char and not fold(text[end:x.start_char]).strip()
           for x in in_sent):
        return True
    after = fold(text[end:end + 20]).split()
    return any(" ".join(after[:n]) in _cue_words("territory") for n in (1, 2))


def _subject_phrase(text: str, start: int, s0: int, in_sent: list[Span]) -> tuple[int, int] | None:
    """The noun phrase before a verb in its comma part, without aspect and voice words
    ("tỉnh An Giang mới được thành lập" -> "tỉnh An Giang mới")."""
    clause0 = _clause_start(text, s0, start)
    lo = max(clause0, _comma_before(text, s0, start) + 1)
    if lo > clause0 and len(text[lo:start].split()) <= 2:  # "Chức năng ... về báo chí, xuất bản chuyển sang"
        lo = max(clause0, _comma_before(text, s0, lo - 1) + 1)
    for x in in_sent:  # a date heading the part is no subject
        if x.label_ == "DATE" and lo <= x.start_char < start and not re.sub(r"[\W_]", "", text[lo:x.start_char]):
            lo = x.end_char
    words = list(re.finditer(r"\S+", text[lo:start]))
    n_words = len(words)
    while words and (_cue("aspect").fullmatch(fold(words[-1].group())) or fold(words[-1].group()) in ("đã", "bị")):
        if fold(words[-1].group()) == "mới" and len(words) < n_words:
            break  # "tỉnh Tuyên Quang mới được thành lập": the new province, not "just"
        words.pop()
    while words and not re.search(r"\w", words[0].group()):
        words.pop(0)
    if not words or len(words) > 14:
        return None
    return lo + words[0].start(), lo + words[-1].end()


def _merged_list_end(text: str, pos: int, limit: int) -> int:
    """End of the list of units a merger names: through "và" and list commas, up to "thành", a clause
    ending word or other punctuation ("hợp nhất tỉnh A, tỉnh B và tỉnh C thành tỉnh C")."""
    words = list(re.finditer(r"[^\s,]+|,", text[pos:limit]))
    end = pos
    for k, w in enumerate(words):
        word = "," if w.group() == "," else fold(w.group())
        if word == "," and k + 1 < len(words) and (words[k + 1].group()[:1].isupper()
                                                   or any(t.split()[0] == fold(words[k + 1].group())
                                                          for t in _cue_words("territory"))):
            continue  # "tỉnh Bến Tre, tỉnh Trà Vinh và ...": the list goes on
        if word in ("thành", ",") or (k and _cue("objend").fullmatch(word)) or k >= 24:
            break
        if re.match(r"[.;:!?()]", w.group()):
            break
        end = pos + w.end()
    return end


def _counted_object(text: str, end: int, s1: int, quantities: list[Span]) -> tuple[int, int] | None:
    """A count's object: the rest of the counted phrase after the unit ("221.873 mũi tiêm vắc xin sởi" ->
    "tiêm vắc xin sởi"; "1.165.289 thí sinh đăng ký dự thi" -> "đăng ký dự thi"), up to the clause's end."""
    after = [q for q in quantities if q.start_char >= end and isinstance(q._.value, dict)
             and not str(q._.value.get("unit", "")).isupper()]
    if not after:
        return None
    q = after[0]
    pos = q.end_char + len(text[q.end_char:s1]) - len(text[q.end_char:s1].lstrip())
    stop = _phrase_end(text, pos, _clause_end(text, pos, s1), [])
    if stop <= pos or re.match(r"[,;.)]", text[q.end_char:q.end_char + 1]):
        return None
    words = fold(text[pos:stop]).split()
    if len(words) < 2 or _cue("objend").fullmatch(words[0]) or words[0] in _cue_words("noobject"):
        return None  # "37 điểm bán lẻ": the rest of the unit; "12 trường hợp so với ...": no counted phrase
    return pos, stop


def _changed_body(text: str, start: int, s0: int, in_sent: list[Span]) -> tuple[int, int] | None:
    """The body before an ORGANIZATION verb it undergoes ("Bộ X được thành lập", "Vụ A đổi tên thành ...")."""
    clause0 = _clause_start(text, s0, start)
    before = [x for x in in_sent if x.label_ == "INSTITUTION" and clause0 <= x.start_char and x.end_char <= start
              and len(fold(text[x.end_char:start]).split()) <= 5]
    if not before:
        return None
    last = max(before, key=lambda x: (x.end_char, -x.start_char))
    outer = min((x for x in before if x.start_char <= last.start_char and x.end_char >= last.end_char),
                key=lambda x: x.start_char)
    return outer.start_char, outer.end_char


def _figure_object(text: str, start: int, end: int, s0: int, s1: int, in_sent: list[Span],
                   own: list[Span]) -> tuple[int, int] | None:
    """A figure's indicator: the noun phrase before the trigger; where that part is only a frame of
    goal ("ngành đặt mục tiêu", "tỉnh phấn đấu"), the words the verb acts on:
    between the trigger and its value ("tăng trưởng GDP toàn ngành 3,5-4%") or after a percent
    ("giải ngân 100% kế hoạch vốn", "số hóa tối thiểu 80% kết quả giải quyết hồ sơ")."""
    rank = fold(text[start:end]) in _cue_words("rank")
    if rank:  # "xếp thứ 71/193 quốc gia về Chỉ số phát triển Chính phủ điện tử": ranked on what
        m = re.match(r"[^,;]{0,30}?\d[^,;]{0,20}?\svề\s+", text[end:s1])
        if m:
            pos = end + m.end()
            stop = _phrase_end(text, pos, _clause_end(text, pos, s1), in_sent)
            if stop > pos:
                return pos, stop
    share = sorted((v for v in own if v.start_char >= end), key=lambda v: v.start_char)[:1]
    if share and share[0].label_ == "PERCENT" and all(
            _cue("hedge").fullmatch(w) for w in fold(text[end:share[0].start_char]).split()):
        pos = share[0].end_char + len(text[share[0].end_char:s1]) - len(text[share[0].end_char:s1].lstrip())
        if _cue("share_base").match(fold(text[pos:pos + 12])):  # "đạt 92,6% số hồ sơ được đề nghị": of what
            stop = _phrase_end(text, pos, _clause_end(text, pos, s1), in_sent)
            if stop > pos:
                return pos, stop
    before = _indicator(text, start, s0, in_sent, own, rank)
    framed = before is not None and bool(re.search(rf"(?:{_cue('goal').pattern}|{_cue('need').pattern})\s*$",
                                              fold(text[before[0]:before[1]])))
    if before is not None and fold(text[before[0]:before[1]]) in _cue_words("linker"):
        before, framed = None, True  # "..., tức đạt tỷ lệ ủng hộ 94,7%": a linking word measures nothing
    after = sorted((v for v in own if v.start_char >= end), key=lambda v: v.start_char)
    if not framed or not after:
        return before
    first = after[0]
    gap = text[end:first.start_char]
    gap_words = [w for w in fold(gap).split() if not _cue("hedge").fullmatch(w) and w not in _cue_words("goal")]
    if gap_words and len(gap_words) <= 8 and not re.search(r"[\d,;:]", gap) and not _cue("objend").fullmatch(gap_words[0]):
        words = list(re.finditer(r"\S+", gap))
        while words and (_cue("hedge").fullmatch(fold(words[-1].group())) or fold(words[-1].group()) in _cue_words("goal")):
            words.pop()
        if words:
            return end + words[0].start(), end + words[-1].end()
    if first.label_ == "PERCENT":  # "giải ngân 100% kế hoạch vốn năm 2025": the phrase after the share
        pos = first.end_char + len(text[first.end_char:s1]) - len(text[first.end_char:s1].lstrip())
        stop = _phrase_end(text, pos, _clause_end(text, pos, s1), in_sent)
        words = fold(text[pos:stop]).split()
        if words and not _cue("objend").fullmatch(words[0]) and words[0] not in _cue_words("noobject"):
            while stop > pos and fold(text[pos:stop]).split()[-1] in ("năm", "và", "trong"):
                stop = pos + text[pos:stop].rstrip().rfind(" ")
            return (pos, stop) if stop > pos else before
    return before


@cache
def _intent_words() -> frozenset[str]:
    """Plan, goal and need words: they frame a figure, they never end its indicator."""
    return _cue_words("plan") | _cue_words("goal") | _cue_words("need")


@cache
def _frame_verb() -> re.Pattern:
    """Goal, plan, need and task words that frame a figure before its indicator."""
    words = _cue_words("goal") | _cue_words("need") | _cue_words("task") | frozenset({"đặt mục tiêu"})
    return re.compile(r"(?<!\w)(?:" + word_alternation(words) + r")(?!\w)\s*", re.IGNORECASE)


def _place_or_body(text: str, start: int, end: int, in_sent: list[Span]) -> bool:
    """The span is only a territory or a body: a proper name ("Việt Nam", "Đồng Nai"), a territorial noun
    ("tỉnh", "toàn tỉnh") or a name with one, or an INSTITUTION mention."""
    if any(x.label_ == "INSTITUTION" and x.start_char <= start and end <= x.end_char for x in in_sent):
        return True
    words = text[start:end].split()
    territories = _cue_words("territory")
    if fold(" ".join(words)) in territories or (words and fold(words[0]) in territories and all(
            w[:1].isupper() or w.isdigit() for w in words[1:])):
        return True
    return all(w[:1].isupper() and not w.isupper() for w in words) and len(words) <= 4


def _has_figure_verb(part: str) -> bool:
    """A figure trigger word in ``part``: that part states a figure of its own."""
    words = fold(part).split()
    return any(tuple(words[k:k + len(t.words)]) == t.words
               for k, w in enumerate(words) for t in _triggers().get(w, [])
               if t.type in FIGURES and t.words not in _COPULAS)  # "có mặt" is no figure verb


def _indicator(text: str, start: int, s0: int, in_sent: list[Span], own: list[Span] = (),
               rank: bool = False, counted: bool = False) -> tuple[int, int] | None:
    """The indicator a figure measures: the noun phrase before its trigger, in its part of the clause
    (for a rank, the one ranked may be a country or a province: "Việt Nam xếp thứ 71")."""
    clause0 = _clause_start(text, s0, start)
    lo = max(clause0, _comma_before(text, clause0, start) + 1)
    hi = start
    for s in in_sent:  # a value before the trigger belongs to an earlier figure ("đạt X (tăng Y%)")
        if s.label_ in ("PERCENT", "QUANTITY") and lo <= s.start_char and s.end_char <= start:
            lo = s.end_char
            unit = s._.value.get("unit", "") if counted and isinstance(s._.value, dict) else ""
            if unit and not unit.isupper() and fold(s.text).endswith(fold(unit)):
                lo = s.end_char - len(unit)  # "461 đại biểu có mặt tán thành, đạt 99,14%": the counted people
    for s in in_sent:  # a date or a body heading the part is not the indicator
        if s.label_ in ("DATE", "INSTITUTION") and lo <= s.start_char < start \
                and not re.sub(r"[\W_]", "", text[lo:s.start_char]):
            lo = s.end_char
    for s in sorted(in_sent, key=lambda x: -x.start_char):  # nor a date ending it ("doanh thu năm 2020 đạt")
        if s.label_ == "DATE" and lo <= s.start_char and s.end_char <= hi and not text[s.end_char:hi].strip():
            hi = s.start_char
    if any(s.label_ in ("PERCENT", "QUANTITY") and s.end_char == lo and s not in own for s in in_sent) and lo > clause0:
        return None  # "đạt 97% dự toán năm và tăng 27,9%": the words after a value complete it; the figure's
        # indicator is the previous one's
    for m in _report_verb().finditer(text, lo, hi):  # "Bộ trưởng X cho biết kim ngạch ... tăng"
        if _cue("report").fullmatch(fold(m.group(2))):
            lo = m.end()
    for m in _frame_verb().finditer(text, lo, hi):  # "các ngành phấn đấu GRDP quý IV tăng ..."
        if fold(text[m.end():hi]).strip():
            lo = m.end()
    lead = _cue_words("indicator_lead")
    part = text[lo:hi]
    words = list(re.finditer(r"\S+", part))
    while words:  # "Tính đến hết ...", "Trong", "tính chung 9 tháng": frames, not the indicator
        two = fold(" ".join(w.group() for w in words[:2]))
        if len(words) > 1 and two in lead:
            words = words[2:]
        elif fold(words[0].group()) in lead:
            words = words[1:]
        else:
            break
    while words and fold(words[-1].group()) in ("và", "hoặc"):
        words.pop()
    measure = _cue("measure")
    while words and measure.fullmatch(fold(words[-1].group())):
        words.pop()
    while words and (measure.fullmatch(fold(words[0].group())) or not re.search(r"\w", words[0].group())
                     or fold(words[0].group()) in ("và", "trong đó", "còn", "lần lượt")):
        words.pop(0)
    if (not words or all(fold(w.group()) in ("và", "lần lượt", "các năm", "năm") for w in words)) and lo > clause0:
        head = [s for s in in_sent if s.label_ == "DATE" and clause0 <= s.start_char < lo]
        run = [h for h in head if re.fullmatch(r"[\s,]*(?:và)?[\s,]*", text[h.end_char:lo])
               or any(0 <= g.start_char - h.end_char and re.fullmatch(r"[\s,]*(?:và)?[\s,]*", text[h.end_char:g.start_char])
                      for g in head if g is not h)]
        if len(run) > 1:  # "Tỷ trọng ... các năm 2020, 2021 và 2022 lần lượt đạt": the words before the listed dates
            return _indicator(text, run[0].start_char, s0, in_sent)
    comma = _comma_before(text, clause0, start)
    if not words and comma > clause0 and lo == comma + 1 and not any(
            o.start_char < start and o.end_char > comma for o in own) \
            and not _has_figure_verb(text[_comma_before(text, clause0, comma) + 1:comma]):
        before = [v for v in in_sent if v.label_ in ("PERCENT", "QUANTITY") and clause0 <= v.start_char < comma]
        return _indicator(text, comma, s0, in_sent, before, counted=True)  # "với 461 đại biểu tán thành, đạt 99,14%"
    while words and fold(words[-1].group()) in _intent_words():
        words.pop()  # "toàn tỉnh dự kiến bố trí ...": a plan word, not the indicator
    if not words or len(words) > 16:
        return None
    first, last = lo + words[0].start(), lo + words[-1].end()
    if _place_or_body(text, first, last, in_sent) and not rank:
        return None  # "tỉnh thu hút 253 dự án", "Việt Nam nhận được 180 phiếu": whose figure, not what
    return first, last


_PREFIX = {"ISSUANCE": "iss", "LAUNCH": "lau", "ORGANIZATION": "org", "MEETING": "mtg", "LICENSING": "lic",
           "RESULT": "res", "TARGET": "tgt"}


def _slug(text: str, limit: int = 60) -> str:
    from .textutil import strip_marks

    return "-".join(strip_marks(fold(text)).split())[:limit].strip("-")


def statement_key(ev: dict, mentions: list, text: str) -> str:
    """A content key for an event statement: type + natural key (document, object, value, date).

    Statements with the same key state the same real-world act or figure; the
    key is what canonical resolution starts from.
    """
    def value(i):
        m = mentions[i]
        v = m._.value if hasattr(m, "_") else m.get("value")
        if isinstance(v, dict):
            v = v.get("number")
        return "-".join(str(x) for x in v) if isinstance(v, list) else str(v)

    prefix = _PREFIX.get(ev["type"], ev["type"].lower())
    if ev["type"] == "ISSUANCE" and ev.get("documents"):
        return f"{prefix}-{value(ev['documents'][0])}"
    obj = ev.get("object")
    key = _slug(text[obj["start"]:obj["end"]]) if obj else _slug(text[ev["trigger"]["start"]:ev["trigger"]["end"]])
    if ev["type"] in ("RESULT", "TARGET"):
        vals = ev.get("percents") or ev.get("quantities") or []
        key += "-" + (value(vals[0]) if vals else "x")
    if ev.get("date") is not None and ev["type"] in ("MEETING", "RESULT", "TARGET"):
        key += "-" + value(ev["date"])
    return f"{prefix}-{key}"


def _match_triggers(sylls: list[_Syl]) -> list[tuple[int, int, Trigger]]:
    """(first syllable, length, trigger) of each trigger, longest first, no overlaps.

    A trigger is made of whole words: it may not start or end inside an
    underthesea word ("tăng" in "tăng cường"), except where the word joins a
    capitalised name to it, a known segmentation slip ("ICT đạt", "Lễ kích hoạt Cơ sở").
    A trigger that needs a figure or a document straight after it is bounded by
    that figure or document, so syllables suffice (``SYLLABLE_SAFE``) and its
    sentence needs no word segmentation.
    """
    out = []
    k = 0
    table = _triggers()
    while k < len(sylls):
        hit = None
        starts_word = sylls[k].word_start or sylls[k - 1].upper
        for trig in table.get(sylls[k].key, ()):
            safe = trig.requires in SYLLABLE_SAFE
            if not (starts_word or safe):
                continue
            n = len(trig.words)
            if tuple(s.key for s in sylls[k:k + n]) != trig.words:
                continue
            if not safe and k + n < len(sylls) and not (sylls[k + n].word_start or sylls[k + n].upper):
                continue
            if _cue("notrigger").match(" ".join(s.key for s in sylls[k:k + n + 2])):
                continue  # "ký sinh trùng", "có hiệu lực": another word
            hit = (k, n, trig)
            break
        if hit:
            out.append(hit)
            k += hit[1]
        else:
            k += 1
    return out


def _in_mention(pos: int, spans: list[Span], labels: tuple[str, ...]) -> bool:
    return any(s.start_char <= pos < s.end_char for s in spans if s.label_ in labels)


def _requirement_met(text: str, found, sylls: list[_Syl], in_sent: list[Span], s0: int, s1: int,
                     starts: set[int]) -> bool:
    k, n, trig = found
    start, end = sylls[k].start, sylls[k + n - 1].end
    before = fold(text[max(s0, start - 25):start])
    if trig.type == "MEETING":
        return _meeting_held(text, before, start, end, sylls, k, n, in_sent, s0, s1)
    req = trig.requires
    if req == "figure":
        return _has_figure(text, sylls, k, n, in_sent, s0, s1, starts)
    if req == "figure-next":
        m = k + n
        while m < len(sylls) and (_cue("hedge").fullmatch(sylls[m].key)
                                   or (sylls[m].key == "từ" and trig.words not in _COPULAS)):
            m += 1  # "đạt khoảng 50", "dao động từ 90,1% đến 93,6%"
        if (m < len(sylls) and _is_figure(sylls[m], in_sent)
                and not re.search(r"[,;:]", text[end:sylls[m].start])  # "thời gian giải quyết, 30% chi phí"
                and not (m + 1 < len(sylls) and sylls[m + 1].key == "trong")):
            return True
        # passive with the share in the subject: "100% hồ sơ được tiếp nhận trực tuyến"
        if k > 0 and sylls[k - 1].key == "được":
            lo = max(_clause_start(text, s0, start), _comma_before(text, s0, start) + 1)
            return any(x.label_ == "PERCENT" and lo <= x.start_char and x.end_char <= start for x in in_sent)
        return False
    if req == "doc":
        return any(s.label_ == "DOCREF" for s in in_sent) or bool(_doc_words().search(fold(text[s0:s1])))
    if req == "doc-near":  # "thông qua Nghị quyết ...", "Nghị quyết ... được Quốc hội thông qua ngày ..."
        window = sylls[k + n:k + n + 4]
        if window and (any(_in_mention(s.start, in_sent, ("DOCREF",)) for s in window)
                       or _doc_words().match(" ".join(s.key for s in window))):
            return True
        clause0 = _clause_start(text, s0, start)
        before_part = fold(text[clause0:start])
        return bool(re.search(r"(?:^|\s)(?:đã|được|sẽ|vừa|dự kiến|tiếp tục)(?:\s+\S+){0,4}\s*$", before_part)) and (
            any(s.label_ == "DOCREF" and clause0 <= s.start_char < start for s in in_sent)
            or bool(_doc_words().search(before_part)))
    if req == "doc-obj":  # "ban hành Kế hoạch ...", "Chương trình ... được phê duyệt"; not "ban hành chính sách tốt hơn"
        window = sylls[k + n:k + n + 6]
        words = " ".join(s.key for s in window)
        if window and (any(_in_mention(s.start, in_sent, ("DOCREF",)) for s in window) or window[0].upper
                       or bool(_doc_words().search(words))):
            return True
        clause0 = _clause_start(text, s0, start)
        return any(s.label_ == "DOCREF" and clause0 <= s.start_char < start for s in in_sent) or bool(
            _doc_words().search(fold(" ".join(w for w in text[clause0:start].split() if w[:1].isupper()))))
    if req == "published":  # "công bố" a document, a report, a result or a list
        window = sylls[k + n:k + n + 5]
        words = " ".join(s.key for s in window)
        return bool(window) and (any(_in_mention(s.start, in_sent, ("DOCREF",)) for s in window)
                                 or bool(_doc_words().search(words)) or bool(_cue("report_noun").search(words)))
    if req == "doc-next":
        window = sylls[k + n:k + n + 4]
        return bool(window) and (any(_in_mention(s.start, in_sent, ("DOCREF",)) for s in window)
                                 or bool(_doc_words().match(" ".join(s.key for s in window))))
    if req == "unit":
        return any(s.label_ == "INSTITUTION" for s in in_sent) or bool(
            re.search(r"(?:^|\s)(?:tỉnh|thành phố|huyện|quận|xã|phường|bộ|sở|cục|vụ)\s", fold(text[s0:s1]) + " "))
    if req == "transfer":
        after = fold(text[end:end + 12]).split()[:2]
        return any(w in ("sang", "về", "vào") for w in after) and any(
            s.label_ == "INSTITUTION" and end <= s.start_char <= end + 20 for s in in_sent)
    if req == "inst":
        return any(s.label_ == "INSTITUTION" for s in in_sent)
    if req == "aspect":
        return bool(re.search(rf"(?:{_cue('aspect').pattern})\s*$", before))
    if req == "held":
        rest = sylls[k + n:k + n + 1]
        opens = not fold(text[s0:start]).strip() and bool(rest) and (rest[0].upper or rest[0].key == "thứ")
        return opens or bool(_cue("held").search(fold(text[end:_clause_end(text, end, s1)])))
    return True


_COPULAS = (("có",), ("là",))  # "14 ứng dụng có từ 5 đến 10 triệu ...": a class, not a value
_RESTATE = (("tương", "đương"), ("tương", "ứng"), ("tức",))


def _amount_after(text: str, start: int, in_sent: list[Span]) -> bool:
    """The first value after ``start`` is an amount (a QUANTITY), not a share (a PERCENT)."""
    after = [s for s in in_sent if s.start_char >= start and s.label_ in ("PERCENT", "QUANTITY")]
    return bool(after) and after[0].label_ == "QUANTITY"


def _pair_end(text: str, s0: int, start: int, trig: Trigger, found: list, sylls: list,
              in_sent: list[Span]) -> bool:
    """"lên"/"xuống" closing a "từ X lên Y" pair after a figure verb: one event with both values."""
    if trig.words in _RESTATE:  # "1,5 triệu tỷ đồng, tương đương 62,7 tỷ USD": the same amount in another unit
        return _amount_after(text, start, in_sent) and any(
            sylls[k].start < start and t.type in FIGURES and t.words != trig.words and sylls[k].start >= s0
            for k, _, t in found)
    if trig.words not in (("lên",), ("xuống",), ("còn",)):
        return False
    clause0 = _clause_start(text, s0, start)
    before = fold(text[clause0:start])
    has_verb = any(sylls[k].start < start and sylls[k].start >= clause0 and t.type in FIGURES and t.words != trig.words
                   for k, _, t in found)
    return has_verb and bool(re.search(r"(?:^|\s)từ\s+[^,;]*\d[^,;]*$", before))


def _one_per_act(text: str, triggers: list) -> list:
    """One event per act: a second trigger of the same act type in the same clause part joins the first.

    "thành lập trên cơ sở hợp nhất", "ra mắt và khởi động", "ban hành Quyết
    định ... phê duyệt Chương trình ...": one event, on the first word. A comma
    or a clause break between them separates two acts.
    """
    out: list = []
    for start, end, trig in triggers:
        if out:
            p_start, p_end, p_trig = out[-1]
            same = (trig.type == p_trig.type and trig.type not in ("MEASURE", "TARGET", "RESULT", "MEETING")
                    and not re.search(r"[,;:!?]|\.\s", text[p_end:start]))
            if same:
                continue
        out.append((start, end, trig))
    return out


def _meeting_held(text: str, before: str, start: int, end: int, sylls: list[_Syl], k: int, n: int,
                  in_sent: list[Span], s0: int, s1: int) -> bool:
    """A meeting noun names a meeting that took place, takes place or is scheduled.

    Yes when a verb before it holds it ("tổ chức Hội nghị", "chủ trì phiên
    họp"), a "held" word follows in its clause ("... diễn ra"), it opens the
    sentence, or it is identified by a name, an ordinal or a date ("tại Phiên
    họp Chính phủ thường kỳ tháng 5"). No for a count ("5 phiên họp", "các
    hội nghị") or an unidentified back-reference ("tại hội nghị").
    """
    prev = before.split()[-1:]
    counted = re.search(r"(?<![\w-])\d+\s+$", text[max(s0, start - 12):start])
    if counted or (prev and _cue("count").fullmatch(prev[0])):
        return False
    nxt = sylls[k + n] if k + n < len(sylls) else None
    if nxt is not None and text[end:nxt.start].strip():
        nxt = None  # punctuation after the noun: nothing names it
    identified = nxt is not None and (nxt.upper or nxt.key in ("thứ", "lần") or _DIGIT.search(nxt.key)
                                      or _in_mention(nxt.start, in_sent, ("DATE",))
                                      or (sylls[k].upper and bool(fold(text[s0:start]).strip())))  # "dự Hội nghị toàn quốc ..."
    if nxt is None and fold(text[start:end]) in fold(text[:s0]):
        return False  # "chủ trì họp báo.": the meeting named before, referred to again
    if not identified and nxt is not None:  # "tại Kỳ họp bất thường lần thứ 9", "tại họp báo thường kỳ chiều 16/10"
        phrase_end = text.find(",", end, _clause_end(text, end, s1))
        phrase_end = phrase_end if phrase_end >= 0 else _clause_end(text, end, s1)
        phrase = fold(text[end:phrase_end]).split()[:8]
        identified = bool(re.search(r"(?:^|\s)(?:lần thứ|thứ \w+|thường kỳ|toàn thể|khóa \w+)", " ".join(phrase))) or any(
            x.label_ == "DATE" and end <= x.start_char < phrase_end and len(fold(text[end:x.start_char]).split()) <= 6
            for x in in_sent)
    if identified or re.search(rf"(?:{_cue('before').pattern})\s*$", before):
        return True
    if not fold(text[s0:start]).strip() and nxt is not None:
        return True  # "Hội nghị được kết nối tới ...": the meeting is the sentence's subject
    if prev and _cue("refer").fullmatch(prev[0]):
        return False
    return bool(_cue("held").search(fold(text[end:_clause_end(text, end, s1)])))


def _blocked(text: str, trig: Trigger, start: int, s0: int, in_sent: list[Span] = ()) -> bool:
    """An act that is only a task, proposal, negation, condition or purpose, or a document's subject.

    A "block" word in the trigger's part of the clause (from the last comma)
    drops the act: "đề nghị thành lập", "chưa ban hành", "Quyết định về việc
    thành lập", "kể từ ngày ký". An aspect word right before the trigger
    ("đã", "vừa") states the act as done and overrides it.
    """
    if trig.type in ("MEASURE", "TARGET", "RESULT"):
        return False
    if _cue("fronted").match(fold(text[s0:start]).lstrip(" -+•*\"'“(")):
        return True  # "Sau khi kiện toàn, bộ máy ...": an opening time clause is background, not a report
    clause0 = _clause_start(text, s0, start)
    just_before = fold(text[clause0:start]).split()
    if just_before and (_cue("timeprep").fullmatch(just_before[-1])
                        or (len(just_before) > 1 and _cue("timeprep").fullmatch(" ".join(just_before[-2:])))):
        return True  # "sau hợp nhất", "trước khi thành lập": a time reference
    if just_before and just_before[-1] == "việc" and re.search(
            r"(?:^|\s)(?:chưa|không)(?:\s|$)", fold(text[start:_clause_end(text, start, len(text))])):
        return True  # "việc sắp xếp ... chưa được thực hiện": a nominalised act said not to have happened
    if re.search(rf"(?:{_doc_words().pattern}|về việc)(?:\s+[^\s,]+,?){{0,1}}\s*$", fold(text[max(clause0, start - 40):start])):
        return True  # "Quyết định thành lập ...", "về việc hợp nhất, thành lập ...": a document's title

    def lower_words(a: int, b: int) -> str:
        """The folded text of [a, b) with capitalised words masked: they are names ("Sở Giao thông"),
        never cues, except the sentence's first word ("Giao Sở ...", "Nếu ...")."""
        words = [(m.start(), m.group()) for m in re.finditer(r"\S+", text[a:b])]
        named = [(x.start_char, x.end_char) for x in in_sent if x.label_ in ("INSTITUTION", "DOCREF")]
        folded = fold(" ".join(
            w if not (w[:1].isupper() and not (a + off == s0 or not text[s0:a + off].strip())
                      or any(x0 <= a + off < x1 for x0, x1 in named)) else "_"
            for off, w in words))
        return _cue("not_block").sub("_", folded)  # "giao thông" is no "giao"

    comma = _comma_before(text, clause0, start)
    part = lower_words(comma + 1 if comma >= 0 else clause0, start)
    if not (_cue("block").search(part) or _cue("task").search(lower_words(clause0, start))):
        return False
    return not re.search(r"(?:^|\s)(?:đã|vừa|mới)(?:\s+(?:được|chính thức))?\s*$", part)


def _is_figure(s: _Syl, in_sent: list[Span]) -> bool:
    """A number that is not part of a date or a document number."""
    return bool(_DIGIT.search(s.key)) and not _in_mention(s.start, in_sent, ("DATE", "DOCREF"))


def _has_figure(text: str, sylls: list[_Syl], k: int, n: int, in_sent: list[Span], s0: int, s1: int,
                starts: set[int]) -> bool:
    """A figure after the trigger (before the next trigger), or a counted subject before it."""
    stop = _clause_end(text, sylls[k + n - 1].end, s1)
    for j in range(k + n, min(k + n + FIGURE_AFTER, len(sylls))):
        if sylls[j].start >= stop or j in starts:
            break
        if _is_figure(sylls[j], in_sent):
            return True
    clause0 = _clause_start(text, s0, sylls[k].start)
    numbering = re.match(r"\s*\d+\s*[-.)]\s", text[s0:])  # "5 - Chính phủ ...": a list number
    lo = s0 + numbering.end() if numbering else clause0
    lo = max(lo, clause0)
    if any(_is_figure(s, in_sent) for s in sylls[max(0, k - FIGURE_BEFORE):k] if s.start >= lo):
        return True
    # passive or perfective with the figure in the subject: "80% hồ sơ ... được xử lý"
    if k > 0 and _cue("aspect").fullmatch(sylls[k - 1].key):
        return any(_is_figure(s, in_sent) for s in sylls[:k] if s.start >= lo)
    return False


def _event_date(text: str, in_sent: list[Span], start: int, end: int, s0: int, s1: int,
                act: bool, meeting: bool = False, others: list[tuple[int, int]] = ()) -> Span | None:
    """The nearest date before the trigger, else the first after it in its clause.

    Never a comparison base, the date of a cited document ("theo Nghị quyết
    60-NQ/TW ngày 12/4/2025"), or the date of a statement about the event
    ("Ngày 5/10, Bộ Tài chính báo cáo tổng thu ... đạt ..."). For acts
    (issuing, launching, meeting ...), a date after the trigger that reads as a
    horizon ("đến năm 2025", "giai đoạn 2021-2025") or a bare year belongs to the
    object's title ("ban hành Kế hoạch ... năm 2026"), and a span of years
    ("nhiệm kỳ 2026-2028") never dates an act. A meeting named by its month
    ("Phiên họp thường kỳ tháng 9") is dated by the day it is held, when the
    clause gives one ("... diễn ra ngày 5/10"), never by the month in its name.
    A date a document takes effect ("có hiệu lực kể từ ngày 1/7/2025") dates
    no act.
    """
    dates = [s for s in in_sent if s.label_ == "DATE" and not _is_comparison(text, s, s0)
             and not _document_dated(text, s, in_sent)
             and not _effective_date(text, s, s0)
             and not _until_now(text, s)]
    if act:
        dates = [s for s in dates if not _years_span(s)]
    before = [s for s in dates if s.end_char <= start and not _statement_date(text, s, start, in_sent)
              and not (act and _HORIZON.search(fold(text[max(s0, s.start_char - 15):s.start_char])))
              and not (act and _in_other_act_part(text, s, start, others))]
    clause_end = _clause_end(text, start, s1)
    after = [s for s in dates if start <= s.start_char < clause_end and not _compared(text, s, end)]
    if act:  # a meeting held over days ("diễn ra trong hai ngày 5-6/1/2026") is dated by them, no horizon
        after = [s for s in after if (not _is_horizon(text, s, start) or (meeting and _granularity(s) == "days"))
                 and (_granularity(s) != "year" or re.search(r"(?:^|\s)vào\s*$", fold(text[end:s.start_char])))]
    if meeting:  # "Phiên họp Chính phủ thường kỳ tháng 1/2025": a month in its name is no date of it
        after = [s for s in after if _granularity(s) in ("day", "minute", "days")
                 or "," in text[end:s.start_char] or len(text[end:s.start_char].split()) > 6
                 or _when_words().search(fold(text[end:s.start_char]))]
    if meeting and not before:
        held = [s for s in after if _granularity(s) in ("day", "minute", "days")]
        after = held or after
    if not act and len(after) > 1 and _cue("change_from").search(fold(text[end:after[0].start_char])):
        to = [s for s in after[1:] if _cue("change_to").search(fold(text[after[0].end_char:s.start_char]))]
        if to:  # "tăng từ 4,75% GDP năm 2020 lên 6,5% năm 2024": a change is dated by where it ends
            return to[0]
    if before:
        return before[-1]
    return after[0] if after else None


@cache
def _when_words() -> re.Pattern:
    """A ``when`` cue (and a part of a month) right before a date: the date says when, it names nothing."""
    return re.compile(_cue("when").pattern + r"(?:\s+(?:đầu|giữa|cuối))?\s*$")


@cache
def _effective_words() -> re.Pattern:
    """An ``effective`` cue with only linking words between it and what follows ("có hiệu lực kể từ ngày")."""
    return re.compile(_cue("effective").pattern + r"(?:\s+(?:thi hành|kể|từ|ngày|vào|chính thức))*\s*$")


def _until_now(text: str, span: Span) -> bool:
    """The first day of a period that runs to the present ("Từ ngày 01/7/2025 đến nay, ... đã ban hành 46
    quyết định"): it dates no single act or figure. A year or month that starts it still holds the whole
    period ("Từ đầu năm 2017 đến nay ... ghi nhận 17.027 ca": 2017)."""
    return _granularity(span) in ("day", "minute") and bool(
        _cue("until_now").match(fold(text[span.end_char:span.end_char + 15]).lstrip()))


def _effective_date(text: str, span: Span, s0: int) -> bool:
    """The day a document takes effect ("có hiệu lực kể từ ngày 1/7/2025"): it dates no act."""
    return bool(_effective_words().search(fold(text[max(s0, span.start_char - 40):span.start_char])))


def _in_other_act_part(text: str, span: Span, start: int, others: list[tuple[int, int]]) -> bool:
    """A date in an earlier comma part that states another act ("Nghị định 55 được ký ban hành hôm 2/3,
    sau khi Quốc hội biểu quyết thông qua ...": 2/3 dates the signing, not the vote)."""
    if _comma_before(text, span.end_char, start) < 0:
        return False  # the same part as the trigger
    lo = _comma_before(text, 0, span.start_char) + 1
    hi = _comma_after(text, span.end_char)
    hi = len(text) if hi < 0 else hi
    return any(lo <= o0 and o1 <= hi for o0, o1 in others)


def _granularity(span: Span) -> str:
    """year, month, day, minute, "days" (a range of days), or interval (quarters, spans of years)."""
    g = (span._.info or {}).get("granularity", "")
    value = span._.value if isinstance(span._.value, str) else ""
    if g == "interval" and re.fullmatch(r"[\dX]{4}-\d\d-\d\d/[\dX]{4}-\d\d-\d\d", value):
        return "days"
    return g


def _years_span(span: Span) -> bool:
    value = span._.value if isinstance(span._.value, str) else ""
    return bool(re.fullmatch(r"\d{4}/\d{4}", value))


def _document_dated(text: str, span: Span, in_sent: list[Span]) -> bool:
    """The date written right after a document reference: it dates that document."""
    return any(d.label_ == "DOCREF" and 0 <= span.start_char - d.end_char <= 16
               and re.fullmatch(r"[\s,]*(?:ngày\s*)?", text[d.end_char:span.start_char], re.IGNORECASE)
               for d in in_sent)


@cache
def _report_verb() -> re.Pattern:
    """A word and the reporting verb after it (the ``report`` cues)."""
    return re.compile(r"(\S+)\s+(" + word_alternation(_cue_words("report")) + r")(?!\w)", re.IGNORECASE)


def _compared(text: str, span: Span, end: int) -> bool:
    """A date after the trigger inside a comparison ("tăng 15 bậc so với vị trí 86/193 năm 2022",
    "chỉ thấp hơn năm 2022")."""
    part = text[max(end, _comma_before(text, end, span.start_char) + 1):span.start_char]
    return bool(re.search(r"(?:^|\s)(?:so với|thấp hơn|cao hơn|chỉ sau|đứng sau)\s", fold(part) + " "))


def _statement_date(text: str, span: Span, start: int, in_sent: list[Span]) -> bool:
    """A date before a reporting verb that precedes the trigger: when it was said, not when it happened."""
    bodies = [x for x in in_sent if x.label_ == "INSTITUTION" and span.end_char <= x.start_char and x.end_char <= start]
    for m in _report_verb().finditer(text, span.end_char, start):
        if not _cue("report").fullmatch(fold(m.group(2))):
            continue
        if any(x.end_char <= m.start(2) and not re.sub(r"\([^()]{0,20}\)", "", text[x.end_char:m.start(2)]).strip()
               for x in bodies) \
                or text[m.start(1):m.start(1) + 1].isupper():
            return True  # "Bộ Tài chính báo cáo", "bà Hương cho biết": a speaker reports; not "Hệ thống thông tin"
    return False


def _is_horizon(text: str, span: Span, start: int) -> bool:
    if span._.info and span._.info.get("granularity") == "interval":
        return True
    return bool(_HORIZON.search(fold(text[max(start, span.start_char - 15):span.start_char])))


def _document_date(text: str, in_sent: list[Span], docs: list[Span]) -> Span | None:
    """The DATE written straight after one of the documents ("... số 749/QĐ-TTg ngày 3/6/2020")."""
    for d in docs:
        for s in in_sent:
            if s.label_ == "DATE" and 0 <= s.start_char - d.end_char <= 2 and not text[d.end_char:s.start_char].strip(", "):
                return s
    return None


def _is_comparison(text: str, span: Span, s0: int) -> bool:
    """A comparison base ("so với năm 2018", "so với mức 5,05% của năm 2023") never dates or measures an event."""
    before = fold(text[max(s0, span.start_char - 40):span.start_char])
    if re.search(r"so với(?:\s+(?:cùng kỳ|mức|con số|tỷ lệ|giá trị|khoảng|tốc độ|mức tăng|năm trước))*\s*$", before):
        return True

    raw = text[max(s0, span.start_char - 40):span.start_char].lower()
    return span.label_ == "DATE" and bool(re.search(r"so với\s+(?:mức\s+)?[\d.,]+\s*%?\s+(?:của|trong)\s*$", raw))


def _participants(text: str, in_sent: list[Span], start: int, end: int, s0: int, s1: int,
                  others: list[tuple[int, int]] = (), figure: bool = False, changed: bool = False,
                  trig_type: str = "") -> list[Span]:
    """The bodies that take part: those of the trigger's clause, not the quoted source, not bodies
    named only in a document's subject or name ("Nghị định ... quy định chức năng ... của Bộ X",
    "thông qua Luật Tổ chức Chính phủ"), not an office-holder's body after the act ("phê chuẩn việc bổ
    nhiệm ông X, Bộ trưởng Bộ Y"), and not the bodies of a comma-separated part that states another
    act ("..., sau khi Quốc hội thông qua ..."). A body nested in another one counts once, as the outer."""
    clause0, clause1 = _clause_start(text, s0, start), _clause_end(text, end, s1)
    out = []
    for s in in_sent:
        if s.label_ != "INSTITUTION" or not (clause0 <= s.start_char < clause1) or _is_source(text, s, s0, start):
            continue
        between = fold(text[end:s.start_char]) if s.start_char >= end else ""
        if re.search(r"(?:^|\s)(?:về|quy định|về việc)(?:\s|$)", between) and (any(
                d.label_ == "DOCREF" and end <= d.start_char < s.start_char for d in in_sent)
                or re.search(r"(?:^|\s)về việc\s", between)):
            continue  # inside the subject of the document the act issues
        if not changed and re.search(r"(?:(?<![\w/.,-])\d+|(?<!\w)(?:các|những)) +$",
                                     text[max(0, s.start_char - 12):s.start_char]) \
                and not re.search(r"(?:thứ|số|khóa|quận|phường)\s+\d+\s+$", fold(text[max(0, s.start_char - 12):s.start_char])):
            continue  # "với 63 Sở GD&ĐT", "các Sở": a count or class of bodies, no participant
        if s.start_char >= end and _in_object_name(text, end, s.start_char):
            continue
        if s.start_char >= end and re.search(r"(?:^|\s)(?:để|nhằm)\s", between + " "):
            continue  # "thông qua Nghị quyết 60/251 để thành lập Hội đồng ...": the purpose's bodies
        if not changed and trig_type != "ISSUANCE" and _cited_issuer(text, s, in_sent):
            continue  # "Thực hiện Kế hoạch số 12/KH của Công an tỉnh, ...": the cited document's issuer
        if _other_act_part(text, s, start, end, others, in_sent) and not (trig_type == "MEETING" and s.start_char >= end):
            continue  # (a meeting is the setting of the acts after it: "tại Kỳ họp thứ 9, Quốc hội đã ...")
        if re.search(r"(?:^|\s)(?:nhà|trụ sở|hội trường)\s*$", fold(text[max(0, s.start_char - 12):s.start_char])):
            continue  # "tại Nhà Quốc hội": a place
        if text[max(0, s.start_char - 2):s.start_char].strip() == "(" and any(
                o.label_ == "INSTITUTION" and 0 <= s.start_char - o.end_char <= 2 for o in in_sent):
            continue  # "Cục Thống kê (Bộ Tài chính)": the parent named in apposition
        if figure and s.start_char >= end:
            continue  # "xếp thứ 71 về Chỉ số ... của Liên Hợp Quốc": after a figure, a body owns the index or
            # the comparison, it does not report the figure
        if figure and s.end_char <= start and _titled(text, s):
            continue  # "Theo bà X, Cục trưởng Cục Thống kê, GDP tăng ...": the speaker's body
        out.append(s)
    return [s for s in out if not any(o is not s and o.start_char <= s.start_char and s.end_char <= o.end_char
                                      and (o.start_char, o.end_char) != (s.start_char, s.end_char) for o in out)]


def _cited_issuer(text: str, body: Span, in_sent: list[Span]) -> bool:
    """The body issued a document cited just before it ("Nghị quyết số 60-NQ/TW ngày 12/4/2025 của ...")."""
    return any(d.label_ == "DOCREF" and d.end_char <= body.start_char
               and re.fullmatch(r"[\s,]*(?:ngày\s+[\d/.-]+\s*)?(?:của|do)\s+(?:\S+\s+){0,4}?",
                                text[d.end_char:body.start_char], re.IGNORECASE) for d in in_sent)


def _in_object_name(text: str, end: int, body_start: int) -> bool:
    """A body after the trigger that only names a document's content or an office-holder's post."""
    lead = text[end:body_start]
    if re.search(r"[,;]", lead):
        words = fold(lead.rsplit(",", 1)[-1]).split()
    else:
        words = fold(lead).split()
    if words and _cue("title").fullmatch(" ".join(words[-2:])) or (words and _cue("title").fullmatch(words[-1])):
        return True  # "bổ nhiệm ông X, Bộ trưởng Bộ Y"
    return bool(_doc_words().search(fold(lead))) and bool(re.search(r"(?:^|\s)(?:về|của|tổ chức)\s*$", fold(lead)))


def _other_act_part(text: str, body: Span, start: int, end: int, others: list[tuple[int, int]],
                    in_sent: list[Span] = ()) -> bool:
    """The body is the subject of another act in a comma-separated part of the clause.

    "Nghị định 55 được Chính phủ ký ban hành hôm 2/3, sau khi Quốc hội biểu quyết thông qua ...":
    each body acts in its own part. A subject shared by coordinated verbs ("Thanh tra Sở đã kiểm tra
    412 cơ sở, xử phạt 96 cơ sở") stays with both: a part before the trigger's own takes its bodies
    away only when the trigger's part names its own subject.
    """
    a, b = (end, body.start_char) if body.start_char >= end else (body.end_char, start)
    if "," not in text[a:b]:
        return False
    lo = _comma_before(text, 0, body.start_char) + 1
    hi = _comma_after(text, body.end_char)
    hi = len(text) if hi < 0 else hi
    if body.start_char >= end:  # after the trigger: a later part with its own act ("..., còn X chuyển về Y")
        return any(lo <= o0 and o1 <= hi for o0, o1 in others)
    if not any(lo <= o0 and o1 <= hi and o0 >= body.end_char for o0, o1 in others):
        return False  # no other act after the body in its part: it is no other act's subject
    own0 = _comma_before(text, 0, start) + 1
    return any(x.label_ == "INSTITUTION" and own0 <= x.start_char and x.end_char <= start for x in in_sent)


@cache
def _head_nouns() -> frozenset[str]:
    return frozenset(fold(r["head"]) for r in load_table("institution_heads"))


def _referent(text: str, mentions: list[Span], start: int, s0: int) -> Span | None:
    """The body a bare head noun subject refers back to ("Bộ đã ban hành ...", "Sở tổ chức ..."): the
    latest body before the sentence whose name starts with that head (docs/ANNOTATION.md, agent)."""
    part = text[max(_clause_start(text, s0, start), _comma_before(text, s0, start) + 1):start]
    words = part.split()
    head = next((" ".join(words[:k]) for k in (2, 1) if len(words) > k and fold(" ".join(words[:k])) in _head_nouns()
                 and words[k][:1].islower()), None)
    if head is None or not head[:1].isupper() or len(words) > 8 or fold(head) in _cue_words("territory") \
            or _cue("title").fullmatch(fold(" ".join(words[:2]))):  # "Bộ trưởng ...": an office-holder
        return None
    for x in reversed(mentions):
        if x.label_ == "INSTITUTION" and x.end_char <= s0 and fold(x.text).startswith(fold(head) + " "):
            return x
    return None


def _titled(text: str, body: Span) -> bool:
    """An office-holder's body: a person's title right before it ("Cục trưởng Cục Thống kê")."""
    words = fold(text[max(0, body.start_char - 30):body.start_char]).split()
    return bool(words) and any(_cue("title").fullmatch(" ".join(words[-n:])) for n in (1, 2, 3))


def _is_source(text: str, span: Span, s0: int, trigger_start: int) -> bool:
    """A body quoted as the source, not a participant.

    "Theo Bộ TT&TT, ...", "theo đánh giá của Liên Hợp Quốc", or a speaker's
    body before a reporting verb that precedes the trigger ("Ông X, Phó Vụ
    trưởng Vụ ... (Bộ Công Thương) cho rằng, ... đã ban hành").
    """
    before = fold(text[max(s0, span.start_char - 40):span.start_char])
    if re.search(r"(?:^|\s)theo(?: (?:báo cáo|đánh giá|xếp hạng|số liệu|thống kê))?(?: của)?\s*$", before):
        return True
    return span.end_char <= trigger_start and bool(_cue("report").search(fold(text[span.end_char:trigger_start])))


def _goal_by_date(date: Span | None, reference: str | None) -> bool:
    """The period of the date begins after the reference date.

    A value for the current period is measured or estimated, so it is a
    RESULT (docs/ANNOTATION.md: "ước đạt" for the current year is RESULT); only
    a later period makes a goal by date.
    """
    if date is None or not reference or not date._.info:
        return False
    first = date._.info.get("start")
    return bool(first) and first > reference


_LIST_MARK = re.compile(r"^\s*(?:[-+•*]|\d{1,2}[.)]|[a-zđ][)]|[IVX]{1,4}\.)\s*$|^\s*(?:[-+•*]|\d{1,2}[.)]|[a-zđ][)])\s")
_ROMAN = re.compile(r"^\s*[IVX]{1,4}\.\s*$")


_KEEP_TOGETHER = re.compile(r"lên|xuống|còn|tương đương|tương ứng|đến|tới|gấp|bằng|\(")
_LIST_GAP = re.compile(r"\s*(?:\([^)]{0,30}\))?\s*(?:,|;|và|,\s*và)\s*")


def _one_per_value(text: str, ev: dict, mentions: list) -> list[dict]:
    """A figure event with a list of values ("lần lượt đạt 12,66%, 12,87% và 13,17%") is one event per value.

    Values stay together where the text pairs them ("từ 42% lên 60%", "1,5 triệu tỷ đồng, tương đương
    62,7 tỷ USD", an amount in two currencies "127.788 tỷ đồng và 1,588 tỷ USD"). A value that follows
    other words (another predicate: "có 34 ..., gồm 28 tỉnh") is not this trigger's.
    """
    if ev["type"] not in ("RESULT", "TARGET"):
        return [ev]
    values = sorted(ev["percents"] + ev["quantities"], key=lambda k: mentions[k].start_char)
    if len(values) < 2:
        return [ev]
    groups = [[values[0]]]
    named = False
    for a, b in zip(values, values[1:]):
        if mentions[b].start_char < ev["trigger"]["start"]:  # a counted subject before the trigger
            groups[-1].append(b)
            continue
        between = text[mentions[a].end_char:mentions[b].start_char].lower()
        currencies = {_unit(mentions[a]), _unit(mentions[b])}
        if _KEEP_TOGETHER.search(between) or (len(currencies) == 2 and all(u and u.isupper() for u in currencies)):
            groups[-1].append(b)
        elif _LIST_GAP.fullmatch(between):
            groups.append([b])
        elif _NAMED_GAP.fullmatch(between) and _NEAR_TRIGGER.fullmatch(
                text[ev["trigger"]["end"]:mentions[values[0]].start_char]):
            groups.append([b])  # "30% thời gian giải quyết, 30% chi phí ...": each value names its indicator
            named = True
        else:
            break  # the rest belongs to another predicate
    kept = {k for g in groups for k in g}
    dates = _listed_dates(text, ev, mentions) if len(groups) > 1 else []
    out = []
    for n, g in enumerate(groups):
        piece = dict(ev)
        piece["percents"] = [k for k in ev["percents"] if k in g and k in kept]
        piece["quantities"] = [k for k in ev["quantities"] if k in g and k in kept]
        if len(dates) == len(groups):  # "các năm 2020, 2021 và 2022 lần lượt đạt A, B và C": each value its year
            piece["date"] = dates[n]
        if named:
            piece["object"] = _named_indicator(text, mentions[g[-1]].end_char, ev["sentence"]["end"]) or piece["object"]
        out.append(piece)
    return out


_NEAR_TRIGGER = re.compile(r"\s*(?:[^\W\d]+\s+){0,2}")  # "cắt giảm ít nhất 30% ...": the list opens at the verb
_NAMED_GAP = re.compile(r"\s+[^\d,;:.()%]{2,60}?\s*(?:,|;|và|,\s*và)\s*")


_OBJECT_STOPS = re.compile(r"\s(?:so với|trong|năm|của|tại|từ|đến)\s")


def _named_indicator(text: str, pos: int, s1: int) -> dict | None:
    """The noun phrase right after a listed value, up to the next separator ("30% [chi phí tuân thủ], ...")."""
    m = re.match(r"\s+([^\d,;:.()%]+?)\s*(?=,|;|\.|\bvà\b|\bso với\b|\d|$)", text[pos:s1])
    if not m or len(m.group(1).split()) > 10:
        return None
    phrase = m.group(1)
    for stop in _OBJECT_STOPS.finditer(phrase):  # "30% chi phí tuân thủ so với năm 2024"
        phrase = phrase[:stop.start()].rstrip()
        break
    cut = re.search(r"\s(?:được|đã|sẽ|bị)\s", " " + phrase + " ")
    if cut:  # "100% hồ sơ được tiếp nhận": the indicator ends before the passive verb
        phrase = phrase[:max(0, cut.start())].rstrip()
    if not phrase:
        return None
    return {"start": pos + m.start(1), "end": pos + m.start(1) + len(phrase)}


def _listed_dates(text: str, ev: dict, mentions: list) -> list[int]:
    """Indices of a list of DATE mentions before the trigger in its sentence ("các năm 2020, 2021 và 2022")."""
    s0, start = ev["sentence"]["start"], ev["trigger"]["start"]
    found = [k for k, m in enumerate(mentions) if m.label_ == "DATE" and s0 <= m.start_char and m.end_char <= start]
    run: list[int] = []
    for k in found:
        if run and not re.fullmatch(r"\s*(?:,|và|,\s*và)\s*", text[mentions[run[-1]].end_char:mentions[k].start_char]):
            run = []
        run.append(k)
    return run if len(run) > 1 else []


def _unit(span) -> str | None:
    v = span._.value
    return v.get("unit") if isinstance(v, dict) else "%"


def _goal_list_state(sentence: str, inside: bool) -> bool:
    """Whether the following sentences are items of a list of goals.

    A heading or a lead ending in ":" that names goals ("II. MỤC TIÊU NĂM
    2026", "Phấn đấu đến hết năm 2025:") opens the list; the next section
    heading ("III.", a line in capitals without a goal word) closes it.
    """
    stripped = sentence.strip()
    if not (stripped.endswith(":") or stripped.isupper() or _ROMAN.match(stripped)):
        return inside  # an ordinary sentence neither opens nor closes a list (no need to fold it)
    folded = fold(stripped)
    has_goal = bool(_cue("goal").search(folded)) and not _cue("reached").search(folded)
    heading = stripped.isupper() or (len(folded.split()) <= 8 and not re.search(r"\d%", stripped))
    if has_goal and (stripped.endswith(":") or (heading and stripped.isupper())):
        return True
    if _ROMAN.match(stripped) or (stripped.isupper() and not has_goal and len(stripped) > 3):
        return False
    return inside


def _is_goal(text: str, s0: int, s1: int, start: int, date: Span | None, reference: str | None,
             goal_list: bool = False) -> bool:
    """RESULT or TARGET: framing words first, the date second (docs/ANNOTATION.md, Figures).

    A "done" word before the trigger in its part of the clause ("đã đạt",
    "ước đạt") reports a result, unless the figure's date lies ahead (a
    forecast for a later year is a goal). A goal word in the sentence up to the
    trigger's clause end ("mục tiêu", "phấn đấu", "sẽ") sets a goal, unless it
    is the object of a result ("vượt mục tiêu", "hoàn thành mục tiêu"). Else the
    date decides against the article's reference date.
    """
    clause0 = _clause_start(text, s0, start)
    part = text[max(clause0, _comma_before(text, clause0, start) + 1):start]
    ahead = _goal_by_date(date, reference)
    if _cue("done").search(fold(part)):
        return ahead and not re.search(r"(?:^|\s)đã(?:\s|$)", fold(part))
    if goal_list:
        return True  # in a list of goals every item is a TARGET
    if re.search(r"(?:^|\s)(?:để|nhằm)(?:\s+\S+){0,3}\s*$", fold(part)):
        return True  # a figure in a purpose clause is a goal ("để đưa Mobile Money đến 100% khách hàng")
    if re.search(rf"(?:{_cue('need').pattern})\s*$", fold(part)):
        return True  # "GDP quý IV cần tăng khoảng 8,4%": a value required is a goal
    upto = fold(text[s0:_clause_end(text, start, s1)])
    for m in _cue("goal").finditer(upto):
        if re.search(rf"(?:{_cue('reached').pattern})\s*$", upto[:m.start()]):
            continue  # "vượt mục tiêu": the goal is the object of a result
        if re.search(r"\d\s*%?\s*$", upto[:m.start()]):
            continue  # "đạt 100% chỉ tiêu được giao": the goal is the base of the value
        return True
    return ahead


_OBJECT_GAP = re.compile(r"\s*(?:(?:mới|thêm|cho|của|tổng cộng|được|khoảng|hơn|gần|trên|tới|đến)\s+){0,3}$")


def _counted_act(text: str, end: int, s1: int, in_sent: list[Span], start: int = -1) -> bool:
    """An act verb whose object or subject is counted.

    "cấp phép mới cho 35 phòng khám", "ban hành 46 quyết định"; "đã có 30 bộ,
    tỉnh ban hành đề án", "63/63 tỉnh, thành phố đã ban hành": a count of acts
    is one figure (docs/ANNOTATION.md, project decisions).
    """
    if start >= 0:
        piece = text[max(0, start - 40):start]
        subject = [x for x in in_sent if x.label_ == "QUANTITY" and 0 <= start - x.end_char <= 25
                   and not re.search(r"[.;:]", text[x.end_char:start])]
        ratio = re.search(r"(?<![\d/.])\d{1,3}/\d{1,3}(?![\d/])\s+[^\W\d]+(?:,\s*[^,\d]{1,30})?\s+(?:đã\s+|đều\s+)?$",
                          piece)
        if subject or ratio:
            return True
    after = [x for x in in_sent if x.start_char >= end and x.label_ in ("QUANTITY", "DOCREF", "INSTITUTION")]
    if not after or after[0].label_ != "QUANTITY":
        return False
    gap = text[end:after[0].start_char]
    return len(gap) <= 30 and bool(_OBJECT_GAP.fullmatch(fold(gap) + " " if gap.strip() else ""))


def _body_starts_work(text: str, start: int, end: int, s0: int, s1: int, in_sent: list[Span]) -> bool:
    """A launch verb used without an object after a body or an authority as subject."""
    rest = fold(text[end:_clause_end(text, end, s1)]).split()
    intransitive = not rest or rest[0] in ("từ", "vào", "sau", "kể", "trong", "tại", "ngày", "có", "và") or any(
        x.label_ == "DATE" and x.start_char >= end and not text[end:x.start_char].strip() for x in in_sent)
    if not intransitive:
        return False
    clause0 = _clause_start(text, s0, start)
    part = text[clause0:start]
    lowered = fold(" ".join(w for w in part.split()))
    return any(x.label_ == "INSTITUTION" and clause0 <= x.start_char < start for x in in_sent) or bool(
        _cue("body_word").search(lowered))


def _digit_after(text: str, in_sent: list[Span], end: int, s1: int) -> bool:
    """A rank, index or multiple after the trigger in its clause ("đứng thứ 86", "đạt 0,75", "2,5 lần")."""
    stop = _clause_end(text, end, s1)
    for m in _DIGIT.finditer(text, end, stop):
        if not _in_mention(m.start(), in_sent, ("DATE", "DOCREF", "PERCENT", "QUANTITY")):
            return True
    return False


_RANK = re.compile(r"\s*(?:[^\W\d]+\s+){0,2}?(?:từ\s+(?:thứ\s+|hạng\s+)?(\d+)\s+lên\s+)?"
                   r"(thứ\s+|hạng\s+|nhóm\s+)?(\d+)(?:\s*/\s*(\d+))?(?:\s+(bậc|hạng)(?!\w))?", re.IGNORECASE)


def _rank_value(text: str, start: int, end: int, s1: int, in_sent: list[Span]) -> dict | None:
    """The value of a rank figure, which no percent or quantity carries: {"number", "unit"} with unit
    "rank" ("đứng thứ 86", "xếp hạng 71/193"; a move "tăng hạng từ thứ 57 lên thứ 49" adds "from": 57),
    "top" for a group of the first N ("thuộc nhóm 50 nước") or "bậc" for a change of rank ("tăng 15
    bậc"); None if none."""
    m = _RANK.match(text, end, _clause_end(text, end, s1))
    if not m or _in_mention(m.start(3), in_sent, ("DATE", "DOCREF", "PERCENT", "QUANTITY")):
        return None
    trigger = fold(text[start:end])
    step = (m.group(5) or "").lower()
    if "nhóm" in trigger or (m.group(2) or "").lower().startswith("nhóm"):
        unit = "top"
    elif trigger in _cue_words("rank") or m.group(2) or m.group(1):
        unit = "rank"
    elif step:
        unit = "bậc"  # "tăng 15 bậc": how far a rank moved
    else:
        return None
    found = {"number": float(m.group(3)), "unit": unit}
    if m.group(1):
        found["from"] = float(m.group(1))  # "từ thứ 57 lên thứ 49": a move, told apart from a position
    return found


def _value_after(in_sent: list[Span], end: int, s1: int) -> bool:
    """Whether a percentage or quantity follows the trigger in the sentence."""
    return any(s.label_ in ("PERCENT", "QUANTITY") and s.start_char >= end for s in in_sent)


def _structural(text: str, trig: Trigger, quantities: list[Span], s0: int = 0, s1: int = 0) -> bool:
    """A composition: "có"/"gồm" + a count of units, or any count of a body's own units ("giảm 16 đầu mối").

    A territory's count of administrative units after a reorganisation ("Sau
    sắp xếp, cả nước có 34 đơn vị hành chính cấp tỉnh") is a figure, not a
    composition.
    """
    admin = [q for q in quantities if fold(text[q.end_char:q.end_char + 12]).startswith("hành chính")
             or fold(q._.value.get("unit", "")) in ("tỉnh", "xã", "phường", "huyện", "thành phố")]
    reorganised = bool(re.search(r"sắp xếp|hợp nhất|sáp nhập|sau khi nhập", fold(text[s0:s1])))
    if admin and reorganised and trig.words not in (("gồm",), ("bao gồm",)):
        return False
    units = {fold(q._.value.get("unit", "")) for q in quantities if isinstance(q._.value, dict)}
    if units and all(_cue("org_unit").fullmatch(u) for u in units) and not admin:
        return True
    if trig.words not in (("có",), ("gồm",), ("bao gồm",)):
        return False
    return bool(units) and all(_cue("structural").fullmatch(u) for u in units)


def _unit_share(text: str, start: int, percents: list[Span], in_sent: list[Span], s0: int) -> bool:
    """A share of a body's own units: the percent counts them ("38,1% đầu mối"), or restates a
    count of them earlier in the sentence ("giảm 16 đầu mối, tương ứng giảm 38,1%")."""
    if not percents:
        return False
    after = fold(text[percents[0].end_char:percents[0].end_char + 25]).split()
    if after and any(_cue("org_unit").fullmatch(" ".join(after[:n])) for n in (1, 2, 3)):
        return True
    if not re.search(r"(?:tương ứng|tương đương|tức)(?:\s+\S+)?\s*$", fold(text[max(s0, start - 25):start + 1])):
        return False
    return any(x.label_ == "QUANTITY" and x.end_char <= start and isinstance(x._.value, dict)
               and _cue("org_unit").fullmatch(fold(x._.value.get("unit", ""))) for x in in_sent)


def _meeting_reach(text: str, trig: Trigger, start: int, s0: int) -> bool:
    """A figure of a meeting's reach ("Hội nghị được kết nối tới 15.345 điểm cầu", "Phiên bỏ phiếu có sự
    tham gia của 190 quốc gia"): a quantity of the MEETING, never a RESULT (docs/ANNOTATION.md)."""
    if " ".join(trig.words) not in _cue_words("reach"):
        return False
    subject = fold(text[_clause_start(text, s0, start):start])
    return bool(re.search(r"(?:^|\s)(?:" + "|".join(
        re.escape(" ".join(t.words)) for ts in _triggers().values() for t in ts if t.type == "MEETING")
        + r"|phiên|lễ|đại hội)(?:\s|$)", subject))


@cache
def _cue_words(kind: str) -> frozenset[str]:
    return frozenset(fold(r["word"]) for r in load_table("event_cues") if r["cue"] == kind)


def _assign_values(text: str, triggers, percents: list[Span], s0: int) -> list[list[Span]]:
    """Each value (percent, quantity) to the trigger before it in its clause, else to the next trigger."""
    out: list[list[Span]] = [[] for _ in triggers]
    for p in percents:
        clause0 = _clause_start(text, s0, p.start_char)
        before = [i for i, (st, en, _) in enumerate(triggers) if clause0 <= st and en <= p.start_char]
        after = [i for i, (st, _, _) in enumerate(triggers) if st >= p.end_char]
        if before:
            out[before[-1]].append(p)
        elif after:
            out[after[0]].append(p)
        else:
            out[-1].append(p)
    return out


def _assign_documents(triggers, docs: list[Span]) -> list[list[Span]]:
    """Each document to its nearest trigger, and to any other trigger right next to it."""
    out: list[list[Span]] = [[] for _ in triggers]
    for d in docs:
        dist = [max(st - d.end_char, d.start_char - en, 0) for st, en, _ in triggers]
        best = min(range(len(triggers)), key=lambda i: dist[i])
        for i, gap in enumerate(dist):
            if i == best or gap <= NEAR_DOC:
                out[i].append(d)
    return out


def needs_words(text: str, syllables: list[tuple[int, int]], keys: list[str]) -> bool:
    """Whether a trigger that must be a whole word could fire here (then the sentence's words must be known).

    Triggers bounded by a figure or a document right after them are matched on
    syllables (``SYLLABLE_SAFE``) and need no segmentation.
    """
    return may_fire(keys, syllable_safe=False)


def may_fire(keys: list[str], syllable_safe: bool = True) -> bool:
    """A superset of what ``find_events`` accepts: a trigger's syllables occur, and a
    trigger that needs a figure has a digit somewhere in the sentence."""
    table = _triggers()
    has_digit = None
    for k, key in enumerate(keys):
        for trig in table.get(key, ()):
            if tuple(keys[k:k + len(trig.words)]) != trig.words:
                continue
            if trig.requires in SYLLABLE_SAFE and not syllable_safe:
                continue
            if trig.requires in ("figure", "figure-next"):
                if has_digit is None:
                    has_digit = any(_DIGIT.search(x) for x in keys)
                if not has_digit:
                    continue
            return True
    return False


@Language.factory("vnevents_events")
def make_events(nlp: Language, name: str):
    """spaCy factory: the event linker (runs after the four mention components)."""
    return event_component


def event_component(doc: Doc) -> Doc:
    """Set ``doc._.events`` (and drop the tokenizer's syllable and text tables, no longer needed)."""
    doc._.events = find_events(doc)
    doc.user_data.pop(SYLLABLES, None)
    doc.user_data.pop(TEXT, None)  # not stored with the Doc (DocBin keeps user_data)
    return doc
