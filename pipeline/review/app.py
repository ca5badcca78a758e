"""The review web app (Flask): pages over a run's outputs, decisions in SQLite.

Pages: ``/`` articles with title, status and review progress (search, sort,
status filter); ``/article?id=ID&section=N`` one article, section by section
(at most ``SECTION_CHARS`` characters and ``SECTION_ITEMS`` items each, so a
page's size is bounded whatever the article's length), with its mentions and
event triggers highlighted and its mentions and events, each with its review
actions; ``/events`` events filterable by type, date range, institution
(diacritic-insensitive, aliases known), document and text; ``/canonical``
statements grouped by canonical key across articles, with merge and split.

State changes are ``POST /api/...`` with JSON bodies: ``decision``,
``accept-rest``, ``undo``, ``status``, ``comment``, ``canonical``,
``reviewer``. Answers of the article-changing ones carry what changed, so
the page updates in place: the changed items and the events on the section
citing them (with where to place an item whose span moved or that came or
went, and the section's text then), the status line; "accept the rest" and
large undos answer with the new state of each changed item on the section;
only a change that moves the section's bounds re-renders the section. The
reviewer's state of an article is kept between requests and derived from
the decision just written. ``GET /api/item`` and ``GET /api/choices`` serve
the correction forms on demand.

Safety: every request's Host must be in the allow-list (the bound address,
the localhost names, and ``allowed_hosts``); every state-changing request
must carry an Origin (or ``Sec-Fetch-Site: same-origin``) equal to the app's
own; every JSON body is parsed strictly (UTF-8, no NaN/Infinity, finite
numbers, no lone surrogates, nesting at most ``MAX_DEPTH``) and checked
against the endpoint's schema, and refused with 400 and a reason. Errors
never show a traceback. The app serves only its pages and its own
``static/`` files; every value from the data goes through Jinja2 autoescape;
pages carry a strict Content-Security-Policy.
"""
from __future__ import annotations

import bisect
import gc
import json
import logging
import math
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, unquote

from flask import Flask, Response, abort, jsonify, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from ..gold import ACT_TYPES, EVENT_ARGS, EVENT_TYPES, FIGURE_TYPES, MENTION_TYPES, MODS, STATUSES, doc_types
from ..report import format_value, iter_event_rows, mention_title, _as_date
from .db import (ARTICLE_STATUSES, DEFAULT_REVIEWER, STATUS_LABELS, ArticleState, Decision, ReviewDB, ReviewError,
                 agreement, article_state, check_mention_fits, clean_event, clean_mention, clean_reviewer,
                 event_key, mention_key, new_batch, parse_event_key, parse_mention_key)

log = logging.getLogger(__name__)

PAGE_SIZE = 100
EVENTS_PAGE = 200
GROUPS_PAGE = 100
SECTION_CHARS = 30_000
SECTION_ITEMS = 400
MAX_DEPTH = 8
BULK = 20  # an undo of more items than this answers like "accept the rest"
LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1"]
LOOPBACK_HOSTS = LOCAL_HOSTS  # the name earlier versions exported
COOKIE = "vnevents_reviewer"
MENTION_COLORS = {"DATE": "#bfe1d9", "PERCENT": "#e4e7d2", "DOCREF": "#feca74", "INSTITUTION": "#7aecec",
                  "QUANTITY": "#f4c2e0"}
MENTION_KEYS = {t: str(i + 1) for i, t in enumerate(MENTION_TYPES)}
EVENT_KEYS = {t: str(i + 1) for i, t in enumerate(EVENT_TYPES)}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


# ---------------------------------------------------------------- text helpers

def fold(s: Any) -> str:
    """Text for diacritic- and case-insensitive matching: "Bộ TT&TT" -> "bo tt&tt"."""
    s = unicodedata.normalize("NFD", str(s or "")).replace("đ", "d").replace("Đ", "D")
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return " ".join(s.casefold().split())


@cache
def alias_index() -> tuple[tuple[str, str], ...]:
    """(folded alias, canonical name) of every body of the knowledge base (names, aliases, short forms)."""
    from ..resources import load_table, split_list

    out = []
    for row in load_table("institutions"):
        name = row.get("name") or ""
        for alias in [name, *split_list(row.get("aliases")), *split_list(row.get("short"))]:
            if alias:
                out.append((fold(alias), name))
    return tuple(out)


def expand_aliases(query: str) -> set[str]:
    """Folded canonical names of the bodies whose name or alias is, or contains as words, the query."""
    q = fold(query)
    if len(q) < 2:
        return set()
    pat = re.compile(r"(?:^|[\s(])" + re.escape(q) + r"(?:$|[\s),])")
    return {fold(name) for alias, name in alias_index() if alias == q or (len(q) >= 3 and pat.search(alias))}


def title_of(text: str) -> str:
    """A title for the list: the first line with at least four words that is not a dateline or a code."""
    for line in text.splitlines()[:12]:
        line = line.strip()
        words = line.split()
        if len(words) >= 4 and sum(ch.isalpha() for ch in line) > len(line) / 2:
            return line[:140] + ("…" if len(line) > 140 else "")
    first = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return first[:140]


# ---------------------------------------------------------------- predictions

class Predictions:
    """An index of predictions.jsonl (byte offset, title and counts per article), rebuilt when the file changes.

    The pipeline replaces the file atomically, so a re-run while the app is
    open shows the new predictions on the next page load. The last few
    records read are kept parsed (read-only).
    """

    CACHED = 6

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._sig: tuple | None = None
        self.offsets: dict[str, int] = {}
        self.rows: list[dict] = []
        self._parsed: OrderedDict[tuple, dict] = OrderedDict()

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    @property
    def signature(self) -> tuple | None:
        return self._sig

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            sig = self._signature()
            if sig == self._sig and not force:
                return
            offsets: dict[str, int] = {}
            rows: list[dict] = []
            if sig is not None:
                with open(self.path, "rb") as fh:
                    pos = 0
                    for line in fh:
                        if line.strip():
                            rec = json.loads(line)
                            aid = rec.get("id")
                            if isinstance(aid, str) and aid not in offsets:
                                offsets[aid] = pos
                                text = rec.get("text") or ""
                                rows.append({"id": aid, "source": rec.get("source"), "published": rec.get("published"),
                                             "title": title_of(text), "chars": len(text),
                                             "mentions": len(rec.get("mentions") or []),
                                             "events": len(rec.get("events") or [])})
                        pos += len(line)
            self.offsets, self.rows, self._sig = offsets, rows, sig
            self._parsed.clear()

    def get(self, article_id: str) -> dict | None:
        """The record of one article (read from its offset), or None. Do not modify it."""
        for attempt in range(2):
            self.refresh(force=attempt > 0)
            pos = self.offsets.get(article_id)
            if pos is None:
                return None
            ck = (self._sig, article_id)
            with self._lock:
                if ck in self._parsed:
                    self._parsed.move_to_end(ck)
                    return self._parsed[ck]
            try:
                with open(self.path, "rb") as fh:
                    fh.seek(pos)
                    rec = json.loads(fh.readline())
            except (OSError, ValueError):
                continue
            if rec.get("id") == article_id:
                with self._lock:
                    self._parsed[ck] = rec
                    while len(self._parsed) > self.CACHED:
                        self._parsed.popitem(last=False)
                return rec
        return None

    def __iter__(self) -> Iterator[dict]:
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)


# ---------------------------------------------------------------- sections and rendering

