"""Shared fixtures of the report and review tests: outputs of the bundled corpus plus one hostile article."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "raw"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

HOSTILE_ID = 'zz-evil<i>"\'&'
HOSTILE_PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>')
# The reader strips HTML from input files, so the hostile text goes straight to the extractor, as a
# record from any other source could. The 😀 (outside the BMP) makes UTF-16 and code-point offsets differ.
HOSTILE_TEXT = ("Ngày 15/6/2021, Bộ Y tế phê duyệt Quyết định số 749/QĐ-TTg, tỷ lệ đạt 90,5%.\n"
                "Biểu tượng 😀 của Hội Nông dân xuất hiện.\n"
                + " ".join(HOSTILE_PAYLOADS) + "\n")
HOSTILE_VALUE = '"><svg onload=alert(2)>'


def hostile_record() -> dict:
    """The pipeline's record of the hostile text, plus a mention over the <img> payload with a hostile value."""
    from pipeline.runner import process_article

    rec = process_article((HOSTILE_ID, "<script>alert(3)</script>.txt", HOSTILE_TEXT, "2021-06-20"))
    assert rec["status"] == "ok", rec
    start = HOSTILE_TEXT.index(HOSTILE_PAYLOADS[1])
    assert all(m["end"] <= start for m in rec["mentions"])
    rec["mentions"].append({"start": start, "end": start + len(HOSTILE_PAYLOADS[1]), "type": "INSTITUTION",
                            "text": HOSTILE_PAYLOADS[1], "value": HOSTILE_VALUE})
    return rec


@pytest.fixture(scope="session")
def corpus_records() -> list[dict]:
    """The pipeline's records of the bundled corpus (computed once)."""
    from pipeline.reader import iter_articles
    from pipeline.runner import process_article

    recs = [process_article((a.id, a.source, a.text, a.published)) for a in iter_articles([CORPUS])]
    assert len(recs) >= 5 and all(r["status"] == "ok" for r in recs)
    return recs


def write_outputs(out: Path, records: list[dict]) -> Path:
    """Write records as a run's outputs (the pipeline's own writer)."""
    from pipeline.outputs import OutputWriter

    writer = OutputWriter(out)
    writer.add(records)
    writer.finalize()
    return out


@pytest.fixture(scope="session")
def built_outputs(tmp_path_factory, corpus_records) -> Path:
    """Outputs of the bundled corpus plus the hostile article (read-only: copy before changing)."""
    return write_outputs(tmp_path_factory.mktemp("outputs"), [*corpus_records, hostile_record()])


@pytest.fixture
def outputs(built_outputs, tmp_path) -> Path:
    """A private copy of ``built_outputs``."""
    return Path(shutil.copytree(built_outputs, tmp_path / "out"))


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (skipped when /usr/bin/chromium is missing)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; dialogs are recorded in ``page.dialogs`` (and dismissed), page errors in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()
