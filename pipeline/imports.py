"""Annotations made in other tools, back into gold JSONL (docs/ANNOTATION.md, version 2).

* :func:`labelstudio_records` reads a Label Studio JSON export (Export → JSON)
  of a project set up with ``pipeline.exports.labeling_config()``: span regions
  labelled with a mention type, an event type or OBJECT; per-region ``value``,
  ``mod``, ``doc_type``, ``country``, ``status`` and ``canonical``; relations
  from a trigger to its arguments. A relation without a label takes the role of
  its target (a DATE mention is the date, an INSTITUTION one an institution, an
  OBJECT region the object); "agent" marks the acting body. Regions are matched
  by label value, not by control name, so a project with a single Labels
  control works too. Each task's most recent non-cancelled annotation is used;
  a task without one falls back to its first prediction, and a task with
  neither is skipped (and reported).

Mentions come out sorted by (start, -end) and events by trigger offset, as
gold files keep them, whatever order the tool wrote them in.
* :func:`brat_records` reads a folder written by ``vnevents export --format
  brat`` (or annotated in brat with its annotation.conf).
* ``pipeline.exports.read_docbin`` reads the spaCy export.

:func:`import_file` writes the records as gold JSONL and returns the problems of
the import and of ``pipeline.gold.validate_file`` on the written file.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .exports import BRAT_OBJECT, OBJECT_LABEL, ROLE_OF_TYPE, _LIST_ROLE, iter_brat_files, parse_value, read_docbin
from .gold import EVENT_TYPES, MENTION_TYPES, validate_file

SOURCES = ("labelstudio", "brat", "spacy")


def _mention(text: str, start: int, end: int, mtype: str, surface: str | None, value: Any,
             extras: dict) -> dict:
    m = {"start": start, "end": end, "type": mtype, "text": surface if surface is not None else text[start:end],
         "value": parse_value(mtype, value)}
    for key in ("mod", "doc_type", "country"):
        if extras.get(key) not in (None, ""):
            m[key] = extras[key].strip() if isinstance(extras[key], str) else extras[key]
    return m


def _event(etype: str, start: int, end: int) -> dict:
    return {"type": etype, "trigger": {"start": start, "end": end}, "date": None, "agent": None,
            "institutions": [], "documents": [], "percents": [], "quantities": [], "object": None,
            "status": None, "canonical": None}


def _add_argument(ev: dict, role: str, index: int | None, span: dict | None, where: str,
                  problems: list[str]) -> None:
    """Set one argument of ``ev``; ``index`` is the mention's index, ``span`` the object span."""
    if role == "object":
        if ev["object"] is not None and ev["object"] != span:
            problems.append(f"{where}: two objects")
        ev["object"] = span
    elif index is None:
        problems.append(f"{where}: role {role!r} points at no mention")
    elif role == "date":
        if ev["date"] is not None and ev["date"] != index:
            problems.append(f"{where}: two dates")
        ev["date"] = index
    elif role == "agent":  # also an institution: added by _finish_event where no role says so
        ev["agent"] = index
    elif role in _LIST_ROLE:
        if index not in ev[_LIST_ROLE[role]]:
            ev[_LIST_ROLE[role]].append(index)
    else:
        problems.append(f"{where}: unknown role {role!r}")


def _finish_event(ev: dict) -> dict:
    if ev["agent"] is not None and ev["agent"] not in ev["institutions"]:
        ev["institutions"].append(ev["agent"])
    return ev


def _record(meta: dict, text: str, mentions: list[dict], events: list[dict]) -> dict:
    """A gold record; events in text order of their triggers (ties keep the tool's order)."""
    events = sorted(events, key=lambda ev: (ev["trigger"]["start"], ev["trigger"]["end"]))
    return {"id": meta["id"], "source": meta.get("source"), "published": meta.get("published"),
            "text": text, "mentions": mentions, "events": events}


def _sorted_mentions(items: list[tuple[Any, dict]]) -> tuple[list[dict], dict[Any, int]]:
    """Mentions sorted by (start, -end), and the index of each key."""
    items = sorted(items, key=lambda kv: (kv[1]["start"], -kv[1]["end"]))
    return [m for _, m in items], {key: i for i, (key, _) in enumerate(items)}


# ---------------------------------------------------------------- Label Studio


def _utf16_to_points(text: str, offset: int) -> int:
    """A UTF-16 code-unit offset (older Label Studio front ends) as a code-point offset."""
    units = 0
    for i, ch in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def _region_span(text: str, value: dict) -> tuple[int, int]:
    start, end = int(value["start"]), int(value["end"])
    surface = value.get("text")
    if isinstance(surface, str) and text[start:end] != surface:
        s2, e2 = _utf16_to_points(text, start), _utf16_to_points(text, end)
        if text[s2:e2] == surface:
            return s2, e2
    return start, end


