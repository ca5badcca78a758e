"""From a processed Doc to plain records and table rows.

A *record* is one article's result in the gold format of docs/ANNOTATION.md
(``id``, ``source``, ``published``, ``text``, ``mentions``, ``events``) plus
``status`` and ``message``; mentions carry an extra ``info`` dict and events
their ``sentence`` offsets. Records are what workers return, what the cache
stores and what ``predictions.jsonl`` holds; the CSV/Parquet rows are derived
from them here, in one place.
"""
from __future__ import annotations

import json
from typing import Any

from spacy.tokens import Doc

from .mentions import MENTIONS


def doc_to_record(doc: Doc, *, id: str, source: str, published: str | None) -> dict:
    """The record of a processed Doc (status "warning" when a rule failed on it).

    Offsets are on the stored text: where the rules read a view of it
    (``textview``), they are mapped back, and ``text`` is the stored text.
    """
    from .textview import to_stored

    warnings = doc.user_data.get(("vnevents", "warnings"), [])
    stored, offsets = doc.user_data.get(("vnevents", "stored")) or (doc.text, None)
    mentions = []
    for span in doc.spans[MENTIONS] if MENTIONS in doc.spans else []:
        s, e = to_stored(offsets, span.start_char, span.end_char)
        m: dict[str, Any] = {"start": s, "end": e, "type": span.label_,
                             "text": stored[s:e], "value": span._.value}
        if span._.mod:
            m["mod"] = span._.mod
        if span.label_ == "DOCREF":
            m["doc_type"] = span._.doc_type
        info = {k: v for k, v in (span._.info or {}).items() if v not in (None, "", [])}
        if info:
            m["info"] = info
        mentions.append(m)
    events = list(doc._.events or [])
    if offsets is not None:
        events = [_map_event(ev, offsets, stored) for ev in events]
    return {
        "id": id, "source": source, "published": published or doc._.published,
        "text": stored, "mentions": mentions, "events": events,
        "status": "warning" if warnings else "ok", "message": "; ".join(warnings),
    }


def _map_event(ev: dict, offsets: list[int], stored: str) -> dict:
    """An event with its trigger, sentence and object offsets on the stored text."""
    from .textview import to_stored

    out = dict(ev)
    for key in ("trigger", "sentence", "object"):
        span = ev.get(key)
        if span:
            s, e = to_stored(offsets, span["start"], span["end"])
            out[key] = {**span, "start": s, "end": e, **({"text": stored[s:e]} if "text" in span else {})}
    return out


