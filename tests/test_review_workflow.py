"""Reviewing with the v2 event model in Chromium: keyboard, undo, events, canonical events, status, reviewers."""
from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from urllib.parse import quote, urlencode

from bs4 import BeautifulSoup
from click.testing import CliRunner
from playwright.sync_api import expect

from conftest import HOSTILE_ID, HOSTILE_TEXT
from pipeline.cli import main
from pipeline.gold import EVENT_TYPES, MENTION_TYPES, validate_file
from pipeline.review.app import COOKIE, create_app, expand_aliases, fold, title_of
from pipeline.review.db import agreement, article_state, event_key, mention_key
from test_review import (article_url, client, first_corpus_id, has_class, live,  # noqa: F401 (fixtures)
                         origin_client, records, select_range, select_span, serving)


def export(out, db_path, target, *extra) -> dict[str, dict]:
    result = CliRunner().invoke(main, ["review", "export", "--out", str(out), "--db", str(db_path), "--file",
                                       str(target), "--force", *extra])
    assert result.exit_code == 0, result.output
    assert validate_file(target) == []
    return {r["id"]: r for r in map(json.loads, target.read_text(encoding="utf-8").splitlines())}


def as_reviewer(app, name: str):
    c = origin_client(app)
    c.set_cookie(COOKIE, quote(name))
    return c


# ---------------------------------------------------------------- keyboard and undo

def test_keyboard_shortcuts_and_undo(live, page):
    base, db, out, _ = live
    aid = first_corpus_id(out)
    page.goto(article_url(base, aid))
    page.evaluate("window.__sameDocument = true")
    keys = page.locator("#keys")
    for words in ("next/previous item", "accept", "reject", "undo", "accept the rest", "article done", "RESULT", "DATE"):
        expect(keys).to_contain_text(words)

    items = page.locator("#mention-list > li.item, #event-list > li.item")
    n = items.count()
    k0, k1 = items.nth(0).get_attribute("data-key"), items.nth(1).get_attribute("data-key")
    page.keyboard.press("j")
    has_class(items.nth(0), "focus")
    page.keyboard.press("a")  # accept, then the next item has the focus
    has_class(page.locator(f'li[data-key="{k0}"]'), "st-accept")
    has_class(items.nth(1), "focus")
    page.keyboard.press("r")
    has_class(page.locator(f'li[data-key="{k1}"]'), "st-reject")
    has_class(items.nth(2), "focus")
    page.keyboard.press("k")
    has_class(items.nth(1), "focus")
    page.keyboard.press("u")  # undo the reject
    has_class(page.locator(f'li[data-key="{k1}"]'), "st-pending")
    assert [(d.key, d.action) for d in db.history(aid)] == [(k0, "accept"), (k1, "reject"), (k1, "reset")]

    progress = page.locator("#progress")
    page.keyboard.press("Shift+A")  # accept the rest
    expect(progress).to_have_text(f"{n} / {n}")
    expect(page.locator("#undo")).to_contain_text("accept the rest")
    page.keyboard.press("u")  # undo the bulk accept as a whole
    expect(progress).to_have_text(f"1 / {n}")
    assert page.locator("li.item.st-accept").count() == 1
    has_class(page.locator(f'li[data-key="{k0}"]'), "st-accept")

    # a type key on an event sets its type
    ev = page.locator("#event-list > li.item").first
    ekey = ev.get_attribute("data-key")
    new_type = "RESULT" if ev.get_attribute("data-type") != "RESULT" else "TARGET"
    ev.locator(".snippet").click()
    has_class(page.locator(f'li[data-key="{ekey}"]'), "focus")
    page.keyboard.press(str(EVENT_TYPES.index(new_type) + 1))
    expect(page.locator(f'li[data-key="{ekey}"]')).to_have_attribute("data-type", new_type)
    assert db.history(aid)[-1].payload["type"] == new_type

    page.keyboard.press("Shift+D")
    expect(page.locator("#article-status")).to_have_attribute("data-status", "done")
    assert db.article_status(aid, "default") == "done"
    assert page.evaluate("window.__sameDocument") is True  # nothing above reloaded the page
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/article\?id=(?!" + re.escape(quote(aid)) + ")"))
    assert page.dialogs == [] and page.errors == []


def test_undo_steps_back_through_batches_per_reviewer(outputs, tmp_path):
    app = create_app(outputs, tmp_path / "review.sqlite")
    anna, binh = as_reviewer(app, "Anna"), as_reviewer(app, "Bình")
    aid = first_corpus_id(outputs)
    rec = records(outputs)[aid]
    k0, k1 = mention_key(rec["mentions"][0]), mention_key(rec["mentions"][1])
    db = app.extensions["vnevents"]["db"]

    def state(c):
        page = c.get("/article?" + urlencode({"id": aid})).get_data(as_text=True)
        return re.search(r'id="progress">(\d+) / (\d+)<', page).groups()

    assert anna.post("/api/decision", json={"article_id": aid, "kind": "mention", "key": k0, "action": "reject"}).status_code == 200
    assert binh.post("/api/decision", json={"article_id": aid, "kind": "mention", "key": k1, "action": "accept"}).status_code == 200
    total = int(state(anna)[1])
    assert anna.post("/api/accept-rest", json={"article_id": aid}).get_json()["accepted"] == total - 1
    assert state(anna)[0] == str(total)
    assert state(binh)[0] == "1"  # per reviewer: Bình's view is his own
    undone = anna.post("/api/undo", json={"article_id": aid}).get_json()["undone"]
    assert undone["items"] == total - 1 and "accept the rest" in undone["what"]
    assert state(anna)[0] == "1"
    assert anna.post("/api/undo", json={"article_id": aid}).get_json()["undone"]["items"] == 1
    assert state(anna)[0] == "0"
    assert anna.post("/api/undo", json={"article_id": aid}).status_code == 400  # nothing left
    assert state(binh)[0] == "1"
    assert db.latest(aid, "Bình")[("mention", k1)].action == "accept"


