"""The review workspace: Chromium (Playwright) over a live local server, and Flask's test client."""
from __future__ import annotations

import http.client
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import re

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect
from werkzeug.serving import make_server

from conftest import CORPUS, HOSTILE_ID, HOSTILE_PAYLOADS, HOSTILE_TEXT, HOSTILE_VALUE, ROOT
from pipeline.cli import main
from pipeline.gold import validate_file
from pipeline.review.app import LOOPBACK_HOSTS, create_app
from pipeline.report import format_value
from pipeline.review.db import ReviewDB, mention_key

ORIGIN = "http://localhost"  # the test client's own origin: state changes must carry it

# JS: the DOM point of a code-point offset in #text (walks the text nodes itself, independently of the app).
JS_POINT = """
function point(cp, after) {
  const w = document.createTreeWalker(document.getElementById('text'), NodeFilter.SHOW_TEXT);
  let n, seen = 0;
  while ((n = w.nextNode())) {
    const chars = Array.from(n.data);
    if (cp < seen + chars.length || (after && cp === seen + chars.length)) {
      return [n, chars.slice(0, cp - seen).join('').length];
    }
    seen += chars.length;
  }
  throw new Error('offset ' + cp + ' is past the text');
}
"""


def records(out: Path) -> dict[str, dict]:
    recs = [json.loads(x) for x in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return {r["id"]: r for r in recs}


def article_url(base: str, article_id: str) -> str:
    return f"{base}/article?{urlencode({'id': article_id})}"


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def live(outputs, tmp_path):
    db_path = tmp_path / "review.sqlite"
    app = create_app(outputs, db_path, trusted_hosts=LOOPBACK_HOSTS)
    with serving(app) as base:
        yield base, ReviewDB(db_path), outputs, db_path


def origin_client(app):
    """A test client whose requests carry the app's own Origin (as the app's pages send it)."""
    c = app.test_client()
    c.environ_base["HTTP_ORIGIN"] = ORIGIN
    return c


@pytest.fixture
def client(outputs, tmp_path):
    app = create_app(outputs, tmp_path / "review.sqlite", trusted_hosts=LOOPBACK_HOSTS)
    return origin_client(app)


def has_class(locator, name: str) -> None:
    """Wait until the element's class list holds ``name`` (decisions update the page in place)."""
    expect(locator).to_have_class(re.compile(rf"(^|\s){re.escape(name)}(\s|$)"))


def first_corpus_id(out: Path) -> str:
    return next(i for i in records(out) if i != HOSTILE_ID and records(out)[i]["events"])


def select_range(page, start: int, end: int) -> None:
    """Select text[start:end] in the article without the mouse (a form open over the text may cover it)."""
    page.evaluate("([s, e]) => {" + JS_POINT + """
        const x = point(s, false), y = point(e, true);
        const r = document.createRange(); r.setStart(x[0], x[1]); r.setEnd(y[0], y[1]);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
    }""", [start, end])


def select_span(page, start: int, end: int) -> None:
    """Select text[start:end] in the article with the mouse (press on the first character, release on the last)."""
    boxes = page.evaluate("([s, e]) => {" + JS_POINT + """
        function box(cp) {
          const [n, o] = point(cp, false);
          const r = document.createRange();
          r.setStart(n, o); r.setEnd(n, o + Array.from(n.data.slice(o))[0].length);
          const b = r.getClientRects()[0];
          return [b.left, b.right, b.top + b.height / 2];
        }
        return [box(s), box(e - 1)];
    }""", [start, end])
    (l1, _r1, y1), (_l2, r2, y2) = boxes
    page.mouse.move(l1 + 1, y1)
    page.mouse.down()
    page.mouse.move(r2 - 1, y2, steps=8)
    page.mouse.up()


# ---------------------------------------------------------------- browser tests

def test_review_flow_in_browser(live, page, tmp_path):
    base, db, out, db_path = live
    recs = records(out)
    aid = first_corpus_id(out)
    rec = recs[aid]
    page.goto(article_url(base, aid))
    page.evaluate("window.__sameDocument = true")  # gone if any decision reloads the page

    # highlighted mentions, value on hover; the rendered text is the stored text
    marks = page.locator("#text mark.m")
    assert marks.count() == len(rec["mentions"])
    m0 = rec["mentions"][0]
    assert marks.first.get_attribute("title").startswith(f"{m0['type']}: {format_value(m0['value'])}")
    assert page.evaluate("document.getElementById('text').textContent") == rec["text"]
    # every trigger is highlighted too
    assert page.locator("#text mark.tg").count() == len({(e["type"], e["trigger"]["start"]) for e in rec["events"]})

    # reject one mention, correct another's value (in place: no navigation)
    dates = [m for m in rec["mentions"] if m["type"] == "DATE"]
    rejected, corrected = dates[0], dates[1]
    rkey, ckey = mention_key(rejected), mention_key(corrected)
    page.locator(f'li[data-key="{rkey}"] button[data-action="reject"]').click()
    has_class(page.locator(f'li[data-key="{rkey}"]'), "st-reject")
    page.locator(f'li[data-key="{ckey}"] button.edit').click()
    editor = page.locator("#mention-editor")
    expect(editor).to_be_visible()
    expect(editor.locator('input[name="value"]')).to_have_value(corrected["value"])
    editor.locator('input[name="value"]').fill("1999-12-31")
    editor.locator('button[type="submit"]').click()
    has_class(page.locator(f'li[data-key="{ckey}"]'), "st-correct")
    expect(editor).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True

    page.reload()
    assert "st-reject" in page.locator(f'li[data-key="{rkey}"]').get_attribute("class")
    assert "st-reject" in page.locator(f'#text mark[data-key="{rkey}"]').get_attribute("class")
    assert "st-correct" in page.locator(f'li[data-key="{ckey}"]').get_attribute("class")
    assert page.locator(f'li[data-key="{ckey}"] .val').inner_text() == "1999-12-31"
    assert "DATE: 1999-12-31" in page.locator(f'#text mark[data-key="{ckey}"]').get_attribute("title")
    assert [(d.key, d.action) for d in db.history(aid)] == [(rkey, "reject"), (ckey, "correct")]
    assert db.history(aid)[1].payload["value"] == "1999-12-31"

    # an event: reject it
    ev = rec["events"][0]
    ekey = f"{ev['type']}:{ev['trigger']['start']}:{ev['trigger']['end']}"
    page.locator(f'li[data-key="{ekey}"] button[data-action="reject"]').click()
    has_class(page.locator(f'li[data-key="{ekey}"]'), "st-reject")
    has_class(page.locator(f'#text mark.tg[data-ekey="{ekey}"]'), "st-reject")

    # another event: correct its type and date with the form (the rejected date is not offered: choices
    # are loaded on demand, nearest the trigger first)
    ev1 = next(e for e in rec["events"][1:] if e["trigger"]["start"] != ev["trigger"]["start"])
    e1key = f"{ev1['type']}:{ev1['trigger']['start']}:{ev1['trigger']['end']}"
    new_type = "TARGET" if ev1["type"] != "TARGET" else "RESULT"
    page.locator(f'li[data-key="{e1key}"] button.edit').click()
    editor = page.locator("#event-editor")
    expect(editor).to_be_visible()
    expect(editor.locator(f'select[name="date"] option[value="{ckey}"]')).to_have_count(1)
    assert editor.locator(f'select[name="date"] option[value="{rkey}"]').count() == 0
    editor.locator('select[name="type"]').select_option(new_type)
    editor.locator('select[name="date"]').select_option(ckey)
    editor.locator('button[type="submit"]').click()
    has_class(page.locator(f'li[data-key="{e1key}"]'), "st-correct")
    payload = db.history(aid)[-1].payload
    assert (payload["type"], payload["date"]) == (new_type, ckey)
    kept_args = {a: [mention_key(rec["mentions"][i]) for i in ev1[a]] for a in ("documents", "percents", "quantities")}
    assert {a: payload[a] for a in kept_args} == kept_args
    assert payload["agent"] is None and payload["status"] is None  # a figure has neither
    page.locator('#article-status button[data-status="done"]').click()
    expect(page.locator("#article-status")).to_have_attribute("data-status", "done")

    # add a missed mention by selecting it with the mouse (after a character outside the BMP)
    page.goto(article_url(base, HOSTILE_ID))
    # (the pipeline finds "Hội Nông dân": reject it, then add the narrower "Nông dân")
    whole = HOSTILE_TEXT.index("Hội Nông dân")
    page.locator(f'li[data-key="{whole}:{whole + 12}:INSTITUTION"] button[data-action="reject"]').click()
    has_class(page.locator(f'li[data-key="{whole}:{whole + 12}:INSTITUTION"]'), "st-reject")
    word = "Nông dân"
    start = HOSTILE_TEXT.index(word)
    select_span(page, start, start + len(word))
    assert page.locator("#sel-info").inner_text() == f"“{word}” ({start}–{start + len(word)})"
    # the type is guessed from the selection (a capitalised name: a body), not always DATE
    expect(page.locator('#add-form select[name="type"]')).to_have_value("INSTITUTION")
    page.fill('#add-form input[name="value"]', "Hội Nông dân Việt Nam")
    page.click("#add-button")
    added = page.locator(f'#text mark[data-key="{start}:{start + len(word)}:INSTITUTION"]')
    has_class(added, "st-add")
    assert added.inner_text() == word
    payload = db.history(HOSTILE_ID)[-1].payload
    assert (payload["start"], payload["end"], payload["text"]) == (start, start + len(word), word)
    page.locator('#article-status button[data-status="done"]').click()
    expect(page.locator("#article-status")).to_have_attribute("data-status", "done")

    # export and validate
    target = tmp_path / "reviewed.jsonl"
    result = CliRunner().invoke(main, ["review", "export", "--out", str(out), "--db", str(db_path),
                                       "--file", str(target)])
    assert result.exit_code == 0, result.output
    assert validate_file(target) == []
    exported = {r["id"]: r for r in map(json.loads, target.read_text(encoding="utf-8").splitlines())}
    assert sorted(exported) == sorted([aid, HOSTILE_ID])
    spans = {(m["start"], m["end"], m["type"]): m for m in exported[aid]["mentions"]}
    assert (rejected["start"], rejected["end"], "DATE") not in spans
    assert spans[(corrected["start"], corrected["end"], "DATE")]["value"] == "1999-12-31"
    assert len(exported[aid]["mentions"]) == len(rec["mentions"]) - 1
    assert len(exported[aid]["events"]) == len(rec["events"]) - 1
    assert not any(e["trigger"] == ev["trigger"] and e["type"] == ev["type"] for e in exported[aid]["events"])
    e1 = next(e for e in exported[aid]["events"] if e["trigger"] == ev1["trigger"])
    assert e1["type"] == new_type and exported[aid]["mentions"][e1["date"]]["value"] == "1999-12-31"
    hostile_spans = {(m["start"], m["end"]): m for m in exported[HOSTILE_ID]["mentions"]}
    assert hostile_spans[(start, start + len(word))]["value"] == "Hội Nông dân Việt Nam"
    assert page.dialogs == [] and page.errors == []


def test_selection_offsets_are_exact(live, page):
    """Ranges across marks, nested marks and an astral character map back to the stored offsets."""
    base, _db, out, _ = live
    recs = records(out)
    for aid in (HOSTILE_ID, first_corpus_id(out)):
        text = recs[aid]["text"]
        page.goto(article_url(base, aid))
        spans = []
        for m in recs[aid]["mentions"][:6]:
            spans += [(m["start"], m["end"]), (max(0, m["start"] - 3), m["end"]), (m["start"] + 1, m["end"] + 4)]
        if "😀" in text:
            i = text.index("😀")
            spans += [(i - 5, i + 6), (i, i + 1), (i + 2, len(text) - 3)]
        spans = [(s, e) for s, e in spans if e <= len(text) and text[s:e].strip() == text[s:e] and e > s]
        got = page.evaluate("(spans) => {" + JS_POINT + """
            return spans.map(([s, e]) => {
              const a = point(s, false), b = point(e, true);
              const r = document.createRange();
              r.setStart(a[0], a[1]); r.setEnd(b[0], b[1]);
              const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
              const o = window.vneventsSelectionOffsets();
              return [o.start, o.end, o.text];
            });
        }""", spans)
        assert [tuple(g) for g in got] == [(s, e, text[s:e]) for s, e in spans]

    # a double-click selects a word: its offsets come back as Python counts them
    page.goto(article_url(base, HOSTILE_ID))
    start = HOSTILE_TEXT.index("Nông")
    x, y = page.evaluate("(s) => {" + JS_POINT + """
        const [n, o] = point(s, false); const r = document.createRange(); r.setStart(n, o); r.setEnd(n, o + 2);
        const b = r.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2];
    }""", start)
    page.mouse.dblclick(x, y)
    assert page.locator("#sel-info").inner_text() == f"“Nông” ({start}–{start + 4})"


def test_hostile_article_runs_no_script(live, page):
    base, _db, _out, _ = live
    page.goto(base + "/")
    page.locator("#articles tbody tr").filter(has_text=HOSTILE_ID).locator("a.title").click()
    page.wait_for_load_state("load")
    assert HOSTILE_ID in page.locator(".art-title .meta").inner_text()
    assert page.locator("h1").inner_text() == HOSTILE_TEXT.splitlines()[0]
    text = page.locator("#text").inner_text()
    for payload in HOSTILE_PAYLOADS:
        assert payload in text
    hostile_key = f"{HOSTILE_TEXT.index(HOSTILE_PAYLOADS[1])}:{HOSTILE_TEXT.index(HOSTILE_PAYLOADS[1]) + len(HOSTILE_PAYLOADS[1])}:INSTITUTION"
    page.locator(f'li[data-key="{hostile_key}"] button[data-action="reject"]').click()
    has_class(page.locator(f'li[data-key="{hostile_key}"]'), "st-reject")
    page.locator(f'li[data-key="{hostile_key}"] button.cmt').click()
    page.fill("#comment-editor textarea", HOSTILE_PAYLOADS[1] + HOSTILE_VALUE)
    page.click('#comment-editor button[type="submit"]')
    expect(page.locator(f'li[data-key="{hostile_key}"] ul.comments')).to_contain_text(HOSTILE_VALUE)
    for url in (page.url, base + "/", base + "/events", base + "/events?institution=%3Csvg",
                base + "/canonical", base + "/canonical?q=%3Csvg"):
        page.goto(url)
        page.wait_for_timeout(200)
        assert page.locator("img, svg, iframe, object, embed").count() == 0
        assert page.locator("[onerror], [onload], [onclick], a[href^='javascript']").count() == 0
        assert page.locator("script").count() == (2 if "/article" in url else 1)
    assert page.dialogs == [] and page.errors == []


@pytest.mark.skipif(not os.environ.get("VNEVENTS_SCREENSHOTS"), reason="set VNEVENTS_SCREENSHOTS=1 to rewrite docs/*.png")
def test_make_screenshots(corpus_records, page, tmp_path, monkeypatch):
    """The README's screenshots of the bundled corpus: docs/review-article.png and docs/report-timeline.png."""
    from conftest import write_outputs
    from pipeline.report import write_report

    monkeypatch.chdir(tmp_path)
    recs = [dict(r, source=os.path.relpath(r["source"], ROOT)) for r in corpus_records]
    out = write_outputs(Path("outputs"), recs)
    app = create_app(Path("outputs"), trusted_hosts=LOOPBACK_HOSTS)
    aid = sorted(r["id"] for r in recs)[1]
    with serving(app) as base:
        c = app.test_client()
        c.environ_base["HTTP_ORIGIN"] = ORIGIN
        for m in records(out)[aid]["mentions"][:2]:
            c.post("/api/decision", json={"article_id": aid, "kind": "mention", "key": mention_key(m), "action": "accept"})
        page.set_viewport_size({"width": 1400, "height": 860})
        page.goto(article_url(base, aid))
        page.screenshot(path=str(ROOT / "docs" / "review-article.png"))
    page.set_viewport_size({"width": 1300, "height": 1300})
    page.goto(write_report(out).resolve().as_uri())
    page.screenshot(path=str(ROOT / "docs" / "report-timeline.png"))


# ---------------------------------------------------------------- server behaviour (test client)

TRAVERSALS = ["/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd",
              "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/../app.py", "/static/%2e%2e/app.py",
              "/static//etc/passwd", "/static/..\\app.py", "/../../etc/passwd", "/static/%252e%252e/app.py"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(client, path):
    resp = client.get(path, follow_redirects=True)  # "//" is merged by a redirect, which then 404s
    assert resp.status_code == 404
    assert b"root:" not in resp.data and b"create_app" not in resp.data


def test_path_traversal_on_the_wire_is_404(live):
    """Raw request lines (no client-side normalisation) against the running server."""
    base, *_ = live
    host, port = base.removeprefix("http://").split(":")
    for path in TRAVERSALS + ["/static/review.js"]:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if path == "/static/review.js":
            assert resp.status == 200 and b"vneventsSelectionOffsets" in body
        elif resp.status == 308:  # "//" merged: the redirect stays inside /static/ and 404s (test above)
            assert resp.getheader("Location").endswith("/static/etc/passwd"), path
        else:
            assert resp.status == 404, path
            assert b"root:" not in body


def test_state_changes_need_post(client, outputs):
    aid = first_corpus_id(outputs)
    key = mention_key(records(outputs)[aid]["mentions"][0])
    body = {"article_id": aid, "kind": "mention", "key": key, "action": "reject"}
    for method in ("get", "put", "delete", "patch"):
        assert getattr(client, method)("/api/decision", json=body).status_code == 405
        assert getattr(client, method)("/api/accept-rest", json={"article_id": aid}).status_code == 405
    assert client.get("/api/decision?" + urlencode(body)).status_code == 405
    assert client.post("/api/decision", data=body).status_code == 415  # a form post is not JSON
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # untrusted Host (DNS rebinding)
    db = ReviewDB(Path(client.application.extensions["vnevents"]["db"].path))
    assert db.count() == 0
    assert client.post("/api/decision", json=body).status_code == 200
    assert db.count() == 1


def test_twenty_concurrent_posts_all_land(outputs, tmp_path):
    app = create_app(outputs, tmp_path / "review.sqlite")
    aid = first_corpus_id(outputs)
    keys = [mention_key(m) for m in records(outputs)[aid]["mentions"]]
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        c = origin_client(app)
        barrier.wait()
        resp = c.post("/api/decision", json={"article_id": aid, "kind": "mention", "key": keys[i % 3],
                                             "action": ("accept", "reject")[i % 2]})
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * 20
    with sqlite3.connect(tmp_path / "review.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM decisions WHERE article_id = ?", (aid,)).fetchone()[0] == 20
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ids = [r[0] for r in conn.execute("SELECT id FROM decisions ORDER BY id")]
    assert ids == list(range(1, 21))
    latest = ReviewDB(tmp_path / "review.sqlite").latest(aid)
    assert len(latest) == 3


def test_accept_the_rest(client, outputs):
    aid = first_corpus_id(outputs)
    rec = records(outputs)[aid]
    key = mention_key(rec["mentions"][0])
    assert client.post("/api/decision", json={"article_id": aid, "kind": "mention", "key": key,
                                              "action": "reject"}).status_code == 200
    resp = client.post("/api/accept-rest", json={"article_id": aid})
    n_items = len({mention_key(m) for m in rec["mentions"]}) + len(rec["events"])
    assert resp.get_json()["accepted"] == n_items - 1
    page = client.get("/article?" + urlencode({"id": aid})).get_data(as_text=True)
    assert f"{n_items} / {n_items}</span> reviewed" in page
    assert f'<li class="item st-reject" id="m-{key}"' in page
    assert client.post("/api/accept-rest", json={"article_id": aid}).get_json()["accepted"] == 0


def test_decisions_table_is_append_only(tmp_path):
    db = ReviewDB(tmp_path / "r.sqlite")
    db.add("a", "mention", "0:4:DATE", "accept")
    with sqlite3.connect(tmp_path / "r.sqlite") as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE decisions SET action = 'reject'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM decisions")
    assert db.count() == 1


def test_decisions_survive_rerunning_the_pipeline(tmp_path):
    from pipeline.runner import run

    raw = tmp_path / "raw"
    raw.mkdir()
    src = sorted(CORPUS.glob("*.txt"))[-1]
    (raw / src.name).write_bytes(src.read_bytes())
    out = tmp_path / "out"
    run([raw], out, workers=1, report=False)
    rec = next(iter(records(out).values()))
    kept, vanishing = rec["mentions"][0], rec["mentions"][-1]
    app = create_app(out, tmp_path / "review.sqlite")
    c = origin_client(app)
    for m, action in ((kept, "reject"), (vanishing, "accept")):
        assert c.post("/api/decision", json={"article_id": rec["id"], "kind": "mention", "key": mention_key(m),
                                             "action": action}).status_code == 200
    page = c.get("/article?" + urlencode({"id": rec["id"]})).get_data(as_text=True)
    assert "no longer extracted" not in page

    # re-run on the article cut just before its last mention: earlier offsets stay, the last mention vanishes
    text = (raw / src.name).read_text(encoding="utf-8")
    assert text.replace("\r\n", "\n")[:vanishing["start"]] == rec["text"][:vanishing["start"]]
    (raw / src.name).write_text(rec["text"][:vanishing["start"]], encoding="utf-8")
    run([raw], out, workers=1, report=False)
    rec2 = next(iter(records(out).values()))
    assert mention_key(kept) in {mention_key(m) for m in rec2["mentions"]}
    assert mention_key(vanishing) not in {mention_key(m) for m in rec2["mentions"]}

    page = c.get("/article?" + urlencode({"id": rec["id"]})).get_data(as_text=True)  # same app: it re-reads
    assert "1 decision refers to mentions that are no longer extracted" in page
    assert f'<li class="item st-reject" id="m-{mention_key(kept)}"' in page
    listing = c.get("/").get_data(as_text=True)
    assert "1 stale" in listing


def test_export_rules_and_refusals(client, outputs, tmp_path):
    recs = records(outputs)
    hostile = recs[HOSTILE_ID]
    aid = first_corpus_id(outputs)
    db_path = tmp_path / "review.sqlite"

    def post(body, status=200):
        resp = client.post("/api/decision", json=body)
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    date, inst, doc, pct = hostile["mentions"][:4]
    # bad decisions are refused and leave no row
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": "", "action": "add",
          "mention": {"start": date["start"] + 2, "end": date["end"] + 3, "type": "DATE", "value": "2021"}}, 400)
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": mention_key(date), "action": "correct",
          "mention": {**date, "value": "15 June"}}, 400)
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": mention_key(pct), "action": "correct",
          "mention": {**pct, "value": "lots"}}, 400)
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": "'; DROP TABLE decisions; --", "action": "reject"}, 400)
    post({"article_id": "nope", "kind": "mention", "key": mention_key(date), "action": "reject"}, 404)
    assert ReviewDB(db_path).count() == 0

    # accepted, corrected (a range), rejected, an event corrected to other arguments
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": mention_key(date), "action": "accept"})
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": mention_key(pct), "action": "correct",
          "mention": {**pct, "value": "20 - 30"}})
    post({"article_id": HOSTILE_ID, "kind": "mention", "key": mention_key(inst), "action": "reject"})
    ev = hostile["events"][0]
    ekey = f"{ev['type']}:{ev['trigger']['start']}:{ev['trigger']['end']}"
    post({"article_id": HOSTILE_ID, "kind": "event", "key": ekey, "action": "correct",
          "event": {"type": "TARGET", "date": mention_key(date), "institutions": [mention_key(inst)],
                    "documents": [], "percents": [mention_key(pct)]}}, 400)  # inst is rejected now
    post({"article_id": HOSTILE_ID, "kind": "event", "key": ekey, "action": "correct",
          "event": {"type": "TARGET", "date": None, "institutions": [], "documents": [mention_key(doc)],
                    "percents": [mention_key(pct)]}})
    # an article whose only decision was undone is not exported, even with --include-partial
    post({"article_id": aid, "kind": "mention", "key": mention_key(recs[aid]["mentions"][0]), "action": "accept"})
    post({"article_id": aid, "kind": "mention", "key": mention_key(recs[aid]["mentions"][0]), "action": "reset"})

    target = tmp_path / "gold.jsonl"
    args = ["review", "export", "--out", str(outputs), "--db", str(db_path), "--file", str(target)]
    result = CliRunner().invoke(main, args)  # nothing is done yet: an empty file, and a note saying why
    assert result.exit_code == 0 and "no article is marked done" in result.output
    assert target.read_text(encoding="utf-8") == ""
    result = CliRunner().invoke(main, [*args, "--force", "--include-partial"])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["id"] for x in target.read_text(encoding="utf-8").splitlines()] == [HOSTILE_ID]
    target.unlink()
    assert client.post("/api/status", json={"article_id": HOSTILE_ID, "status": "done"}).status_code == 200
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert validate_file(target) == []
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["id"] == HOSTILE_ID and rec["text"] == HOSTILE_TEXT
    assert [m["text"] for m in rec["mentions"]] == [m["text"] for m in hostile["mentions"] if m is not inst]
    assert next(m for m in rec["mentions"] if m["type"] == "PERCENT")["value"] == [20, 30]
    e0 = next(e for e in rec["events"] if e["trigger"] == ev["trigger"])
    assert e0["type"] == "TARGET" and e0["date"] is None and e0["institutions"] == []
    assert [rec["mentions"][i]["type"] for i in e0["documents"] + e0["percents"]] == ["DOCREF", "PERCENT"]
    e1 = next(e for e in rec["events"] if e["trigger"] != ev["trigger"])
    assert e1["institutions"] == []  # its institution was rejected

    before = target.read_bytes()
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0 and "--force" in result.output
    assert target.read_bytes() == before
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    gold_dir = tmp_path / "corpus" / "gold"
    gold_dir.mkdir(parents=True)
    (gold_dir / "seeds.jsonl").write_text("keep\n", encoding="utf-8")
    for name in ("seeds.jsonl", "new.jsonl"):
        result = CliRunner().invoke(main, ["review", "export", "--out", str(outputs), "--db", str(db_path),
                                           "--file", str(gold_dir / name), "--force"])
        assert result.exit_code != 0 and "corpus/gold" in result.output
    assert (gold_dir / "seeds.jsonl").read_text(encoding="utf-8") == "keep\n"
    assert not (gold_dir / "new.jsonl").exists()
    assert not list(tmp_path.glob(".gold.jsonl.*"))


