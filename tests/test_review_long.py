"""A 500,000-character article in the review app: bounded pages, choices on demand, decisions in place.

The article is built by the benchmark's generator (``vnevents review bench``, figures in the README);
nothing here is timed.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from pipeline.review.app import SECTION_CHARS, SECTION_ITEMS, create_app
from pipeline.review.bench import _free_word, long_record, long_text, write_run
from pipeline.review.db import mention_key
from test_review import JS_POINT, has_class, origin_client, serving

LONG_CHARS = 500_000


@pytest.fixture(scope="session")
def long_run(tmp_path_factory):
    rec = long_record(LONG_CHARS)
    out = write_run(tmp_path_factory.mktemp("long") / "out", [rec])
    return out, rec


def page_data(html: str) -> dict:
    m = re.search(r'<script id="article-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_generator_is_deterministic_and_long():
    a, b = long_text(60_000, seed=3), long_text(60_000, seed=3)
    assert a == b and 59_000 < len(a) <= 60_000 and a != long_text(60_000, seed=4)
    dense, plain = long_text(20_000, dense=True), long_text(20_000)

    def digits(t: str) -> float:
        return sum(ch.isdigit() for ch in t) / len(t)

    assert digits(dense) > digits(plain)


def test_long_article_pages_are_bounded(long_run, tmp_path):
    out, rec = long_run
    text = rec["text"]
    assert len(text) > 0.99 * LONG_CHARS and len(rec["mentions"]) > 2000 and len(rec["events"]) > 800
    c = origin_client(create_app(out, tmp_path / "review.sqlite"))
    url = "/article?" + urlencode({"id": rec["id"]})
    first = c.get(url).get_data(as_text=True)
    data = page_data(first)
    assert data["sections"] >= len(text) // SECTION_CHARS
    seen_mentions = 0
    bounds = []
    for k in range(data["sections"]):
        html = c.get(url + f"&section={k}").get_data(as_text=True)
        d = page_data(html)
        bounds.append((d["offset"], d["end"]))
        size = len(html.encode())
        n_items = html.count('<li class="item')
        assert size < 1_000_000, (k, size)  # far under 2 MB, whatever the article's length
        assert n_items <= SECTION_ITEMS + 5
        assert d["end"] - d["offset"] <= SECTION_CHARS
        seen_mentions += html.count('data-kind="mention"')
    # the sections tile the text, and every mention is on exactly one of them
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert seen_mentions == len({mention_key(m) for m in rec["mentions"]})
    # no form lists the article's mentions: choices come on demand, nearest the trigger, at most 40
    assert first.count("<option") < 100
    ev = rec["events"][len(rec["events"]) // 2]
    got = c.get("/api/choices?" + urlencode({"id": rec["id"], "type": "DATE", "near": ev["trigger"]["start"]})).get_json()
    assert len(got["choices"]) == 40 and got["total"] > 40
    starts = [int(x["key"].split(":")[0]) for x in got["choices"]]
    assert min(abs(s - ev["trigger"]["start"]) for s in starts) < 2000
    # a decision answers with the item, not the article
    key = mention_key(rec["mentions"][len(rec["mentions"]) // 2])
    resp = c.post("/api/decision", json={"article_id": rec["id"], "kind": "mention", "key": key, "action": "accept"})
    assert resp.status_code == 200 and len(resp.data) < 50_000
    assert [i["id"] for i in resp.get_json()["items"]][0] == f"m-{key}"
    # an event link from the events view opens the section that holds it
    e_key = f"{ev['type']}:{ev['trigger']['start']}:{ev['trigger']['end']}"
    html = c.get(url + "&" + urlencode({"focus": "e-" + e_key})).get_data(as_text=True)
    d = page_data(html)
    assert d["offset"] <= ev["trigger"]["start"] < d["end"] and f'id="e-{e_key}"' in html


def test_long_article_in_the_browser(long_run, page, tmp_path):
    out, rec = long_run
    text = rec["text"]
    app = create_app(out, tmp_path / "review.sqlite")
    with serving(app) as base:
        page.goto(f"{base}/article?" + urlencode({"id": rec["id"], "section": 2}))
        data = json.loads(page.locator("#article-data").text_content())
        a, b = data["offset"], data["end"]
        assert page.evaluate("document.getElementById('text').textContent") == text[a:b]
        page.evaluate("window.__sameDocument = true")

        # select a word in this section: offsets are offsets into the whole article
        m = re.search(r"\b\w{6,}\b", text[a + 500:b])
        s, e = a + 500 + m.start(), a + 500 + m.end()
        got = page.evaluate("([s, e]) => {" + JS_POINT + """
            const x = point(s, false), y = point(e, true);
            const r = document.createRange(); r.setStart(x[0], x[1]); r.setEnd(y[0], y[1]);
            const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
            const o = window.vneventsSelectionOffsets(); return [o.start, o.end, o.text];
        }""", [s - a, e - a])
        assert got == [s, e, text[s:e]]

        # accept by click and by key: in place
        items = page.locator("#mention-list > li.item")
        k0 = items.nth(0).get_attribute("data-key")
        items.nth(0).locator('button[data-action="accept"]').click()
        has_class(page.locator(f'li[data-key="{k0}"]'), "st-accept")
        has_class(page.locator(f'#text mark.m[data-key="{k0}"]'), "st-accept")
        page.keyboard.press("a")  # the accepted item kept the focus: it is accepted again, then the next one
        has_class(items.nth(1), "focus")
        page.keyboard.press("r")
        has_class(page.locator(f'li[data-key="{items.nth(1).get_attribute("data-key")}"]'), "st-reject")
        assert page.evaluate("window.__sameDocument") is True

        # a correction that moves a span, and an added mention: in place, in order, the text re-marked
        def select(s: int, e: int) -> None:
            page.evaluate("([s, e]) => {" + JS_POINT + """
                const x = point(s, false), y = point(e, true);
                const r = document.createRange(); r.setStart(x[0], x[1]); r.setEnd(y[0], y[1]);
                const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
            }""", [s - a, e - a])

        inst = next(m for m in rec["mentions"] if m["type"] == "INSTITUTION" and a <= m["start"] < b
                    and " " in m["text"] and m["text"] == text[m["start"]:m["end"]])
        ikey, cut = mention_key(inst), inst["start"] + inst["text"].rindex(" ")
        page.locator(f'li[data-key="{ikey}"] button.edit').click()
        editor = page.locator("#mention-editor")
        editor.locator('input[name="end"]').fill(str(cut))
        editor.locator('button[type="submit"]').click()
        has_class(page.locator(f'li[data-key="{ikey}"]'), "st-correct")
        expect(page.locator(f'#text mark.m[data-key="{ikey}"]')).to_have_text(text[inst["start"]:cut])
        word = _free_word(text[:b], [(m["start"], m["end"]) for m in rec["mentions"]]
                          + [(x["trigger"]["start"], x["trigger"]["end"]) for x in rec["events"]], a)
        select(*word)
        expect(page.locator('#add-form select[name="type"]')).to_have_value("INSTITUTION")  # a capitalised name
        page.click("#add-button")
        new_key = f"{word[0]}:{word[1]}:INSTITUTION"
        has_class(page.locator(f'#mention-list li[data-key="{new_key}"]'), "st-add")
        expect(page.locator(f'#text mark.m[data-key="{new_key}"]')).to_have_text(text[word[0]:word[1]])
        starts = [int(k.split(":")[0]) for k in page.locator("#mention-list > li.item").evaluate_all(
            "els => els.map(e => e.getAttribute('data-key'))")]
        assert starts == sorted(starts) and len(starts) == len(set(page.locator("#mention-list > li.item").evaluate_all(
            "els => els.map(e => e.id)")))  # in order, each once
        assert page.evaluate("document.getElementById('text').textContent") == text[a:b]  # offsets still hold

        # accept the rest of the whole article, then undo it as a whole: the page's items follow, in place
        pending = page.locator("li.item.st-pending").count()
        assert pending > 50
        page.keyboard.press("Shift+A")
        expect(page.locator("li.item.st-pending")).to_have_count(0)
        expect(page.locator("#undo")).to_contain_text("accept the rest")
        assert page.locator("#text mark.st-pending").count() == 0
        page.keyboard.press("u")
        expect(page.locator("li.item.st-pending")).to_have_count(pending)
        has_class(page.locator(f'li[data-key="{ikey}"]'), "st-correct")
        has_class(page.locator(f'li[data-key="{new_key}"]'), "st-add")
        # removing the added mention takes it off the list and the text
        page.locator(f'li[data-key="{new_key}"] button[data-action="reject"]').click()
        expect(page.locator(f'li[data-key="{new_key}"]')).to_have_count(0)
        expect(page.locator(f'#text mark[data-key="{new_key}"]')).to_have_count(0)
        assert page.evaluate("document.getElementById('text').textContent") == text[a:b]
        assert page.evaluate("window.__sameDocument") is True

        # past the last item, "j" opens the next section on its first item
        last = page.locator("#mention-list > li.item, #event-list > li.item").last
        last.locator(".line").click()
        page.keyboard.press("j")
        page.wait_for_url(re.compile(r"section=3"))
        expect(page.locator("#mention-list > li.item").first).to_have_class(re.compile(r"\bfocus\b"))
        assert page.errors == [] and page.dialogs == []


def test_bench_command_prints_its_figures():
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["review", "bench", "--chars", "20000", "--decisions", "3", "--no-browser",
                                       "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output[result.output.index("{"):])
    assert 19_000 < got["chars"] <= 20_000 and got["sections"] >= 1
    assert {"page_bytes_max", "server_page_seconds_warm", "decision_seconds_median"} <= set(got)


def test_a_change_that_moves_a_section_cut_answers_with_the_new_bounds(long_run, tmp_path):
    """An added mention across a section's cut moves the cut (cuts never split a span): the answer re-renders
    the section and gives its new bounds, so the page's selection offsets stay right."""
    out, rec = long_run
    text = rec["text"]
    c = origin_client(create_app(out, tmp_path / "review.sqlite"))
    url = "/article?" + urlencode({"id": rec["id"]})
    data = page_data(c.get(url + "&section=4").get_data(as_text=True))
    a, b = data["offset"], data["end"]
    s = text.rindex(" ", a, b - 2) + 1  # the last word of section 4 ...
    e = b + re.match(r"\s*\S+", text[b:]).end()  # ... to the first word of section 5
    taken = [(m["start"], m["end"]) for m in rec["mentions"]] + [(x["trigger"]["start"], x["trigger"]["end"])
                                                                 for x in rec["events"]]
    assert not any(x < e and s < y for x, y in taken) and text[s:e] == text[s:e].strip()
    resp = c.post("/api/decision", json={"article_id": rec["id"], "kind": "mention", "key": "", "action": "add",
                                         "section": 4, "mention": {"start": s, "end": e, "type": "INSTITUTION",
                                                                   "value": text[s:e]}})
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["offset"] == a and got["end"] == s  # the cut moved to the span's start
    assert BeautifulSoup(got["html"]["text"], "html.parser").get_text() == text[a:s]
    nxt = page_data(c.get(url + "&section=5").get_data(as_text=True))
    assert nxt["offset"] == s and f'data-key="{s}:{e}:INSTITUTION"' in c.get(url + "&section=5").get_data(as_text=True)
