"""Writing a run's outputs: incremental, then published as one set in one step.

The output folder (``lock_output_folder``): created if its parent exists,
marked with a ``.vnevents`` file (so no run ever reads it as input) and locked
for the run (``flock`` on that file), so a second run into the same folder is
refused (``OutputLocked``) instead of mixing its files with the first's. Any
folder problem is an ``OutputError`` with a one-line message.

All files of a run are first written inside ``OUT/.partial-<random>/``, batch
by batch (CSV and JSONL appends; Parquet row groups of about
``ROW_GROUP_BYTES``, not one per batch, since the Parquet writer holds every
row group's metadata until it closes), so memory stays flat whatever the
number of articles. ``finalize()`` completes the set there (the
report, ``manifest.json`` last), renames the folder to ``OUT/.run-<time>-<random>``
and switches the symbolic link ``OUT/.current`` to it with one ``os.replace``:
the single atomic step that publishes the whole set. ``OUT/events.csv`` and the
other names are symbolic links to ``.current/<name>``, so every reader sees
either the whole previous set or the whole new one, never a mix, whenever the
run is killed. The previous set's folder is removed after the switch; orphan
``.partial-*`` and ``.run-*`` folders of killed runs are removed by the next
run. Where symbolic links are not available the files are moved one by one
(``os.replace``) and ``manifest.json`` is written last.

Files: ``mentions.parquet``/``.csv``, ``events.parquet``/``.csv``,
``articles.csv``, ``predictions.jsonl`` (gold format, one article a line),
``report.html`` (when made), ``manifest.json``. In the CSV files, text cells
that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (and are
not plain numbers) get a leading ``'`` so that spreadsheets do not run them as
formulas; the Parquet files keep the values as they are.
"""
from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .records import (ARTICLE_COLUMNS, MENTION_COLUMNS, article_row, event_rows,
                      gold_view, mention_rows)

_STR, _INT, _FLOAT, _DATE = pa.string(), pa.int64(), pa.float64(), pa.timestamp("s")
MENTION_SCHEMA = pa.schema([
    ("article_id", _STR), ("mention", _INT), ("type", _STR), ("start", _INT), ("end", _INT),
    ("text", _STR), ("value", _STR), ("value_low", _FLOAT), ("value_high", _FLOAT),
    ("value_number", _FLOAT), ("unit", _STR), ("mod", _STR), ("doc_type", _STR), ("granularity", _STR), ("date_start", _DATE), ("date_end", _DATE),
    ("institution_id", _STR), ("institution_kind", _STR), ("institution_country", _STR), ("doc_number", _STR), ("doc_year", _INT),
    ("doc_issuer", _STR), ("doc_issued", _DATE),
    ("source", _STR),
])
EVENT_SCHEMA = pa.schema([
    ("article_id", _STR), ("event", _INT), ("type", _STR), ("trigger", _STR), ("trigger_start", _INT),
    ("trigger_end", _INT), ("date_text", _STR), ("date_value", _STR), ("date_mod", _STR),
    ("granularity", _STR), ("date_start", _DATE), ("date_end", _DATE), ("agent", _STR),
    ("institutions", _STR), ("territory", _STR), ("documents", _STR), ("doc_types", _STR), ("percents", _STR),
    ("quantities", _STR), ("object", _STR), ("object_start", _INT), ("object_end", _INT), ("status", _STR),
    ("indicator", _STR), ("value_number", _FLOAT), ("value_unit", _STR), ("value_low", _FLOAT),
    ("value_high", _FLOAT), ("canonical", _STR), ("rule", _STR), ("confidence", _FLOAT), ("sentence", _STR),
    ("published", _DATE), ("source", _STR),
])
FINAL_FILES = ("mentions.parquet", "mentions.csv", "events.parquet", "events.csv", "articles.csv",
               "predictions.jsonl")
PUBLISHED = (*FINAL_FILES, "canonical_events.parquet", "canonical_events.csv", "datapackage.json", "report.html",
             "manifest.json")  # the set switched in one step