# ---------------------------------------------------------------- events: add and correct every v2 field

def test_add_and_correct_events_with_v2_arguments(live, page, tmp_path):
    base, db, out, db_path = live
    rec = records(out)[HOSTILE_ID]
    by_text = {m["text"]: m for m in rec["mentions"]}
    body, doc, pct = by_text["Hội Nông dân"], by_text["Quyết định số 749/QĐ-TTg"], by_text["90,5%"]
    page.goto(article_url(base, HOSTILE_ID))
    page.evaluate("window.__sameDocument = true")

    # add: select the trigger, press t, fill the form (choices come from the server, nearest first)
    trig = HOSTILE_TEXT.index("xuất hiện")
    select_span(page, trig, trig + len("xuất hiện"))
    page.keyboard.press("t")
    editor = page.locator("#event-editor")
    expect(editor).to_be_visible()
    expect(editor.locator(".ed-title")).to_have_text("Add event")
    editor.locator('select[name="type"]').select_option("LAUNCH")
    expect(editor.locator(f'select[name="agent"] option[value="{mention_key(body)}"]')).to_have_count(1)
    editor.locator('select[name="agent"]').select_option(mention_key(body))
    obj = HOSTILE_TEXT.index("Biểu tượng")
    select_span(page, obj, obj + len("Biểu tượng"))
    editor.locator('button.use-sel[data-for="object"]').click()
    expect(editor.locator('input[name="object_start"]')).to_have_value(str(obj))
    editor.locator('select[name="status"]').select_option("planned")
    editor.locator('input[name="canonical"]').fill("lau-bieu-tuong")
    editor.locator('button[type="submit"]').click()
    new_key = f"LAUNCH:{trig}:{trig + len('xuất hiện')}"
    added = page.locator(f'#event-list li[data-key="{new_key}"]')
    has_class(added, "st-add")
    expect(added.locator(".a-agent")).to_contain_text("Hội Nông dân")
    expect(added.locator(".a-object")).to_have_text("Biểu tượng")
    has_class(page.locator(f'#text mark.tg[data-ekey="{new_key}"]'), "st-add")
    assert page.locator(f'#text mark.tg[data-ekey="{new_key}"]').inner_text() == "xuất hiện"

    # correct the ISSUANCE: move its trigger, set object, status and canonical key
    iss = next(e for e in rec["events"] if e["type"] == "ISSUANCE")
    ikey = event_key(iss)
    page.locator(f'li[data-key="{ikey}"] button.edit').click()
    expect(editor.locator(".ed-title")).to_have_text("Correct event")
    expect(editor.locator('select[name="agent"]')).to_have_value(mention_key(by_text["Bộ Y tế"]))
    duyet = HOSTILE_TEXT.index("duyệt")
    select_span(page, duyet, duyet + len("duyệt"))
    editor.locator('button.use-sel[data-for="trigger"]').click()
    select_range(page, doc["start"], doc["end"])  # the object, selected in the text
    editor.locator('button.use-sel[data-for="object"]').click()
    expect(editor.locator('input[name="object_start"]')).to_have_value(str(doc["start"]))
    editor.locator('select[name="status"]').select_option("planned")
    editor.locator('input[name="canonical"]').fill("iss-749-test")
    editor.locator('button[type="submit"]').click()
    has_class(page.locator(f'li[data-key="{ikey}"]'), "st-correct")
    mark = page.locator(f'#text mark.tg[data-ekey="{ikey}"]')
    expect(mark).to_have_text("duyệt")  # the trigger moved on the page too
    payload = db.history(HOSTILE_ID)[-1].payload
    assert payload["trigger"] == {"start": duyet, "end": duyet + len("duyệt")}
    assert payload["object"] == {"start": doc["start"], "end": doc["end"]}
    assert (payload["status"], payload["canonical"]) == ("planned", "iss-749-test")

    # a figure: the agent and status fields are hidden; choose its percent
    res = next(e for e in rec["events"] if e["type"] == "RESULT")
    page.locator(f'li[data-key="{event_key(res)}"] button.edit').click()
    expect(editor.locator('select[name="agent"]')).to_be_hidden()
    expect(editor.locator(f'select[name="percents"] option[value="{mention_key(pct)}"]')).to_have_count(1)
    editor.locator('select[name="percents"]').select_option([mention_key(pct)])
    editor.locator('button[type="submit"]').click()
    has_class(page.locator(f'li[data-key="{event_key(res)}"]'), "st-correct")
    assert page.evaluate("window.__sameDocument") is True

    # the article is done: export carries every field
    page.locator('#article-status button[data-status="done"]').click()
    expect(page.locator("#article-status")).to_have_attribute("data-status", "done")
    got = export(out, db_path, tmp_path / "gold.jsonl")[HOSTILE_ID]
    ms = got["mentions"]
    launch = next(e for e in got["events"] if e["type"] == "LAUNCH")
    assert ms[launch["agent"]]["text"] == "Hội Nông dân" and launch["agent"] in launch["institutions"]
    assert HOSTILE_TEXT[launch["object"]["start"]:launch["object"]["end"]] == "Biểu tượng"
    assert (launch["status"], launch["canonical"]) == ("planned", "lau-bieu-tuong")
    issuance = next(e for e in got["events"] if e["type"] == "ISSUANCE")
    assert HOSTILE_TEXT[issuance["trigger"]["start"]:issuance["trigger"]["end"]] == "duyệt"
    assert (issuance["status"], issuance["canonical"]) == ("planned", "iss-749-test")
    assert ms[issuance["agent"]]["text"] == "Bộ Y tế"
    result = next(e for e in got["events"] if e["type"] == "RESULT")
    assert [ms[i]["text"] for i in result["percents"]] == ["90,5%"] and result["agent"] is None
    assert page.dialogs == [] and page.errors == []


