"""Review decisions: an append-only SQLite log, and what it makes of a run's predictions.

Storage
-------
Table ``decisions``: one row per decision (``id``, ``article_id``, ``kind``,
``item_key``, ``action``, ``payload`` JSON, ``created_at`` UTC ISO time,
``reviewer``, ``batch``). Rows are only ever inserted (triggers refuse UPDATE
and DELETE); the current state of an item for a reviewer is that reviewer's
latest row (highest ``id``). Table ``comments`` (append-only too) holds item
comments. The database runs in WAL mode with a busy timeout and
``synchronous=FULL``; every write is one short ``BEGIN IMMEDIATE``
transaction, so two browser tabs or a crash lose nothing that was
acknowledged. Only parameterized SQL is used. A log written by an earlier
version (no ``reviewer`` column) is migrated in place on opening, its rows
kept with their ids and given to the reviewer ``default``.

Kinds and keys
--------------
Items are keyed by content, not by list position, so a re-run of the pipeline
keeps every decision whose item is still extracted:

- ``mention``: ``"start:end:TYPE"`` of the predicted mention (an added mention:
  of itself when added; a correction keeps the key);
- ``event``: ``"TYPE:trigger_start:trigger_end"`` of the predicted event (an
  added event: of itself when added);
- ``article``: key ``""``, action ``status`` with payload ``{"status": "todo" |
  "progress" | "done"}``;
- ``canonical``: merges (article id ``""``, key: the merged canonical key,
  action ``merge`` with payload ``{"into": key}``) and splits (the event's
  article and key, action ``split`` with payload ``{"canonical": new key}``);
  ``reset`` undoes either. Canonical decisions are shared by all reviewers.

Actions on mentions and events: ``accept``, ``reject``, ``correct`` (payload:
the corrected mention ``{start, end, type, value, mod?, doc_type?}`` or event
``{type, trigger, date, agent, institutions, documents, percents, quantities,
object, status, canonical}`` whose arguments are mention keys), ``add``
(payload: a new mention or event; a later ``reject`` removes it) and
``reset`` (back to "not reviewed").

Every write carries a ``batch`` id; "accept the rest" writes one batch, and
``undo`` reverts a reviewer's latest batch on an article by appending, for
each of its items, that reviewer's previous decision (or ``reset``).
"""
from __future__ import annotations

import bisect
import json
import math
import os
import re
import sqlite3
import threading
import unicodedata
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from ..gold import ACT_TYPES, EVENT_ARGS, EVENT_TYPES, FIGURE_TYPES, MENTION_TYPES, MODS, STATUSES, check_record

DEFAULT_REVIEWER = "default"
KINDS = ("mention", "event", "article", "canonical")
ACTIONS = ("accept", "reject", "correct", "add", "reset", "status", "merge", "split")
ARTICLE_STATUSES = ("todo", "progress", "done")
STATUS_LABELS = {"todo": "to do", "progress": "in progress", "done": "done"}
REVIEWER_NAME = re.compile(r"[\w][\w .@-]{0,39}")
MAX_COMMENT = 2000

