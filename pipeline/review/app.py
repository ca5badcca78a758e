"""The review web app (Flask): pages over a run's outputs, decisions in SQLite.

Pages: ``/`` articles with counts and review progress; ``/article?id=ID`` one
article with its mentions highlighted and its events, each with its review
actions; ``/events`` events filterable by type, date range, institution and
document, sorted by date. State changes go through ``POST /api/decision`` and
``POST /api/accept-rest`` (JSON bodies; any other method is refused with 405).

The app serves only its pages and the files of its own ``static/`` folder
(Flask's static route, which refuses any path that leaves that folder). Every
value from the data goes through Jinja2 autoescape; pages carry a strict
Content-Security-Policy (scripts and styles from the app's own static files
only).
"""
from __future__ import annotations

import json
import os
import threading
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from flask import Flask, abort, jsonify, render_template, request, url_for

from ..gold import EVENT_ARGS, EVENT_TYPES, MENTION_TYPES, MODS, doc_types
from ..report import MENTION_COLORS, format_value, highlight, iter_event_rows, mention_title, _as_date
from .db import (ArticleState, ReviewDB, ReviewError, article_state, check_mention_fits, clean_event,
                 clean_mention, event_key, parse_event_key, parse_mention_key)

PAGE_SIZE = 100
EVENTS_PAGE = 200
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class Predictions:
    """An index of predictions.jsonl (byte offset and counts per article), rebuilt when the file changes.

    The pipeline replaces the file atomically, so a re-run while the app is
    open shows the new predictions on the next page load.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._sig: tuple | None = None
        self.offsets: dict[str, int] = {}
        self.rows: list[dict] = []

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

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
                                rows.append({"id": aid, "source": rec.get("source"), "published": rec.get("published"),
                                             "chars": len(rec.get("text") or ""),
                                             "mentions": len(rec.get("mentions") or []),
                                             "events": len(rec.get("events") or [])})
                        pos += len(line)
            self.offsets, self.rows, self._sig = offsets, rows, sig

    def get(self, article_id: str) -> dict | None:
        """The record of one article (read from its offset), or None."""
        for attempt in range(2):
            self.refresh(force=attempt > 0)
            pos = self.offsets.get(article_id)
            if pos is None:
                return None
            try:
                with open(self.path, "rb") as fh:
                    fh.seek(pos)
                    rec = json.loads(fh.readline())
            except (OSError, ValueError):
                continue
            if rec.get("id") == article_id:
                return rec
        return None

    def __iter__(self) -> Iterator[dict]:
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)


def _mention_label(m: dict) -> str:
    return f"{m['text']} = {format_value(m.get('value'))} @{m['start']}"


def _snippet(text: str, start: int, end: int, width: int = 90) -> dict:
    a, b = max(0, start - width), min(len(text), end + width)
    return {"before": ("…" if a > 0 else "") + text[a:start], "trigger": text[start:end],
            "after": text[end:b] + ("…" if b < len(text) else "")}


def create_app(out_dir: str | os.PathLike = "outputs", db_path: str | os.PathLike | None = None,
               trusted_hosts: list[str] | None = None) -> Flask:
    """The Flask app over the outputs in ``out_dir`` and the decision log ``db_path`` (default OUT/review.sqlite)."""
    out = Path(out_dir)
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"))
    app.config.update(TRUSTED_HOSTS=trusted_hosts, MAX_CONTENT_LENGTH=1 << 20)
    app.jinja_env.autoescape = True
    db = ReviewDB(db_path or out / "review.sqlite")
    preds = Predictions(out / "predictions.jsonl")
    app.extensions["vnevents"] = {"db": db, "predictions": preds, "out": out}
    kinds_doc = sorted(doc_types())

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.path.startswith("/api/") or request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.context_processor
    def common() -> dict:
        return {"out_name": str(out), "mention_types": MENTION_TYPES, "event_types": EVENT_TYPES,
                "mention_colors": MENTION_COLORS}

    def load_state(article_id: str) -> ArticleState:
        rec = preds.get(article_id)
        if rec is None:
            abort(404)
        return article_state(rec, db.latest(article_id))

    # ------------------------------------------------------------ pages

    @app.get("/")
    def articles():
        preds.refresh()
        rows = preds.rows
        page = max(1, request.args.get("page", 1, type=int) or 1)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(page, pages)
        shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        latest = db.latest_many([r["id"] for r in shown])
        items = []
        for r in shown:
            rec = preds.get(r["id"])
            st = article_state(rec, latest[r["id"]]) if rec else None
            items.append({**r, "items": st.items if st else 0, "decided": st.decided if st else 0,
                          "added": st.added if st else 0, "stale": len(st.stale) if st else 0})
        known = set(preds.offsets)
        reviewed = db.article_ids()
        orphans = [a for a in reviewed if a not in known]
        return render_template("articles.html", items=items, page=page, pages=pages, total=len(rows),
                               n_reviewed=len(reviewed) - len(orphans), orphans=orphans,
                               n_decisions=db.count(), missing=not preds.path.exists())

    @app.get("/article")
    def article():
        article_id = request.args.get("id", "")
        st = load_state(article_id)
        rec = st.record
        text = rec.get("text") or ""
        by_key = st.mention_by_key()

        def attrs(i: int, m: dict) -> dict[str, Any]:
            it = shown[i]
            return {"class": f"m m-{m['type']} st-{it.state}", "data-label": m["type"], "data-key": it.key,
                    "title": mention_title(m) + f" · {it.state}", "id": None}

        shown = st.mentions
        text_html = highlight(text, [it.current for it in shown], attrs)
        live = [it for it in st.mentions if it.state != "reject"]
        choices = {t: [{"key": it.key, "label": _mention_label(it.current)} for it in live if it.current["type"] == t]
                   for t in MENTION_TYPES}

        def describe(key: str | None) -> str:
            it = by_key.get(key) if key else None
            if it is None:
                return ""
            c = it.current
            return f"{c['text']} ({format_value(c.get('value'))})" + (" [rejected]" if it.state == "reject" else "")

        events = []
        for k, ev in enumerate(st.events):
            c = ev.current
            events.append({"item": ev, "n": k, "snippet": _snippet(text, c["trigger"]["start"], c["trigger"]["end"]),
                           "date": describe(c.get("date")),
                           "args": {arg: [describe(x) for x in c.get(arg) or []] for arg in EVENT_ARGS}})
        stale = []
        for d in st.stale:
            if d.kind == "mention":
                try:
                    s, e, t = parse_mention_key(d.key)
                    what = f"{t} {text[s:e]!r} ({s}-{e})"
                except ReviewError:
                    what = d.key
            else:
                try:
                    t, s, e = parse_event_key(d.key)
                    what = f"{t} event, trigger {text[s:e]!r} ({s}-{e})"
                except ReviewError:
                    what = d.key
            stale.append({"d": d, "what": what})
        ids = [r["id"] for r in preds.rows]
        pos = ids.index(article_id) if article_id in ids else -1
        data = {"article_id": article_id, "length": len(text), "api": url_for("decision"),
                "api_rest": url_for("accept_rest")}
        return render_template(
            "article.html", rec=rec, st=st, text_html=text_html, events=events, stale=stale, data=data,
            stale_mentions=sum(1 for s in st.stale if s.kind == "mention"),
            stale_events=sum(1 for s in st.stale if s.kind == "event"),
            choices=choices, doc_types=kinds_doc, mods=MODS, format_value=format_value, describe=describe,
            prev_id=ids[pos - 1] if pos > 0 else None, next_id=ids[pos + 1] if 0 <= pos < len(ids) - 1 else None,
            history=len(db.history(article_id)))

    @app.get("/events")
    def events():
        etype = request.args.get("type", "")
        inst = request.args.get("institution", "").strip()
        docf = request.args.get("document", "").strip()

        def parse_day(name: str) -> date | None:
            try:
                return date.fromisoformat(request.args.get(name, ""))
            except ValueError:
                return None

        d_from, d_to = parse_day("from"), parse_day("to")
        page = max(1, request.args.get("page", 1, type=int) or 1)
        rows = []
        path = out / "events.parquet"
        if path.exists():
            for r in iter_event_rows(path):
                if etype and r.get("type") != etype:
                    continue
                if inst and inst.casefold() not in (r.get("institutions") or "").casefold():
                    continue
                if docf and docf.casefold() not in (r.get("documents") or "").casefold():
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
                                 int(r.get("trigger_start") or 0)))
        total = len(rows)
        pages = max(1, -(-total // EVENTS_PAGE))
        page = min(page, pages)
        shown = rows[(page - 1) * EVENTS_PAGE: page * EVENTS_PAGE]
        latest = db.latest_many(sorted({r["article_id"] for r in shown}))
        for r in shown:
            try:
                key = event_key({"type": r["type"], "trigger": {"start": int(r["trigger_start"]),
                                                                 "end": int(r["trigger_end"])}})
            except (KeyError, ValueError):
                key = ""
            d = latest.get(r["article_id"], {}).get(("event", key))
            r["state"] = d.action if d and d.action != "reset" else "pending"
            r["key"] = key
        args = {k: v for k, v in request.args.items() if k != "page"}
        return render_template("events.html", rows=shown, total=total, page=page, pages=pages, args=args,
                               f_type=etype, f_inst=inst, f_doc=docf, f_from=d_from, f_to=d_to,
                               missing=not path.exists())

    # ------------------------------------------------------------ state changes (POST only)

    def json_body() -> dict:
        data = request.get_json(silent=True) if request.is_json else None
        if not isinstance(data, dict):
            abort(415 if not request.is_json else 400)
        return data

    @app.post("/api/decision")
    def decision():
        data = json_body()
        article_id, kind, key, action = (data.get("article_id"), data.get("kind"), data.get("key"),
                                         data.get("action"))
        if not isinstance(article_id, str) or not isinstance(key, str):
            return jsonify(error="article_id and key are required"), 400
        rec = preds.get(article_id)
        if rec is None:
            return jsonify(error=f"no article {article_id!r} in this run"), 404
        text = rec.get("text") or ""
        try:
            payload = None
            check = None
            if kind == "mention":
                if action in ("correct", "add"):
                    payload = clean_mention(text, data.get("mention") or {})
                    if action == "add":
                        key = f"{payload['start']}:{payload['end']}:{payload['type']}"
                    else:
                        parse_mention_key(key)

                    def check(conn, payload=payload, key=key):
                        latest = ReviewDB.latest_in(conn, [article_id])[article_id]
                        check_mention_fits(article_state(rec, latest), payload, key)
                elif action in ("accept", "reject", "reset"):
                    parse_mention_key(key)
                else:
                    raise ReviewError(f"unknown action {action!r} for a mention")
            elif kind == "event":
                parse_event_key(key)
                if action == "correct":
                    payload = clean_event(data.get("event") or {})

                    def check(conn, payload=payload):
                        latest = ReviewDB.latest_in(conn, [article_id])[article_id]
                        state = article_state(rec, latest)
                        live = {it.key for it in state.mentions if it.state != "reject"}
                        for k in [payload["date"], *[x for a in EVENT_ARGS for x in payload[a]]]:
                            if k is not None and k not in live:
                                raise ReviewError(f"argument {k} is not a current mention of the article")
                elif action not in ("accept", "reject", "reset"):
                    raise ReviewError(f"unknown action {action!r} for an event")
            else:
                raise ReviewError(f"unknown kind {kind!r}")
            rid, created = db.add(article_id, kind, key, action, payload, check=check)
        except ReviewError as exc:
            return jsonify(error=str(exc)), 400
        return jsonify(ok=True, id=rid, created_at=created, key=key, action=action)

    @app.post("/api/accept-rest")
    def accept_rest():
        data = json_body()
        article_id = data.get("article_id")
        if not isinstance(article_id, str):
            return jsonify(error="article_id is required"), 400
        rec = preds.get(article_id)
        if rec is None:
            return jsonify(error=f"no article {article_id!r} in this run"), 404
        with db.transaction() as conn:
            state = article_state(rec, ReviewDB.latest_in(conn, [article_id])[article_id])
            todo = ([("mention", m.key) for m in state.mentions if m.state == "pending"]
                    + [("event", e.key) for e in state.events if e.state == "pending"])
            for kind, key in todo:
                ReviewDB._insert(conn, article_id, kind, key, "accept")
        return jsonify(ok=True, accepted=len(todo))

    @app.errorhandler(404)
    def not_found(_exc):
        if request.path.startswith("/api/"):
            return jsonify(error="not found"), 404
        return render_template("error.html", code=404, message="Not found"), 404

    @app.errorhandler(405)
    def not_allowed(_exc):
        return jsonify(error="method not allowed: state changes are POST requests"), 405

    return app