def test_event_decisions_are_validated(client, outputs):
    rec = records(outputs)[HOSTILE_ID]
    by_text = {m["text"]: m for m in rec["mentions"]}
    iss = next(e for e in rec["events"] if e["type"] == "ISSUANCE")

    def post(action, event, key="", status=400):
        resp = client.post("/api/decision", json={"article_id": HOSTILE_ID, "kind": "event", "key": key,
                                                  "action": action, "event": event})
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    t = HOSTILE_TEXT.index("xuất hiện")
    span = {"start": t, "end": t + 9}
    assert "trigger" in post("add", {"type": "LAUNCH"})["error"]
    assert "outside the text" in post("add", {"type": "LAUNCH", "trigger": {"start": 0, "end": 10 ** 6}})["error"]
    assert "white space" in post("add", {"type": "LAUNCH", "trigger": {"start": t - 1, "end": t + 9}})["error"]
    assert "unknown event type" in post("add", {"type": "PARTY", "trigger": span})["error"]
    assert "INSTITUTION" in post("add", {"type": "LAUNCH", "trigger": span, "agent": mention_key(by_text["90,5%"])})["error"]
    assert "status" in post("add", {"type": "LAUNCH", "trigger": span, "status": "maybe"})["error"]
    assert "not a current mention" in post("add", {"type": "LAUNCH", "trigger": span, "documents": ["1:3:DOCREF"]})["error"]
    assert "exists already" in post("add", {"type": iss["type"], "trigger": {k: iss["trigger"][k] for k in ("start", "end")}})["error"]
    assert "no event" in post("correct", {"type": "LAUNCH"}, key="LAUNCH:1:2")["error"]
    ok = post("add", {"type": "RESULT", "trigger": span, "agent": mention_key(by_text["Bộ Y tế"]), "status": "done"},
              status=200)
    item = client.get("/api/item?" + urlencode({"id": HOSTILE_ID, "kind": "event", "key": ok["key"]})).get_json()
    assert item["item"]["agent"] is None and item["item"]["status"] is None  # figures have neither
    assert "kept already" in post("accept", None, key=ok["key"])["error"]


# ---------------------------------------------------------------- canonical events