_TABLE = f"""
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({", ".join(f"'{k}'" for k in KINDS)})),
    item_key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ({", ".join(f"'{a}'" for a in ACTIONS)})),
    payload TEXT,
    created_at TEXT NOT NULL,
    reviewer TEXT NOT NULL DEFAULT '{DEFAULT_REVIEWER}',
    batch TEXT NOT NULL DEFAULT ''
)"""
_INDEXES = [
    "CREATE INDEX IF NOT EXISTS decisions_item ON decisions (article_id, reviewer, kind, item_key, id)",
    "CREATE INDEX IF NOT EXISTS decisions_kind ON decisions (kind, reviewer, article_id)",
    "CREATE INDEX IF NOT EXISTS decisions_kind_id ON decisions (kind, id)",
    "CREATE INDEX IF NOT EXISTS decisions_recent ON decisions (article_id, reviewer, id)",
    "CREATE INDEX IF NOT EXISTS decisions_batch ON decisions (batch, id)",
    """CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
       BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
       BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END""",
    """CREATE TABLE IF NOT EXISTS comments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        item_key TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS comments_item ON comments (article_id, kind, item_key, id)",
    """CREATE TRIGGER IF NOT EXISTS comments_no_update BEFORE UPDATE ON comments
       BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS comments_no_delete BEFORE DELETE ON comments
       BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END""",
]


class ReviewError(ValueError):
    """A decision that cannot be stored (bad offsets, value, type, overlap...)."""


# ---------------------------------------------------------------- keys

def mention_key(m: dict) -> str:
    return f"{m['start']}:{m['end']}:{m['type']}"


def event_key(e: dict) -> str:
    return f"{e['type']}:{e['trigger']['start']}:{e['trigger']['end']}"


_MENTION_KEY = re.compile(r"(\d{1,9}):(\d{1,9}):([A-Z]+)")
_EVENT_KEY = re.compile(r"([A-Z]+):(\d{1,9}):(\d{1,9})")


def parse_mention_key(key: Any) -> tuple[int, int, str]:
    m = _MENTION_KEY.fullmatch(key) if isinstance(key, str) else None
    if not m or m.group(3) not in MENTION_TYPES:
        raise ReviewError(f"not a mention key: {key!r}")
    return int(m.group(1)), int(m.group(2)), m.group(3)


def parse_event_key(key: Any) -> tuple[str, int, int]:
    m = _EVENT_KEY.fullmatch(key) if isinstance(key, str) else None
    if not m or m.group(1) not in EVENT_TYPES:
        raise ReviewError(f"not an event key: {key!r}")
    return m.group(1), int(m.group(2)), int(m.group(3))


def clean_reviewer(name: Any) -> str:
    """A reviewer name (1-40 letters, digits, space, ``.@-_``), NFC; else ReviewError."""
    if not isinstance(name, str):
        raise ReviewError("reviewer must be a name")
    name = unicodedata.normalize("NFC", name).strip()
    if not REVIEWER_NAME.fullmatch(name):
        raise ReviewError("a reviewer name has 1 to 40 letters, digits, spaces or . @ - _")
    return name


# ---------------------------------------------------------------- the store

class Decision(NamedTuple):
    """One row of the log (immutable; a named tuple, as thousands are built per bulk decision)."""

    id: int
    article_id: str
    kind: str
    key: str
    action: str
    payload: Any
    created_at: str
    ever_added: bool = False
    reviewer: str = DEFAULT_REVIEWER
    batch: str = ""


@dataclass(frozen=True)
class Comment:
    id: int
    kind: str
    key: str
    reviewer: str
    body: str
    created_at: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def new_batch(label: str = "one") -> str:
    return f"{label}-{uuid.uuid4().hex[:16]}"


def _dump(payload: Any) -> str | None:
    return None if payload is None else json.dumps(payload, ensure_ascii=False, allow_nan=False)


def _load(payload: str | None) -> Any:
    return None if payload is None else json.loads(payload)


class ReviewDB:
    """The decision log of one run (one SQLite file); safe to share between threads."""

    def __init__(self, path: str | os.PathLike, timeout: float = 30.0, keep_open: int = 0) -> None:
        """Open (create, migrate) the log at ``path``.

        ``keep_open``: how many idle connections to keep for reuse (a server's
        requests then skip opening one, and closing the last connection of a
        WAL database, which checkpoints and syncs the file, never happens
        per request). Zero for short-lived users (export, the next run).
        """
        self.path = Path(path)
        self.timeout = timeout
        self._idle: list[sqlite3.Connection] = []
        self._keep = keep_open
        self._idle_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                cols = [r[1] for r in db.execute("PRAGMA table_info(decisions)")]
                if not cols:
                    db.execute(_TABLE)
                elif "reviewer" not in cols:  # a log of the first version: migrate, keeping ids
                    db.execute("DROP TRIGGER IF EXISTS decisions_no_update")
                    db.execute("DROP TRIGGER IF EXISTS decisions_no_delete")
                    db.execute("DROP INDEX IF EXISTS decisions_item")
                    db.execute("ALTER TABLE decisions RENAME TO decisions_v1")
                    db.execute(_TABLE)
                    db.execute("INSERT INTO decisions (id, article_id, kind, item_key, action, payload, created_at, "
                               "reviewer, batch) SELECT id, article_id, kind, item_key, action, payload, created_at, "
                               "?, 'v1-' || id FROM decisions_v1", (DEFAULT_REVIEWER,))
                    db.execute("DROP TABLE decisions_v1")
                for stmt in _INDEXES:
                    db.execute(stmt)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection (autocommit; transactions are explicit) for this block only: an idle kept one, or a
        fresh one; afterwards kept idle (up to ``keep_open``) or closed. One thread uses it at a time."""
        db = None
        with self._idle_lock:
            if self._idle:
                db = self._idle.pop()
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            try:
                db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA cache_size=-32000")  # 32 MB of pages: a long article's log stays in memory
            except BaseException:
                db.close()
                raise
        keep = False
        try:
            yield db
            keep = not db.in_transaction
        finally:
            if keep:
                with self._idle_lock:
                    if len(self._idle) < self._keep:
                        self._idle.append(db)
                    else:
                        keep = False
            if not keep:
                db.close()

    def close(self) -> None:
        """Close the idle connections kept for reuse."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _insert(db: sqlite3.Connection, article_id: str, kind: str, key: str, action: str,
                payload: Any = None, reviewer: str = DEFAULT_REVIEWER, batch: str | None = None) -> tuple[int, str]:
        if kind not in KINDS:
            raise ReviewError(f"unknown kind {kind!r}")
        if action not in ACTIONS:
            raise ReviewError(f"unknown action {action!r}")
        created = _now()
        cur = db.execute(
            "INSERT INTO decisions (article_id, kind, item_key, action, payload, created_at, reviewer, batch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (article_id, kind, key, action, _dump(payload), created, reviewer, batch or new_batch()))
        return int(cur.lastrowid), created

    @staticmethod
    def _insert_many(db: sqlite3.Connection, article_id: str, rows: list[tuple[str, str, str, Any]],
                     reviewer: str, batch: str) -> list[Decision]:
        """Append (kind, key, action, payload) rows in one statement; the decisions as stored, in order.

        Call it inside a ``BEGIN IMMEDIATE`` transaction: the write lock makes the new ids consecutive.
        """
        for kind, _key, action, _payload in rows:
            if kind not in KINDS or action not in ACTIONS:
                raise ReviewError(f"unknown kind {kind!r} or action {action!r}")
        created = _now()
        # one statement over a JSON array of the rows: twice as fast as executemany's per-row binding
        table = json.dumps([[kind, key, action, _dump(payload)] for kind, key, action, payload in rows],
                           ensure_ascii=False, allow_nan=False)
        db.execute(
            "INSERT INTO decisions (article_id, kind, item_key, action, payload, created_at, reviewer, batch) "
            "SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]'), ?, ?, ? FROM json_each(?) ORDER BY key",
            (article_id, created, reviewer, batch, table))
        last = db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()[0]
        first = last - len(rows) + 1
        return [Decision(first + i, article_id, kind, key, action, payload, created, action == "add", reviewer, batch)
                for i, (kind, key, action, payload) in enumerate(rows)]

    @staticmethod
    def max_id_in(db: sqlite3.Connection) -> int:
        """The highest decision id (0 when none): a version stamp of the whole log, read in constant time."""
        return db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()[0]

    def max_id(self) -> int:
        """:meth:`max_id_in` on a fresh connection."""
        with self.connect() as db:
            return self.max_id_in(db)

    def articles_with(self, kind: str, reviewer: str | None) -> set[str]:
        """Ids of the articles with at least one decision of ``kind`` (by ``reviewer``, or anyone's)."""
        who, params = ("", (kind,)) if reviewer is None else (" AND reviewer = ?", (kind, reviewer))
        with self.connect() as db:
            return {r[0] for r in db.execute("SELECT DISTINCT article_id FROM decisions WHERE kind = ?" + who, params)}

    def add(self, article_id: str, kind: str, key: str, action: str, payload: Any = None,
            check: Callable[[sqlite3.Connection], None] | None = None, reviewer: str = DEFAULT_REVIEWER,
            batch: str | None = None) -> tuple[int, str]:
        """Append one decision in its own transaction; ``check(db)`` runs first inside it and may raise."""
        with self.transaction() as db:
            if check is not None:
                check(db)
            return self._insert(db, article_id, kind, key, action, payload, reviewer, batch)

    def add_many(self, article_id: str, items: Iterable[tuple[str, str, str, Any]],
                 reviewer: str = DEFAULT_REVIEWER, batch: str | None = None) -> int:
        """Append several decisions (kind, key, action, payload) of one article in one transaction and batch."""
        n = 0
        batch = batch or new_batch("many")
        with self.transaction() as db:
            for kind, key, action, payload in items:
                self._insert(db, article_id, kind, key, action, payload, reviewer, batch)
                n += 1
        return n

    @staticmethod
    def latest_in(db: sqlite3.Connection, article_ids: list[str], reviewer: str | None = None
                  ) -> dict[str, dict[tuple[str, str], Decision]]:
        """{article id: {(kind, key): latest decision}} about mentions and events of the given articles.

        With ``reviewer``, that reviewer's decisions only; else the latest of anyone's.
        """
        out: dict[str, dict[tuple[str, str], Decision]] = {a: {} for a in article_ids}
        who = "" if reviewer is None else " AND reviewer = ?"
        for chunk in (article_ids[i:i + 500] for i in range(0, len(article_ids), 500)):
            marks = ",".join("?" * len(chunk))
            params = [*chunk] + ([] if reviewer is None else [reviewer])
            rows = db.execute(
                f"""SELECT d.id, d.article_id, d.kind, d.item_key, d.action, d.payload, d.created_at, l.added,
                           d.reviewer, d.batch
                    FROM decisions d JOIN (
                        SELECT MAX(id) AS id, MAX(action = 'add') AS added FROM decisions
                        WHERE article_id IN ({marks}) AND kind IN ('mention', 'event'){who}
                        GROUP BY article_id, kind, item_key) l ON d.id = l.id""",
                params).fetchall()
            for rid, aid, kind, key, action, payload, created, added, rev, batch in rows:
                out[aid][(kind, key)] = Decision(rid, aid, kind, key, action, _load(payload), created, bool(added),
                                                 rev, batch)
        return out

    def latest(self, article_id: str, reviewer: str | None = None) -> dict[tuple[str, str], Decision]:
        with self.connect() as db:
            return self.latest_in(db, [article_id], reviewer)[article_id]

    def latest_many(self, article_ids: list[str], reviewer: str | None = None
                    ) -> dict[str, dict[tuple[str, str], Decision]]:
        with self.connect() as db:
            return self.latest_in(db, list(article_ids), reviewer)

    def history(self, article_id: str, reviewer: str | None = None) -> list[Decision]:
        """Every decision about the article's mentions and events, oldest first."""
        who, params = ("", (article_id,)) if reviewer is None else (" AND reviewer = ?", (article_id, reviewer))
        with self.connect() as db:
            rows = db.execute("SELECT id, article_id, kind, item_key, action, payload, created_at, reviewer, batch "
                              "FROM decisions WHERE article_id = ? AND kind IN ('mention', 'event')" + who +
                              " ORDER BY id", params).fetchall()
        return [Decision(r[0], r[1], r[2], r[3], r[4], _load(r[5]), r[6], False, r[7], r[8]) for r in rows]

    def article_ids(self) -> list[str]:
        """Every article id that has at least one decision row about its mentions, events or status."""
        with self.connect() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT article_id FROM decisions WHERE kind != 'canonical' "
                                             "ORDER BY article_id")]

    def count(self, article_id: str | None = None, kinds: tuple[str, ...] = KINDS) -> int:
        """Number of decision rows (of one article; of the given kinds)."""
        marks = ",".join("?" * len(kinds))
        with self.connect() as db:
            if article_id is None:
                return db.execute(f"SELECT COUNT(*) FROM decisions WHERE kind IN ({marks})", kinds).fetchone()[0]
            return db.execute(f"SELECT COUNT(*) FROM decisions WHERE article_id = ? AND kind IN ({marks})",
                              (article_id, *kinds)).fetchone()[0]

    def reviewers(self) -> list[str]:
        with self.connect() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT reviewer FROM decisions WHERE kind != 'canonical' "
                                             "ORDER BY reviewer")]

    # ------------------------------------------------------------ article status

    def overview(self, article_id: str | None = None) -> dict[str, dict[str, dict]]:
        """{article id: {reviewer: {"rows": n decisions, "status": explicit status or None, "status_at": time}}}.

        All articles, or only ``article_id``.
        """
        out: dict[str, dict[str, dict]] = {}
        where, params = ("", ()) if article_id is None else (" AND article_id = ?", (article_id,))
        with self.connect() as db:
            for aid, rev, n in db.execute("SELECT article_id, reviewer, COUNT(*) FROM decisions "
                                          "WHERE kind IN ('mention', 'event')" + where +
                                          " GROUP BY article_id, reviewer", params):
                out.setdefault(aid, {}).setdefault(rev, {"rows": 0, "status": None, "status_at": ""})["rows"] = n
            for aid, rev, action, payload, created in db.execute(
                    f"""SELECT d.article_id, d.reviewer, d.action, d.payload, d.created_at FROM decisions d
                       JOIN (SELECT MAX(id) AS id FROM decisions WHERE kind = 'article'{where}
                             GROUP BY article_id, reviewer) l ON d.id = l.id""", params):
                slot = out.setdefault(aid, {}).setdefault(rev, {"rows": 0, "status": None, "status_at": ""})
                status = (_load(payload) or {}).get("status") if action == "status" else None
                slot["status"], slot["status_at"] = status, created
        return out

    @staticmethod
    def status_of(info: dict | None) -> str:
        """The status of one reviewer's work on an article: explicit, else "progress" when it has decisions."""
        if not info:
            return "todo"
        if info.get("status") in ARTICLE_STATUSES:
            return info["status"]
        return "progress" if info.get("rows") else "todo"

    def article_status(self, article_id: str, reviewer: str) -> str:
        return self.status_of(self.overview(article_id).get(article_id, {}).get(reviewer))

    def set_status(self, article_id: str, reviewer: str, status: str) -> tuple[int, str]:
        if status not in ARTICLE_STATUSES:
            raise ReviewError(f"status must be one of {', '.join(ARTICLE_STATUSES)}")
        return self.add(article_id, "article", "", "status", {"status": status}, reviewer=reviewer,
                        batch=new_batch("status"))

    # ------------------------------------------------------------ undo

    @staticmethod
    def _undo_target(db: sqlite3.Connection, article_id: str, reviewer: str, with_rows: bool = True
                     ) -> tuple[str, list[tuple]] | None:
        """(the reviewer's latest batch on the article not undone yet, its rows (id, kind, key, action, batch)).

        An undo's batch is ``undo:`` and the batch it reverts; undos are not
        undone themselves. Steps back a batch at a time (every batch is written
        in one transaction, so its rows have consecutive ids): the cost grows
        with the batches passed, not with the log's rows.
        """
        mine = "article_id = ? AND reviewer = ? AND kind IN ('mention', 'event', 'article')"
        undone: set[str] = set()
        target = None
        before = 1 << 62
        while target is None:  # batch by batch, newest first (a batch's rows are consecutive ids)
            row = db.execute(f"SELECT id, batch FROM decisions WHERE {mine} AND id < ? ORDER BY id DESC LIMIT 1",
                             (article_id, reviewer, before)).fetchone()
            if row is None:
                break
            batch = row[1]
            if batch.startswith("undo:"):
                undone.add(batch[5:])
            elif batch not in undone:
                target = batch
            before = db.execute("SELECT MIN(id) FROM decisions WHERE batch = ?", (batch,)).fetchone()[0]
        if target is None or not with_rows:
            return (target, []) if target is not None else None
        rows = db.execute("SELECT id, kind, item_key, action, batch FROM decisions WHERE batch = ? AND "
                          "article_id = ? AND reviewer = ? AND kind IN ('mention', 'event', 'article') "
                          "ORDER BY id DESC", (target, article_id, reviewer)).fetchall()
        return target, rows

    def undo_label(self, article_id: str, reviewer: str) -> str | None:
        """What ``undo`` would revert, in words, or None."""
        with self.connect() as db:
            found = self._undo_target(db, article_id, reviewer, with_rows=False)
            if found is None:
                return None
            count = db.execute("SELECT COUNT(*) FROM decisions WHERE batch = ? AND article_id = ? AND reviewer = ?",
                               (found[0], article_id, reviewer)).fetchone()[0]
            rows = db.execute("SELECT id, kind, item_key, action, batch FROM decisions WHERE batch = ? AND "
                              "article_id = ? AND reviewer = ? LIMIT 1", (found[0], article_id, reviewer)).fetchall()
        return describe_batch(found[0], rows, count)

    def undo(self, article_id: str, reviewer: str) -> dict | None:
        """Revert the reviewer's latest batch on the article (not yet undone); None when there is none."""
        done = self.undo_decisions(article_id, reviewer)
        return None if done is None else done[0]

    def undo_decisions(self, article_id: str, reviewer: str) -> tuple[dict, list[Decision]] | None:
        """:meth:`undo`, also returning the decisions it appended (oldest first).

        For each item of the batch, appends that reviewer's decision before the
        batch (or ``reset``), all in one transaction and one statement.
        """
        with self.transaction() as db:
            found = self._undo_target(db, article_id, reviewer)
            if found is None:
                return None
            target, rows = found
            first = min(r[0] for r in rows)
            items = list(dict.fromkeys((kind, key) for _rid, kind, key, _a, _b in sorted(rows)))
            prev: dict[tuple[str, str], tuple[str, Any]] = {}
            # each item's decision before the batch: one index seek per item, whatever the log's length
            # ("accept the rest" took pending items only: before it, nothing or a reset, so reset it is)
            for kind, key, action, payload in () if target.startswith("rest-") else db.execute(
                    """SELECT b.kind, b.item_key, p.action, p.payload FROM decisions b JOIN decisions p ON p.id = (
                           SELECT MAX(d.id) FROM decisions d WHERE d.article_id = b.article_id AND
                           d.reviewer = b.reviewer AND d.kind = b.kind AND d.item_key = b.item_key AND d.id < ?)
                       WHERE b.batch = ? AND b.article_id = ? AND b.reviewer = ?""",
                    (first, target, article_id, reviewer)):
                prev[(kind, key)] = (action, _load(payload))
            new = [(kind, key, *prev.get((kind, key), ("reset", None))) for kind, key in items]
            added = self._insert_many(db, article_id, new, reviewer, "undo:" + target)
            return {"batch": target, "items": len(items), "what": describe_batch(target, rows)}, added

    # ------------------------------------------------------------ comments

    def add_comment(self, article_id: str, kind: str, key: str, reviewer: str, body: str) -> int:
        body = unicodedata.normalize("NFC", body).strip()
        if not body:
            raise ReviewError("a comment cannot be empty")
        if len(body) > MAX_COMMENT:
            raise ReviewError(f"a comment has at most {MAX_COMMENT} characters")
        with self.transaction() as db:
            cur = db.execute("INSERT INTO comments (article_id, kind, item_key, reviewer, body, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (article_id, kind, key, reviewer, body, _now()))
            return int(cur.lastrowid)

    def comments(self, article_id: str) -> dict[tuple[str, str], list[Comment]]:
        out: dict[tuple[str, str], list[Comment]] = {}
        with self.connect() as db:
            for rid, kind, key, rev, body, created in db.execute(
                    "SELECT id, kind, item_key, reviewer, body, created_at FROM comments WHERE article_id = ? "
                    "ORDER BY id", (article_id,)):
                out.setdefault((kind, key), []).append(Comment(rid, kind, key, rev, body, created))
        return out

    # ------------------------------------------------------------ canonical events

    @staticmethod
    def last_id_in(db: sqlite3.Connection, kinds: tuple[str, ...] = KINDS) -> int:
        """The highest decision id among ``kinds`` (0 when none): a cheap version stamp."""
        marks = ",".join("?" * len(kinds))
        return db.execute(f"SELECT COALESCE(MAX(id), 0) FROM decisions WHERE kind IN ({marks})", kinds).fetchone()[0]

    def last_id(self, kinds: tuple[str, ...] = KINDS) -> int:
        """:meth:`last_id_in` on a fresh connection."""
        with self.connect() as db:
            return self.last_id_in(db, kinds)

    def canonical_decisions(self) -> tuple[dict[str, Decision], dict[tuple[str, str], Decision]]:
        """(merges {merged key: decision}, splits {(article id, event key): decision}), current ones only."""
        merges: dict[str, Decision] = {}
        splits: dict[tuple[str, str], Decision] = {}
        with self.connect() as db:
            rows = db.execute(
                """SELECT d.id, d.article_id, d.item_key, d.action, d.payload, d.created_at, d.reviewer, d.batch
                   FROM decisions d JOIN (SELECT MAX(id) AS id FROM decisions WHERE kind = 'canonical'
                                          GROUP BY article_id, item_key) l ON d.id = l.id""").fetchall()
        for rid, aid, key, action, payload, created, rev, batch in rows:
            d = Decision(rid, aid, "canonical", key, action, _load(payload), created, False, rev, batch)
            if aid == "" and action == "merge":
                merges[key] = d
            elif aid != "" and action == "split":
                splits[(aid, key)] = d
        return merges, splits

    def canonical_resolver(self) -> "CanonicalResolver":
        merges, splits = self.canonical_decisions()
        return CanonicalResolver({k: d.payload["into"] for k, d in merges.items()},
                                 {k: d.payload["canonical"] for k, d in splits.items()})

    def event_decisions(self, reviewer: str | None) -> dict[str, dict[str, Decision]]:
        """{article id: {event key: latest decision}} about events, across all articles."""
        who, params = ("", ()) if reviewer is None else (" AND reviewer = ?", (reviewer,))
        out: dict[str, dict[str, Decision]] = {}
        with self.connect() as db:
            rows = db.execute(
                f"""SELECT d.id, d.article_id, d.item_key, d.action, d.payload, d.created_at, l.added, d.reviewer
                    FROM decisions d JOIN (SELECT MAX(id) AS id, MAX(action = 'add') AS added FROM decisions
                        WHERE kind = 'event'{who} GROUP BY article_id, item_key) l ON d.id = l.id""",
                params).fetchall()
        for rid, aid, key, action, payload, created, added, rev in rows:
            out.setdefault(aid, {})[key] = Decision(rid, aid, "event", key, action, _load(payload), created,
                                                    bool(added), rev)
        return out


def describe_batch(batch: str, rows: list[tuple], count: int | None = None) -> str:
    """A batch in words: "accept the rest (57 items)", "reject DATE 12:20", "status done".

    ``rows``: its rows (id, kind, key, action, batch), or its first one with ``count``.
    """
    n = len(rows) if count is None else count
    if batch.startswith("rest-"):
        return f"accept the rest ({n} item{'s' if n != 1 else ''})"
    if n == 1:
        _rid, kind, key, action, _b = rows[0]
        if kind == "article":
            return "article status change"
        return f"{action} {kind} {key}"
    return f"{n} decisions"


@dataclass
class CanonicalResolver:
    """Canonical keys after the reviewers' merges and splits."""

    merges: dict[str, str] = field(default_factory=dict)   # merged key -> key it was merged into
    splits: dict[tuple[str, str], str] = field(default_factory=dict)  # (article, event key) -> new key

    def root(self, key: str) -> str:
        seen = {key}
        while key in self.merges and self.merges[key] not in seen:
            key = self.merges[key]
            seen.add(key)
        return key

    def __call__(self, article_id: str, event_key_: str, base: str | None) -> str | None:
        key = self.splits.get((article_id, event_key_), base)
        return None if key is None else self.root(key)


# ---------------------------------------------------------------- cleaning what the browser sends

_NUM = r"-?\d{1,30}(?:[.,]\d{1,30})?"
_PERCENT_TEXT = re.compile(rf"\s*({_NUM})\s*%?\s*(?:[-–—]\s*({_NUM})\s*%?\s*)?")


def _number(s: str) -> int | float:
    s = s.replace(",", ".")
    return float(s) if "." in s else int(s)


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def is_index(v: Any) -> bool:
    """An integer offset (booleans are not integers here)."""
    return isinstance(v, int) and not isinstance(v, bool)


def parse_number(value: Any, what: str = "PERCENT value") -> int | float | list:
    """A number or [low, high] from the form: ``90.81``, ``90,81``, ``31%``, ``20-30``, ``[20, 30]``."""
    if isinstance(value, bool):
        raise ReviewError(f"{what} must be a number or [low, high]")
    if isinstance(value, (int, float)):
        if not _finite(value):
            raise ReviewError(f"{what} must be a finite number")
        return value
    if isinstance(value, list):
        if not (len(value) == 2 and all(map(_finite, value)) and value[0] <= value[1]):
            raise ReviewError(f"{what} range must be [low, high] with finite numbers")
        return value
    if not isinstance(value, str):
        raise ReviewError(f"{what} must be a number or [low, high]")
    text = value.strip()
    if text.startswith("["):
        try:
            return parse_number(json.loads(text, parse_constant=_no_constant), what)
        except (ValueError, RecursionError):
            raise ReviewError(f"{what} {text[:40]!r} is not [low, high]") from None
    m = _PERCENT_TEXT.fullmatch(text)
    if not m:
        raise ReviewError(f"{what} {text[:40]!r} is not a number or a range")
    low = _number(m.group(1))
    out = [low, _number(m.group(2))] if m.group(2) else low
    return parse_number(out, what)


parse_percent = parse_number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_quantity(value: Any) -> dict:
    """A QUANTITY value: ``{"number": N or [low, high], "unit": U}``, or the text ``"N unit"``."""
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\[[^\]]*\]|-?[\d.,]+(?:\s*[-–]\s*[\d.,]+)?)\s*(\D.*?)\s*", value)
        if not m:
            raise ReviewError("QUANTITY value must be a number and a unit")
        value = {"number": m.group(1), "unit": m.group(2)}
    if not isinstance(value, dict) or set(value) != {"number", "unit"}:
        raise ReviewError('QUANTITY value must be {"number": N, "unit": U}')
    unit = value["unit"]
    if not isinstance(unit, str) or not unit.strip():
        raise ReviewError("QUANTITY unit must be a non-empty text")
    return {"number": parse_number(value["number"], "QUANTITY number"),
            "unit": unicodedata.normalize("NFC", unit).strip()}