def _choose_result(task: dict) -> list[dict] | None:
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if annotations:
        latest = max(enumerate(annotations),
                     key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""), ia[0]))[1]
        return latest.get("result") or []
    for pred in task.get("predictions") or []:
        if isinstance(pred, dict) and isinstance(pred.get("result"), list):
            return pred["result"]
    return None


def labelstudio_task_record(task: dict, where: str, problems: list[str]) -> dict | None:
    """The gold record of one Label Studio task (None when it has no annotation or prediction)."""
    data = task.get("data") or {}
    text = data.get("text")
    if not isinstance(text, str):
        problems.append(f"{where}: data has no text")
        return None
    rid = data.get("article_id") or data.get("id") or (str(task["id"]) if task.get("id") is not None else None)
    where = f"{where} (id {rid})"
    result = _choose_result(task)
    if result is None:
        problems.append(f"{where}: no annotation or prediction; skipped")
        return None
    regions: dict[str, dict] = {}
    order: list[str] = []
    relations = []
    for item in result:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "relation":
            relations.append(item)
            continue
        rid_ = item.get("id")
        value = item.get("value") or {}
        if rid_ is None or "start" not in value:
            continue
        reg = regions.setdefault(rid_, {})
        if rid_ not in order:
            order.append(rid_)
        labels = value.get("labels") or value.get("hypertextlabels")
        if labels:
            reg["start"], reg["end"] = _region_span(text, value)
            reg["text"] = value.get("text")
            reg["label"] = labels[0]
        elif "choices" in value and value["choices"]:
            reg[item.get("from_name")] = value["choices"][0]
        elif "text" in value and isinstance(value["text"], list):
            texts = [t for t in value["text"] if isinstance(t, str)]
            reg[item.get("from_name")] = texts[-1] if texts else None
    mention_items, triggers, objects = [], [], {}
    for rid_ in order:
        reg = regions[rid_]
        label = reg.get("label")
        if label is None:
            problems.append(f"{where}: region {rid_} has values but no label")
        elif label in MENTION_TYPES:
            surface = reg["text"] if isinstance(reg.get("text"), str) else None
            m = _mention(text, reg["start"], reg["end"], label, surface, reg.get("value"), reg)
            mention_items.append((rid_, m))
        elif label in EVENT_TYPES:
            triggers.append(rid_)
        elif label == OBJECT_LABEL:
            objects[rid_] = {"start": reg["start"], "end": reg["end"]}
        else:
            problems.append(f"{where}: region {rid_} has unknown label {label!r}")
    mentions, index = _sorted_mentions(mention_items)
    events: dict[str, dict] = {}
    for rid_ in triggers:
        reg = regions[rid_]
        ev = _event(reg["label"], reg["start"], reg["end"])
        ev["status"] = reg.get("status") or None
        canonical = reg.get("canonical")
        ev["canonical"] = canonical.strip() if isinstance(canonical, str) and canonical.strip() else None
        events[rid_] = ev
    for rel in relations:
        a, b = rel.get("from_id"), rel.get("to_id")
        if b in events and a not in events:
            a, b = b, a
        if a not in events:
            problems.append(f"{where}: relation {a} -> {b} does not start at an event trigger")
            continue
        if b in index:
            roles = rel.get("labels") or [ROLE_OF_TYPE[mentions[index[b]]["type"]]]
            span = {"start": mentions[index[b]]["start"], "end": mentions[index[b]]["end"]}
        elif b in objects:
            roles, span = rel.get("labels") or ["object"], objects[b]
        else:
            problems.append(f"{where}: relation {a} -> {b} points at no mention or object")
            continue
        for role in roles:
            _add_argument(events[a], role, index.get(b), span, f"{where}: relation {a} -> {b}", problems)
    meta = {"id": rid, "source": data.get("source"), "published": data.get("published")}
    return _record(meta, text, mentions, [_finish_event(events[r]) for r in triggers])


def labelstudio_records(path: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """The gold records of a Label Studio JSON export, and the problems met."""
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [], [f"cannot read {path}: {exc}"]
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and "data" in t for t in tasks):
        return [], [f"{path}: not a Label Studio JSON export (a list of tasks with 'data'; use Export → JSON)"]
    problems: list[str] = []
    records = []
    for n, task in enumerate(tasks, 1):
        rec = labelstudio_task_record(task, f"task {n}", problems)
        if rec is not None:
            records.append(rec)
    return records, problems


# ---------------------------------------------------------------- brat

_BRAT_ROLE = {"Date": "date", "Agent": "agent", "Institution": "institution", "Document": "document",
              "Percent": "percent", "Quantity": "quantity", "Object": "object"}