def test_canonical_merge_and_split_in_browser_and_export(live, page, tmp_path):
    base, db, out, db_path = live
    recs = records(out)
    iss = next(e for e in recs[HOSTILE_ID]["events"] if e["type"] == "ISSUANCE")
    sizes = Counter(e["canonical"] for r in recs.values() for e in r["events"])
    a_key = iss["canonical"]
    other_id, other = next((r["id"], e) for r in recs.values() if r["id"] != HOSTILE_ID for e in r["events"]
                           if e["type"] == "ISSUANCE" and sizes[e["canonical"]] == 1 and e["canonical"] != a_key)
    b_key = other["canonical"]
    c = origin_client(create_app(out, db_path))
    for aid in (HOSTILE_ID, other_id):
        assert c.post("/api/status", json={"article_id": aid, "status": "done"}).status_code == 200

    page.goto(base + "/canonical?" + urlencode({"type": "ISSUANCE"}))
    group_a = page.locator(f'section.cgroup[data-key="{a_key}"]')
    expect(group_a.locator("ol.statements > li")).to_have_count(sizes[a_key])
    page.locator(f'.cg-pick[value="{b_key}"]').check()
    page.locator(f'.cg-pick[value="{a_key}"]').check()
    expect(page.locator("#picked-count")).to_have_text("2")
    page.locator("#merge-into").select_option(a_key)
    page.locator("#merge-button").click()
    expect(group_a.locator("ol.statements > li")).to_have_count(sizes[a_key] + 1)
    expect(page.locator(f'section.cgroup[data-key="{b_key}"]')).to_have_count(0)
    expect(group_a.locator(".merged")).to_contain_text(b_key)
    got = export(out, db_path, tmp_path / "g.jsonl")
    e_other = next(e for e in got[other_id]["events"] if e["trigger"] == {k: other["trigger"][k] for k in ("start", "end")})
    e_iss = next(e for e in got[HOSTILE_ID]["events"] if e["type"] == "ISSUANCE")
    assert e_other["canonical"] == e_iss["canonical"] == a_key

    # the article page shows the shared key with its statement count
    page.goto(article_url(base, other_id) + "&" + urlencode({"focus": "e-" + event_key(other)}))
    expect(page.locator(f'li[data-key="{event_key(other)}"] .a-canonical')).to_contain_text(f"({sizes[a_key] + 1} statements)")

    # split the other article's statement off: its own key again
    page.goto(base + "/canonical?" + urlencode({"type": "ISSUANCE"}))
    group_a.locator(f'li[data-article="{other_id}"][data-key="{event_key(other)}"] button.split').click()
    expect(group_a.locator("ol.statements > li")).to_have_count(sizes[a_key])
    split_key = db.canonical_resolver().splits[(other_id, event_key(other))]
    expect(page.locator(f'section.cgroup[data-key="{split_key}"] .split-note')).to_be_visible()
    got = export(out, db_path, tmp_path / "g.jsonl")
    e_other = next(e for e in got[other_id]["events"] if e["trigger"] == {k: other["trigger"][k] for k in ("start", "end")})
    assert e_other["canonical"] == split_key != a_key

    # rejoin, then unmerge: back to the predicted keys
    page.locator(f'section.cgroup[data-key="{split_key}"] button.rejoin').click()
    expect(group_a.locator("ol.statements > li")).to_have_count(sizes[a_key] + 1)
    group_a.locator(f'button.unmerge[data-key="{b_key}"]').click()
    expect(page.locator(f'section.cgroup[data-key="{b_key}"]')).to_have_count(1)
    got = export(out, db_path, tmp_path / "g.jsonl")
    e_other = next(e for e in got[other_id]["events"] if e["trigger"] == {k: other["trigger"][k] for k in ("start", "end")})
    assert e_other["canonical"] == b_key
    with sqlite3.connect(db_path) as conn:
        kinds = Counter(r[0] for r in conn.execute("SELECT action FROM decisions WHERE kind = 'canonical'"))
    assert kinds == {"merge": 1, "split": 1, "reset": 2}  # every step is a decision in the log
    assert page.dialogs == [] and page.errors == []


# ---------------------------------------------------------------- status and export

def test_export_writes_only_done_articles(client, outputs, tmp_path):
    recs = records(outputs)
    aid = first_corpus_id(outputs)
    db_path = client.application.extensions["vnevents"]["db"].path
    # 1 of many items decided: "in progress", not gold
    assert client.post("/api/decision", json={"article_id": aid, "kind": "mention",
                                              "key": mention_key(recs[aid]["mentions"][0]), "action": "reject"}).status_code == 200
    listing = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    assert listing.select_one(f'tr[data-id="{aid}"]')["data-status"] == "progress"
    assert export(outputs, db_path, tmp_path / "g.jsonl") == {}
    partial = export(outputs, db_path, tmp_path / "g.jsonl", "--include-partial")
    assert list(partial) == [aid] and len(partial[aid]["mentions"]) == len(recs[aid]["mentions"]) - 1
    # done: exported, also an article marked done without a single decision (predictions judged right)
    for a in (aid, HOSTILE_ID):
        assert client.post("/api/status", json={"article_id": a, "status": "done"}).status_code == 200
    assert sorted(export(outputs, db_path, tmp_path / "g.jsonl")) == sorted([aid, HOSTILE_ID])
    # reopened: out again
    assert client.post("/api/status", json={"article_id": HOSTILE_ID, "status": "progress"}).status_code == 200
    assert list(export(outputs, db_path, tmp_path / "g.jsonl")) == [aid]
    listing = BeautifulSoup(client.get("/?status=done").get_data(as_text=True), "html.parser")
    assert [tr["data-id"] for tr in listing.select("#articles tbody tr")] == [aid]


# ---------------------------------------------------------------- lists and filters

def test_article_list_search_sort_and_titles(client, outputs, live, page):
    recs = records(outputs)

    def ids(**params):
        soup = BeautifulSoup(client.get("/?" + urlencode(params)).get_data(as_text=True), "html.parser")
        return [tr["data-id"] for tr in soup.select("#articles tbody tr")]

    titles = {aid: title_of(r["text"]) for aid, r in recs.items()}
    want = sorted(a for a, t in titles.items() if "chinh phu dien tu" in fold(t) or "chinh phu dien tu" in fold(a))
    assert want and sorted(ids(q="chinh phu dien tu")) == want  # without diacritics
    assert sorted(ids(q="CHÍNH PHỦ ĐIỆN TỬ")) == want
    assert ids(sort="chars", dir="desc") == sorted(recs, key=lambda a: -len(recs[a]["text"]))
    assert ids(sort="events") == sorted(recs, key=lambda a: len(recs[a]["events"]))
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    assert {a.get_text() for a in soup.select("a.title")} >= {t for t in titles.values() if t}
    base = live[0]
    page.goto(base + "/")
    page.keyboard.press("/")
    expect(page.locator("#article-search")).to_be_focused()
    page.keyboard.type("chinh phu dien tu")
    page.keyboard.press("Enter")
    expect(page.locator("#articles tbody tr")).to_have_count(len(want))