def clean_mention(text: str, data: dict) -> dict:
    """A gold-format mention from form data (offsets, type, value, mod, doc_type), checked; else ReviewError."""
    if not isinstance(data, dict):
        raise ReviewError("mention must be an object")
    start, end = data.get("start"), data.get("end")
    if not (is_index(start) and is_index(end)):
        raise ReviewError("start and end must be whole numbers")
    mtype = data.get("type")
    if mtype not in MENTION_TYPES:
        raise ReviewError(f"unknown mention type {mtype!r}")
    if not 0 <= start < end <= len(text):
        raise ReviewError(f"offsets {start}-{end} are outside the text ({len(text)} characters)")
    raw = data.get("value")
    if mtype == "PERCENT":
        value: Any = parse_number(raw)
    elif mtype == "QUANTITY":
        value = parse_quantity(raw)
    elif raw is None:
        raise ReviewError("a value is required")
    elif not isinstance(raw, str):
        raise ReviewError(f"a {mtype} value is a text")
    else:
        value = unicodedata.normalize("NFC", raw).strip()
        if mtype == "DOCREF":
            value = re.sub(r"\s+", "", value)
    m: dict[str, Any] = {"start": start, "end": end, "type": mtype, "text": text[start:end], "value": value}
    if mtype == "DATE" and data.get("mod"):
        m["mod"] = data["mod"]
    if mtype == "DOCREF":
        m["doc_type"] = data.get("doc_type") or None
    problems = [p for p in check_record({"id": "x", "text": text, "mentions": [m], "events": []})
                if p.startswith("mention 0")]
    if problems:
        raise ReviewError("; ".join(p.removeprefix("mention 0: ") for p in problems))
    if m.get("mod") is not None and m["mod"] not in MODS:  # pragma: no cover - check_record covers it
        raise ReviewError(f"mod must be one of {', '.join(MODS)}")
    if text[start:end] != text[start:end].strip():
        raise ReviewError("a mention does not start or end with white space")
    return m