def _parse_ann(content: str, where: str, problems: list[str]) -> tuple[dict, list, dict, dict]:
    """(text-bound by id, events in order, attributes by target, notes by target) of an .ann file."""
    tbs: dict[str, dict] = {}
    events: list[tuple[str, str, str, list[tuple[str, str]]]] = []
    attrs: dict[str, dict[str, str]] = {}
    notes: dict[str, str] = {}
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        ann_id = fields[0]
        try:
            if ann_id.startswith("T"):
                kind, _, offsets = fields[1].partition(" ")
                frags = [tuple(map(int, f.split())) for f in offsets.split(";")]
                tbs[ann_id] = {"type": kind, "start": frags[0][0], "end": frags[-1][1]}
            elif ann_id.startswith("E"):
                head, *args = fields[1].split()
                etype, _, trig = head.partition(":")
                events.append((ann_id, etype, trig, [tuple(a.split(":", 1)) for a in args]))
            elif ann_id.startswith(("A", "M")):
                parts = fields[1].split()
                attrs.setdefault(parts[1], {})[parts[0]] = parts[2] if len(parts) > 2 else "true"
            elif ann_id.startswith("#"):
                kind, target = fields[1].split()[:2]
                if kind == "AnnotatorNotes":
                    notes[target] = fields[2] if len(fields) > 2 else ""
        except (IndexError, ValueError):
            problems.append(f"{where}: line {number}: cannot read {line!r}")
    return tbs, events, attrs, notes


def _note(raw: str | None) -> dict:
    if raw is None:
        return {}
    try:
        note = json.loads(raw)
        return note if isinstance(note, dict) else {"value": note}
    except ValueError:
        return {"value": raw}


def brat_records(folder: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """The gold records of a brat folder (``.txt`` + ``.ann`` pairs), and the problems met."""
    folder = Path(folder)
    problems: list[str] = []
    records = []
    for stem, meta in iter_brat_files(folder):
        where = f"{stem}.ann"
        try:
            with open(folder / f"{stem}.txt", encoding="utf-8", newline="") as fh:
                text = fh.read()
            content = (folder / f"{stem}.ann").read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"{where}: cannot read: {exc}")
            continue
        tbs, events_raw, attrs, notes = _parse_ann(content, where, problems)
        items = []
        for tid, tb in tbs.items():
            if tb["type"] in MENTION_TYPES:
                note = _note(notes.get(tid))
                extras = {**note, "mod": attrs.get(tid, {}).get("Mod")}
                items.append((tid, _mention(text, tb["start"], tb["end"], tb["type"], None, note.get("value"), extras)))
            elif tb["type"] not in EVENT_TYPES and tb["type"] != BRAT_OBJECT:
                problems.append(f"{where}: {tid} has unknown type {tb['type']!r}")
        mentions, index = _sorted_mentions(items)
        events = []
        for eid, etype, trig, args in events_raw:
            tb = tbs.get(trig)
            if tb is None or etype not in EVENT_TYPES:
                problems.append(f"{where}: {eid} has no trigger or an unknown type {etype!r}")
                continue
            ev = _event(etype, tb["start"], tb["end"])
            for role, target in args:
                name = _BRAT_ROLE.get(re.sub(r"\d+$", "", role))
                span = {"start": tbs[target]["start"], "end": tbs[target]["end"]} if target in tbs else None
                if name is None:
                    problems.append(f"{where}: {eid} has unknown role {role!r}")
                    continue
                _add_argument(ev, name, index.get(target), span, f"{where}: {eid} {role}", problems)
            ev["status"] = attrs.get(eid, {}).get("Status")
            ev["canonical"] = _note(notes.get(eid)).get("canonical")
            events.append(_finish_event(ev))
        records.append(_record({"id": meta.get("id", stem), "source": meta.get("source"),
                                "published": meta.get("published")}, text, mentions, events))
    return records, problems


# ---------------------------------------------------------------- writing gold


def read_source(kind: str, path: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """The records of another tool's file or folder (``kind`` one of SOURCES), and the problems met."""
    if kind == "labelstudio":
        return labelstudio_records(path)
    if kind == "brat":
        return brat_records(path)
    if kind == "spacy":
        try:
            return read_docbin(path), []
        except (OSError, ValueError) as exc:
            return [], [f"cannot read {path}: {exc}"]
    raise ValueError(f"unknown source kind {kind!r} (one of {', '.join(SOURCES)})")


def write_gold(records: list[dict], out: str | os.PathLike) -> Path:
    """Write records as gold JSONL (one article a line, UTF-8, keys in the gold format's order)."""
    out = Path(out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    return out


def import_file(kind: str, path: str | os.PathLike, out: str | os.PathLike) -> tuple[int, list[str]]:
    """Import ``path`` into the gold file ``out``: (records written, problems).

    The problems are those met while reading, then those of
    ``validate_file(out)`` (version 2, strict), each as a message.
    """
    records, problems = read_source(kind, path)
    write_gold(records, out)
    problems = list(problems) + [str(p) for p in validate_file(out)]
    return len(records), problems
