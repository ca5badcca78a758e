"""Writing a run's outputs: incremental, then finalised atomically.

All files of a run are first written inside ``OUT/.partial-<random>/``, batch
by batch (Parquet row groups, CSV and JSONL appends), so memory stays flat
whatever the number of articles. ``finalize()`` moves each finished file over
its old version with ``os.replace`` (atomic on one file system). A run killed
at any moment therefore leaves every previous output file complete and
readable; at worst an orphan ``.partial-*`` folder, removed by the next run.

Files: ``mentions.parquet``/``.csv``, ``events.parquet``/``.csv``,
``articles.csv``, ``predictions.jsonl`` (gold format, one article a line).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .records import (ARTICLE_COLUMNS, EVENT_COLUMNS, MENTION_COLUMNS, article_row, event_rows,
                      gold_view, mention_rows)

_STR, _INT, _FLOAT, _DATE = pa.string(), pa.int64(), pa.float64(), pa.timestamp("s")
MENTION_SCHEMA = pa.schema([
    ("article_id", _STR), ("mention", _INT), ("type", _STR), ("start", _INT), ("end", _INT),
    ("text", _STR), ("value", _STR), ("value_low", _FLOAT), ("value_high", _FLOAT),
    ("value_number", _FLOAT), ("unit", _STR), ("mod", _STR), ("doc_type", _STR), ("granularity", _STR), ("date_start", _DATE), ("date_end", _DATE),
    ("institution_id", _STR), ("institution_kind", _STR), ("issuer", _STR), ("doc_year", _INT),
    ("source", _STR),
])
EVENT_SCHEMA = pa.schema([
    ("article_id", _STR), ("event", _INT), ("type", _STR), ("trigger", _STR), ("trigger_start", _INT),
    ("trigger_end", _INT), ("date_text", _STR), ("date_value", _STR), ("date_mod", _STR),
    ("granularity", _STR), ("date_start", _DATE), ("date_end", _DATE), ("agent", _STR),
    ("institutions", _STR), ("documents", _STR), ("doc_types", _STR), ("percents", _STR),
    ("quantities", _STR), ("object", _STR), ("object_start", _INT), ("object_end", _INT), ("status", _STR),
    ("indicator", _STR), ("value_number", _FLOAT), ("value_unit", _STR), ("value_low", _FLOAT),
    ("value_high", _FLOAT), ("canonical", _STR), ("sentence", _STR),
    ("published", _DATE), ("source", _STR),
])
FINAL_FILES = ("mentions.parquet", "mentions.csv", "events.parquet", "events.csv", "articles.csv",
               "predictions.jsonl")


def _frame(rows: list[dict], columns: list[str], schema: pa.Schema) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for field in schema:
        col = field.name
        if field.type == _DATE:
            df[col] = pd.to_datetime(df[col], errors="coerce", format="%Y-%m-%d").astype("datetime64[s]")
        elif field.type == _INT:
            df[col] = pd.array(df[col], dtype="Int64")
        elif field.type == _FLOAT:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        else:
            df[col] = df[col].astype("string")
    return df


@dataclass
class Prepared:
    """A batch's output pieces, ready to append (made where the batch was processed)."""

    mentions: pa.Table
    events: pa.Table
    mentions_csv: str
    events_csv: str
    jsonl: str


def prepare(records: list[dict]) -> Prepared:
    """The table rows, CSV text (no header) and predictions lines of a batch of records.

    Pure and picklable, so workers can do it and the writing process only appends.
    """
    pieces = {}
    for stem, rows, columns, schema in (
        ("mentions", [r for rec in records for r in mention_rows(rec)], MENTION_COLUMNS, MENTION_SCHEMA),
        ("events", [r for rec in records for r in event_rows(rec)], EVENT_COLUMNS, EVENT_SCHEMA),
    ):
        df = _frame(rows, columns, schema)
        pieces[stem] = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
        pieces[f"{stem}_csv"] = df.to_csv(header=False, index=False) if len(df) else ""
    lines = "".join(json.dumps(gold_view(rec), ensure_ascii=False) + "\n"
                    for rec in records if rec.get("status") != "error")
    return Prepared(jsonl=lines, **pieces)


def _header(columns: list[str]) -> str:
    return pd.DataFrame(columns=columns).to_csv(index=False)


class OutputWriter:
    """Append records batch by batch; ``finalize()`` publishes the files atomically."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in self.out.glob(".partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.out))
        self._pq = {stem: pq.ParquetWriter(self.tmp / f"{stem}.parquet", schema)
                    for stem, schema in (("mentions", MENTION_SCHEMA), ("events", EVENT_SCHEMA))}
        self._csv = {name: open(self.tmp / f"{name}.csv", "w", encoding="utf-8", newline="")
                     for name in ("mentions", "events", "articles")}
        for name, columns in (("mentions", MENTION_COLUMNS), ("events", EVENT_COLUMNS), ("articles", ARTICLE_COLUMNS)):
            self._csv[name].write(_header(columns))
        self._jsonl = open(self.tmp / "predictions.jsonl", "w", encoding="utf-8")
        self.records = 0

    def add(self, records: list[dict], prepared: Prepared | None = None) -> None:
        """Append a batch of records (any status); ``prepared`` is ``prepare(records)`` if already made."""
        prepared = prepared or prepare(records)
        for stem in ("mentions", "events"):
            table = getattr(prepared, stem)
            if table.num_rows:
                self._pq[stem].write_table(table)
            self._csv[stem].write(getattr(prepared, f"{stem}_csv"))
        pd.DataFrame([article_row(r) for r in records], columns=ARTICLE_COLUMNS).to_csv(
            self._csv["articles"], header=False, index=False)
        self._jsonl.write(prepared.jsonl)
        self.records += len(records)

    def _close(self) -> None:
        for w in self._pq.values():
            w.close()
        for fh in [*self._csv.values(), self._jsonl]:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()

    def finalize(self) -> list[Path]:
        """Close the files and move each over its previous version atomically."""
        self._close()
        done = []
        for name in FINAL_FILES:
            os.replace(self.tmp / name, self.out / name)
            done.append(self.out / name)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return done

    def abort(self) -> None:
        """Drop the partial files; previous outputs stay as they were."""
        try:
            self._close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