def _clean_span(span: Any, text: str | None, what: str) -> dict | None:
    if span is None:
        return None
    if not (isinstance(span, dict) and is_index(span.get("start")) and is_index(span.get("end"))
            and 0 <= span["start"] < span["end"]):
        raise ReviewError(f"{what} must be {{start, end}} with whole-number offsets, start < end")
    s, e = span["start"], span["end"]
    if text is not None:
        if e > len(text):
            raise ReviewError(f"{what} {s}-{e} is outside the text ({len(text)} characters)")
        if text[s:e] != text[s:e].strip():
            raise ReviewError(f"{what} does not start or end with white space")
    return {"start": s, "end": e}


def clean_event(data: dict, text: str | None = None) -> dict:
    """An event from form data: type, trigger span, date key, agent key, lists of mention keys per argument,
    object span, status and canonical key."""
    if not isinstance(data, dict):
        raise ReviewError("event must be an object")
    etype = data.get("type")
    if etype not in EVENT_TYPES:
        raise ReviewError(f"unknown event type {etype!r}")
    out: dict[str, Any] = {"type": etype, "date": None}
    if data.get("trigger") is not None:
        out["trigger"] = _clean_span(data["trigger"], text, "trigger")
    date = data.get("date") or None
    if date is not None:
        if parse_mention_key(date)[2] != "DATE":
            raise ReviewError("the date must be a DATE mention")
        out["date"] = date
    for arg, mtype in EVENT_ARGS.items():
        keys = data.get(arg) or []
        if not isinstance(keys, list):
            raise ReviewError(f"{arg} must be a list of mentions")
        for k in keys:
            if parse_mention_key(k)[2] != mtype:
                raise ReviewError(f"{arg} must be {mtype} mentions")
        out[arg] = list(dict.fromkeys(keys))
    act = etype in ACT_TYPES
    agent = data.get("agent") or None
    if agent is not None and (not isinstance(agent, str) or parse_mention_key(agent)[2] != "INSTITUTION"):
        raise ReviewError("the agent must be an INSTITUTION mention")
    status = data.get("status") or None
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status must be one of {', '.join(STATUSES)}")
    canonical = data.get("canonical") or None
    if canonical is not None:
        if not isinstance(canonical, str) or not canonical.strip() or len(canonical) > 300:
            raise ReviewError("canonical must be a non-empty text of at most 300 characters")
        canonical = unicodedata.normalize("NFC", canonical).strip()
    obj = _clean_span(data.get("object") or None, text, "object")
    if act and agent is not None and agent not in out["institutions"]:
        out["institutions"].append(agent)
    out.update(agent=agent if act else None, status=(status or "done") if act else None, canonical=canonical,
               object=obj)
    return out


