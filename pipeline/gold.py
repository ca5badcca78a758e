"""Gold files: reading and validating the annotation format of docs/ANNOTATION.md.

``validate_file(path)`` returns every problem of a gold JSONL file as a
:class:`Problem` (line number, record id, message); it never modifies the
file. The checks: valid JSON objects; required fields; text is NFC with "\\n"
line ends; offsets in range and ``text[start:end] == mention.text``; known
types; well-formed values (TIMEX3 pattern and real calendar days, numbers or
[low, high], canonical DOCREF identifiers and known ``doc_type``, ``mod`` in
START/MID/END); mentions sorted by start, not overlapping except nested
INSTITUTION mentions; event types, triggers in range, and argument indices
that exist and point at mentions of the right type.
"""
from __future__ import annotations

import calendar
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .resources import load_table

MENTION_TYPES = ("DATE", "PERCENT", "DOCREF", "INSTITUTION", "QUANTITY")
ACT_TYPES = ("ISSUANCE", "LAUNCH", "ORGANIZATION", "MEETING", "LICENSING")
FIGURE_TYPES = ("TARGET", "RESULT")
EVENT_TYPES = (*ACT_TYPES, *FIGURE_TYPES)
MODS = ("START", "MID", "END")
STATUSES = ("done", "planned")
EVENT_ARGS = {"institutions": "INSTITUTION", "documents": "DOCREF", "percents": "PERCENT", "quantities": "QUANTITY"}
_UNIT = re.compile(r"[A-Z]{3}|[^\sA-Z][^A-Z]*")  # an ISO 4217 code, or a lower-case noun as written
_TIMEX = re.compile(r"(?P<y>\d{4}|XXXX)(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<h>\d{2}):(?P<mi>\d{2}))?)?)?")
_DOCREF = re.compile(r"\d+(?:\.\d+)?[a-z]?(?:/\d{4})?(?:[/-][A-Za-zĐđƯư&]+\d*)+|\d+(?:/\d{2,4})?")


@dataclass(frozen=True)
class Problem:
    """One problem of a gold file."""

    line: int
    id: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}" + (f" (id {self.id})" if self.id else "") + f": {self.message}"