MARKER = ".vnevents"  # marks (and locks) an output folder; the reader never reads a folder holding it
CURRENT = ".current"
MARKER_TEXT = ("This folder holds vnevents outputs (see the vnevents README, section Outputs).\n"
               "vnevents never reads it as input; this file is also the lock of a running `vnevents run`.\n")
# articles.csv: the record's columns plus where its reference date came from, after "published"
ARTICLE_CSV_COLUMNS = [*ARTICLE_COLUMNS[:ARTICLE_COLUMNS.index("published") + 1], "date_source",
                       *ARTICLE_COLUMNS[ARTICLE_COLUMNS.index("published") + 1:]]
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class OutputError(Exception):
    """The output folder cannot be used; the message is one line for a person."""


class OutputLocked(OutputError):
    """Another run holds the output folder."""


_FORMULA_FIRST = tuple(p[0] for p in _FORMULA_START)


def safe_cell(value):
    """A CSV cell that a spreadsheet will not run as a formula: text starting with
    = + - @ (or a tab or CR) gets a leading apostrophe, unless it is a plain number."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its text columns passed through ``safe_cell`` (for CSV only)."""
    out = df
    for col in df.columns:
        if df[col].dtype == object or isinstance(df[col].dtype, pd.StringDtype):
            try:  # few cells can be formulas: look only at those starting with a formula character
                risky = df[col].str[:1].isin(_FORMULA_FIRST)
            except AttributeError:  # a column without text (pandas refuses .str on it)
                risky = df[col].map(lambda v: isinstance(v, str) and v[:1] in _FORMULA_FIRST).astype(bool)
            if risky.any():
                if out is df:
                    out = df.copy()
                out.loc[risky, col] = df.loc[risky, col].map(safe_cell)
    return out


class OutputLock:
    """The output folder, created, marked and locked for one run (``release()`` ends it)."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.out = Path(out_dir)
        _make_folder(self.out)
        marker = self.out / MARKER
        try:
            self._fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write in the output folder {self.out} ({_reason(exc)})") from None
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(self._fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise OutputLocked(f"another vnevents run is writing to {self.out}; wait for it to finish "
                                       "or choose another --out") from None
                raise OutputError(f"cannot lock the output folder {self.out} ({_reason(exc)})") from None
        try:
            if os.fstat(self._fd).st_size == 0:
                os.write(self._fd, MARKER_TEXT.encode())
        except OSError as exc:
            self.release()
            raise OutputError(f"cannot write in the output folder {self.out} ({_reason(exc)})") from None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file ends the flock
            self._fd = None


def lock_output_folder(out_dir: str | os.PathLike) -> OutputLock:
    """Create (if its parent exists), mark and lock ``out_dir``; OutputError/OutputLocked if not possible."""
    return OutputLock(out_dir)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    return (exc.strerror or str(exc)).lower()


def _make_folder(out: Path) -> None:
    """Create ``out`` (not its parents): a mistyped --out must not create a tree elsewhere."""
    if out.is_dir():
        return
    if out.exists() or out.is_symlink():
        raise OutputError(f"the output folder {out} is a file, not a folder")
    parent = out.absolute().parent
    for above in (parent, *parent.parents):
        if above.exists():
            if not above.is_dir():
                raise OutputError(f"cannot create the output folder {out}: {above} is a file, not a folder")
            break
    if not parent.is_dir():
        raise OutputError(f"cannot create the output folder {out}: its parent folder {parent} does not exist")
    try:
        out.mkdir()
    except FileExistsError:
        if not out.is_dir():
            raise OutputError(f"the output folder {out} is a file, not a folder") from None
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out} ({_reason(exc)})") from None


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
    jsonl: str


def _typed_columns(rows: list[dict], schema: pa.Schema) -> dict[str, list]:
    """The rows as one list per column, each value of the column's type or None (as ``_frame`` types them)."""
    out: dict[str, list] = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if field.type == _DATE:
            values = [_date_or_none(v) for v in values]
        elif field.type == _INT:
            values = [None if v is None else int(v) for v in values]
        elif field.type == _FLOAT:
            values = [_float_or_none(v) for v in values]
        else:
            values = [None if v is None else str(v) for v in values]
        out[field.name] = values
    return out


