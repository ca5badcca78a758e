"""Review decisions: an append-only SQLite log, and what it makes of a run's predictions.

Storage
-------
Table ``decisions``: one row per decision (``id``, ``article_id``, ``kind``
"mention" or "event", ``item_key``, ``action``, ``payload`` JSON,
``created_at`` UTC ISO time). Rows are only ever inserted (triggers refuse
UPDATE and DELETE); the current state of an item is its latest row (highest
``id``). The database runs in WAL mode with a busy timeout and
``synchronous=FULL``; every write is one short ``BEGIN IMMEDIATE`` transaction,
so two browser tabs or a crash lose nothing that was acknowledged. Only
parameterized SQL is used.

Items are keyed by content, not by list position, so a re-run of the pipeline
keeps every decision whose item is still extracted:

- a mention: ``"start:end:TYPE"`` of the predicted mention (an added mention:
  of itself);
- an event: ``"TYPE:trigger_start:trigger_end"`` of the predicted event.

Actions: ``accept``, ``reject``, ``correct`` (payload: the corrected mention
``{start, end, type, value, mod?, doc_type?}`` or event ``{type, date,
institutions, documents, percents}`` whose arguments are mention keys),
``add`` (payload: a new mention; a later ``reject`` of an added key removes
it) and ``reset`` (back to "not reviewed").
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..gold import ACT_TYPES, EVENT_ARGS, EVENT_TYPES, MENTION_TYPES, MODS, STATUSES, check_record

KINDS = ("mention", "event")
ACTIONS = ("accept", "reject", "correct", "add", "reset")
SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('mention', 'event')),
    item_key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct', 'add', 'reset')),
    payload TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_item ON decisions (article_id, kind, item_key, id);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


class ReviewError(ValueError):
    """A decision that cannot be stored (bad offsets, value, type, overlap...)."""


# ---------------------------------------------------------------- keys

def mention_key(m: dict) -> str:
    return f"{m['start']}:{m['end']}:{m['type']}"


def event_key(e: dict) -> str:
    return f"{e['type']}:{e['trigger']['start']}:{e['trigger']['end']}"


_MENTION_KEY = re.compile(r"(\d+):(\d+):([A-Z]+)")
_EVENT_KEY = re.compile(r"([A-Z]+):(\d+):(\d+)")


def parse_mention_key(key: str) -> tuple[int, int, str]:
    m = _MENTION_KEY.fullmatch(key or "")
    if not m or m.group(3) not in MENTION_TYPES:
        raise ReviewError(f"not a mention key: {key!r}")
    return int(m.group(1)), int(m.group(2)), m.group(3)


def parse_event_key(key: str) -> tuple[str, int, int]:
    m = _EVENT_KEY.fullmatch(key or "")
    if not m or m.group(1) not in EVENT_TYPES:
        raise ReviewError(f"not an event key: {key!r}")
    return m.group(1), int(m.group(2)), int(m.group(3))


# ---------------------------------------------------------------- the store

@dataclass(frozen=True)
class Decision:
    id: int
    article_id: str
    kind: str
    key: str
    action: str
    payload: Any
    created_at: str
    ever_added: bool = False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class ReviewDB:
    """The decision log of one run (one SQLite file); safe to share between threads."""

    def __init__(self, path: str | os.PathLike, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection (autocommit; transactions are explicit), closed afterwards."""
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
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
                payload: Any = None) -> tuple[int, str]:
        if kind not in KINDS:
            raise ReviewError(f"unknown kind {kind!r}")
        if action not in ACTIONS:
            raise ReviewError(f"unknown action {action!r}")
        created = _now()
        cur = db.execute(
            "INSERT INTO decisions (article_id, kind, item_key, action, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (article_id, kind, key, action, None if payload is None else json.dumps(payload, ensure_ascii=False),
             created))
        return int(cur.lastrowid), created

    def add(self, article_id: str, kind: str, key: str, action: str, payload: Any = None,
            check: Callable[[sqlite3.Connection], None] | None = None) -> tuple[int, str]:
        """Append one decision in its own transaction; ``check(db)`` runs first inside it and may raise."""
        with self.transaction() as db:
            if check is not None:
                check(db)
            return self._insert(db, article_id, kind, key, action, payload)

    def add_many(self, article_id: str, items: Iterable[tuple[str, str, str, Any]]) -> int:
        """Append several decisions (kind, key, action, payload) of one article in one transaction."""
        n = 0
        with self.transaction() as db:
            for kind, key, action, payload in items:
                self._insert(db, article_id, kind, key, action, payload)
                n += 1
        return n

    @staticmethod
    def latest_in(db: sqlite3.Connection, article_ids: list[str]) -> dict[str, dict[tuple[str, str], Decision]]:
        """{article id: {(kind, key): latest decision}} for the given articles."""
        out: dict[str, dict[tuple[str, str], Decision]] = {a: {} for a in article_ids}
        for chunk in (article_ids[i:i + 500] for i in range(0, len(article_ids), 500)):
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"""SELECT d.id, d.article_id, d.kind, d.item_key, d.action, d.payload, d.created_at, l.added
                    FROM decisions d JOIN (
                        SELECT MAX(id) AS id, MAX(action = 'add') AS added FROM decisions
                        WHERE article_id IN ({marks}) GROUP BY article_id, kind, item_key) l ON d.id = l.id""",
                chunk).fetchall()
            for rid, aid, kind, key, action, payload, created, added in rows:
                out[aid][(kind, key)] = Decision(rid, aid, kind, key, action,
                                                 None if payload is None else json.loads(payload), created, bool(added))
        return out

    def latest(self, article_id: str) -> dict[tuple[str, str], Decision]:
        with self.connect() as db:
            return self.latest_in(db, [article_id])[article_id]

    def latest_many(self, article_ids: list[str]) -> dict[str, dict[tuple[str, str], Decision]]:
        with self.connect() as db:
            return self.latest_in(db, list(article_ids))

    def history(self, article_id: str) -> list[Decision]:
        with self.connect() as db:
            rows = db.execute("SELECT id, article_id, kind, item_key, action, payload, created_at FROM decisions "
                              "WHERE article_id = ? ORDER BY id", (article_id,)).fetchall()
        return [Decision(r[0], r[1], r[2], r[3], r[4], None if r[5] is None else json.loads(r[5]), r[6]) for r in rows]

    def article_ids(self) -> list[str]:
        """Every article id that has at least one decision row."""
        with self.connect() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT article_id FROM decisions ORDER BY article_id")]

    def count(self, article_id: str | None = None) -> int:
        with self.connect() as db:
            if article_id is None:
                return db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
            return db.execute("SELECT COUNT(*) FROM decisions WHERE article_id = ?", (article_id,)).fetchone()[0]