def _fmt_value(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


MENTION_COLUMNS = [
    "article_id", "mention", "type", "start", "end", "text", "value", "value_low", "value_high",
    "value_number", "unit",
    "mod", "doc_type", "granularity", "date_start", "date_end", "institution_id", "institution_kind", "institution_country",
    "doc_number", "doc_year", "doc_issuer", "doc_issued", "source",
]
EVENT_COLUMNS = [
    "article_id", "event", "type", "trigger", "trigger_start", "trigger_end",
    "date_text", "date_value", "date_mod", "granularity", "date_start", "date_end",
    "agent", "institutions", "territory", "documents", "doc_types", "percents", "quantities",
    "object", "object_start", "object_end", "status", "indicator", "value_number", "value_unit",
    "value_low", "value_high", "canonical", "rule", "confidence", "sentence", "published", "source",
]
ARTICLE_COLUMNS = ["id", "source", "published", "status", "error", "chars", "mentions", "events",
                   "DATE", "PERCENT", "DOCREF", "INSTITUTION", "QUANTITY"]


def _float(x: Any) -> float | None:
    """A number as float (the numeric columns keep one dtype whatever the data)."""
    return None if x is None else float(x)


def _figure(ms: list[dict], ev: dict) -> tuple[float | None, str | None, float | None, float | None]:
    """(number, unit, low, high) of an event's first value: a percent or a quantity, else its rank."""
    for key in ("percents", "quantities"):
        for k in ev.get(key, []):
            v = ms[k]["value"]
            unit = "%"
            if isinstance(v, dict):
                v, unit = v.get("number"), v.get("unit")
            low, high = (v if isinstance(v, list) else [v, v])
            return (_float(low) if low == high else None), unit, _float(low), _float(high)
    rank = ev.get("rank")
    if rank:  # a move of rank ("từ thứ 57 lên thứ 49") keeps where it started as low, where it ended as high
        number = _float(rank["number"])
        if rank.get("from") is not None:
            return None, rank["unit"], _float(rank["from"]), number
        return number, rank["unit"], number, number
    return None, None, None, None


def mention_rows(rec: dict) -> list[dict]:
    """One row per mention (columns: MENTION_COLUMNS)."""
    rows = []
    for i, m in enumerate(rec.get("mentions", [])):
        info = m.get("info", {})
        value = m.get("value")
        low = high = number = unit = None
        if m["type"] == "PERCENT":
            low, high = (value if isinstance(value, list) else [value, value])
            number, unit = (low if low == high else None), "%"
        elif m["type"] == "QUANTITY" and isinstance(value, dict):
            n = value.get("number")
            low, high = (n if isinstance(n, list) else [n, n])
            number, unit = (low if low == high else None), value.get("unit")
        rows.append({
            "article_id": rec["id"], "mention": i, "type": m["type"], "start": m["start"], "end": m["end"],
            "text": m["text"], "value": _fmt_value(value), "value_low": _float(low), "value_high": _float(high),
            "value_number": _float(number), "unit": unit,
            "mod": m.get("mod"), "doc_type": m.get("doc_type"), "granularity": info.get("granularity"),
            "date_start": info.get("start"), "date_end": info.get("end"),
            "institution_id": info.get("id"), "institution_kind": info.get("kind"),
            "institution_country": info.get("country") if m["type"] == "INSTITUTION" else None,
            "doc_number": info.get("number"), "doc_year": info.get("year"), "doc_issuer": info.get("issuer"),
            "doc_issued": info.get("issued"), "source": rec["source"],
        })
    return rows


def _fmt_quantity(value: Any) -> str:
    if isinstance(value, dict):
        return f"{_fmt_value(value.get('number'))} {value.get('unit')}"
    return _fmt_value(value)


def event_rows(rec: dict) -> list[dict]:
    """One row per event, arguments resolved to their values (columns: EVENT_COLUMNS)."""
    from .territory import event_territories

    ms = rec.get("mentions", [])
    text = rec.get("text", "")
    rows = []
    territories = event_territories(rec)
    for i, ev in enumerate(rec.get("events", [])):
        date = ms[ev["date"]] if ev.get("date") is not None else None
        dinfo = (date or {}).get("info", {})
        sent = ev.get("sentence") or {"start": ev["trigger"]["start"], "end": ev["trigger"]["end"]}
        obj = ev.get("object")
        number, unit, low, high = _figure(ms, ev)
        figure = ev["type"] in ("RESULT", "TARGET")
        rows.append({
            "article_id": rec["id"], "event": i, "type": ev["type"],
            "trigger": text[ev["trigger"]["start"]:ev["trigger"]["end"]],
            "trigger_start": ev["trigger"]["start"], "trigger_end": ev["trigger"]["end"],
            "date_text": date["text"] if date else None, "date_value": date["value"] if date else None,
            "date_mod": date.get("mod") if date else None, "granularity": dinfo.get("granularity"),
            "date_start": dinfo.get("start"), "date_end": dinfo.get("end"),
            "agent": ms[ev["agent"]]["value"] if ev.get("agent") is not None else None,
            "institutions": " | ".join(dict.fromkeys(ms[k]["value"] for k in ev.get("institutions", []))),
            "territory": territories[i] or None,
            "documents": " | ".join(ms[k]["value"] for k in ev.get("documents", [])),
            "doc_types": " | ".join(ms[k].get("doc_type") or "" for k in ev.get("documents", [])),
            "percents": " | ".join(_fmt_value(ms[k]["value"]) for k in ev.get("percents", [])),
            "quantities": " | ".join(_fmt_quantity(ms[k]["value"]) for k in ev.get("quantities", [])),
            "object": text[obj["start"]:obj["end"]] if obj else None,
            "object_start": obj["start"] if obj else None, "object_end": obj["end"] if obj else None,
            "status": ev.get("status"),
            "indicator": text[obj["start"]:obj["end"]] if obj and figure else None,
            "value_number": number, "value_unit": unit, "value_low": low, "value_high": high,
            "canonical": ev.get("canonical"), "rule": ev.get("rule"), "confidence": ev.get("confidence"),
            "sentence": text[sent["start"]:sent["end"]].strip(),
            "published": rec.get("published"), "source": rec["source"],
        })
    return rows


def article_row(rec: dict) -> dict:
    """The articles.csv row of a record (columns: ARTICLE_COLUMNS)."""
    counts = {t: 0 for t in ("DATE", "PERCENT", "DOCREF", "INSTITUTION", "QUANTITY")}
    for m in rec.get("mentions", []):
        counts[m["type"]] += 1
    return {"id": rec["id"], "source": rec["source"], "published": rec.get("published"),
            "status": rec.get("status", "ok"), "error": rec.get("message", ""),
            "chars": len(rec.get("text", "")), "mentions": len(rec.get("mentions", [])),
            "events": len(rec.get("events", [])), **counts}


def gold_view(rec: dict) -> dict:
    """The record in the plain gold format (no info, no status, no sentence)."""
    mentions = []
    for m in rec.get("mentions", []):
        g = {k: m[k] for k in ("start", "end", "type", "text", "value") if k in m}
        for k in ("mod", "doc_type"):
            if m.get(k):
                g[k] = m[k]
        mentions.append(g)
    events = [{"type": e["type"], "trigger": {"start": e["trigger"]["start"], "end": e["trigger"]["end"]},
               "date": e.get("date"), "agent": e.get("agent"), "institutions": e.get("institutions", []),
               "documents": e.get("documents", []), "percents": e.get("percents", []),
               "quantities": e.get("quantities", []), "object": e.get("object"), "status": e.get("status"),
               "canonical": e.get("canonical")}
              for e in rec.get("events", [])]
    return {"id": rec["id"], "source": rec["source"], "published": rec.get("published"),
            "text": rec.get("text", ""), "mentions": mentions, "events": events}