def _date_or_none(value) -> datetime | None:
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return None
    return None


def _float_or_none(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _csv_cell(value, kind: pa.DataType) -> str:
    """One CSV cell as pandas writes the typed frame: empty for missing, floats by repr, days as
    YYYY-MM-DD, text through ``safe_cell``."""
    if value is None:
        return ""
    if kind == _DATE:
        return value.strftime("%Y-%m-%d")
    if kind == _STR:
        return safe_cell(value)
    return repr(value) if kind == _FLOAT else str(value)


def _csv_text(columns: dict[str, list], schema: pa.Schema) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    kinds = [(columns[f.name], f.type) for f in schema]
    for i in range(len(kinds[0][0]) if kinds else 0):
        writer.writerow([_csv_cell(values[i], kind) for values, kind in kinds])
    return buffer.getvalue()


def _article_csv(rows: list[dict]) -> str:
    """articles.csv rows (no header): text through ``safe_cell``, missing values empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if row.get(c) is None else safe_cell(row[c]) if isinstance(row[c], str) else row[c]
                         for c in ARTICLE_CSV_COLUMNS])
    return buffer.getvalue()


def prepare(records: list[dict]) -> Prepared:
    """The table rows, CSV text (no header) and predictions lines of a batch of records.

    Pure and picklable, so workers can do it and the writing process only appends.
    Built straight from the rows (no DataFrame: its fixed cost per batch was most
    of this step); ``tests/test_outputs.py`` checks the result equals the typed
    DataFrame's (``_frame``) Arrow table and CSV.
    """
    pieces = {}
    for stem, rows, schema in (
        ("mentions", [r for rec in records for r in mention_rows(rec)], MENTION_SCHEMA),
        ("events", [r for rec in records for r in event_rows(rec)], EVENT_SCHEMA),
    ):
        columns = _typed_columns(rows, schema)
        pieces[stem] = pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in schema}, schema=schema)
        if stem == "mentions":  # events.csv is written once, by the canonical pass (it adds their event ids)
            pieces["mentions_csv"] = _csv_text(columns, schema) if rows else ""
    lines = "".join(json.dumps(gold_view(rec), ensure_ascii=False) + "\n"
                    for rec in records if rec.get("status") != "error")
    return Prepared(jsonl=lines, **pieces)


def _header(columns: list[str]) -> str:
    return pd.DataFrame(columns=columns).to_csv(index=False)


def article_csv_row(rec: dict) -> dict:
    """The articles.csv row of a record: ``records.article_row`` plus ``date_source``."""
    return {**article_row(rec), "date_source": rec.get("date_source") or ("published" if rec.get("published")
                                                                           else "none")}


ROW_GROUP_BYTES = 4 << 20  # Parquet row groups of about this many bytes of Arrow data (see _RowGroups)


class _RowGroups:
    """A Parquet file written in row groups of about ``ROW_GROUP_BYTES``, whatever the batches' sizes.

    A ``ParquetWriter`` keeps each row group's metadata in memory until it is
    closed (tens of kilobytes per row group of a wide table), so one row group
    per batch of 32 articles would make memory grow with the number of
    articles. Tables are buffered here, at most about ``max_bytes``, and
    written as one row group when that is reached; the rows and their order are
    unchanged.
    """

    def __init__(self, path: Path, schema: pa.Schema, max_bytes: int = ROW_GROUP_BYTES) -> None:
        self._writer = pq.ParquetWriter(path, schema)
        self._buffer: list[pa.Table] = []
        self._bytes = 0
        self.max_bytes = max_bytes

    def write_table(self, table: pa.Table) -> None:
        """Add ``table``'s rows (written once the buffer holds ``max_bytes``)."""
        self._buffer.append(table)
        self._bytes += table.nbytes
        if self._bytes >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one row group."""
        if self._buffer:
            table = pa.concat_tables(self._buffer)
            self._buffer, self._bytes = [], 0
            self._writer.write_table(table, row_group_size=max(1, table.num_rows))

    def discard(self) -> None:
        """Forget the buffered rows (the file is being thrown away)."""
        self._buffer, self._bytes = [], 0

    def close(self) -> None:
        """Write what is buffered and close the file."""
        try:
            self.flush()
        finally:
            self._writer.close()


class OutputWriter:
    """Append records batch by batch; ``finalize()`` publishes the whole set in one step.

    ``lock``: the folder's ``OutputLock`` when the caller holds it; else the writer
    takes it (and releases it when done).
    """

    def __init__(self, out_dir: str | os.PathLike, lock: OutputLock | None = None) -> None:
        self.out = Path(out_dir)
        self._own_lock = lock is None
        self._lock = lock or lock_output_folder(self.out)
        try:
            _remove_orphans(self.out)
            try:
                self.tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.out))
                os.chmod(self.tmp, 0o755)  # it becomes the published folder; mkdtemp makes it private
            except OSError as exc:
                raise OutputError(f"cannot write in the output folder {self.out} ({_reason(exc)})") from None
            self._pq = {stem: _RowGroups(self.tmp / f"{stem}.parquet", schema)
                        for stem, schema in (("mentions", MENTION_SCHEMA), ("events", EVENT_SCHEMA))}
            self._csv = {name: open(self.tmp / f"{name}.csv", "w", encoding="utf-8", newline="")
                         for name in ("mentions", "articles")}
            for name, columns in (("mentions", MENTION_COLUMNS), ("articles", ARTICLE_CSV_COLUMNS)):
                self._csv[name].write(_header(columns))
            self._jsonl = open(self.tmp / "predictions.jsonl", "w", encoding="utf-8")
        except BaseException:
            if self._own_lock:
                self._lock.release()
            raise
        self.records = 0
        self.statuses: dict[str, int] = {}

    def add(self, records: list[dict], prepared: Prepared | None = None) -> None:
        """Append a batch of records (any status); ``prepared`` is ``prepare(records)`` if already made."""
        prepared = prepared or prepare(records)
        for stem in ("mentions", "events"):
            table = getattr(prepared, stem)
            if table.num_rows:
                self._pq[stem].write_table(table)
        self._csv["mentions"].write(prepared.mentions_csv)
        # from the records as given here: the runner may have added warnings since they were prepared
        self._csv["articles"].write(_article_csv([article_csv_row(r) for r in records]))
        self._jsonl.write(prepared.jsonl)
        self.records += len(records)
        for rec in records:
            self.statuses[rec.get("status", "ok")] = self.statuses.get(rec.get("status", "ok"), 0) + 1

    def _close(self) -> None:
        for w in self._pq.values():
            w.close()
        for fh in [*self._csv.values(), self._jsonl]:
            if not fh.closed:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()

    def finalize(self, complete: Callable[[Path], None] | None = None) -> list[Path]:
        """Close the files, resolve the canonical events and write the data package, let
        ``complete(folder)`` add to the set (the report), write ``manifest.json`` and publish the
        set in one step. Returns the published paths."""
        try:
            self._close()
            from .canonical import write_canonical
            from .datapackage import write_datapackage

            # statements -> canonical events: a post-pass over the table (no text), with the reviewers' merges
            write_canonical(self.tmp, review_db=self.out / "review.sqlite")
            write_datapackage(self.tmp)
            if complete is not None:
                complete(self.tmp)
            self._write_manifest()
            _fsync_dir(self.tmp)
            names = [n for n in PUBLISHED if (self.tmp / n).exists()]
            try:
                self._switch(names)
            except _NoSymlinks:
                self._replace_each(names)
            return [self.out / n for n in names]
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self._own_lock:
                self._lock.release()

    def abort(self) -> None:
        """Drop the partial files; previous outputs stay as they were."""
        try:
            for w in self._pq.values():
                w.discard()
            self._close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self._own_lock:
                self._lock.release()

    def _write_manifest(self) -> None:
        from . import __version__

        files = {n: {"bytes": (self.tmp / n).stat().st_size} for n in PUBLISHED
                 if n != "manifest.json" and (self.tmp / n).exists()}
        manifest = {"vnevents": __version__, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "articles": self.records, "statuses": self.statuses, "files": files}
        with open(self.tmp / "manifest.json", "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _switch(self, names: list[str]) -> None:
        """Rename the finished folder to a generation and point ``.current`` at it (one step)."""
        current = self.out / CURRENT
        generation = f".run-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        pointer = _new_symlink(generation, current)  # raises _NoSymlinks before anything changed
        try:
            if any(not _linked(self.out, n) and (self.out / n).exists() for n in PUBLISHED):
                # plain files (an older vnevents, an interrupted adoption, a report written by hand):
                # make what each name shows now a generation first, so that the switch switches all
                _adopt(self.out)
            os.rename(self.tmp, self.out / generation)
            os.replace(pointer, current)  # the commit point: the whole new set at once
        finally:
            pointer.unlink(missing_ok=True)
        _fsync_dir(self.out)
        for name in PUBLISHED:
            link = self.out / name
            if name in names:
                if not _linked(self.out, name):
                    os.replace(_new_symlink(f"{CURRENT}/{name}", link), link)
            elif _linked(self.out, name):
                link.unlink()  # not in this set (e.g. no report): no dangling link
        for old in self.out.glob(".run-*"):
            if old.name != generation:
                shutil.rmtree(old, ignore_errors=True)

    def _replace_each(self, names: list[str]) -> None:
        """Without symbolic links: move each file over its old version, the manifest last."""
        for name in [n for n in names if n != "manifest.json"] + ["manifest.json"]:
            os.replace(self.tmp / name, self.out / name)
        _fsync_dir(self.out)


class _NoSymlinks(Exception):
    pass


def _new_symlink(target: str, beside: Path) -> Path:
    """A new symbolic link to ``target`` next to ``beside`` (to be moved over it with ``os.replace``)."""
    tmp = beside.with_name(f".{beside.name.lstrip('.')}.{secrets.token_hex(4)}.tmp")
    try:
        os.symlink(target, tmp)
    except (OSError, NotImplementedError) as exc:
        raise _NoSymlinks(str(exc)) from None
    return tmp


def _linked(out: Path, name: str) -> bool:
    """Is ``out/name`` the link into ``.current`` that publishing maintains?"""
    path = out / name
    return path.is_symlink() and os.readlink(path) == f"{CURRENT}/{name}"


def _adopt(out: Path) -> str:
    """Make a generation of what each published name shows now (hard links to the files,
    nothing copied), point ``.current`` at it, then make every name a link into
    ``.current``. Each step leaves every name showing what it showed before; returns
    the generation's name."""
    generation = f".run-adopted-{secrets.token_hex(4)}"
    folder = out / generation
    folder.mkdir()
    for name in PUBLISHED:
        if (out / name).exists():
            shown = os.path.realpath(out / name)
            try:
                os.link(shown, folder / name)
            except OSError:
                shutil.copy2(shown, folder / name)
    os.replace(_new_symlink(generation, out / CURRENT), out / CURRENT)
    for name in PUBLISHED:
        if (folder / name).exists() and not _linked(out, name):
            os.replace(_new_symlink(f"{CURRENT}/{name}", out / name), out / name)
    return generation


def _remove_orphans(out: Path) -> None:
    """Remove what killed runs left (partial folders, unpublished generations, temporary links).

    Called with the folder's lock held, so no running writer owns them."""
    current = out / CURRENT
    live = os.readlink(current) if current.is_symlink() else None
    for path in out.iterdir():
        name = path.name
        if name.startswith(".partial-") or (name.startswith(".run-") and name != live):
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(".") and name.endswith(".tmp") and path.is_symlink():
            path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