def test_events_view_filters_and_sorts_by_date(client, outputs):
    import pandas as pd
    from bs4 import BeautifulSoup

    ev = pd.read_parquet(outputs / "events.parquet")

    def shown(**params):
        soup = BeautifulSoup(client.get("/events?" + urlencode(params)).get_data(as_text=True), "html.parser")
        rows = soup.select("#event-table tbody tr")
        assert soup.select_one("#event-count").get_text() == str(len(rows))  # one page holds them all here
        return rows

    rows = shown()
    assert len(rows) == len(ev)
    dates = [r.select_one("td.date").contents[0].strip() if r.select_one("td.date").contents else "" for r in rows]
    dated = [d for d in dates if d]
    starts = [d.split("/")[0] for d in dated]
    assert starts == sorted(starts, key=lambda d: (d + "-01-01")[:10]) and dates[: len(dated)] == dated

    assert {r["data-type"] for r in shown(type="LAUNCH")} == {"LAUNCH"}
    assert len(shown(type="LAUNCH")) == int((ev.type == "LAUNCH").sum())
    start, end = pd.to_datetime(ev.date_start), pd.to_datetime(ev.date_end)
    in_2020 = ((start <= "2020-12-31") & (end >= "2020-01-01")).sum()
    assert len(shown(**{"from": "2020-01-01", "to": "2020-12-31"})) == int(in_2020) > 0
    inst = ev.institutions.dropna()
    name = inst[inst != ""].iloc[0].split(" | ")[0]
    assert len(shown(institution=name.lower())) == int(ev.institutions.fillna("").str.lower().str.contains(name.lower(), regex=False).sum())
    doc = ev.documents.dropna()
    code = doc[doc != ""].iloc[0].split(" | ")[0]
    hits = shown(document=code)
    assert hits and all(code in r.get_text() for r in hits)
    assert shown(type="LAUNCH", institution="no such body") == []