def test_event_filters_ignore_diacritics_and_know_aliases(client, outputs):
    import pandas as pd

    ev = pd.read_parquet(outputs / "events.parquet")

    def count(**params):
        soup = BeautifulSoup(client.get("/events?" + urlencode(params)).get_data(as_text=True), "html.parser")
        return int(soup.select_one("#event-count").get_text()), soup

    mic = "Bộ Thông tin và Truyền thông"
    have = int(ev.institutions.fillna("").str.contains(mic, regex=False).sum())
    assert have > 0
    n, soup = count(institution="TT&TT")
    assert n >= have and mic in soup.get_text()
    assert fold(mic) in expand_aliases("Bộ TT&TT") and fold(mic) in expand_aliases("mic")
    assert count(institution="bo thong tin va truyen thong")[0] == count(institution=mic)[0] == have
    assert count(institution="BỘ TT-TT")[0] == have
    assert count(document="qd-ttg")[0] == count(document="QĐ-TTg")[0] > 0
    phrase = "Chính phủ điện tử"
    assert count(q="chinh phu dien tu")[0] >= int(ev.sentence.fillna("").str.contains(phrase, regex=False).sum()) > 0


def test_event_filters_in_the_browser(live, page):
    """The events page's filter form in Chromium: an alias and a folded name find the ministry's events."""
    import pandas as pd

    base, _db, out, _ = live
    ev = pd.read_parquet(out / "events.parquet")
    mic = "Bộ Thông tin và Truyền thông"
    have = int(ev.institutions.fillna("").str.contains(mic, regex=False).sum())
    assert have > 0
    page.goto(base + "/events")
    total = int(page.locator("#event-count").inner_text())
    for query in ("TT&TT", "bo thong tin va truyen thong", "BỘ TT-TT"):
        page.fill('#event-filters input[name="institution"]', query)
        with page.expect_navigation():
            page.press('#event-filters input[name="institution"]', "Enter")
        n = int(page.locator("#event-count").inner_text())
        assert have <= n < total, (query, n)
        expect(page.locator("body")).to_contain_text(mic)
    assert page.dialogs == [] and page.errors == []


def test_mention_type_is_guessed_from_the_selection(live, page):
    base, _db, out, _ = live
    page.goto(article_url(base, HOSTILE_ID))
    cases = [("90,5%", "", "PERCENT", "90.5"), ("20 - 30%", "", "PERCENT", "20-30"),
             ("Quyết định số 12/QĐ-UBND", "", "DOCREF", "12/QĐ-UBND"), ("12/2021/NĐ-CP", "Nghị định số ", "DOCREF", "12/2021/NĐ-CP"),
             ("ngày 3/4/2022", "", "DATE", "2022-04-03"), ("tháng 11/2021", "", "DATE", "2021-11"), ("2025", "năm ", "DATE", "2025"),
             ("1.200 hồ sơ", "", "QUANTITY", "1.200 hồ sơ"), ("Sở Tư pháp", "", "INSTITUTION", "Sở Tư pháp"),
             ("UBND", "", "INSTITUTION", "UBND")]
    got = page.evaluate("(cases) => cases.map(([t, b]) => window.vneventsGuess(t, b))", [[t, b] for t, b, *_ in cases])
    assert [tuple(g) for g in got] == [(ty, v) for _t, _b, ty, v in cases]
    # selecting with the mouse in the article: the add form takes the type the selection's text and context call for
    for phrase, typ, value in (("90,5%", "PERCENT", "90.5"), ("749/QĐ-TTg", "DOCREF", "749/QĐ-TTg"),
                               ("15/6/2021", "DATE", "2021-06-15"), ("Hội Nông dân", "INSTITUTION", "Hội Nông dân")):
        s = HOSTILE_TEXT.index(phrase)
        select_span(page, s, s + len(phrase))
        expect(page.locator("#sel-info")).to_contain_text(phrase)
        expect(page.locator('#add-form select[name="type"]')).to_have_value(typ)
        expect(page.locator('#add-form input[name="value"]')).to_have_value(value)


# ---------------------------------------------------------------- comments, reviewers, agreement