# ---------------------------------------------------------------- cleaning what the browser sends

_NUM = r"-?\d+(?:[.,]\d+)?"
_PERCENT_TEXT = re.compile(rf"\s*({_NUM})\s*%?\s*(?:[-–—]\s*({_NUM})\s*%?\s*)?")


def _number(s: str) -> int | float:
    s = s.replace(",", ".")
    return float(s) if "." in s else int(s)


def parse_percent(value: Any) -> int | float | list:
    """A PERCENT value from the form: ``90.81``, ``90,81``, ``31%``, ``20-30``, ``[20, 30]``."""
    if isinstance(value, bool):
        raise ReviewError("PERCENT value must be a number or [low, high]")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list):
        return value
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ReviewError(f"PERCENT value {text!r} is not [low, high]") from None
    m = _PERCENT_TEXT.fullmatch(text)
    if not m:
        raise ReviewError(f"PERCENT value {text!r} is not a number or a range")
    low = _number(m.group(1))
    return [low, _number(m.group(2))] if m.group(2) else low


def clean_mention(text: str, data: dict) -> dict:
    """A gold-format mention from form data (offsets, type, value, mod, doc_type), checked; else ReviewError."""
    try:
        start, end = int(data.get("start")), int(data.get("end"))
    except (TypeError, ValueError):
        raise ReviewError("start and end must be whole numbers") from None
    mtype = data.get("type")
    if mtype not in MENTION_TYPES:
        raise ReviewError(f"unknown mention type {mtype!r}")
    if not 0 <= start < end <= len(text):
        raise ReviewError(f"offsets {start}-{end} are outside the text ({len(text)} characters)")
    raw = data.get("value")
    if mtype == "PERCENT":
        value: Any = parse_percent(raw)
    elif raw is None:
        raise ReviewError("a value is required")
    else:
        value = unicodedata.normalize("NFC", str(raw)).strip()
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


