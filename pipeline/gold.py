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
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .resources import load_table

MENTION_TYPES = ("DATE", "PERCENT", "DOCREF", "INSTITUTION")
EVENT_TYPES = ("ISSUANCE", "LAUNCH", "ORGANIZATION", "MEETING", "LICENSING", "TARGET", "RESULT")
MODS = ("START", "MID", "END")
EVENT_ARGS = {"institutions": "INSTITUTION", "documents": "DOCREF", "percents": "PERCENT"}
_TIMEX = re.compile(r"(?P<y>\d{4}|XXXX)(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<h>\d{2}):(?P<mi>\d{2}))?)?)?")
_DOCREF = re.compile(r"\d+[a-z]?(?:/\d{4})?(?:[/-][A-Za-zĐđƯư&]+\d*)+|\d+")


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
                yield number, json.loads(line)


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


def valid_percent(value: Any) -> bool:
    """A number, or [low, high] with low <= high."""
    num = (int, float)
    if isinstance(value, bool):
        return False
    if isinstance(value, num):
        return True
    return (isinstance(value, list) and len(value) == 2 and all(isinstance(v, num) and not isinstance(v, bool)
                                                                 for v in value) and value[0] <= value[1])


def doc_types() -> set[str]:
    """The standard document types (guidelines list and doc_types.tsv)."""
    return {row["doc_type"] for row in load_table("doc_types")} | {row["doc_type"] for row in load_table("doc_codes")}


def check_record(rec: Any) -> list[str]:
    """Problems of one record, as messages."""
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
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
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
            if m.get("doc_type") not in kinds:
                out.append(f"{where}: unknown doc_type {m.get('doc_type')!r}")
        if t == "INSTITUTION" and not (isinstance(v, str) and v.strip() and unicodedata.is_normalized("NFC", v)):
            out.append(f"{where}: INSTITUTION value {v!r} is not a non-empty NFC name")
        if m.get("mod") is not None and m["mod"] not in MODS:
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
        where = f"event {k}"
        if not isinstance(ev, dict):
            out.append(f"{where}: not an object")
            continue
        if ev.get("type") not in EVENT_TYPES:
            out.append(f"{where}: unknown type {ev.get('type')!r}")
        trig = ev.get("trigger") or {}
        if not (isinstance(trig.get("start"), int) and isinstance(trig.get("end"), int)
                and 0 <= trig["start"] < trig["end"] <= len(text)):
            out.append(f"{where}: trigger offsets out of range")
        d = ev.get("date")
        if d is not None and not (isinstance(d, int) and 0 <= d < len(mentions) and mentions[d].get("type") == "DATE"):
            out.append(f"{where}: date {d!r} does not point at a DATE mention")
        for key, typ in EVENT_ARGS.items():
            idx = ev.get(key, [])
            if not isinstance(idx, list):
                out.append(f"{where}: {key} is not a list")
                continue
            for n in idx:
                if not (isinstance(n, int) and 0 <= n < len(mentions)):
                    out.append(f"{where}: {key} index {n!r} points at no mention")
                elif mentions[n].get("type") != typ:
                    out.append(f"{where}: {key} index {n} points at a {mentions[n].get('type')} mention, not {typ}")
    return out


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem of a gold JSONL file (an unreadable file is one problem)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        return [Problem(0, None, f"cannot read: {exc.strerror}")]
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(number, None, f"invalid JSON ({exc.msg} at column {exc.colno})"))
                continue
            rid = rec.get("id") if isinstance(rec, dict) else None
            if isinstance(rid, str):
                if rid in seen:
                    problems.append(Problem(number, rid, f"duplicate id (first on line {seen[rid]})"))
                seen.setdefault(rid, number)
            problems.extend(Problem(number, rid if isinstance(rid, str) else None, msg) for msg in check_record(rec))
    return problems