def test_comments_reviewers_and_agreement(live, page, tmp_path):
    base, db, out, db_path = live
    app = create_app(out, db_path)
    an, binh = as_reviewer(app, "An"), as_reviewer(app, "Bình")
    aid = first_corpus_id(out)
    rec = records(out)[aid]
    m0, m1, m2 = (mention_key(m) for m in rec["mentions"][:3])
    e0 = event_key(rec["events"][0])

    def decide(c, kind, key, action, **extra):
        resp = c.post("/api/decision", json={"article_id": aid, "kind": kind, "key": key, "action": action, **extra})
        assert resp.status_code == 200, resp.get_json()

    for key, action in ((m0, "accept"), (m1, "accept"), (m2, "reject")):
        decide(an, "mention", key, action)
    decide(an, "event", e0, "accept")
    for key, action in ((m0, "accept"), (m1, "reject"), (m2, "reject")):
        decide(binh, "mention", key, action)
    other = "RESULT" if rec["events"][0]["type"] != "RESULT" else "TARGET"
    decide(binh, "event", e0, "correct", event={"type": other})
    assert an.post("/api/comment", json={"article_id": aid, "kind": "mention", "key": m1,
                                         "text": "Kiểm tra lại: tên cơ quan?"}).status_code == 200
    ag = agreement(article_state(rec, db.latest(aid, "An")), article_state(rec, db.latest(aid, "Bình")))
    assert (ag["items"], ag["agree"]) == (4, 2)  # m0 and m2 agree; m1 and e0 do not

    # Bình's page in the browser: his own decisions, An's comment, the agreement with An
    page.goto(base + "/")
    page.fill("#reviewer-name", "Bình")
    with page.expect_navigation():
        page.click("#reviewer-form button")
    expect(page.locator("#reviewer-name")).to_have_value("Bình")
    row = page.locator("#articles tbody tr").filter(has_text=aid)
    expect(row.locator("td.agree")).to_contain_text("50%")
    expect(page.locator("#agreement-total")).to_contain_text("50.0%")
    page.goto(article_url(base, aid))
    has_class(page.locator(f'li[data-key="{m1}"]'), "st-reject")
    expect(page.locator(f'li[data-key="{m1}"] ul.comments')).to_contain_text("An Kiểm tra lại")
    expect(page.locator("#agreement")).to_contain_text("agreement with An: 50%")
    # a comment by keyboard
    page.locator(f'li[data-key="{m0}"] .line').click()
    page.keyboard.press("c")
    page.keyboard.type("đúng")
    page.click('#comment-editor button[type="submit"]')
    expect(page.locator(f'li[data-key="{m0}"] ul.comments')).to_contain_text("Bình đúng")

    # export: the work of whoever marked the article done (the latest mark), or --reviewer
    assert an.post("/api/status", json={"article_id": aid, "status": "done"}).status_code == 200
    got = export(out, db_path, tmp_path / "g.jsonl")[aid]
    assert rec["mentions"][1]["start"] in {m["start"] for m in got["mentions"]}  # An kept m1
    assert binh.post("/api/status", json={"article_id": aid, "status": "done"}).status_code == 200
    got = export(out, db_path, tmp_path / "g.jsonl")[aid]
    assert rec["mentions"][1]["start"] not in {m["start"] for m in got["mentions"]}  # Bình rejected it
    got = export(out, db_path, tmp_path / "g.jsonl", "--reviewer", "An")[aid]
    assert rec["mentions"][1]["start"] in {m["start"] for m in got["mentions"]}
    assert page.dialogs == [] and page.errors == []


# ---------------------------------------------------------------- every v2 argument, split honoured by the next run

def test_every_v2_argument_of_an_event_is_corrected_in_the_browser(live, page, tmp_path):
    """Date, agent, institutions, documents, percents, quantities, object and status, set in the form and exported."""
    base, db, out, db_path = live
    recs = records(out)

    def usable(r: dict) -> bool:
        types = Counter(m["type"] for m in r["mentions"])
        return r["id"] != HOSTILE_ID and r["events"] and all(types[t] for t in MENTION_TYPES) and types["INSTITUTION"] >= 2

    rec = next(r for r in recs.values() if usable(r))
    aid, ev = rec["id"], rec["events"][0]
    ekey, at = event_key(ev), ev["trigger"]["start"]

    def nearest(typ: str, n: int = 1) -> list[dict]:
        return sorted((m for m in rec["mentions"] if m["type"] == typ), key=lambda m: abs(m["start"] - at))[:n]

    (date,), (agent, inst), (doc,), (pct,), (qty,) = (nearest("DATE"), nearest("INSTITUTION", 2), nearest("DOCREF"),
                                                      nearest("PERCENT"), nearest("QUANTITY"))
    page.goto(article_url(base, aid))
    page.evaluate("window.__sameDocument = true")
    page.locator(f'#event-list li[data-key="{ekey}"] button.edit').click()
    editor = page.locator("#event-editor")
    expect(editor.locator(".ed-title")).to_have_text("Correct event")
    editor.locator('select[name="type"]').select_option("ISSUANCE")
    for name, ms in (("date", [date]), ("agent", [agent]), ("institutions", [inst]), ("documents", [doc]),
                     ("percents", [pct]), ("quantities", [qty])):
        sel = editor.locator(f'select[name="{name}"]')
        expect(sel.locator(f'option[value="{mention_key(ms[0])}"]')).to_have_count(1)  # offered, nearest first
        sel.select_option(mention_key(ms[0]) if name in ("date", "agent") else [mention_key(m) for m in ms])
    select_range(page, doc["start"], doc["end"])  # the object, selected in the text
    editor.locator('button.use-sel[data-for="object"]').click()
    expect(editor.locator('input[name="object_start"]')).to_have_value(str(doc["start"]))
    editor.locator('select[name="status"]').select_option("planned")
    editor.locator('button[type="submit"]').click()
    li = page.locator(f'#event-list li[data-key="{ekey}"]')
    has_class(li, "st-correct")
    expect(li.locator(".etype")).to_have_text("ISSUANCE")
    for cls, m in (("a-agent", agent), ("a-documents", doc), ("a-percents", pct), ("a-quantities", qty)):
        expect(li.locator(f".{cls}")).to_contain_text(m["text"])
    expect(li.locator(".a-institutions")).to_contain_text(inst["text"])
    expect(li.locator("dd").first).to_contain_text(date["text"])
    expect(li.locator(".a-object")).to_have_text(doc["text"])
    assert page.evaluate("window.__sameDocument") is True

    page.locator('#article-status button[data-status="done"]').click()
    expect(page.locator("#article-status")).to_have_attribute("data-status", "done")
    got = export(out, db_path, tmp_path / "gold.jsonl")[aid]
    ms = got["mentions"]
    e = next(x for x in got["events"] if x["trigger"] == {k: ev["trigger"][k] for k in ("start", "end")})

    def spans(idx: list[int]) -> set[tuple[int, int]]:
        return {(ms[i]["start"], ms[i]["end"]) for i in idx}

    assert (e["type"], e["status"]) == ("ISSUANCE", "planned")
    assert (ms[e["date"]]["start"], ms[e["agent"]]["start"]) == (date["start"], agent["start"])
    assert spans(e["institutions"]) == {(agent["start"], agent["end"]), (inst["start"], inst["end"])}
    assert spans(e["documents"]) == {(doc["start"], doc["end"])}
    assert spans(e["percents"]) == {(pct["start"], pct["end"])}
    assert spans(e["quantities"]) == {(qty["start"], qty["end"])}
    assert e["object"] == {"start": doc["start"], "end": doc["end"]}
    assert page.dialogs == [] and page.errors == []