def clean_event(data: dict) -> dict:
    """An event correction from form data: type, date key, lists of mention keys per argument."""
    etype = data.get("type")
    if etype not in EVENT_TYPES:
        raise ReviewError(f"unknown event type {etype!r}")
    out: dict[str, Any] = {"type": etype, "date": None}
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
    agent = data.get("agent") or None
    if agent is not None and (not isinstance(agent, str) or parse_mention_key(agent)[2] != "INSTITUTION"):
        raise ReviewError("the agent must be an INSTITUTION mention")
    status = data.get("status") or None
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status must be one of {', '.join(STATUSES)}")
    canonical = data.get("canonical") or None
    if canonical is not None and not isinstance(canonical, str):
        raise ReviewError("canonical must be a string")
    obj = data.get("object") or None
    if obj is not None and not (isinstance(obj, dict) and all(
            isinstance(obj.get(k), int) and not isinstance(obj.get(k), bool) for k in ("start", "end"))
            and 0 <= obj["start"] < obj["end"]):
        raise ReviewError("object must be null or {start, end} with integer offsets")
    out.update(agent=agent, status=status, canonical=canonical,
               object={"start": obj["start"], "end": obj["end"]} if obj else None)
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
    predicted: dict                 # with mention keys: {type, trigger, date, institutions, ...}
    current: dict
    state: str
    decision: Decision | None = None


@dataclass
class ArticleState:
    record: dict
    mentions: list[MentionItem]
    events: list[EventItem]
    stale: list[Decision] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(1 for m in self.mentions if m.predicted is not None) + len(self.events)

    @property
    def decided(self) -> int:
        return (sum(1 for m in self.mentions if m.predicted is not None and m.state != "pending")
                + sum(1 for e in self.events if e.state != "pending"))

    @property
    def added(self) -> int:
        return sum(1 for m in self.mentions if m.predicted is None)

    @property
    def reviewed(self) -> bool:
        """At least one current decision (reset items do not count)."""
        return self.decided > 0 or self.added > 0

    def live_mentions(self, exclude: str | None = None) -> list[dict]:
        """The mentions as they stand (rejected ones left out), optionally without one key."""
        return [m.current for m in self.mentions if m.state != "reject" and m.key != exclude]

    def mention_by_key(self) -> dict[str, MentionItem]:
        return {m.key: m for m in self.mentions}


def _event_with_keys(ev: dict, mentions: list[dict]) -> dict:
    def key_of(i: Any, typ: str) -> str | None:
        if isinstance(i, int) and 0 <= i < len(mentions) and mentions[i].get("type") == typ:
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