def _overlaps(a: dict, b: dict) -> bool:
    """Spans overlap in a way the gold format forbids (nested INSTITUTION mentions are allowed)."""
    if a["start"] >= b["end"] or b["start"] >= a["end"]:
        return False
    if a["type"] == b["type"] == "INSTITUTION":
        nested = (a["start"] <= b["start"] and b["end"] <= a["end"]) or (b["start"] <= a["start"] and a["end"] <= b["end"])
        return not nested
    return True


# ---------------------------------------------------------------- state of an article under review

@dataclass
class MentionItem:
    key: str
    predicted: dict | None          # None for an added mention
    current: dict                   # what the item is now (the correction, or the prediction)
    state: str                      # pending, accept, reject, correct, add
    decision: Decision | None = None


@dataclass
class EventItem:
    key: str
    predicted: dict | None          # with mention keys: {type, trigger, date, institutions, ...}; None if added
    current: dict
    state: str
    decision: Decision | None = None


@dataclass
class ArticleState:
    """An article's predictions combined with one reviewer's latest decisions.

    Treat it as immutable: lookups and counts are computed once and kept, and
    :meth:`with_decisions` returns a new state rather than changing this one.
    ``latest`` is the decision map it was built from.
    """

    record: dict
    mentions: list[MentionItem]
    events: list[EventItem]
    stale: list[Decision] = field(default_factory=list)
    latest: dict[tuple[str, str], Decision] = field(default_factory=dict)

    @cached_property
    def counts(self) -> tuple[int, int, int]:
        """(predicted items, predicted items decided, added items)."""
        items = decided = added = 0
        for it in (*self.mentions, *self.events):
            i, d, a = _counts(it)
            items, decided, added = items + i, decided + d, added + a
        return items, decided, added

    @property
    def items(self) -> int:
        return self.counts[0]

    @property
    def decided(self) -> int:
        return self.counts[1]

    @property
    def added(self) -> int:
        return self.counts[2]

    @property
    def reviewed(self) -> bool:
        """At least one current decision (reset items do not count)."""
        return self.decided > 0 or self.added > 0

    def live_mentions(self, exclude: str | None = None) -> list[dict]:
        """The mentions as they stand (rejected ones left out), optionally without one key."""
        return [m.current for m in self.mentions if m.state != "reject" and m.key != exclude]

    @cached_property
    def _mention_index(self) -> dict[str, MentionItem]:
        return {m.key: m for m in self.mentions}

    @cached_property
    def _event_index(self) -> dict[str, EventItem]:
        return {e.key: e for e in self.events}

    def mention_by_key(self) -> dict[str, MentionItem]:
        """{key: item} of the mentions (shared: do not modify it)."""
        return self._mention_index

    def event_by_key(self) -> dict[str, EventItem]:
        """{key: item} of the events (shared: do not modify it)."""
        return self._event_index

    @cached_property
    def outcomes(self) -> dict[tuple[str, str], tuple[str, Any]]:
        """{(kind, key): (category, content)} of the decided and added items (see :func:`agreement`)."""
        out: dict[tuple[str, str], tuple[str, Any]] = {}
        for kind, items in (("mention", self.mentions), ("event", self.events)):
            for it in items:
                o = _outcome(it)
                if o is not None:
                    out[(kind, it.key)] = o
        return out

    def with_decisions(self, decisions: list[Decision]) -> "ArticleState":
        """The state after appending ``decisions`` (newest last) to this state's log, without reading the log.

        Equal to ``article_state(record, latest + decisions)``. A few decisions
        replace their items in place (kept in order by bisection); many
        rebuild the state from the updated decision map.
        """
        decisions = [d for d in decisions if d.kind in ("mention", "event")]
        latest = dict(self.latest)
        for d in decisions:
            prev = latest.get((d.kind, d.key))
            ever = d.action == "add" or (prev is not None and prev.ever_added)
            latest[(d.kind, d.key)] = d if d.ever_added == ever else d._replace(ever_added=ever)
        if len(decisions) > 20:
            return article_state(self.record, latest)
        pm, pe = _predicted_maps(self.record)
        mentions, events, stale = list(self.mentions), list(self.events), list(self.stale)
        for d in decisions:
            kind, key = d.kind, d.key
            d = latest[(kind, key)]
            stale = [x for x in stale if (x.kind, x.key) != (kind, key)]
            items, pred, order = ((mentions, pm.get(key), _mention_order) if kind == "mention"
                                  else (events, pe.get(key), _event_order))
            at = next((i for i, it in enumerate(items) if it.key == key), None)
            if at is not None:
                del items[at]
            item, is_stale = _item(kind, key, pred, d)
            if item is not None:
                bisect.insort(items, item, key=order)
            if is_stale:
                stale.append(d)
        new = ArticleState(self.record, mentions, events, stale, latest)
        old_index = {"mention": self.mention_by_key(), "event": self.event_by_key()}
        new_index = {"mention": new.mention_by_key(), "event": new.event_by_key()}
        counts = list(self.counts)
        for kind, key in dict.fromkeys((d.kind, d.key) for d in decisions):
            for it, sign in ((old_index[kind].get(key), -1), (new_index[kind].get(key), 1)):
                if it is not None:
                    counts = [c + sign * x for c, x in zip(counts, _counts(it))]
        new.__dict__["counts"] = tuple(counts)
        if "outcomes" in self.__dict__:  # carry the agreement's outcomes over, changed items only
            outcomes = dict(self.outcomes)
            index = {"mention": new.mention_by_key(), "event": new.event_by_key()}
            for d in decisions:
                it = index[d.kind].get(d.key)
                o = _outcome(it) if it is not None else None
                if o is None:
                    outcomes.pop((d.kind, d.key), None)
                else:
                    outcomes[(d.kind, d.key)] = o
            new.__dict__["outcomes"] = outcomes
        return new