def test_split_and_merge_in_the_browser_are_honoured_by_the_next_run(tmp_path, page):
    """Two articles state one law, a third a decree; a reviewer splits one statement of the law off and merges
    the decree into the law's key; the next run's outputs keep both decisions."""
    import pandas as pd

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(
        "Ngày 12/6/2025, Quốc hội đã biểu quyết thông qua Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị "
        "hành chính cấp tỉnh.\n", encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(
        "Sáng 12/6, Quốc hội thông qua Nghị quyết 202/2025/QH15 về sắp xếp đơn vị hành chính.\n", encoding="utf-8")
    (tmp_path / "in" / "c.txt").write_text(
        "Ngày 20/3/2025, Chính phủ ban hành Nghị định số 55/2025/NĐ-CP.\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(tmp_path / "in"), "--out", str(out), "--workers", "1", "-q", "--published", "2025-06-13"]
    assert CliRunner().invoke(main, args).exit_code == 0

    def statements(doc: str = "202/2025/QH15") -> pd.DataFrame:
        st = pd.read_parquet(out / "events.parquet")
        return st[st["documents"].str.contains(doc, na=False)]

    decree = statements("55/2025/NĐ-CP")["canonical"]
    assert len(decree) == 1
    decree = decree.iloc[0]
    st = statements()
    assert len(st) == 2 and st["canonical"].nunique() == 1  # one law, one canonical event
    shared = st["canonical"].iloc[0]
    row = st.iloc[1]
    aid, ekey = str(row["article_id"]), f"{row['type']}:{int(row['trigger_start'])}:{int(row['trigger_end'])}"

    app = create_app(out)  # the decision log of the run: out/review.sqlite, read by the next run
    with serving(app) as base:
        page.goto(base + "/canonical?" + urlencode({"q": shared}))
        group = page.locator(f'section.cgroup[data-key="{shared}"]')
        expect(group.locator("ol.statements > li")).to_have_count(2)
        group.locator(f'li[data-article="{aid}"][data-key="{ekey}"] button.split').click()
        expect(group.locator("ol.statements > li")).to_have_count(1)
        # and merge the decree's canonical event into another key (a reviewer's call, honoured below too)
        page.goto(base + "/canonical")
        page.locator(f'.cg-pick[value="{decree}"]').check()
        page.locator(f'.cg-pick[value="{shared}"]').check()
        page.locator("#merge-into").select_option(shared)
        page.locator("#merge-button").click()
        expect(page.locator(f'section.cgroup[data-key="{decree}"]')).to_have_count(0)
        expect(page.locator(f'section.cgroup[data-key="{shared}"] ol.statements > li')).to_have_count(2)
        assert page.dialogs == [] and page.errors == []

    assert CliRunner().invoke(main, args + ["--force"]).exit_code == 0
    st = statements()
    assert st["canonical"].nunique() == 2  # the split statement has its own canonical event now
    split = st[(st["article_id"] == aid) & (st["trigger_start"] == row["trigger_start"])]["canonical"].iloc[0]
    assert split != shared and shared in set(st["canonical"])
    assert statements("55/2025/NĐ-CP")["canonical"].tolist() == [shared]  # merged
    canon = pd.read_parquet(out / "canonical_events.parquet").set_index("event_id")
    assert canon.loc[split, "n_statements"] == 1 and canon.loc[shared, "n_statements"] == 2
    assert decree not in canon.index
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert split in {e["canonical"] for p in preds if p["id"] == aid for e in p["events"]}


def test_canonical_counts_carried_over_event_decisions_equal_a_recount(client, outputs):
    """The statement counts kept across event decisions (not recounted per decision) equal a full recount."""
    app = client.application
    cache = app.extensions["vnevents"]["canon_cache"]
    rec = records(outputs)[first_corpus_id(outputs)]
    aid = rec["id"]
    url = "/article?" + urlencode({"id": aid})
    assert client.get(url).status_code == 200
    evs = [event_key(e) for e in rec["events"]]
    free = next(i for i in range(len(rec["text"]) - 4) if rec["text"][i:i + 4].isalpha() and rec["text"][i - 1] == " "
                and not any(m["start"] < i + 4 and i < m["end"] for m in rec["mentions"])
                and not any(e["trigger"]["start"] < i + 4 and i < e["trigger"]["end"] for e in rec["events"]))
    steps = [(evs[0], "reject", None), (evs[-1], "correct", {"canonical": "chung-1"}),
             ("", "add", {"type": "LAUNCH", "trigger": {"start": free, "end": free + 4}, "canonical": "chung-1"}),
             (evs[0], "reset", None), (evs[-1], "correct", {"canonical": None, "type": "RESULT"})]
    shared: list[int] = []
    for key, action, event in steps:
        resp = client.post("/api/decision", json={"article_id": aid, "kind": "event", "key": key, "action": action,
                                                  "event": event})
        assert resp.status_code == 200, resp.get_json()
        stamp, carried = cache["sizes"]
        assert stamp[2] == resp.get_json()["id"]  # carried over, not recounted
        carried = {k: n for k, n in carried.items() if n}
        del cache["sizes"]
        assert client.get(url).status_code == 200  # a page recounts
        assert carried == cache["sizes"][1], (key, action)
        shared.append(cache["sizes"][1].get("chung-1", 0))
    assert shared == [0, 1, 2, 2, 1]  # the added event and the corrected one share a key, then only the added


def test_state_carried_over_decisions_equals_the_state_read_from_the_log(outputs, tmp_path):
    """Decisions answer from the previous state plus the new decisions; that must equal reading the whole log."""
    import random

    from pipeline.review.db import ReviewDB

    rec = records(outputs)[first_corpus_id(outputs)]
    aid = rec["id"]
    db = ReviewDB(tmp_path / "r.sqlite")
    rng = random.Random(7)
    ms, evs = rec["mentions"], rec["events"]
    st = article_state(rec, {})
    pool = [rng.randrange(len(rec["text"]) - 5) for _ in range(4)]

    def one() -> tuple[str, str, str, object]:
        kind = rng.choice(["mention", "mention", "event"])
        action = rng.choice(["accept", "reject", "reset", "correct", "add", "stale"])
        if kind == "mention":
            m = rng.choice(ms)
            if action == "correct":  # a span moved
                return kind, mention_key(m), action, {**m, "start": m["start"] + 1}
            if action in ("add", "stale"):  # a few spans, so the same unknown item is decided again
                s = rng.choice(pool)
                new = {"start": s, "end": s + 3, "type": "DATE", "text": rec["text"][s:s + 3], "value": "2020"}
                if action == "add":
                    return kind, mention_key(new), "add", new
                return kind, mention_key(new), rng.choice(["accept", "reject", "reset"]), None
            return kind, mention_key(m), action, None
        e = rng.choice(evs)
        if action == "correct":
            return kind, event_key(e), action, {"type": "RESULT", "trigger": {"start": e["trigger"]["start"] + 1,
                                                                              "end": e["trigger"]["end"]}}
        if action in ("add", "stale"):
            s = rng.choice(pool)
            new = {"type": "LAUNCH", "trigger": {"start": s, "end": s + 2}, "date": None, "institutions": []}
            if action == "add":
                return kind, event_key(new), "add", new
            return kind, event_key(new), rng.choice(["accept", "reject", "reset"]), None
        return kind, event_key(e), action, None

    def view(s) -> tuple:
        return ([(i.key, i.state, json.dumps(i.current, sort_keys=True)) for i in s.mentions],
                [(i.key, i.state, json.dumps(i.current, sort_keys=True)) for i in s.events],
                [d.id for d in s.stale], s.items, s.decided, s.added, sorted(s.outcomes.items()))

    for step in range(60):
        rows = [one() for _ in range(1 if step % 10 else 25)]  # now and then a batch (rebuilt, not patched)
        with db.transaction() as conn:
            added = ReviewDB._insert_many(conn, aid, rows, "default", f"b{step}")
        assert [(d.kind, d.key, d.action) for d in added] == [r[:3] for r in rows]
        st.outcomes  # noqa: B018 (computed, so it is carried over too)
        st = st.with_decisions(added)
        assert view(st) == view(article_state(rec, db.latest(aid, "default"))), step
        assert [d.id for d in added] == [d.id for d in db.history(aid)[-len(rows):]]  # the ids as stored