def article_state(rec: dict, latest: dict[tuple[str, str], Decision]) -> ArticleState:
    """Predictions of one article combined with its latest decisions."""
    mentions: list[MentionItem] = []
    predicted_keys: set[str] = set()
    for m in rec.get("mentions") or []:
        key = mention_key(m)
        if key in predicted_keys:
            continue
        predicted_keys.add(key)
        d = latest.get(("mention", key))
        if d is None or d.action == "reset":
            mentions.append(MentionItem(key, m, m, "pending", d if d else None))
        elif d.action in ("correct", "add") and isinstance(d.payload, dict):
            mentions.append(MentionItem(key, m, d.payload, "correct", d))
        else:
            mentions.append(MentionItem(key, m, m, d.action, d))
    events: list[EventItem] = []
    event_keys: set[str] = set()
    for ev in rec.get("events") or []:
        key = event_key(ev)
        if key in event_keys:
            continue
        event_keys.add(key)
        pred = _event_with_keys(ev, rec.get("mentions") or [])
        d = latest.get(("event", key))
        if d is None or d.action == "reset":
            events.append(EventItem(key, pred, pred, "pending", d))
        elif d.action == "correct" and isinstance(d.payload, dict):
            events.append(EventItem(key, pred, {**pred, **d.payload, "trigger": pred["trigger"]}, "correct", d))
        else:
            events.append(EventItem(key, pred, pred, d.action, d))
    stale: list[Decision] = []
    for (kind, key), d in sorted(latest.items(), key=lambda kv: kv[1].id):
        if kind == "mention" and key not in predicted_keys:
            if d.ever_added:
                if d.action == "add" and isinstance(d.payload, dict):
                    mentions.append(MentionItem(key, None, d.payload, "add", d))
                continue  # an added mention removed later (reject/reset): gone, not stale
            if d.action != "reset":
                stale.append(d)
        elif kind == "event" and key not in event_keys and d.action != "reset":
            stale.append(d)
    mentions.sort(key=lambda it: (it.current["start"], -it.current["end"], it.current["type"]))
    return ArticleState(rec, mentions, events, stale)


def check_mention_fits(state: ArticleState, m: dict, key: str) -> None:
    """Raise ReviewError when ``m`` (replacing item ``key``) would overlap a live mention."""
    for other in state.mentions:
        if other.key == key or other.state == "reject":
            continue
        if _overlaps(m, other.current):
            o = other.current
            raise ReviewError(f"overlaps the {o['type']} mention {o['text']!r} ({o['start']}-{o['end']}): "
                              "reject or correct that one first")


def reviewed_record(state: ArticleState) -> tuple[dict, list[str]]:
    """The gold-format record of a reviewed article, and its problems (``check_record``).

    Mentions: accepted, corrected and added ones, and those with no decision as
    predicted; rejected ones left out. Where a mention with no decision overlaps
    a decided one (possible after a re-run), the decided one wins. Events: the
    same, their arguments resolved from mention keys to indices; an argument
    whose mention is gone or has another type is dropped.
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
        out["canonical"] = c.get("canonical") or f"{rec['id']}:{c['type']}:{c['trigger']['start']}"
        events.append(out)
    events.sort(key=lambda e: (e["trigger"]["start"], e["trigger"]["end"], e["type"]))
    gold = {"id": rec["id"], "source": rec.get("source"), "published": rec.get("published"), "text": text,
            "mentions": mentions, "events": events}
    return gold, check_record(gold)


# ---------------------------------------------------------------- export

def protected_path(path: str | os.PathLike) -> bool:
    """True for a path inside a ``corpus/gold/`` folder (the project's gold set is never written by export)."""
    p = Path(path).resolve()
    return any(a.name == "gold" and a.parent.name == "corpus" for a in p.parents)


def export_reviewed(predictions: Iterable[dict], db: ReviewDB, target: str | os.PathLike, *,
                    force: bool = False) -> tuple[int, list[tuple[str, str]]]:
    """Write the reviewed articles of ``predictions`` as gold JSONL to ``target``, atomically.

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
    wanted = set(db.article_ids())
    out: list[dict] = []
    problems: list[tuple[str, str]] = []
    batch: list[dict] = []

    def flush() -> None:
        latest = db.latest_many([r["id"] for r in batch])
        for r in batch:
            state = article_state(r, latest[r["id"]])
            if not state.reviewed:
                continue
            gold, probs = reviewed_record(state)
            if probs:
                problems.extend((r["id"], p) for p in probs)
            else:
                out.append(gold)
        batch.clear()

    seen: set[str] = set()
    for rec in predictions:
        if rec.get("id") in wanted and rec["id"] not in seen:  # a duplicated id: its first record, as the app shows
            seen.add(rec["id"])
            batch.append(rec)
            if len(batch) >= 200:
                flush()
    flush()
    out.sort(key=lambda r: r["id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out))
    return len(out), problems