def _counts(it: Any) -> tuple[int, int, int]:
    """What one item adds to (predicted items, predicted items decided, added items)."""
    if it.predicted is None:
        return 0, 0, 1
    return 1, int(it.state != "pending"), 0


def _mention_order(it: MentionItem) -> tuple:
    return (it.current["start"], -it.current["end"], it.current["type"])


def _event_order(it: EventItem) -> tuple:
    return (it.current["trigger"]["start"], it.current["trigger"]["end"], it.current["type"])


def _item(kind: str, key: str, pred: dict | None, d: Decision | None) -> tuple[Any, bool]:
    """(the item of ``key`` under its latest decision ``d``, or None when it is gone; whether ``d`` is stale).

    A predicted item: pending without a decision or after a reset; corrected
    by a correction or an add over it; else in the decision's state. An item
    not predicted: shown when it was ever added and its latest decision is an
    add or a correction, gone otherwise; a decision about an item neither
    predicted nor added is stale (unless a reset).
    """
    cls = MentionItem if kind == "mention" else EventItem
    if pred is not None:
        if d is None or d.action == "reset":
            return cls(key, pred, pred, "pending", d), False
        if d.action in ("correct", "add") and isinstance(d.payload, dict):
            current = d.payload if kind == "mention" else {**pred, **d.payload,
                                                           "trigger": d.payload.get("trigger") or pred["trigger"]}
            return cls(key, pred, current, "correct", d), False
        return cls(key, pred, pred, d.action, d), False
    if d is None:
        return None, False
    if d.ever_added:
        if d.action in ("add", "correct") and isinstance(d.payload, dict):
            return cls(key, None, d.payload, "add", d), False
        return None, False  # an added item removed later (reject/reset): gone, not stale
    return None, d.action != "reset"