def read_gold(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, record) of each non-blank line; raises ValueError on bad JSON."""
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                yield number, parse_line(line)


def valid_timex(value: Any) -> bool:
    """A TIMEX3-style value: YYYY[-MM[-DD[THH:MM]]] or START/END, with real days."""
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    if len(parts) > 2:
        return False
    for part in parts:
        m = _TIMEX.fullmatch(part)
        if not m:
            return False
        if m.group("m") and not 1 <= int(m.group("m")) <= 12:
            return False
        if m.group("d"):
            year = 2000 if m.group("y") == "XXXX" else int(m.group("y"))
            if not 1 <= int(m.group("d")) <= calendar.monthrange(year, int(m.group("m")))[1]:
                return False
        if m.group("h") and (int(m.group("h")) > 23 or int(m.group("mi")) > 59):
            return False
    return True


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def valid_percent(value: Any) -> bool:
    """A finite number, or [low, high] with low <= high."""
    if _finite(value):
        return True
    return isinstance(value, list) and len(value) == 2 and all(map(_finite, value)) and value[0] <= value[1]


def valid_quantity(value: Any) -> bool:
    """``{"number": N or [low, high], "unit": U}``: U an ISO 4217 code or a lower-case noun."""
    if not (isinstance(value, dict) and set(value) == {"number", "unit"}):
        return False
    unit = value["unit"]
    return (valid_percent(value["number"]) and isinstance(unit, str) and unit == unit.strip() and bool(unit)
            and bool(_UNIT.fullmatch(unit)))


def _is_index(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _valid_span(span: Any, size: int) -> bool:
    return (isinstance(span, dict) and _is_index(span.get("start")) and _is_index(span.get("end"))
            and 0 <= span["start"] < span["end"] <= size)


def doc_types() -> set[str]:
    """The standard document types (guidelines list and doc_types.tsv)."""
    return {row["doc_type"] for row in load_table("doc_types")} | {row["doc_type"] for row in load_table("doc_codes")}


def check_record(rec: Any, strict: bool = True) -> list[str]:
    """Problems of one record, as messages.

    ``strict`` (gold files) also requires the version-2 event fields that a
    prediction may leave out: ``status`` on acts and a ``canonical`` key.
    """
    if not isinstance(rec, dict):
        return ["record is not a JSON object"]
    out: list[str] = []
    for key, kind in (("id", str), ("text", str), ("mentions", list), ("events", list)):
        if not isinstance(rec.get(key), kind):
            out.append(f"missing or invalid '{key}'")
    if out:
        return out
    text = rec["text"]
    if not unicodedata.is_normalized("NFC", text):
        out.append("text is not Unicode NFC")
    if "\r" in text:
        out.append("text has \\r line ends")
    if rec.get("published") is not None and not (isinstance(rec["published"], str) and valid_timex(rec["published"][:10])):
        out.append(f"published {rec.get('published')!r} is not YYYY-MM-DD")
    kinds = doc_types()
    mentions = rec["mentions"]
    for i, m in enumerate(mentions):
        where = f"mention {i}"
        if not isinstance(m, dict):
            out.append(f"{where}: not an object")
            continue
        s, e, t = m.get("start"), m.get("end"), m.get("type")
        if not (_is_index(s) and _is_index(e) and 0 <= s < e <= len(text)):
            out.append(f"{where}: offsets {s}-{e} out of range (text has {len(text)} characters)")
            continue
        if text[s:e] != m.get("text"):
            out.append(f"{where}: text[{s}:{e}] is {text[s:e]!r}, not {m.get('text')!r}")
        if t not in MENTION_TYPES:
            out.append(f"{where}: unknown type {t!r}")
            continue
        v = m.get("value")
        if t == "DATE" and not valid_timex(v):
            out.append(f"{where}: DATE value {v!r} is not a TIMEX3 value")
        if t == "PERCENT" and not valid_percent(v):
            out.append(f"{where}: PERCENT value {v!r} is not a number or [low, high]")
        if t == "DOCREF":
            if not (isinstance(v, str) and _DOCREF.fullmatch(v)):
                out.append(f"{where}: DOCREF value {v!r} is not a canonical identifier")
            if not isinstance(m.get("doc_type"), str) or m["doc_type"] not in kinds:
                out.append(f"{where}: unknown doc_type {m.get('doc_type')!r}")
        if t == "INSTITUTION" and not (isinstance(v, str) and v.strip() and unicodedata.is_normalized("NFC", v)):
            out.append(f"{where}: INSTITUTION value {v!r} is not a non-empty NFC name")
        if t == "INSTITUTION" and m.get("country") is not None and not (
                isinstance(m["country"], str) and re.fullmatch(r"[A-Z]{2}", m["country"])):
            out.append(f"{where}: country {m['country']!r} is not an ISO 3166 alpha-2 code")
        if t == "QUANTITY" and not valid_quantity(v):
            out.append(f"{where}: QUANTITY value {v!r} is not {{\"number\": N or [low, high], \"unit\": U}}")
        if m.get("mod") is not None and (not isinstance(m["mod"], str) or m["mod"] not in MODS):
            out.append(f"{where}: mod {m['mod']!r} is not one of {', '.join(MODS)}")
    spans = [(i, m) for i, m in enumerate(mentions) if isinstance(m, dict) and isinstance(m.get("start"), int)
             and isinstance(m.get("end"), int)]
    for (i, a), (j, b) in zip(spans, spans[1:]):
        if (b["start"], -b["end"]) < (a["start"], -a["end"]):
            out.append(f"mentions {i} and {j} are not sorted by start")
    for x, (i, a) in enumerate(spans):
        for j, b in spans[x + 1:]:
            if b["start"] >= a["end"]:
                break
            nested = (a.get("type") == b.get("type") == "INSTITUTION" and a["start"] <= b["start"]
                      and b["end"] <= a["end"])
            if not nested:
                out.append(f"mentions {i} and {j} overlap")
    for k, ev in enumerate(rec["events"]):
        out.extend(f"event {k}: {msg}" for msg in check_event(ev, mentions, len(text), strict))
    return out


def check_event(ev: Any, mentions: list, size: int, strict: bool = True) -> list[str]:
    """Problems of one event (guidelines v2: arguments, agent, object, status, canonical)."""
    if not isinstance(ev, dict):
        return ["not an object"]
    out: list[str] = []
    etype = ev.get("type")
    if etype not in EVENT_TYPES:
        out.append(f"unknown type {etype!r}")
    if not _valid_span(ev.get("trigger"), size):
        out.append("trigger is not a span {start, end} inside the text")

    def points(n: Any, typ: str) -> bool:
        return _is_index(n) and 0 <= n < len(mentions) and isinstance(mentions[n], dict) and mentions[n].get("type") == typ

    d = ev.get("date")
    if d is not None and not points(d, "DATE"):
        out.append(f"date {d!r} does not point at a DATE mention")
    for key, typ in EVENT_ARGS.items():
        idx = ev.get(key, [])
        if not isinstance(idx, list):
            out.append(f"{key} is not a list")
            continue
        for n in idx:
            if not (_is_index(n) and 0 <= n < len(mentions)):
                out.append(f"{key} index {n!r} points at no mention")
            elif not points(n, typ):
                out.append(f"{key} index {n} points at a {mentions[n].get('type')} mention, not {typ}")
    agent = ev.get("agent")
    if agent is not None:
        if not points(agent, "INSTITUTION"):
            out.append(f"agent {agent!r} does not point at an INSTITUTION mention")
        elif isinstance(ev.get("institutions"), list) and agent not in ev["institutions"]:
            out.append(f"agent {agent} is not one of the event's institutions")
        if etype in FIGURE_TYPES:
            out.append("a figure event has no agent")
    obj = ev.get("object")
    if obj is not None and not _valid_span(obj, size):
        out.append("object is not null or a span {start, end} inside the text")
    status = ev.get("status")
    if etype in ACT_TYPES:
        if status is None and strict:
            out.append("an act needs status 'done' or 'planned'")
        elif status is not None and status not in STATUSES:
            out.append(f"status {status!r} is not 'done' or 'planned'")
    elif etype in FIGURE_TYPES and status is not None:
        out.append("a figure event has status null")
    canon = ev.get("canonical")
    if canon is None and strict:
        out.append("canonical key missing")
    elif canon is not None and not (isinstance(canon, str) and canon.strip()):
        out.append(f"canonical {canon!r} is not a non-empty string")
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON number {name}")


def parse_line(line: str) -> Any:
    """One JSON value, refusing NaN/Infinity; ValueError with a reason on any failure."""
    try:
        return json.loads(line, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("invalid JSON (nested too deeply)") from None


def validate_file(path: str | Path, strict: bool = True) -> list[Problem]:
    """Every problem of a gold JSONL file (an unreadable file is one problem); never raises."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [Problem(0, None, f"cannot read: {exc.strerror}")]
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(number, None, f"not UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1})"))
            continue
        if not line.strip():
            continue
        try:
            rec = parse_line(line)
        except ValueError as exc:
            problems.append(Problem(number, None, str(exc)))
            continue
        rid = rec.get("id") if isinstance(rec, dict) else None
        if isinstance(rid, str):
            if rid in seen:
                problems.append(Problem(number, rid, f"duplicate id (first on line {seen[rid]})"))
            seen.setdefault(rid, number)
        try:
            messages = check_record(rec, strict)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:  # a shape no check foresaw
            messages = [f"malformed record ({type(exc).__name__}: {exc})"]
        problems.extend(Problem(number, rid if isinstance(rid, str) else None, msg) for msg in messages)
    return problems
