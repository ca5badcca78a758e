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
    """The record of a processed Doc."""
    mentions = []
    for span in doc.spans[MENTIONS] if MENTIONS in doc.spans else []:
        m: dict[str, Any] = {"start": span.start_char, "end": span.end_char, "type": span.label_,
                             "text": span.text, "value": span._.value}
        if span._.mod:
            m["mod"] = span._.mod
        if span.label_ == "DOCREF":
            m["doc_type"] = span._.doc_type
        info = {k: v for k, v in (span._.info or {}).items() if v not in (None, "", [])}
        if info:
            m["info"] = info
        mentions.append(m)
    return {
        "id": id, "source": source, "published": published or doc._.published,
        "text": doc.text, "mentions": mentions, "events": list(doc._.events or []),
        "status": "ok", "message": "",
    }


def _fmt_value(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


MENTION_COLUMNS = [
    "article_id", "mention", "type", "start", "end", "text", "value", "value_low", "value_high",
    "mod", "doc_type", "granularity", "date_start", "date_end", "institution_id", "institution_kind",
    "issuer", "doc_year", "source",
]
EVENT_COLUMNS = [
    "article_id", "event", "type", "trigger", "trigger_start", "trigger_end",
    "date_text", "date_value", "date_mod", "granularity", "date_start", "date_end",
    "institutions", "documents", "doc_types", "percents", "sentence", "published", "source",
]
ARTICLE_COLUMNS = ["id", "source", "published", "status", "error", "chars", "mentions", "events",
                   "DATE", "PERCENT", "DOCREF", "INSTITUTION"]


def mention_rows(rec: dict) -> list[dict]:
    """One row per mention (columns: MENTION_COLUMNS)."""
    rows = []
    for i, m in enumerate(rec.get("mentions", [])):
        info = m.get("info", {})
        value = m.get("value")
        low = high = None
        if m["type"] == "PERCENT":
            low, high = (value if isinstance(value, list) else [value, value])
        rows.append({
            "article_id": rec["id"], "mention": i, "type": m["type"], "start": m["start"], "end": m["end"],
            "text": m["text"], "value": _fmt_value(value), "value_low": low, "value_high": high,
            "mod": m.get("mod"), "doc_type": m.get("doc_type"), "granularity": info.get("granularity"),
            "date_start": info.get("start"), "date_end": info.get("end"),
            "institution_id": info.get("id"), "institution_kind": info.get("kind"),
            "issuer": info.get("issuer"), "doc_year": info.get("year"), "source": rec["source"],
        })
    return rows


def event_rows(rec: dict) -> list[dict]:
    """One row per event, arguments resolved to their values (columns: EVENT_COLUMNS)."""
    ms = rec.get("mentions", [])
    text = rec.get("text", "")
    rows = []
    for i, ev in enumerate(rec.get("events", [])):
        date = ms[ev["date"]] if ev.get("date") is not None else None
        dinfo = (date or {}).get("info", {})
        sent = ev.get("sentence") or {"start": ev["trigger"]["start"], "end": ev["trigger"]["end"]}
        rows.append({
            "article_id": rec["id"], "event": i, "type": ev["type"],
            "trigger": text[ev["trigger"]["start"]:ev["trigger"]["end"]],
            "trigger_start": ev["trigger"]["start"], "trigger_end": ev["trigger"]["end"],
            "date_text": date["text"] if date else None, "date_value": date["value"] if date else None,
            "date_mod": date.get("mod") if date else None, "granularity": dinfo.get("granularity"),
            "date_start": dinfo.get("start"), "date_end": dinfo.get("end"),
            "institutions": " | ".join(dict.fromkeys(ms[k]["value"] for k in ev.get("institutions", []))),
            "documents": " | ".join(ms[k]["value"] for k in ev.get("documents", [])),
            "doc_types": " | ".join(ms[k].get("doc_type") or "" for k in ev.get("documents", [])),
            "percents": " | ".join(_fmt_value(ms[k]["value"]) for k in ev.get("percents", [])),
            "sentence": text[sent["start"]:sent["end"]].strip(),
            "published": rec.get("published"), "source": rec["source"],
        })
    return rows


def article_row(rec: dict) -> dict:
    """The articles.csv row of a record (columns: ARTICLE_COLUMNS)."""
    counts = {t: 0 for t in ("DATE", "PERCENT", "DOCREF", "INSTITUTION")}
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
               "date": e.get("date"), "institutions": e.get("institutions", []),
               "documents": e.get("documents", []), "percents": e.get("percents", [])}
              for e in rec.get("events", [])]
    return {"id": rec["id"], "source": rec["source"], "published": rec.get("published"),
            "text": rec.get("text", ""), "mentions": mentions, "events": events}