def _event_with_keys(ev: dict, mentions: list[dict]) -> dict:
    def key_of(i: Any, typ: str) -> str | None:
        if is_index(i) and 0 <= i < len(mentions) and mentions[i].get("type") == typ:
            return mention_key(mentions[i])
        return None

    out = {"type": ev["type"], "trigger": {"start": ev["trigger"]["start"], "end": ev["trigger"]["end"]},
           "date": key_of(ev.get("date"), "DATE")}
    for arg, typ in EVENT_ARGS.items():
        out[arg] = [k for k in (key_of(i, typ) for i in ev.get(arg) or []) if k]
    obj = ev.get("object")
    out.update(agent=key_of(ev.get("agent"), "INSTITUTION"), status=ev.get("status"),
               canonical=ev.get("canonical"),
               object={"start": obj["start"], "end": obj["end"]} if isinstance(obj, dict) else None)
    return out


_PREDICTED: "OrderedDict[int, tuple[dict, list, list, dict, dict]]" = OrderedDict()
_PREDICTED_LOCK = threading.Lock()


def _predicted(rec: dict) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
    """The keyed mentions and events (arguments as mention keys) of a record, first of each key only, in order.

    Kept for the last records seen (a record must not be modified once used here).
    """
    return _predicted_all(rec)[1:3]


