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
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .resolve import cell_text, statement_of_row

CANONICAL_COLUMNS = [
    "event_id", "type", "object", "agent", "territory", "date", "date_earliest", "date_latest", "documents",
    "institutions",
    "value_number", "value_unit", "status", "n_statements", "n_articles", "n_sources", "first_published",
    "last_published", "article_ids",
]
_STR, _INT, _FLOAT, _DATE = pa.string(), pa.int64(), pa.float64(), pa.timestamp("s")
CANONICAL_SCHEMA = pa.schema([
    ("event_id", _STR), ("type", _STR), ("object", _STR), ("agent", _STR), ("territory", _STR), ("date", _STR),
    ("date_earliest", _STR),
    ("date_latest", _STR), ("documents", _STR), ("institutions", _STR), ("value_number", _FLOAT),
    ("value_unit", _STR), ("status", _STR), ("n_statements", _INT), ("n_articles", _INT), ("n_sources", _INT),
    ("first_published", _DATE), ("last_published", _DATE), ("article_ids", _STR),
])


def _union(values) -> str:
    out: dict[str, None] = {}
    for v in values:
        for part in cell_text(v).split(" | "):
            if part:
                out[part] = None
    return " | ".join(out)


_STATEMENT_COLUMNS = ["article_id", "event", "type", "trigger", "trigger_start", "trigger_end", "date_value",
                      "documents", "doc_types", "object", "value_number", "value_low", "value_high", "value_unit",
                      "agent", "sentence"]
_AGG_COLUMNS = ["eid", "article_id", "type", "object", "agent", "territory", "date_value", "documents", "institutions",
                "value_number", "value_unit", "status", "source", "published"]  # eid first, then events columns
BATCH = 4_096  # rows per batch read, rewritten and aggregated: the pass holds a few batches at most


def _batches(path: Path, columns: list[str] | None = None):
    # pre_buffer (pyarrow's default) holds buffers for every row group of the file while it is read:
    # about 0.6 MB a row group, so memory grew with the number of statements
    for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=BATCH, columns=columns):
        yield batch


def _typed(df: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    for field in schema:  # the writer's dtypes (nullable integers stay integers in the CSV)
        if field.name not in df:
            continue
        if pa.types.is_integer(field.type):
            df[field.name] = pd.array(df[field.name], dtype="Int64")
        elif pa.types.is_string(field.type):
            df[field.name] = df[field.name].astype("string")
    return df


def write_canonical(folder: str | os.PathLike, review_db: str | os.PathLike | None = None) -> None:
    """Resolve the run's statements in ``folder`` and write the canonical outputs (see the module doc).

    Streams: statements are read in batches, resolved through an on-disk store
    (``resolve.resolve_iter``), written back batch by batch, and aggregated in
    SQLite, so memory does not grow with the number of articles. ``review_db``:
    the output folder's ``review.sqlite``; the reviewers' merges and splits of
    canonical events are applied on top of the resolution.
    """
    import sqlite3
    import tempfile

    from .outputs import EVENT_SCHEMA, _safe_frame
    from .resolve import SQLITE_BOUNDED, resolve_iter

    folder = Path(folder)
    events = folder / "events.parquet"
    statements = (statement_of_row(r) for b in _batches(events, _STATEMENT_COLUMNS) for r in b.to_pylist())
    ids = resolve_iter(statements, workdir=folder)
    resolver = _resolver(Path(review_db) if review_db else None)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        db = sqlite3.connect(os.path.join(tmp, "canonical.sqlite"))
        db.executescript(f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; {SQLITE_BOUNDED}"
                         f"CREATE TABLE agg (n INTEGER PRIMARY KEY, {', '.join(c + ' TEXT' for c in _AGG_COLUMNS)});"
                         "CREATE TABLE ev (article_id TEXT, event INTEGER, eid TEXT);")
        new_events = folder / "events.parquet.new"
        writer = pq.ParquetWriter(new_events, EVENT_SCHEMA)
        with open(folder / "events.csv", "w", encoding="utf-8", newline="") as csv_out:
            csv_out.write(pd.DataFrame(columns=[f.name for f in EVENT_SCHEMA]).to_csv(index=False))
            for batch in _batches(events):
                st = _typed(batch.to_pandas(), EVENT_SCHEMA)
                eids = [next(ids) for _ in range(len(st))]
                if resolver is not None:
                    keys = (f"{t}:{a}:{b}" for t, a, b in zip(st["type"], st["trigger_start"], st["trigger_end"]))
                    eids = [resolver(str(art), k, e) or e for art, k, e in zip(st["article_id"], keys, eids)]
                st["canonical"] = pd.array(eids, dtype="string")
                writer.write_table(pa.Table.from_pandas(st, schema=EVENT_SCHEMA, preserve_index=False))
                _safe_frame(st).to_csv(csv_out, header=False, index=False)
                db.executemany(f"INSERT INTO agg ({', '.join(_AGG_COLUMNS)}) VALUES ({', '.join('?' * len(_AGG_COLUMNS))})",
                               _agg_rows(batch, eids))
                db.executemany("INSERT INTO ev VALUES (?,?,?)", zip(st["article_id"].astype(str),
                                                                     st["event"].astype(int), eids))
        writer.close()
        os.replace(new_events, events)
        db.execute("CREATE INDEX agg_eid ON agg (eid)")
        db.execute("CREATE INDEX ev_article ON ev (article_id)")
        _write_canonical_table(db, folder)
        _rewrite_predictions(db, folder)
        db.close()


def _agg_rows(batch: pa.RecordBatch, eids: list[str]):
    """The aggregation rows of a batch of statements (``_AGG_COLUMNS``, text, "" for missing)."""
    cols = batch.select(_AGG_COLUMNS[1:]).to_pydict()

    def text(v) -> str:
        if v is None or v != v:  # None or NaN
            return ""
        return v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v)

    for eid, *row in zip(eids, *(cols[c] for c in _AGG_COLUMNS[1:])):
        yield [eid or "", *(text(v) for v in row)]


