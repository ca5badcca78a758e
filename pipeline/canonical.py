"""The canonical-events table of a run: a post-pass over the event statements, never over article text.

Contract: ``write_canonical(folder)`` reads ``events.parquet`` (one row per
event statement) of a finished but unpublished run, resolves the statements
into canonical events (``pipeline.resolve``), and writes

* ``events.parquet`` / ``events.csv`` again with ``canonical`` set to each
  statement's ``event_id`` (the column keeps its name: it is the gold format's
  ``canonical`` key);
* ``canonical_events.parquet`` / ``.csv``: one row per real-world event with
  ``event_id``, ``type``, ``object``, ``agent``, ``date`` (the most reported
  value) with ``date_earliest`` / ``date_latest`` when statements disagree,
  ``documents``, ``institutions``, ``value_number``, ``value_unit``, ``status``,
  ``n_statements``, ``n_articles``, ``n_sources``, ``first_published``,
  ``last_published`` and ``article_ids``;
* ``predictions.jsonl`` with each event's ``canonical`` = its ``event_id``.

Ids are derived from content (``resolve``), so a re-run over more articles
keeps the ids of events the new articles do not change; the whole resolution
is recomputed each run, which costs little next to extraction.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .resolve import Statement, resolve

CANONICAL_COLUMNS = [
    "event_id", "type", "object", "agent", "date", "date_earliest", "date_latest", "documents", "institutions",
    "value_number", "value_unit", "status", "n_statements", "n_articles", "n_sources", "first_published",
    "last_published", "article_ids",
]
_STR, _INT, _FLOAT, _DATE = pa.string(), pa.int64(), pa.float64(), pa.timestamp("s")
CANONICAL_SCHEMA = pa.schema([
    ("event_id", _STR), ("type", _STR), ("object", _STR), ("agent", _STR), ("date", _STR), ("date_earliest", _STR),
    ("date_latest", _STR), ("documents", _STR), ("institutions", _STR), ("value_number", _FLOAT),
    ("value_unit", _STR), ("status", _STR), ("n_statements", _INT), ("n_articles", _INT), ("n_sources", _INT),
    ("first_published", _DATE), ("last_published", _DATE), ("article_ids", _STR),
])


def _s(v) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) or v is pd.NaT else str(v)


def _statement(row) -> Statement:
    docs = [d for d in _s(row.documents).split(" | ") if d]
    types = _s(row.doc_types).split(" | ")
    pairs = list(zip(types + [""] * len(docs), docs))[:len(docs)]
    obj = _s(row.object)
    own = [p for p in pairs if p[1] and p[1] in obj]
    if row.type == "ISSUANCE" and pairs:
        pairs = own or pairs[:1]
    low, high, number = row.value_low, row.value_high, row.value_number
    values: tuple = ()
    if _s(number):
        values = ((float(number),),)
    elif _s(low) and _s(high):
        values = ((float(low), float(high)),)
    return Statement(type=row.type, documents=tuple(pairs), date=_s(row.date_value) or None, values=values,
                     unit=_s(row.value_unit) or None, object=obj or _s(row.trigger),
                     article=_s(row.article_id), position=int(row.trigger_start))


def _mode(values) -> str:
    vals = [v for v in values if _s(v)]
    return Counter(vals).most_common(1)[0][0] if vals else ""


def _union(values) -> str:
    out: dict[str, None] = {}
    for v in values:
        for part in _s(v).split(" | "):
            if part:
                out[part] = None
    return " | ".join(out)


def canonical_table(statements: pd.DataFrame) -> pd.DataFrame:
    """One row per canonical event from a statements frame that has ``canonical`` = event id."""
    rows = []
    for eid, g in statements.groupby("canonical", sort=True):
        dates = sorted({_s(d) for d in g["date_value"] if _s(d)})
        published = pd.to_datetime(g["published"], errors="coerce").dropna()
        values = [v for v in g["value_number"] if _s(v)]
        rows.append({
            "event_id": eid, "type": _mode(g["type"]), "object": _mode(g["object"]), "agent": _mode(g["agent"]),
            "date": _mode(g["date_value"]), "date_earliest": dates[0] if len(dates) > 1 else "",
            "date_latest": dates[-1] if len(dates) > 1 else "", "documents": _union(g["documents"]),
            "institutions": _union(g["institutions"]),
            "value_number": float(Counter(values).most_common(1)[0][0]) if values else None,
            "value_unit": _mode(g["value_unit"]), "status": _mode(g["status"]), "n_statements": len(g),
            "n_articles": g["article_id"].nunique(), "n_sources": g["source"].nunique(),
            "first_published": published.min() if len(published) else pd.NaT,
            "last_published": published.max() if len(published) else pd.NaT,
            "article_ids": " | ".join(dict.fromkeys(_s(a) for a in g["article_id"])),
        })
    df = pd.DataFrame(rows, columns=CANONICAL_COLUMNS)
    for field in CANONICAL_SCHEMA:
        col = field.name
        if field.type == _DATE:
            df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[s]")
        elif field.type == _INT:
            df[col] = pd.array(df[col], dtype="Int64")
        elif field.type == _FLOAT:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        else:
            df[col] = df[col].astype("string").fillna("").replace("", pd.NA)
    return df


def _reviewed(ids: list[str], st: pd.DataFrame, review_db: Path | None) -> list[str]:
    """The ids after the reviewers' merges and splits (``vnevents review``'s canonical view), if any."""
    if review_db is None or not review_db.exists() or not len(st):
        return ids
    from .review.db import ReviewDB

    try:
        resolver = ReviewDB(review_db).canonical_resolver()
    except Exception:  # an unreadable log must not lose the run; the ids stay as resolved
        return ids
    if not resolver.merges and not resolver.splits:
        return ids
    keys = [f"{t}:{s}:{e}" for t, s, e in zip(st["type"], st["trigger_start"], st["trigger_end"])]
    return [resolver(str(a), k, i) or i for a, k, i in zip(st["article_id"], keys, ids)]


def write_canonical(folder: str | os.PathLike, review_db: str | os.PathLike | None = None) -> None:
    """Resolve the run's statements in ``folder`` and write the canonical outputs (see the module doc).

    ``review_db``: the output folder's ``review.sqlite``; the reviewers' merges
    and splits of canonical events are applied on top of the resolution.
    """
    from .outputs import EVENT_SCHEMA, _safe_frame

    folder = Path(folder)
    table = pq.read_table(folder / "events.parquet", schema=EVENT_SCHEMA)
    st = table.to_pandas()
    for field in EVENT_SCHEMA:  # keep the writer's dtypes (nullable integers stay integers in the CSV)
        if pa.types.is_integer(field.type):
            st[field.name] = pd.array(st[field.name], dtype="Int64")
        elif pa.types.is_string(field.type):
            st[field.name] = st[field.name].astype("string")
    ids = resolve([_statement(r) for r in st.itertuples(index=False)]) if len(st) else []
    ids = _reviewed(ids, st, Path(review_db) if review_db else None)
    st["canonical"] = pd.array(ids, dtype="string") if len(st) else st["canonical"]
    pq.write_table(pa.Table.from_pandas(st, schema=EVENT_SCHEMA, preserve_index=False), folder / "events.parquet")
    _safe_frame(st).to_csv(folder / "events.csv", index=False)
    canon = canonical_table(st)
    pq.write_table(pa.Table.from_pandas(canon, schema=CANONICAL_SCHEMA, preserve_index=False),
                   folder / "canonical_events.parquet")
    _safe_frame(canon).to_csv(folder / "canonical_events.csv", index=False)
    by_event = {(a, int(e)): i for a, e, i in zip(st["article_id"], st["event"], st["canonical"])}
    src, tmp = folder / "predictions.jsonl", folder / "predictions.jsonl.tmp"
    with open(src, encoding="utf-8") as fin, open(tmp, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            rec = json.loads(line)
            for k, ev in enumerate(rec.get("events", [])):
                ev["canonical"] = by_event.get((rec["id"], k), ev.get("canonical"))
            fout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, src)
