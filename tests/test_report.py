"""report.html: summary, timeline, events table, highlighted articles, escaping (bs4 and Chromium)."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from conftest import CORPUS, HOSTILE_PAYLOADS, HOSTILE_TEXT, HOSTILE_VALUE
from pipeline.report import _month_bins, highlight, write_report
from pipeline.runner import run


def read_predictions(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines() if line]


def card_counts(soup: BeautifulSoup, card: str) -> dict[str, int]:
    return {tr["data-type"]: int(tr.select_one("td.n").get_text()) for tr in soup.select(f"#{card} tr[data-type]")}


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    """A real run of the pipeline on the bundled corpus: run() writes report.html itself."""
    out = tmp_path_factory.mktemp("run")
    stats = run([CORPUS], out, workers=1)
    assert stats.errors == 0
    return out


def test_run_writes_report_with_summary_counts(run_out):
    path = run_out / "report.html"
    assert path.is_file()
    assert not list(run_out.glob(".report.html.*")), "temporary file left behind"
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    recs = read_predictions(run_out)
    events = pd.read_parquet(run_out / "events.parquet")
    assert soup.select_one("#sum-articles b.big").get_text() == str(len(recs))
    mentions = Counter(m["type"] for r in recs for m in r["mentions"])
    assert soup.select_one("#sum-mentions b.big").get_text() == str(sum(mentions.values()))
    assert {t: n for t, n in card_counts(soup, "sum-mentions").items() if n} == dict(mentions)
    assert soup.select_one("#sum-events b.big").get_text() == str(len(events))
    assert {t: n for t, n in card_counts(soup, "sum-events").items() if n} == dict(Counter(events["type"]))
    assert len(soup.select("#events-table tbody tr")) == len(events)


def test_timeline_counts_events_by_month_and_type(run_out):
    soup = BeautifulSoup((run_out / "report.html").read_text(encoding="utf-8"), "html.parser")
    ev = pd.read_parquet(run_out / "events.parquet")
    start, end = pd.to_datetime(ev["date_start"]), pd.to_datetime(ev["date_end"])
    short = ev[start.notna() & ((end - start).dt.days < 31)]
    expected = Counter((f"{d:%Y-%m}", t) for d, t in zip(pd.to_datetime(short["date_start"]), short["type"]))
    assert expected, "the bundled corpus has events dated to a day"
    drawn = Counter()
    for rect in soup.select("#chart-month svg rect"):
        month, rest = rect.title.get_text().split(" · ")
        etype, n = rest.split(": ")
        assert rect["data-type"] == etype
        drawn[(month, etype)] += int(n)
    assert drawn == expected
    # every dated event is in the chart by year
    per_year = sum(int(r.title.get_text().rsplit(": ", 1)[1]) for r in soup.select("#chart-year svg rect"))
    assert per_year == int(start.notna().sum())


def test_articles_have_highlighted_mentions_with_values(run_out):
    soup = BeautifulSoup((run_out / "report.html").read_text(encoding="utf-8"), "html.parser")
    recs = read_predictions(run_out)
    blocks = soup.select("details.article")
    assert len(blocks) == len(recs)
    for rec, block in zip(recs, blocks):
        text_div = block.select_one("div.text")
        assert text_div.get_text() == rec["text"], "the rendered text must be the stored text, character for character"
        marks = text_div.find_all("mark")
        assert len(marks) == len(rec["mentions"])
        for mark, m in zip(marks, sorted(rec["mentions"], key=lambda m: (m["start"], -m["end"]))):
            label = mark["data-label"]
            assert (mark.get_text(), label) == (m["text"], m["type"])
            value = m["value"] if not isinstance(m["value"], float) or not m["value"].is_integer() else int(m["value"])
            if isinstance(value, dict):  # QUANTITY
                number = value["number"]
                shown = f"{json.dumps(number) if isinstance(number, list) else number} {value['unit']}"
            else:
                shown = json.dumps(value) if isinstance(value, list) else str(value)
            assert mark["title"].startswith(f"{label}: {shown}")
            assert f"m-{label}" in mark["class"]


def test_cap_on_articles_is_stated(run_out, tmp_path):
    path = write_report(run_out, max_articles=2)
    html = path.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("details.article")) == 2
    n = len(read_predictions(run_out))
    assert f"Showing the first 2 of {n} articles" in soup.select_one("#articles-capped").get_text()
    write_report(run_out)  # back to the full report for the other tests


def test_highlight_nests_and_skips_crossing_spans():
    text = "Vụ Khoa học (Bộ Công Thương) ngày 1/2/2021"
    ms = [{"start": 0, "end": 28, "type": "INSTITUTION", "value": "Vụ Khoa học"},
          {"start": 13, "end": 27, "type": "INSTITUTION", "value": "Bộ Công Thương"},
          {"start": 20, "end": 33, "type": "DATE", "value": "x"},  # crosses the outer mention's end
          {"start": 29, "end": 42, "type": "DATE", "value": "2021-02-01"}]
    soup = BeautifulSoup(str(highlight(text, ms)), "html.parser")
    assert soup.get_text() == text
    outer = soup.find("mark")
    assert outer.find("mark").get_text() == "Bộ Công Thương"
    assert [m.get_text() for m in soup.find_all("mark")] == [text[:28], "Bộ Công Thương", "ngày 1/2/2021"]


def test_month_bins_shrink_long_empty_runs():
    from collections import Counter as C

    bins = _month_bins({(2020, 1): C(a=1), (2020, 3): C(b=2), (2021, 6): C(a=1)})
    assert [label for label, _ in bins] == ["2020-01", "2020-02", "2020-03", "…", "2021-06"]
    assert bins[1][1] == C() and bins[3][1] is None


def test_hostile_article_is_escaped(built_outputs):
    html = write_report(built_outputs).read_text(encoding="utf-8")
    for payload in HOSTILE_PAYLOADS:
        assert payload not in html
    assert "<img" not in html and "<a " not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<svg onload" not in html and HOSTILE_VALUE not in html
    assert len(re.findall(r"<script\b", html)) == 1  # only the page's own script
    soup = BeautifulSoup(html, "html.parser")
    text_div = soup.select("details.article")[-1].select_one("div.text")
    assert text_div.get_text() == HOSTILE_TEXT
    assert not soup.select("a[href]") and not soup.select("[onerror], [onload], [onclick]")
    assert any(HOSTILE_VALUE in m["title"] for m in text_div.find_all("mark"))


def test_hostile_report_in_chromium(built_outputs, page):
    path = write_report(built_outputs)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.locator("details.article").last.locator("summary").click()
    for payload in HOSTILE_PAYLOADS:
        assert page.get_by_text(payload, exact=False).first.is_visible()
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.errors == []
    assert page.locator("img").count() == 0
    assert page.locator("a").count() == 0
    assert page.locator("svg[onload], [onerror]").count() == 0
    assert page.locator("script").count() == 1
    mark = page.locator("details.article").last.locator("mark.m-INSTITUTION").last
    assert mark.get_attribute("title").startswith(f"INSTITUTION: {HOSTILE_VALUE}")


def test_report_table_sorts_and_filters_in_chromium(run_out, page):
    page.goto((run_out / "report.html").as_uri())
    total = page.locator("#events-table tbody tr").count()
    page.select_option("#ev-type", "ISSUANCE")
    issuance = pd.read_parquet(run_out / "events.parquet").type.eq("ISSUANCE").sum()
    assert page.locator("#events-table tbody tr:visible").count() == issuance
    assert page.locator("#ev-shown").inner_text() == str(issuance)
    page.select_option("#ev-type", "")
    page.fill("#ev-search", "phê duyệt")
    shown = page.locator("#events-table tbody tr:visible")
    assert 0 < shown.count() < total
    page.fill("#ev-search", "")
    page.locator("#events-table th", has_text="Start").click()
    starts = [s for s in page.locator("#events-table tbody tr td:nth-child(6)").all_inner_texts()]
    dated = [s for s in starts if s]
    assert dated == sorted(dated) and starts[: len(dated)] == dated
    assert page.errors == []