def _resolver(review_db: Path | None):
    """The reviewers' canonical merges and splits, or None."""
    if review_db is None or not review_db.exists():
        return None
    from .review.db import ReviewDB

    try:
        resolver = ReviewDB(review_db).canonical_resolver()
    except Exception:  # an unreadable log must not lose the run; the ids stay as resolved
        return None
    return resolver if (resolver.merges or resolver.splits) else None


def _mode_sql(column: str) -> str:
    return (f"(SELECT {column} FROM agg a2 WHERE a2.eid = a.eid AND {column} != '' GROUP BY {column} "
            f"ORDER BY count(*) DESC, {column} LIMIT 1)")


def _write_canonical_table(db, folder: Path) -> None:
    from .outputs import _safe_frame

    query = f"""SELECT a.eid, MIN(a.type), {_mode_sql('object')}, {_mode_sql('agent')}, {_mode_sql('territory')},
                {_mode_sql('date_value')},
                CASE WHEN count(DISTINCT NULLIF(a.date_value, '')) > 1 THEN MIN(NULLIF(a.date_value, '')) END,
                CASE WHEN count(DISTINCT NULLIF(a.date_value, '')) > 1 THEN MAX(NULLIF(a.date_value, '')) END,
                group_concat(NULLIF(a.documents, ''), char(31)), group_concat(NULLIF(a.institutions, ''), char(31)),
                {_mode_sql('value_number')}, {_mode_sql('value_unit')}, {_mode_sql('status')},
                count(*), count(DISTINCT a.article_id), count(DISTINCT a.source),
                MIN(NULLIF(NULLIF(a.published, 'NaT'), '')), MAX(NULLIF(NULLIF(a.published, 'NaT'), '')),
                group_concat(a.article_id, char(31))
                FROM agg a GROUP BY a.eid ORDER BY a.eid"""
    writer = pq.ParquetWriter(folder / "canonical_events.parquet", CANONICAL_SCHEMA)
    with open(folder / "canonical_events.csv", "w", encoding="utf-8", newline="") as csv_out:
        csv_out.write(pd.DataFrame(columns=CANONICAL_COLUMNS).to_csv(index=False))
        cur = db.execute(query)
        while True:
            rows = cur.fetchmany(BATCH)
            if not rows:
                break
            df = pd.DataFrame(rows, columns=CANONICAL_COLUMNS)
            for col in ("documents", "institutions", "article_ids"):
                df[col] = [_union(v.split("\x1f")) if isinstance(v, str) else "" for v in df[col]]
            df = _canonical_types(df)
            writer.write_table(pa.Table.from_pandas(df, schema=CANONICAL_SCHEMA, preserve_index=False))
            _safe_frame(df).to_csv(csv_out, header=False, index=False)
    writer.close()


def _canonical_types(df: pd.DataFrame) -> pd.DataFrame:
    for field in CANONICAL_SCHEMA:
        col = field.name
        if field.type == _DATE:
            df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[s]")
        elif field.type == _INT:
            df[col] = pd.array(pd.to_numeric(df[col], errors="coerce"), dtype="Int64")
        elif field.type == _FLOAT:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        else:
            df[col] = df[col].astype("string").replace("", pd.NA)
    return df


def _rewrite_predictions(db, folder: Path) -> None:
    src, tmp = folder / "predictions.jsonl", folder / "predictions.jsonl.tmp"
    with open(src, encoding="utf-8") as fin, open(tmp, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("events"):
                found = dict(db.execute("SELECT event, eid FROM ev WHERE article_id = ?", (str(rec["id"]),)))
                for k, ev in enumerate(rec["events"]):
                    ev["canonical"] = found.get(k, ev.get("canonical"))
            fout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, src)