def _predicted_maps(rec: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    """{key: predicted mention} and {key: predicted event} of a record (kept with :func:`_predicted`)."""
    return _predicted_all(rec)[3:5]


def _predicted_all(rec: dict) -> tuple[dict, list, list, dict, dict]:
    """(record, keyed mentions, keyed events, their maps by key), computed once per record kept."""
    with _PREDICTED_LOCK:
        hit = _PREDICTED.get(id(rec))
        if hit is not None and hit[0] is rec:
            _PREDICTED.move_to_end(id(rec))
            return hit
    mentions: list[tuple[str, dict]] = []
    seen: set[str] = set()
    for m in rec.get("mentions") or []:
        key = mention_key(m)
        if key not in seen:
            seen.add(key)
            mentions.append((key, m))
    events: list[tuple[str, dict]] = []
    seen = set()
    all_mentions = rec.get("mentions") or []
    for ev in rec.get("events") or []:
        key = event_key(ev)
        if key not in seen:
            seen.add(key)
            events.append((key, _event_with_keys(ev, all_mentions)))
    mentions.sort(key=lambda km: (km[1]["start"], -km[1]["end"], km[1]["type"]))
    events.sort(key=lambda ke: (ke[1]["trigger"]["start"], ke[1]["trigger"]["end"], ke[1]["type"]))
    entry = (rec, mentions, events, dict(mentions), dict(events))
    with _PREDICTED_LOCK:
        _PREDICTED[id(rec)] = entry
        while len(_PREDICTED) > 16:
            _PREDICTED.popitem(last=False)
    return entry


def article_state(rec: dict, latest: dict[tuple[str, str], Decision]) -> ArticleState:
    """Predictions of one article combined with its latest decisions (see :func:`_item`)."""
    _rec, predicted_mentions, predicted_events, pm, pe = _predicted_all(rec)
    mentions: list[MentionItem] = []
    events: list[EventItem] = []
    for key, m in predicted_mentions:
        mentions.append(_item("mention", key, m, latest.get(("mention", key)))[0])
    for key, ev in predicted_events:
        events.append(_item("event", key, ev, latest.get(("event", key)))[0])
    stale: list[Decision] = []
    moved = any(it.state == "correct" for it in mentions) or any(it.state == "correct" for it in events)
    for (kind, key), d in sorted(latest.items(), key=lambda kv: kv[1].id):
        if key in (pm if kind == "mention" else pe):
            continue
        item, is_stale = _item(kind, key, None, d)
        if item is not None:
            (mentions if kind == "mention" else events).append(item)
            moved = True
        if is_stale:
            stale.append(d)
    if moved:  # predictions come in order; only corrections and added items can be out of place
        mentions.sort(key=_mention_order)
        events.sort(key=_event_order)
    return ArticleState(rec, mentions, events, stale, latest)


def check_mention_fits(state: ArticleState, m: dict, key: str) -> None:
    """Raise ReviewError when ``m`` (replacing item ``key``) would overlap a live mention."""
    for other in state.mentions:
        if other.key == key or other.state == "reject":
            continue
        if _overlaps(m, other.current):
            o = other.current
            raise ReviewError(f"overlaps the {o['type']} mention {o['text']!r} ({o['start']}-{o['end']}): "
                              "reject or correct that one first")


def reviewed_record(state: ArticleState, canon: Callable[[str, str, str | None], str | None] | None = None
                    ) -> tuple[dict, list[str]]:
    """The gold-format record of a reviewed article, and its problems (``check_record``).

    Mentions: accepted, corrected and added ones, and those with no decision as
    predicted; rejected ones left out. Where a mention with no decision overlaps
    a decided one (possible after a re-run), the decided one wins. Events: the
    same, their arguments resolved from mention keys to indices; an argument
    whose mention is gone or has another type is dropped. ``canon(article id,
    event key, key)`` gives the canonical key after merges and splits.
    """
    rec = state.record
    live = [it for it in state.mentions if it.state != "reject"]
    decided = [it for it in live if it.state != "pending"]
    keep = [it for it in live if it.state != "pending"
            or not any(_overlaps(it.current, d.current) for d in decided)]
    keep.sort(key=lambda it: (it.current["start"], -it.current["end"], it.current["type"]))
    text = rec.get("text") or ""
    mentions = []
    index: dict[str, int] = {}
    for it in keep:
        c = it.current
        g = {"start": c["start"], "end": c["end"], "type": c["type"], "text": text[c["start"]:c["end"]],
             "value": c.get("value")}
        if c.get("mod") and c["type"] == "DATE":
            g["mod"] = c["mod"]
        if c["type"] == "DOCREF":
            g["doc_type"] = c.get("doc_type")
        index[it.key] = len(mentions)
        mentions.append(g)

    def resolve(key: str | None, typ: str) -> int | None:
        i = index.get(key) if key else None
        return i if i is not None and mentions[i]["type"] == typ else None

    events = []
    for ev in state.events:
        if ev.state == "reject":
            continue
        c = ev.current
        out = {"type": c["type"], "trigger": dict(c["trigger"]), "date": resolve(c.get("date"), "DATE")}
        for arg, typ in EVENT_ARGS.items():
            out[arg] = sorted({i for i in (resolve(k, typ) for k in c.get(arg) or []) if i is not None})
        act = c["type"] in ACT_TYPES
        agent = resolve(c.get("agent"), "INSTITUTION") if act else None
        if agent is not None and agent not in out["institutions"]:
            out["institutions"] = sorted(out["institutions"] + [agent])
        out["agent"] = agent
        out["object"] = c.get("object")
        out["status"] = (c.get("status") or "done") if act else None
        base = c.get("canonical") or f"{rec['id']}:{c['type']}:{c['trigger']['start']}"
        out["canonical"] = (canon(rec["id"], ev.key, base) if canon else None) or base
        events.append(out)
    events.sort(key=lambda e: (e["trigger"]["start"], e["trigger"]["end"], e["type"]))
    gold = {"id": rec["id"], "source": rec.get("source"), "published": rec.get("published"), "text": text,
            "mentions": mentions, "events": events}
    return gold, check_record(gold)


# ---------------------------------------------------------------- agreement of two reviewers

def _outcome(it: Any) -> tuple[str, Any] | None:
    """(category, content) of one item a reviewer decided or added; None for a pending one."""
    if it.state == "pending":
        return None
    if it.state == "reject":
        return ("reject", None)
    content = json.dumps(it.current, sort_keys=True, ensure_ascii=False)
    if it.predicted is None:
        return ("add", content)
    same = content == json.dumps(it.predicted, sort_keys=True, ensure_ascii=False)
    return ("accept" if same else "correct", content)


def _outcomes(state: ArticleState) -> dict[tuple[str, str], tuple[str, Any]]:
    """{(kind, key): (category, content)} of the items a reviewer decided or added (kept on the state)."""
    return state.outcomes


def agreement(a: ArticleState, b: ArticleState) -> dict:
    """Agreement of two reviewers on one article.

    Items: the predicted items both decided, and every item either added (an
    item one reviewer added and the other did not is a disagreement). Two
    outcomes agree when both rejected, or both kept the item with the same
    content. Returns {"items", "agree", "ratio", "kappa"} (Cohen's kappa over
    the categories accept, correct, reject, add/absent).
    """
    oa, ob = _outcomes(a), _outcomes(b)
    keys = {k for k in oa if k in ob} | {k for k, v in oa.items() if v[0] == "add"} | \
           {k for k, v in ob.items() if v[0] == "add"}
    pairs = [(oa.get(k, ("absent", None)), ob.get(k, ("absent", None))) for k in sorted(keys)]
    n = len(pairs)
    agree = sum(1 for x, y in pairs if x == y)
    if n == 0:
        return {"items": 0, "agree": 0, "ratio": None, "kappa": None}
    cats = sorted({x[0] for x, _ in pairs} | {y[0] for _, y in pairs})
    p_o = sum(1 for x, y in pairs if x[0] == y[0]) / n
    p_e = sum((sum(1 for x, _ in pairs if x[0] == c) / n) * (sum(1 for _, y in pairs if y[0] == c) / n)
              for c in cats)
    kappa = 1.0 if p_e >= 1 else (p_o - p_e) / (1 - p_e)
    return {"items": n, "agree": agree, "ratio": agree / n, "kappa": kappa}


# ---------------------------------------------------------------- export

def protected_path(path: str | os.PathLike) -> bool:
    """True for a path inside a ``corpus/gold/`` folder (the project's gold set is never written by export)."""
    p = Path(path).resolve()
    return any(a.name == "gold" and a.parent.name == "corpus" for a in p.parents)


def choose_reviewers(overview: dict[str, dict[str, dict]], include_partial: bool = False,
                     reviewer: str | None = None) -> dict[str, str]:
    """{article id: reviewer whose decisions are exported}.

    Done articles: the reviewer who marked it done (the latest mark when
    several did). With ``include_partial``, other articles with decisions too:
    the reviewer with the most decision rows. ``reviewer`` restricts to one.
    """
    out: dict[str, str] = {}
    for aid, by in overview.items():
        cands = {r: info for r, info in by.items() if reviewer is None or r == reviewer}
        done = sorted((info["status_at"], r) for r, info in cands.items() if info.get("status") == "done")
        if done:
            out[aid] = done[-1][1]
        elif include_partial:
            busy = sorted((info.get("rows", 0), r) for r, info in cands.items() if info.get("rows"))
            if busy:
                out[aid] = busy[-1][1]
    return out


def export_reviewed(predictions: Iterable[dict], db: ReviewDB, target: str | os.PathLike, *,
                    force: bool = False, include_partial: bool = False, reviewer: str | None = None
                    ) -> tuple[int, list[tuple[str, str]]]:
    """Write the done articles of ``predictions`` as gold JSONL to ``target``, atomically.

    Only articles marked done are written, unless ``include_partial`` (then
    every article with a current decision, its undecided items as
    predicted). Canonical keys follow the reviewers' merges and splits.
    Returns (records written, [(article id, problem)] of the articles left out
    because ``check_record`` found problems). Raises ReviewError when
    ``target`` exists and ``force`` is false, or lies inside ``corpus/gold/``.
    """
    from ..report import write_text_atomic

    target = Path(target)
    if protected_path(target):
        raise ReviewError(f"{target} is inside corpus/gold/: export never writes there; "
                          "write elsewhere and merge by hand")
    if target.is_dir():
        raise ReviewError(f"{target} is a folder")
    if target.exists() and not force:
        raise ReviewError(f"{target} exists; use --force to overwrite it")
    overview = db.overview()
    who = choose_reviewers(overview, include_partial, reviewer)
    canon = db.canonical_resolver()
    out: list[dict] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for rec in predictions:
        aid = rec.get("id")
        if aid not in who or aid in seen:  # a duplicated id: its first record, as the app shows
            continue
        seen.add(aid)
        state = article_state(rec, db.latest(aid, who[aid]))
        done = db.status_of(overview.get(aid, {}).get(who[aid])) == "done"
        if not done and not state.reviewed:  # a partial article whose decisions were all undone
            continue
        gold, probs = reviewed_record(state, canon)
        if probs:
            problems.extend((aid, p) for p in probs)
        else:
            out.append(gold)
    out.sort(key=lambda r: r["id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in out))
    return len(out), problems


__all__ = ["ACT_TYPES", "FIGURE_TYPES", "ReviewDB", "ReviewError", "article_state", "reviewed_record",
           "export_reviewed", "agreement", "clean_event", "clean_mention"]