def sections(text: str, spans: list[tuple[int, int]], max_chars: int = SECTION_CHARS,
             max_items: int = SECTION_ITEMS) -> list[tuple[int, int]]:
    """Cut the text into sections of at most ``max_chars`` characters and ``max_items`` spans.

    Cuts fall after a line end where possible (else after a space), never inside a span.
    """
    n = len(text)
    spans = sorted(spans)
    starts = [s for s, _ in spans]
    bounds: list[tuple[int, int]] = []
    pos = 0
    while pos < n:
        first = bisect.bisect_left(starts, pos)
        limit = min(n, pos + max_chars)
        if first + max_items < len(starts):
            limit = min(limit, starts[first + max_items])
        if limit >= n:
            bounds.append((pos, n))
            break
        floor = pos + max(1, (limit - pos) // 2)
        cut = text.rfind("\n", floor, limit)
        if cut < 0:
            cut = text.rfind(" ", floor, limit)
        cut = limit if cut < 0 else cut + 1
        moved = True
        while moved:  # never inside a span: move the cut to the start of a span that crosses it
            moved = False
            i = bisect.bisect_left(starts, cut)
            for s, e in spans[max(0, i - 200):i]:
                if s < cut < e:
                    cut, moved = s, True
                    break
        if cut <= pos:
            cut = limit
        bounds.append((pos, cut))
        pos = cut
    return bounds or [(0, 0)]


def _attrs(attrs: dict[str, Any]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in attrs.items() if value is not None)


def render_text(text: str, a: int, b: int, spans: list[tuple[int, int, int, str, dict]]) -> Markup:
    """``text[a:b]`` as escaped HTML with spans (start, end, rank, tag, attrs) wrapped, nested where they nest.

    The element's text content stays exactly ``text[a:b]`` (labels come from
    CSS), so offsets into the rendered text are offsets into the stored text
    minus ``a``. A span that crosses another's boundary is not wrapped.
    """
    items = sorted((s for s in spans if a <= s[0] < s[1] <= b), key=lambda x: (x[0], -x[1], x[2]))
    out: list[str] = []
    pos = a
    stack: list[tuple[int, str]] = []
    for start, end, _rank, tag, attrs in items:
        while stack and stack[-1][0] <= start:
            close, ctag = stack.pop()
            out.append(str(escape(text[pos:close])) + f"</{ctag}>")
            pos = close
        if stack and end > stack[-1][0]:
            continue
        out.append(str(escape(text[pos:start])))
        out.append(f"<{tag}{_attrs(attrs)}>")
        pos = start
        stack.append((end, tag))
    while stack:
        close, ctag = stack.pop()
        out.append(str(escape(text[pos:close])) + f"</{ctag}>")
        pos = close
    out.append(str(escape(text[pos:b])))
    return Markup("".join(out))


def _clip(s: str, n: int = 120) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


def snippet(text: str, start: int, end: int, width: int = 60) -> dict:
    a, b = max(0, start - width), min(len(text), end + width)
    return {"before": ("…" if a > 0 else "") + text[a:start], "trigger": text[start:end],
            "after": text[end:b] + ("…" if b < len(text) else "")}


# ---------------------------------------------------------------- request checking

class BadRequest(Exception):
    """A request refused with 400 and a reason."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


def _reject_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number")


def _finite_float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise BadRequest(f"number {s[:30]} is not finite")
    return v


def _check_tree(value: Any) -> None:
    """Depth and strings of a parsed JSON value (iteratively: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest("a string holds a lone surrogate (not valid Unicode)") from None
        elif isinstance(v, dict):
            for k, x in v.items():
                stack.append((k, depth))
                stack.append((x, depth + 1))
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)


def parse_json_body(raw: bytes) -> Any:
    """The JSON value of a request body, strictly; BadRequest with a reason otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    # bracket depth before parsing, so hostile nesting never reaches the parser's recursion
    depth = 0
    in_str = esc = False
    for ch in text if text.count("[") + text.count("{") > MAX_DEPTH else ():
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif ch in "]}":
            depth -= 1
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except BadRequest:
        raise
    except json.JSONDecodeError as exc:
        raise BadRequest(f"invalid JSON ({exc.msg} at character {exc.pos})") from None
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"invalid JSON ({str(exc)[:80]})") from None
    _check_tree(value)
    return value


# A tiny schema language: each spec is a function (value, where) -> value, raising BadRequest.
Spec = Callable[[Any, str], Any]


def Str(maxlen: int = 1000) -> Spec:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, str):
            raise BadRequest(f"{where} must be a string")
        if len(v) > maxlen:
            raise BadRequest(f"{where} is longer than {maxlen} characters")
        return v
    return check


def Int() -> Spec:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, int) or isinstance(v, bool):
            raise BadRequest(f"{where} must be a whole number")
        if not 0 <= v < 2 ** 31:
            raise BadRequest(f"{where} is out of range")
        return v
    return check


def Num() -> Spec:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise BadRequest(f"{where} must be a finite number")
        return v
    return check


def Enum(*values: str) -> Spec:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, str) or v not in values:
            raise BadRequest(f"{where} must be one of {', '.join(values)}")
        return v
    return check


def Opt(spec: Spec) -> Spec:
    def check(v: Any, where: str) -> Any:
        return None if v is None else spec(v, where)
    return check


def List(spec: Spec, maxn: int = 1000) -> Spec:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, list):
            raise BadRequest(f"{where} must be a list")
        if len(v) > maxn:
            raise BadRequest(f"{where} has more than {maxn} items")
        return [spec(x, f"{where}[{i}]") for i, x in enumerate(v)]
    return check


def OneOf(*specs: Spec, what: str = "a value") -> Spec:
    def check(v: Any, where: str) -> Any:
        for spec in specs:
            try:
                return spec(v, where)
            except BadRequest:
                continue
        raise BadRequest(f"{where} must be {what}")
    return check


def Obj(fields: dict[str, Spec], required: tuple[str, ...] = ()) -> Spec:
    def check(v: Any, where: str) -> Any:
        if not isinstance(v, dict):
            raise BadRequest(f"{where} must be a JSON object")
        for k in v:
            if k not in fields:
                raise BadRequest(f"{where} has an unknown field {str(k)[:40]!r}")
        for k in required:
            if k not in v:
                raise BadRequest(f"{where} needs the field {k!r}")
        return {k: fields[k](x, f"{where}.{k}") for k, x in v.items()}
    return check


SPAN = Obj({"start": Int(), "end": Int()}, required=("start", "end"))
KEY = Str(200)
NUMBER = OneOf(Num(), Str(100), List(Num(), 2), what="a number, a text or [low, high]")
MENTION = Obj({"start": Int(), "end": Int(), "type": Str(20),
               "value": Opt(OneOf(Str(1000), Num(), List(Num(), 2),
                                  Obj({"number": NUMBER, "unit": Str(100)}, required=("number", "unit")),
                                  what='a text, a number, [low, high] or {"number", "unit"}')),
               "mod": Opt(Str(10)), "doc_type": Opt(Str(100)),
               "text": Opt(Str(100_000))},
              required=("start", "end", "type"))  # the text of a gold mention is ignored (offsets decide)
EVENT = Obj({"type": Str(20), "trigger": Opt(SPAN), "date": Opt(KEY), "agent": Opt(KEY),
             **{arg: List(KEY, 500) for arg in EVENT_ARGS}, "object": Opt(SPAN), "status": Opt(Str(20)),
             "canonical": Opt(Str(300))})
ARTICLE_ID = Str(1000)
SECTION = Opt(Int())
SCHEMAS: dict[str, Spec] = {
    "decision": Obj({"article_id": ARTICLE_ID, "kind": Enum("mention", "event"), "key": KEY,
                     "action": Enum("accept", "reject", "correct", "add", "reset"),
                     "mention": Opt(MENTION), "event": Opt(EVENT), "section": SECTION},
                    required=("article_id", "kind", "key", "action")),
    "accept_rest": Obj({"article_id": ARTICLE_ID, "section": SECTION}, required=("article_id",)),
    "undo": Obj({"article_id": ARTICLE_ID, "section": SECTION}, required=("article_id",)),
    "status": Obj({"article_id": ARTICLE_ID, "status": Enum(*ARTICLE_STATUSES), "section": SECTION},
                  required=("article_id", "status")),
    "comment": Obj({"article_id": ARTICLE_ID, "kind": Enum("mention", "event", "article"), "key": Str(200),
                    "text": Str(2000), "section": SECTION}, required=("article_id", "kind", "key", "text")),
    "canonical": Obj({"action": Enum("merge", "unmerge", "split", "rejoin"), "keys": List(Str(300), 200),
                      "into": Str(300), "key": Str(300), "article_id": ARTICLE_ID, "event_key": KEY,
                      "canonical": Opt(Str(300))}, required=("action",)),
    "reviewer": Obj({"name": Str(100)}, required=("name",)),
}


def host_of(host_header: str) -> str:
    """The host name of a Host header, without port and brackets, lower case."""
    h = (host_header or "").strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    if h.count(":") == 1:
        return h.split(":")[0]
    return h


# ---------------------------------------------------------------- memory

FROZEN_LIMIT = 5_000_000  # objects kept out of the collector before a full collection clears them


def settle_memory(may_collect: bool = True) -> None:
    """Move the objects alive now (parsed records, kept states and caches) out of the garbage collector's way.

    A long article keeps a million objects alive; every full collection
    walks them all (60-130 ms on a 2-core machine), and decisions allocate
    enough to trigger one every few requests. Called after a page is built
    and after a bulk change, so decisions afterwards only pay for what they
    allocate. Frozen objects are never freed by the collector, so once more
    than ``FROZEN_LIMIT`` are frozen they are released and collected once,
    where ``may_collect`` (a page load, never a decision).
    """
    if gc.get_freeze_count() > FROZEN_LIMIT:
        if not may_collect:
            return
        gc.unfreeze()
        gc.collect()
    gc.freeze()


# ---------------------------------------------------------------- the app

def create_app(out_dir: str | os.PathLike = "outputs", db_path: str | os.PathLike | None = None,
               trusted_hosts: list[str] | None = None, *, allowed_hosts: list[str] | None = None,
               reviewer: str = DEFAULT_REVIEWER) -> Flask:
    """The Flask app over the outputs in ``out_dir`` and the decision log ``db_path`` (default OUT/review.sqlite).

    Requests are served only for Host names in ``LOCAL_HOSTS`` plus
    ``trusted_hosts`` and ``allowed_hosts`` (the server adds the address it
    binds). ``reviewer`` is the name decisions are made under until the page
    picks another.
    """
    out = Path(out_dir)
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"))
    app.config.update(MAX_CONTENT_LENGTH=1 << 20)
    app.jinja_env.autoescape = True
    db = ReviewDB(db_path or out / "review.sqlite", keep_open=4)
    preds = Predictions(out / "predictions.jsonl")
    hosts = {host_of(h) for h in [*LOCAL_HOSTS, *(trusted_hosts or []), *(allowed_hosts or [])] if h}
    default_reviewer = clean_reviewer(reviewer)
    canon_cache: dict[str, Any] = {}
    app.extensions["vnevents"] = {"db": db, "predictions": preds, "out": out, "hosts": hosts,
                                  "canon_cache": canon_cache}
    kinds_doc = sorted(doc_types())
    states: OrderedDict[tuple[str, str], tuple[int, ArticleState]] = OrderedDict()
    derived: OrderedDict[tuple[str, int], tuple[ArticleState, Any]] = OrderedDict()
    cache_lock = threading.Lock()

    # ------------------------------------------------------------ states, kept while the log does not change

    def remember(rec: dict, who: str, stamp: int, st: ArticleState) -> None:
        """Keep ``st`` as the reviewer's state of the article while the log's highest id is ``stamp``."""
        with cache_lock:
            states[(rec["id"], who)] = (stamp, st)
            states.move_to_end((rec["id"], who))
            while len(states) > 16:
                states.popitem(last=False)

    def stamped_state(rec: dict, who: str, conn=None) -> tuple[int, ArticleState]:
        """(stamp, the reviewer's current state of the article): from the cache unless the log changed since.

        The stamp (the log's highest id) is read before the decisions, so a
        kept state is never older than its stamp. ``conn``: read inside that
        connection's transaction.
        """
        stamp = ReviewDB.max_id_in(conn) if conn is not None else db.max_id()
        with cache_lock:
            hit = states.get((rec["id"], who))
        if hit is not None and hit[0] == stamp and hit[1].record is rec:
            return stamp, hit[1]
        latest = (ReviewDB.latest_in(conn, [rec["id"]], who)[rec["id"]] if conn is not None
                  else db.latest(rec["id"], who))
        st = article_state(rec, latest)
        remember(rec, who, stamp, st)
        return stamp, st

    def state_of(rec: dict, who: str, conn=None) -> ArticleState:
        """The state part of :func:`stamped_state`."""
        return stamped_state(rec, who, conn)[1]

    def advance(rec: dict, who: str, stamp: int, before: ArticleState, added: list[Decision]) -> ArticleState:
        """The state after ``added`` (appended right after ``stamp``), without reading the log when nothing
        else came in between; else read from the log."""
        if added and added[0].id == stamp + 1:
            after = before.with_decisions(added)
            remember(rec, who, added[-1].id, after)
            return after
        return state_of(rec, who)

    def derive(st: ArticleState, what: str, make: Callable[[], Any]) -> Any:
        """``make()`` computed once per state object (section bounds, canonical entries)."""
        ck = (what, id(st))
        with cache_lock:
            hit = derived.get(ck)
            if hit is not None and hit[0] is st:
                derived.move_to_end(ck)
                return hit[1]
        value = make()
        with cache_lock:
            derived[ck] = (st, value)
            while len(derived) > 64:
                derived.popitem(last=False)
        return value

    def bounds_of(st: ArticleState) -> list[tuple[int, int]]:
        """The sections of the article under ``st`` (spans of every item, rejected ones included)."""
        def make() -> list[tuple[int, int]]:
            spans = [(m.current["start"], m.current["end"]) for m in st.mentions]
            spans += [(e.current["trigger"]["start"], e.current["trigger"]["end"]) for e in st.events]
            return sections(st.record.get("text") or "", spans)
        return derive(st, "bounds", make)

    # ------------------------------------------------------------ guards

    def fail(reason: str, status: int = 400):
        if request.path.startswith("/api/"):
            return jsonify(error=reason), status
        return render_template("error.html", code=status, message=reason), status

    @app.before_request
    def guard():
        if host_of(request.headers.get("Host", "")) not in hosts:
            return fail(f"host {request.headers.get('Host', '')[:80]!r} is not allowed here "
                        "(start the server with --allow-host NAME to add it)", 400)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            own = f"{request.scheme}://{request.headers.get('Host', '')}".lower()
            if origin is None:
                if request.headers.get("Sec-Fetch-Site") != "same-origin":
                    return fail("state changes need an Origin header from this app's own pages", 403)
            elif origin.lower() != own:
                return fail(f"origin {origin[:80]!r} may not change decisions here", 403)
        return None

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.path.startswith("/api/") or request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    def body(schema: str) -> dict:
        if request.mimetype != "application/json":
            raise BadRequest("the body must be JSON (Content-Type: application/json)", 415)
        return SCHEMAS[schema](parse_json_body(request.get_data(cache=False)), "body")

    def current_reviewer() -> str:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                return clean_reviewer(unquote(raw))
            except ReviewError:
                pass
        return default_reviewer

    @app.context_processor
    def common() -> dict:
        return {"out_name": str(out), "mention_types": MENTION_TYPES, "event_types": EVENT_TYPES,
                "act_types": ACT_TYPES, "figure_types": FIGURE_TYPES, "mention_colors": MENTION_COLORS,
                "mention_keys": MENTION_KEYS, "event_keys": EVENT_KEYS, "reviewer": current_reviewer(),
                "status_labels": STATUS_LABELS, "format_value": format_value}

    # ------------------------------------------------------------ canonical groups across articles

    def canonical_entries(reviewer_name: str) -> list[dict]:
        """Every live statement (event) of the run with its canonical key after corrections, merges and splits."""
        preds.refresh()
        sig = preds.signature
        hit = canon_cache.get("base")  # (signature, entries): replaced whole, so threads never see half of it
        if hit is None or hit[0] != sig:
            fresh: dict[str, list[dict]] = {}
            for rec in preds:
                aid = rec.get("id")
                if isinstance(aid, str) and aid not in fresh:
                    fresh[aid] = _entries(rec, article_state(rec, {}))
            hit = canon_cache["base"] = (sig, fresh)
        base = hit[1]
        decided = db.articles_with("event", reviewer_name)
        resolver = db.canonical_resolver()
        out = []
        for aid, entries in base.items():
            if aid in decided:
                rec = preds.get(aid)
                if rec is None:
                    continue
                st = state_of(rec, reviewer_name)
                entries = derive(st, "entries", lambda: _entries(rec, st))
            for e in entries:
                out.append({**e, "canonical": resolver(aid, e["key"], e["base"]) or e["base"],
                            "split": (aid, e["key"]) in resolver.splits})
        return out

    def _entries(rec: dict, st: ArticleState) -> list[dict]:
        text = rec.get("text") or ""
        by_key = st.mention_by_key()
        out = []
        for ev in st.events:
            if ev.state == "reject":
                continue
            c = ev.current
            t = c["trigger"]
            d = by_key.get(c.get("date") or "")
            obj = c.get("object")
            base = c.get("canonical") or f"{rec['id']}:{c['type']}:{t['start']}"
            out.append({"article_id": rec["id"], "key": ev.key, "type": c["type"], "base": base,
                        "snippet": snippet(text, t["start"], t["end"], 50), "state": ev.state,
                        "date": d.current["text"] if d else "", "date_value": format_value(d.current.get("value")) if d else "",
                        "object": _clip(text[obj["start"]:obj["end"]], 160) if obj else ""})
        return out

    def canonical_sizes(reviewer_name: str) -> dict[str, int]:
        """{canonical key: number of statements}, recomputed only when events or canonical decisions change."""
        preds.refresh()
        stamp = (preds.signature, reviewer_name, db.last_id(("event", "canonical")))
        hit = canon_cache.get("sizes")
        if hit and hit[0] == stamp:
            return hit[1]
        sizes: dict[str, int] = {}
        for e in canonical_entries(reviewer_name):
            sizes[e["canonical"]] = sizes.get(e["canonical"], 0) + 1
        canon_cache["sizes"] = (stamp, sizes)
        return sizes

    def canon_key(aid: str, ev: Any, resolver: Any) -> str:
        """The canonical key of one event item after the reviewers' merges and splits."""
        c = ev.current
        base = c.get("canonical") or f"{aid}:{c['type']}:{c['trigger']['start']}"
        return resolver(aid, ev.key, base) or base

    def carry_sizes(who: str, before: ArticleState, after: ArticleState, ekey: str, since: int, rid: int) -> None:
        """Carry the kept canonical sizes over one event decision (``since``: the last event or canonical
        decision id before it, ``rid``: its id), so the answer does not recount every statement of the run."""
        hit = canon_cache.get("sizes")
        if not hit or hit[0] != (preds.signature, who, since):
            return
        sizes = dict(hit[1])
        resolver = db.canonical_resolver()
        aid = after.record["id"]
        old, new = before.event_by_key().get(ekey), after.event_by_key().get(ekey)
        if old is not None and old.state != "reject":
            k = canon_key(aid, old, resolver)
            sizes[k] = sizes.get(k, 1) - 1
        if new is not None and new.state != "reject":
            k = canon_key(aid, new, resolver)
            sizes[k] = sizes.get(k, 0) + 1
        canon_cache["sizes"] = ((preds.signature, who, rid), sizes)

    # ------------------------------------------------------------ the article view

    def load_record(article_id: str) -> dict:
        rec = preds.get(article_id)
        if rec is None:
            raise BadRequest(f"no article {article_id[:80]!r} in this run", 404)
        return rec

    def describer(st: ArticleState) -> Callable[[str | None], str]:
        by_key = st.mention_by_key()

        def describe(key: str | None) -> str:
            it = by_key.get(key) if key else None
            if it is None:
                return ""
            c = it.current
            return f"{c['text']} ({format_value(c.get('value'))})" + (" [rejected]" if it.state == "reject" else "")
        return describe

    def event_view(rec: dict, ev, describe, comments: dict, sizes: dict, resolver) -> dict:
        text = rec.get("text") or ""
        c = ev.current
        t = c["trigger"]
        obj = c.get("object")
        canon = canon_key(rec["id"], ev, resolver)
        return {"item": ev, "snippet": snippet(text, t["start"], t["end"]),
                "date": describe(c.get("date")), "agent": describe(c.get("agent")),
                "args": {arg: [describe(x) for x in c.get(arg) or []] for arg in EVENT_ARGS},
                "object": _clip(text[obj["start"]:obj["end"]], 200) if obj else "",
                "canonical": canon, "shared": sizes.get(canon, 1),
                "comments": comments.get(("event", ev.key), [])}

    def mention_mark(it) -> dict:
        m = it.current
        return {"class": f"m m-{m['type']} st-{it.state}", "data-label": m["type"], "data-key": it.key,
                "title": mention_title(m) + f" · {it.state}"}

    def trigger_mark(ev) -> dict:
        return {"class": f"tg st-{ev.state}", "data-label": ev.current["type"], "data-ekey": ev.key,
                "title": f"{ev.current['type']} trigger · {ev.state}"}

    def head_view(rec: dict, st: ArticleState, who: str) -> dict:
        aid = rec["id"]
        overview = db.overview(aid).get(aid, {})
        others = sorted(r for r, info in overview.items() if r != who and (info.get("rows") or info.get("status")))
        agree = None
        if others:
            agree = {"with": others[0], **agreement(st, state_of(rec, others[0]))}
        return {"st": st, "status": db.status_of(overview.get(who)), "undo": db.undo_label(aid, who),
                "others": others, "agree": agree, "reviewers": overview}

    def view(rec: dict, who: str, section: int | None, focus: str = "", st: ArticleState | None = None) -> dict:
        """Everything the article page and its fragments show (``st``: the reviewer's state, if known)."""
        aid = rec["id"]
        st = st if st is not None else state_of(rec, who)
        bounds = bounds_of(st)
        if section is None and focus:
            at = None
            if focus.startswith("m-") and focus[2:] in st.mention_by_key():
                at = st.mention_by_key()[focus[2:]].current["start"]
            elif focus.startswith("e-") and focus[2:] in st.event_by_key():
                at = st.event_by_key()[focus[2:]].current["trigger"]["start"]
            if at is not None:
                section = next((i for i, (x, y) in enumerate(bounds) if x <= at < y), 0)
        k = min(max(0, section or 0), len(bounds) - 1)
        a, b = bounds[k]
        comments = db.comments(aid)
        sizes = canonical_sizes(who)
        resolver = db.canonical_resolver()
        describe = describer(st)
        mentions = [it for it in st.mentions if a <= it.current["start"] < b]
        events = [event_view(rec, ev, describe, comments, sizes, resolver) for ev in st.events
                  if a <= ev.current["trigger"]["start"] < b]
        stale = stale_view(st)
        return {**head_view(rec, st, who), "rec": rec, "section": k, "sections": bounds, "a": a, "b": b,
                "text_html": section_html(st, a, b), "mentions": mentions, "events": events,
                "comments": comments, "stale": stale,
                "stale_mentions": sum(1 for s in st.stale if s.kind == "mention"),
                "stale_events": sum(1 for s in st.stale if s.kind == "event")}

    def section_html(st: ArticleState, a: int, b: int) -> Markup:
        """The text of section [a, b) with its mention and trigger marks."""
        marks: list[tuple[int, int, int, str, dict]] = []
        for it in st.mentions:
            if a <= it.current["start"] < b:
                marks.append((it.current["start"], it.current["end"], 1, "mark", mention_mark(it)))
        for ev in st.events:
            t = ev.current["trigger"]
            if a <= t["start"] < b:
                marks.append((t["start"], t["end"], 0, "mark", trigger_mark(ev)))
        return render_text(st.record.get("text") or "", a, b, marks)

    def stale_view(st: ArticleState) -> list[dict]:
        """The decisions about items no longer extracted, each with the item in words."""
        text = st.record.get("text") or ""
        out = []
        for d in st.stale:
            try:
                if d.kind == "mention":
                    s, e, t = parse_mention_key(d.key)
                    what = f"{t} {text[s:e]!r} ({s}-{e})"
                else:
                    t, s, e = parse_event_key(d.key)
                    what = f"{t} event, trigger {text[s:e]!r} ({s}-{e})"
            except ReviewError:
                what = d.key
            out.append({"d": d, "what": what})
        return out

    def answer(parts: dict, st: ArticleState, head: dict, **extra) -> Response:
        return jsonify(ok=True, **parts, progress={"decided": st.decided, "items": st.items, "added": st.added},
                       status=head["status"], undo=head["undo"], **extra)

    def fragment(rec: dict, who: str, section: int | None, st: ArticleState | None = None, **extra) -> Response:
        """The answer of a change that moved the section's bounds: the section's parts, re-rendered.

        Carries the section's new ``offset`` and ``end`` so the page's selection offsets stay right.
        """
        v = view(rec, who, section, st=st)
        parts = {name: render_template("fragment.html", part=name, v=v)
                 for name in ("status", "mentions", "events", "stale")}
        parts["text"] = str(v["text_html"])
        return answer({"html": parts}, v["st"], v, offset=v["a"], end=v["b"], **extra)

    def start_of(kind: str, it: Any) -> int:
        return it.current["start"] if kind == "mention" else it.current["trigger"]["start"]

    def placed(st: ArticleState, kind: str, key: str, a: int, b: int) -> dict | None:
        """Where item ``key`` goes in its list on section [a, b): {"list", "before"}; None when outside it."""
        items = st.mentions if kind == "mention" else st.events
        prefix = "m-" if kind == "mention" else "e-"
        at = next((i for i, it in enumerate(items) if it.key == key), None)
        if at is None or not a <= start_of(kind, items[at]) < b:
            return None
        nxt = next((it for it in items[at + 1:] if a <= start_of(kind, it) < b), None)
        return {"list": "mention-list" if kind == "mention" else "event-list",
                "before": prefix + nxt.key if nxt is not None else None}

    def span_of(kind: str, it: Any) -> tuple | None:
        """(start, end, type) of an item's mention or trigger; None for no item."""
        if it is None:
            return None
        c = it.current
        return (c["start"], c["end"], c["type"]) if kind == "mention" else (
            c["trigger"]["start"], c["trigger"]["end"], c["type"])

    def same_span(kind: str, before: ArticleState, after: ArticleState, key: str) -> bool:
        index = (lambda st: st.mention_by_key()) if kind == "mention" else (lambda st: st.event_by_key())
        return span_of(kind, index(before).get(key)) == span_of(kind, index(after).get(key))

    def changes(rec: dict, who: str, before: ArticleState, after: ArticleState, changed: list[tuple[str, str]],
                section: int | None, **extra) -> Response:
        """The answer of decisions on a few items: those items, the events citing them, the status line.

        Items whose span or presence changed are placed in their list (or
        removed) and the section's text is re-rendered; when the section's
        bounds moved, the whole section is (:func:`fragment`). The answer's
        size grows with the items changed, not with the article.
        """
        old_bounds = bounds_of(before)
        if all(same_span(kind, before, after, key) for kind, key in changed):  # the cuts depend on spans only
            new_bounds = derive(after, "bounds", lambda: old_bounds)
        else:
            new_bounds = bounds_of(after)
        k = min(max(0, section or 0), len(new_bounds) - 1)
        if len(old_bounds) != len(new_bounds) or old_bounds[k] != new_bounds[k]:
            return fragment(rec, who, k, st=after, **extra)
        a, b = new_bounds[k]
        head = head_view(rec, after, who)
        comments = db.comments(rec["id"])
        describe = describer(after)
        items: list[dict] = []
        marks: list[dict] = []
        remove: list[str] = []
        moved = False
        events: dict[str, Any] = {}
        old_index = {"mention": before.mention_by_key(), "event": before.event_by_key()}
        new_index = {"mention": after.mention_by_key(), "event": after.event_by_key()}
        for kind, key in dict.fromkeys(changed):
            old, new = old_index[kind].get(key), new_index[kind].get(key)
            same_place = span_of(kind, old) == span_of(kind, new)
            moved = moved or not same_place
            prefix = "m-" if kind == "mention" else "e-"
            if new is None or (not same_place and placed(after, kind, key, a, b) is None):
                remove.append(prefix + key)
            if kind == "mention" and new is not None:
                entry = {"id": prefix + key, "html": render_template(
                    "fragment.html", part="mention", it=new, cmts=comments.get(("mention", key)))}
                where = None if same_place else placed(after, kind, key, a, b)
                if same_place or where is not None:  # an item not on the page is ignored there
                    items.append({**entry, **(where or {})})
                if same_place:
                    marks.append({"kind": "mention", "key": key, **mention_mark(new)})
            if kind == "mention":  # the events citing it on this section (others are not on the page)
                lo = bisect.bisect_left(after.events, a, key=lambda ev: ev.current["trigger"]["start"])
                for ev in after.events[lo:]:
                    if ev.current["trigger"]["start"] >= b:
                        break
                    c = ev.current
                    if key in (c.get("date"), c.get("agent")) or any(key in (c.get(arg) or []) for arg in EVENT_ARGS):
                        events.setdefault(ev.key, (ev, True))
            elif new is not None:
                events[key] = (new, same_place)
        if events:
            sizes, resolver = canonical_sizes(who), db.canonical_resolver()
            for ekey, (ev, same_place) in events.items():
                where = None if same_place else placed(after, "event", ekey, a, b)
                if not same_place and where is None:
                    continue
                items.append({"id": f"e-{ekey}", "html": render_template(
                    "fragment.html", part="event", e=event_view(rec, ev, describe, comments, sizes, resolver)),
                    **(where or {})})
                if same_place:
                    marks.append({"kind": "event", "key": ekey, **trigger_mark(ev)})
        html = {"status": render_template("fragment.html", part="status", v=head)}
        if moved:
            html["text"] = str(section_html(after, a, b))
        if before.stale != after.stale:
            html["stale"] = render_template("fragment.html", part="stale", v={
                "stale": stale_view(after), "stale_mentions": sum(1 for d in after.stale if d.kind == "mention"),
                "stale_events": sum(1 for d in after.stale if d.kind == "event")})
        return answer({"items": items, "marks": marks, "remove": remove, "html": html}, after, head, **extra)

    def bulk_answer(rec: dict, who: str, before: ArticleState, after: ArticleState, changed: list[tuple[str, str]],
                    section: int | None, **extra) -> Response:
        """The answer of a bulk change (accept the rest, its undo): the states of the changed items on the section.

        ``states`` maps the page ids of the section's changed items to their
        new state (the page updates classes, not HTML); with the status line,
        the answer's size is bounded by the section, whatever the article.
        When the items changed spans, the section is re-rendered instead.
        """
        old_index = {"mention": before.mention_by_key(), "event": before.event_by_key()}
        index = {"mention": after.mention_by_key(), "event": after.event_by_key()}
        if all(span_of(kind, old_index[kind].get(key)) == span_of(kind, index[kind].get(key))
               for kind, key in changed):  # the cuts depend on spans only
            old = bounds_of(before)
            bounds = derive(after, "bounds", lambda: old)
        else:
            bounds = bounds_of(after)
        k = min(max(0, section or 0), len(bounds) - 1)
        a, b = bounds[k]
        states_on_page: dict[str, str] = {}
        for kind, key in changed:
            it = index[kind].get(key)
            if it is None or it.state not in ("pending", "accept", "reject"):
                return fragment(rec, who, section, st=after, **extra)
            if a <= start_of(kind, it) < b:
                states_on_page[("m-" if kind == "mention" else "e-") + key] = it.state
        head = head_view(rec, after, who)
        html = {"status": render_template("fragment.html", part="status", v=head)}
        settle_memory(may_collect=False)  # the new state's thousands of items, out of the next collections' way
        return answer({"states": states_on_page, "html": html}, after, head, **extra)

    def item_fragment(rec: dict, who: str, item_kind: str, item_key: str, **extra) -> Response:
        """The answer of a change that leaves the items as they are (a comment, a status): that item, the status."""
        st = state_of(rec, who)
        changed = [(item_kind, item_key)] if item_kind in ("mention", "event") else []
        return changes(rec, who, st, st, changed, None, **extra)

    # ------------------------------------------------------------ pages

    @app.get("/")
    def articles():
        preds.refresh()
        who = current_reviewer()
        overview = db.overview()
        q = request.args.get("q", "").strip()
        f_status = request.args.get("status", "")
        sort = request.args.get("sort", "id")
        desc = request.args.get("dir", "asc") == "desc"
        rows = preds.rows
        if q:
            fq = fold(q)
            rows = [r for r in rows if fq in fold(f"{r['id']} {r['title']} {r['source'] or ''}")]

        def status_of(r: dict) -> str:
            return db.status_of(overview.get(r["id"], {}).get(who))

        if f_status in ARTICLE_STATUSES:
            rows = [r for r in rows if status_of(r) == f_status]
        sorts: dict[str, Callable[[dict], Any]] = {
            "id": lambda r: r["id"], "title": lambda r: fold(r["title"]), "published": lambda r: r["published"] or "",
            "chars": lambda r: r["chars"], "mentions": lambda r: r["mentions"], "events": lambda r: r["events"],
            "status": lambda r: ARTICLE_STATUSES.index(status_of(r)),
            "decisions": lambda r: overview.get(r["id"], {}).get(who, {}).get("rows", 0)}
        if sort not in sorts:
            sort = "id"
        rows = sorted(rows, key=sorts[sort], reverse=desc)
        page = max(1, request.args.get("page", 1, type=int) or 1)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(page, pages)
        shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        latest = db.latest_many([r["id"] for r in shown], who)
        items = []
        for r in shown:
            rec = preds.get(r["id"])
            st = article_state(rec, latest[r["id"]]) if rec else None
            by = overview.get(r["id"], {})
            revs = sorted(x for x, info in by.items() if info.get("rows") or info.get("status"))
            agree = None
            if rec is not None and len(revs) >= 2:
                agree = agreement(article_state(rec, db.latest(r["id"], revs[0])),
                                  article_state(rec, db.latest(r["id"], revs[1])))
                agree["pair"] = revs[:2]
            items.append({**r, "items": st.items if st else 0, "decided": st.decided if st else 0,
                          "added": st.added if st else 0, "stale": len(st.stale) if st else 0,
                          "status": status_of(r), "reviewers": [(x, db.status_of(by[x])) for x in revs],
                          "agree": agree})
        known = set(preds.offsets)
        reviewed = db.article_ids()
        orphans = [a for a in reviewed if a not in known]
        twice = [(aid, sorted(x for x, info in by.items() if info.get("rows") or info.get("status")))
                 for aid, by in overview.items() if aid in known]
        pooled = {"articles": 0, "items": 0, "agree": 0}
        for aid, revs in twice:
            if len(revs) >= 2:
                rec = preds.get(aid)
                ag = agreement(article_state(rec, db.latest(aid, revs[0])), article_state(rec, db.latest(aid, revs[1])))
                if ag["items"]:
                    pooled["articles"] += 1
                    pooled["items"] += ag["items"]
                    pooled["agree"] += ag["agree"]
        args = {k: v for k, v in request.args.items() if k != "page"}
        counts = {s: 0 for s in ARTICLE_STATUSES}
        for r in preds.rows:
            counts[status_of(r)] += 1
        return render_template("articles.html", items=items, page=page, pages=pages, total=len(preds.rows),
                               matched=len(rows), n_reviewed=len(reviewed) - len(orphans), orphans=orphans,
                               n_decisions=db.count(), missing=not preds.path.exists(), q=q, f_status=f_status,
                               sort=sort, desc=desc, args=args, pooled=pooled, counts=counts,
                               sort_names=list(sorts))

    @app.get("/article")
    def article():
        article_id = request.args.get("id", "")
        rec = preds.get(article_id)
        if rec is None:
            abort(404)
        who = current_reviewer()
        v = view(rec, who, request.args.get("section", None, type=int), focus=request.args.get("focus", ""))
        ids = [r["id"] for r in preds.rows]
        pos = ids.index(article_id) if article_id in ids else -1
        data = {"article_id": article_id, "length": len(rec.get("text") or ""), "offset": v["a"],
                "end": v["b"], "section": v["section"], "sections": len(v["sections"]),
                "api": url_for("decision"), "api_rest": url_for("accept_rest"), "api_undo": url_for("undo"),
                "api_status": url_for("status"), "api_comment": url_for("comment"), "api_item": url_for("item"),
                "api_choices": url_for("choices"),
                "prev_section": url_for("article", id=article_id, section=v["section"] - 1) if v["section"] > 0 else None,
                "next_section": (url_for("article", id=article_id, section=v["section"] + 1)
                                 if v["section"] < len(v["sections"]) - 1 else None),
                "prev_article": url_for("article", id=ids[pos - 1]) if pos > 0 else None,
                "next_article": url_for("article", id=ids[pos + 1]) if 0 <= pos < len(ids) - 1 else None,
                "mention_types": list(MENTION_TYPES), "event_types": list(EVENT_TYPES),
                "act_types": list(ACT_TYPES)}
        page = render_template("article.html", v=v, rec=rec, st=v["st"], data=data, doc_types=kinds_doc, mods=MODS,
                               statuses=STATUSES, title=title_of(rec.get("text") or ""),
                               history=db.count(article_id, ("mention", "event")))
        settle_memory()
        return page

    @app.get("/events")
    def events():
        etype = request.args.get("type", "")
        inst = request.args.get("institution", "").strip()
        docf = request.args.get("document", "").strip()
        textf = request.args.get("q", "").strip()
        who = current_reviewer()

        def parse_day(name: str) -> date | None:
            try:
                return date.fromisoformat(request.args.get(name, ""))
            except ValueError:
                return None

        d_from, d_to = parse_day("from"), parse_day("to")
        page = max(1, request.args.get("page", 1, type=int) or 1)
        f_inst, f_doc, f_text = fold(inst), fold(docf), fold(textf)
        names = expand_aliases(inst) if inst else set()
        rows = []
        path = out / "events.parquet"
        if path.exists():
            for r in iter_event_rows(path):
                if etype and r.get("type") != etype:
                    continue
                if inst:
                    have = fold(r.get("institutions"))
                    if f_inst not in have and not any(n in have for n in names):
                        continue
                if docf and f_doc not in fold(r.get("documents")):
                    continue
                if textf and f_text not in fold(" ".join(str(r.get(k) or "") for k in ("trigger", "sentence", "object"))):
                    continue
                start, end = _as_date(r.get("date_start")), _as_date(r.get("date_end"))
                if (d_from or d_to) and start is None:
                    continue
                if d_from and (end or start) < d_from:
                    continue
                if d_to and start > d_to:
                    continue
                rows.append({**{k: ("" if r.get(k) is None else format_value(r.get(k))) for k in r},
                             "start": start, "end": end})
        rows.sort(key=lambda r: (r["start"] is None, r["start"] or date.min, r["article_id"],
                                 int(float(r.get("trigger_start") or 0))))
        total = len(rows)
        pages = max(1, -(-total // EVENTS_PAGE))
        page = min(page, pages)
        shown = rows[(page - 1) * EVENTS_PAGE: page * EVENTS_PAGE]
        latest = db.latest_many(sorted({r["article_id"] for r in shown}), who)
        for r in shown:
            try:
                key = event_key({"type": r["type"], "trigger": {"start": int(float(r["trigger_start"])),
                                                                 "end": int(float(r["trigger_end"]))}})
            except (KeyError, ValueError):
                key = ""
            d = latest.get(r["article_id"], {}).get(("event", key))
            r["state"] = d.action if d and d.action != "reset" else "pending"
            r["key"] = key
        args = {k: v for k, v in request.args.items() if k != "page"}
        return render_template("events.html", rows=shown, total=total, page=page, pages=pages, args=args,
                               f_type=etype, f_inst=inst, f_doc=docf, f_text=textf, f_from=d_from, f_to=d_to,
                               aliases=sorted(names)[:5], missing=not path.exists())

    @app.get("/canonical")
    def canonical():
        who = current_reviewer()
        q = request.args.get("q", "").strip()
        etype = request.args.get("type", "")
        min_size = max(1, request.args.get("min", 1, type=int) or 1)
        groups: dict[str, list[dict]] = {}
        for e in canonical_entries(who):
            groups.setdefault(e["canonical"], []).append(e)
        resolver = db.canonical_resolver()
        merged_from: dict[str, list[str]] = {}
        for k in resolver.merges:
            merged_from.setdefault(resolver.root(k), []).append(k)
        fq = fold(q)
        out_groups = []
        for key, members in groups.items():
            if len(members) < min_size:
                continue
            if etype and not any(m["type"] == etype for m in members):
                continue
            if q and fq not in fold(key) and not any(
                    fq in fold(f"{m['object']} {m['snippet']['trigger']} {m['article_id']} {m['date']}")
                    for m in members):
                continue
            members.sort(key=lambda m: (m["article_id"], m["snippet"]["before"][-1:], m["key"]))
            out_groups.append({"key": key, "members": members, "types": sorted({m["type"] for m in members}),
                               "articles": len({m["article_id"] for m in members}),
                               "merged_from": sorted(merged_from.get(key, []))})
        out_groups.sort(key=lambda g: (-len(g["members"]), g["key"]))
        total = len(out_groups)
        page = max(1, request.args.get("page", 1, type=int) or 1)
        pages = max(1, -(-total // GROUPS_PAGE))
        page = min(page, pages)
        shown = out_groups[(page - 1) * GROUPS_PAGE: page * GROUPS_PAGE]
        args = {k: v for k, v in request.args.items() if k not in ("page", "fragment")}
        template = "canonical_groups.html" if request.args.get("fragment") else "canonical.html"
        return render_template(template, groups=shown, total=total, page=page, pages=pages, args=args, q=q,
                               f_type=etype, f_min=min_size, api=url_for("canonical_api"))

    # ------------------------------------------------------------ reading for the forms

    @app.get("/api/item")
    def item():
        rec = load_record(request.args.get("id", ""))
        kind, key = request.args.get("kind", ""), request.args.get("key", "")
        st = state_of(rec, current_reviewer())
        text = rec.get("text") or ""
        if kind == "mention":
            it = st.mention_by_key().get(key)
            if it is None:
                raise BadRequest(f"no mention {key[:60]!r}", 404)
            return jsonify(kind=kind, key=key, state=it.state, added=it.predicted is None, item=it.current)
        if kind == "event":
            ev = st.event_by_key().get(key)
            if ev is None:
                raise BadRequest(f"no event {key[:60]!r}", 404)
            by_key = st.mention_by_key()
            keys = [ev.current.get("date"), ev.current.get("agent"),
                    *[k for arg in EVENT_ARGS for k in ev.current.get(arg) or []]]
            labels = {k: _choice(by_key[k].current, by_key[k].state) for k in keys if k and k in by_key}
            obj = ev.current.get("object")
            t = ev.current["trigger"]
            return jsonify(kind=kind, key=key, state=ev.state, added=ev.predicted is None, item=ev.current,
                           labels=labels, trigger_text=text[t["start"]:t["end"]],
                           object_text=text[obj["start"]:obj["end"]] if obj else "")
        raise BadRequest("kind must be mention or event")

    def _choice(m: dict, state: str = "") -> dict:
        return {"key": mention_key(m), "label": f"{_clip(m['text'], 70)} = {format_value(m.get('value'))} @{m['start']}"
                + (" [rejected]" if state == "reject" else "")}

    @app.get("/api/choices")
    def choices():
        rec = load_record(request.args.get("id", ""))
        mtype = request.args.get("type", "")
        if mtype not in MENTION_TYPES:
            raise BadRequest("type must be a mention type")
        near = request.args.get("near", 0, type=int) or 0
        limit = min(200, max(1, request.args.get("limit", 40, type=int) or 40))
        q = fold(request.args.get("q", ""))
        st = state_of(rec, current_reviewer())
        live = [it.current for it in st.mentions if it.state != "reject" and it.current["type"] == mtype]
        if q:
            live = [m for m in live if q in fold(f"{m['text']} {format_value(m.get('value'))}")]
        live.sort(key=lambda m: abs(m["start"] - near))
        picked = sorted(live[:limit], key=lambda m: m["start"])
        return jsonify(type=mtype, total=len(live), choices=[_choice(m) for m in picked])

    # ------------------------------------------------------------ state changes (POST only)

    @app.post("/api/decision")
    def decision():
        data = body("decision")
        article_id, kind, key, action = data["article_id"], data["kind"], data["key"], data["action"]
        who = current_reviewer()
        rec = load_record(article_id)
        text = rec.get("text") or ""
        try:
            with db.transaction() as conn:
                state = state_of(rec, who, conn)
                payload = None
                if kind == "mention":
                    items = state.mention_by_key()
                    if action == "add":
                        if not data.get("mention"):
                            raise ReviewError("an added mention needs its mention")
                        payload = clean_mention(text, data["mention"])
                        key = mention_key(payload)
                        if key in items and items[key].state != "reject":
                            raise ReviewError(f"mention {key} exists already: correct it instead")
                        check_mention_fits(state, payload, key)
                    else:
                        parse_mention_key(key)
                        it = items.get(key)
                        if it is None:
                            raise ReviewError(f"no mention {key} in this article")
                        if action == "correct":
                            if not data.get("mention"):
                                raise ReviewError("a correction needs the corrected mention")
                            payload = clean_mention(text, data["mention"])
                            check_mention_fits(state, payload, key)
                        elif it.predicted is None and action == "accept":
                            raise ReviewError("an added mention is kept already")
                else:
                    items_e = state.event_by_key()
                    live = {it.key for it in state.mentions if it.state != "reject"}
                    if action in ("add", "correct"):
                        if not data.get("event"):
                            raise ReviewError(f"an {'added' if action == 'add' else 'corrected'} event needs its event")
                        given = data["event"]
                        if action == "add":
                            if not given.get("trigger"):
                                raise ReviewError("an added event needs its trigger span")
                            if not given.get("type"):
                                raise ReviewError("an added event needs its type")
                            merged = {"canonical": None, **given}
                        else:
                            parse_event_key(key)
                            ev = items_e.get(key)
                            if ev is None:
                                raise ReviewError(f"no event {key} in this article")
                            merged = {**ev.current, **given}
                            if given.get("type") in FIGURE_TYPES and "agent" not in given:
                                merged["agent"] = None
                        payload = clean_event(merged, text)
                        if action == "add":
                            key = event_key(payload)
                            if key in items_e and items_e[key].state != "reject":
                                raise ReviewError(f"event {key} exists already: correct it instead")
                        for k in [payload["date"], payload["agent"], *[x for a in EVENT_ARGS for x in payload[a]]]:
                            if k is not None and k not in live:
                                raise ReviewError(f"argument {k} is not a current mention of the article")
                    else:
                        parse_event_key(key)
                        ev = items_e.get(key)
                        if ev is None:
                            raise ReviewError(f"no event {key} in this article")
                        if ev.predicted is None and action == "accept":
                            raise ReviewError("an added event is kept already")
                batch = new_batch()
                since = ReviewDB.last_id_in(conn, ("event", "canonical")) if kind == "event" else 0
                rid, created = ReviewDB._insert(conn, article_id, kind, key, action, payload, who, batch)
                after = state.with_decisions([Decision(rid, article_id, kind, key, action, payload, created,
                                                       action == "add", who, batch)])
                remember(rec, who, rid, after)
        except ReviewError as exc:
            return jsonify(error=str(exc)), 400
        if kind == "event":
            carry_sizes(who, state, after, key, since, rid)
        return changes(rec, who, state, after, [(kind, key)], data.get("section"),
                       id=rid, created_at=created, key=key, action=action)

    @app.post("/api/accept-rest")
    def accept_rest():
        data = body("accept_rest")
        article_id = data["article_id"]
        who = current_reviewer()
        rec = load_record(article_id)
        batch = new_batch("rest")
        with db.transaction() as conn:
            state = state_of(rec, who, conn)
            todo = ([("mention", m.key, "accept", None) for m in state.mentions if m.state == "pending"]
                    + [("event", e.key, "accept", None) for e in state.events if e.state == "pending"])
            added = ReviewDB._insert_many(conn, article_id, todo, who, batch) if todo else []
            after = state.with_decisions(added)
            remember(rec, who, added[-1].id if added else ReviewDB.max_id_in(conn), after)
        return bulk_answer(rec, who, state, after, [(d.kind, d.key) for d in added], data.get("section"),
                           accepted=len(todo))

    @app.post("/api/undo")
    def undo():
        data = body("undo")
        who = current_reviewer()
        rec = load_record(data["article_id"])
        stamp, before = stamped_state(rec, who)
        found = db.undo_decisions(rec["id"], who)
        if found is None:
            return jsonify(error="nothing to undo"), 400
        done, added = found
        changed = [(d.kind, d.key) for d in added if d.kind in ("mention", "event")]
        after = advance(rec, who, stamp, before, added)
        if len(changed) > BULK:
            return bulk_answer(rec, who, before, after, changed, data.get("section"), undone=done)
        return changes(rec, who, before, after, changed, data.get("section"), undone=done)

    @app.post("/api/status")
    def status():
        data = body("status")
        who = current_reviewer()
        rec = load_record(data["article_id"])
        stamp, st = stamped_state(rec, who)
        rid, created = db.set_status(rec["id"], who, data["status"])
        advance(rec, who, stamp, st, [Decision(rid, rec["id"], "article", "", "status", {"status": data["status"]},
                                               created, False, who)])
        return item_fragment(rec, who, "article", "")

    @app.post("/api/comment")
    def comment():
        data = body("comment")
        who = current_reviewer()
        rec = load_record(data["article_id"])
        kind, key = data["kind"], data["key"]
        st = state_of(rec, who)
        known = {"mention": st.mention_by_key(), "event": st.event_by_key(), "article": {"": None}}[kind]
        if key not in known:
            return jsonify(error=f"no {kind} {key[:60]!r} in this article"), 400
        try:
            db.add_comment(rec["id"], kind, key, who, data["text"])
        except ReviewError as exc:
            return jsonify(error=str(exc)), 400
        return item_fragment(rec, who, kind, key)

    @app.post("/api/canonical")
    def canonical_api():
        data = body("canonical")
        who = current_reviewer()
        action = data["action"]
        resolver = db.canonical_resolver()
        known = {e["canonical"] for e in canonical_entries(who)} | set(resolver.merges) | \
            {e["base"] for e in canonical_entries(who)}
        try:
            if action == "merge":
                keys, into = data.get("keys") or [], data.get("into")
                if not into or len(keys) < 1:
                    raise ReviewError("a merge needs keys and the key to merge into")
                into = resolver.root(into)
                if into not in known:
                    raise ReviewError(f"no canonical key {into!r}")
                rows = []
                for k in dict.fromkeys(keys):
                    if k not in known:
                        raise ReviewError(f"no canonical key {k!r}")
                    if resolver.root(k) != into and k != into:
                        rows.append(("canonical", k, "merge", {"into": into}))
                if not rows:
                    raise ReviewError("nothing to merge")
                db.add_many("", rows, reviewer=who, batch=new_batch("merge"))
                return jsonify(ok=True, merged=len(rows), into=into)
            if action == "unmerge":
                k = data.get("key")
                if not k or k not in resolver.merges:
                    raise ReviewError(f"{k!r} is not merged")
                db.add("", "canonical", k, "reset", reviewer=who)
                return jsonify(ok=True)
            aid, ekey = data.get("article_id"), data.get("event_key")
            if not aid or not ekey:
                raise ReviewError("article_id and event_key are required")
            rec = load_record(aid)
            parse_event_key(ekey)
            st = state_of(rec, who)
            ev = st.event_by_key().get(ekey)
            if ev is None:
                raise ReviewError(f"no event {ekey} in {aid}")
            if action == "split":
                new = (data.get("canonical") or "").strip() or f"{ev.current.get('canonical') or ev.current['type']}~{aid}:{ekey}"
                if len(new) > 300:
                    raise ReviewError("canonical keys have at most 300 characters")
                db.add(aid, "canonical", ekey, "split", {"canonical": unicodedata.normalize("NFC", new)}, reviewer=who)
                return jsonify(ok=True, canonical=new)
            if (aid, ekey) not in resolver.splits:
                raise ReviewError("this statement was not split off")
            db.add(aid, "canonical", ekey, "reset", reviewer=who)
            return jsonify(ok=True)
        except ReviewError as exc:
            return jsonify(error=str(exc)), 400

    @app.post("/api/reviewer")
    def set_reviewer():
        data = body("reviewer")
        try:
            name = clean_reviewer(data["name"])
        except ReviewError as exc:
            return jsonify(error=str(exc)), 400
        resp = jsonify(ok=True, reviewer=name)
        resp.set_cookie(COOKIE, quote(name), samesite="Strict", httponly=True, max_age=3600 * 24 * 365)
        return resp

    # ------------------------------------------------------------ errors

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        return fail(exc.reason, exc.status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 405:
            return jsonify(error="method not allowed: state changes are POST requests"), 405
        if exc.code == 404:
            return fail("Not found", 404)
        return fail(exc.description or exc.name, exc.code or 400)

    @app.errorhandler(Exception)
    def internal(exc: Exception):  # never a traceback to the client
        log.exception("review app error")
        return fail("internal error (see the server's log)", 500)

    return app
