"""Bad input gets a clear error and loses nothing; invariants hold for any text (hypothesis)."""
import codecs
import json
import unicodedata

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import extract
from pipeline.cli import main
from pipeline.dates import find_dates
from pipeline.gold import check_record
from pipeline.percents import find_percents
from pipeline.reader import clean_text
from pipeline.records import doc_to_record, gold_view

VI = "Ngày 15/6/2021, Bộ TT&TT ban hành Quyết định số 749/QĐ-TTg, tỷ lệ đạt 90,81%.\n"


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Windows writes it: tone marks as combining characters."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            out += unicodedata.normalize("NFC", base + "".join(m for m in marks if m in "\u0302\u0306\u031b")).encode("cp1258")
            out += "".join(m for m in marks if m not in "\u0302\u0306\u031b").encode("cp1258")
    return bytes(out)


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    """A folder of bad inputs (tests/data/bad is made here) run through the CLI."""
    bad = tmp_path_factory.mktemp("bad")
    files = {
        "bom.txt": codecs.BOM_UTF8 + VI.encode(),
        "utf16.txt": VI.encode("utf-16"),
        "cp1258.txt": _cp1258(VI * 3),
        "nfd.txt": unicodedata.normalize("NFD", VI).encode(),
        "crlf.txt": VI.replace("\n", "\r\n").encode(),
        "cr.txt": VI.replace("\n", "\r").encode(),
        "empty.txt": b"",
        "blank.txt": b"  \n\t \n",
        "binary.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "page.html": ("<html><head><script>alert(1)</script></head><body><p>" + VI + "</p></body></html>").encode(),
        "remnants.txt": ("<p>" + VI + "</p>&nbsp;<br>").encode(),
        "Tin tức – Hà Nội.txt": VI.encode(),
        "long line.txt": ("Ngày 15/6/2021 Bộ TT&TT họp " * 40_000).encode(),   # ~1.1 MB, one line
        "bad.jsonl": (json.dumps({"id": "ok1", "text": VI}, ensure_ascii=False) + "\n{broken\n").encode(),
    }
    for name, data in files.items():
        (bad / name).write_bytes(data)
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["run", str(bad), "--out", str(out), "--workers", "1", "-q"])
    return bad, out, result


def _row(out, name):
    arts = pd.read_csv(out / "articles.csv", keep_default_na=False)
    rows = arts[arts.source.str.endswith(name)]
    assert len(rows) == 1, (name, list(arts.source))
    return rows.iloc[0]


def test_bad_files_fail_alone_and_exit_code_is_1(bad_run):
    bad, out, result = bad_run
    assert result.exit_code == 1
    assert f"warning: {bad / 'cp1258.txt'}: " in result.stderr
    arts = pd.read_csv(out / "articles.csv", keep_default_na=False)
    assert len(arts) == 15  # one row per input (two for the jsonl file's two lines)
    for name, reason in [("empty.txt", "empty file"), ("blank.txt", "empty file"), ("binary.txt", "binary content"),
                         ("long line.txt", "article too long")]:
        row = _row(out, name)
        assert row.status == "error" and reason in row.error
        assert f"error: {bad / name}: {row.error}" in result.stderr
    assert "line 2: invalid JSON" in _row(out, "bad.jsonl:2").error


@pytest.mark.parametrize("name, status, n", [
    ("bom.txt", "ok", 1), ("utf16.txt", "ok", 1), ("nfd.txt", "ok", 1), ("crlf.txt", "ok", 1), ("cr.txt", "ok", 1),
    ("cp1258.txt", "warning", 3), ("page.html", "ok", 1), ("remnants.txt", "warning", 1),
    ("Tin tức – Hà Nội.txt", "ok", 1), ("bad.jsonl:1", "ok", 1),
])
def test_readable_files_give_the_same_mentions(bad_run, name, status, n):
    _, out, _ = bad_run
    row = _row(out, name)
    assert row.status == status, row.error
    assert (row.DATE, row.DOCREF, row.INSTITUTION, row.PERCENT) == (n, n, n, n)


def test_offsets_are_on_the_stored_clean_text(bad_run):
    _, out, _ = bad_run
    for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        assert unicodedata.is_normalized("NFC", rec["text"]) and "\r" not in rec["text"] and "<p>" not in rec["text"]
        for m in rec["mentions"]:
            assert rec["text"][m["start"]:m["end"]] == m["text"]


def test_usage_error_exits_2(tmp_path):
    assert CliRunner().invoke(main, ["run"]).exit_code == 2
    assert CliRunner().invoke(main, ["run", str(tmp_path), "--workers", "0"]).exit_code == 2


def test_missing_input_is_reported_not_raised(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 1
    assert "file not found" in pd.read_csv(tmp_path / "o" / "articles.csv").error[0]


def test_long_single_line_under_the_limit_is_processed():
    text = "Ngày 15/6/2021 Bộ TT&TT tăng 5% " * 8_000   # 256k characters, no sentence end
    doc = extract(text)
    assert len([s for s in doc.spans["mentions"] if s.label_ == "PERCENT"]) == 8_000


@pytest.mark.parametrize("line", [
    "Theo dõi Bộ TT&TT trên", "POWERED BY ONECMS - A PRODUCT OF NEKO", "(12) Bình luận", "Đừng bỏ lỡ", "Bài liên quan",
])
def test_boilerplate_lines_yield_nothing(line):
    text = f"Ngày 15/6/2021, Bộ TT&TT ban hành Quyết định số 1/QĐ-BTTTT.\n{line}\nBộ Y tế đạt 5%."
    doc = extract(text)
    start = text.index(line)
    assert [s for s in doc.spans["mentions"] if start <= s.start_char < start + len(line)] == []
    assert len(doc.spans["mentions"]) == 5


# --- invariants for any text ---------------------------------------------------------

vietnamese = st.text(alphabet=st.sampled_from(list("0123456789/.,-–% \n\tđĐàáảãạăắằẳẵặâấầẩẫậêếềểễệôốồổỗộơớờởỡợưứừửữựyýỳỷỹỵ"
                                                  "BỘTTQĐNgàyháùĩ&()UBNDỦ")), max_size=300)
anything = st.text(max_size=300)
phrasey = st.lists(st.sampled_from([
    "Ngày", "ngày", "tháng", "năm", "15/6/2021", "31/2", "29/02/2023", "13/2021", "Bộ TT&TT", "Uỷ ban", "100,5%",
    "0%", "1.000.000%", "20 - 30%", "Quyết định số", "749/QĐ-TTg", "Chỉ thị 16", "đạt", "tăng", "ban hành", "\n",
    ",", ".", "từ", "đến", "cuối", "quý III/2023", "giai đoạn 2021-2025", "UBND tỉnh Bến Tre", "Theo", "đã", "(", ")",
]), max_size=40).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(anything, vietnamese, phrasey))
def test_extract_never_raises_and_offsets_hold(text):
    from pipeline.records import doc_to_record

    rec = doc_to_record(extract(text), id="x", source="", published=None)
    assert rec["text"] == text  # the stored text, whatever view the rules read (pipeline/textview.py)
    for m in rec["mentions"]:
        assert 0 <= m["start"] < m["end"] <= len(text)
        assert text[m["start"]:m["end"]] == m["text"]
    for ev in rec["events"]:
        assert 0 <= ev["trigger"]["start"] < ev["trigger"]["end"] <= len(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(vietnamese, phrasey))
def test_values_are_well_formed_per_guidelines(text):
    stored = clean_text(text)
    rec = gold_view(doc_to_record(extract(stored), id="h", source="", published=None))
    assert check_record(rec) == []


@given(st.integers(0, 40), st.integers(0, 14), st.integers(1890, 2110))
def test_date_rules_never_produce_impossible_dates(d, m, y):
    import calendar
    text = f"ngày {d}/{m}/{y}"
    found = find_dates(text)
    valid = 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1] and 1800 <= y <= 2199
    if valid:
        assert [c.value for c in found] == [f"{y:04d}-{m:02d}-{d:02d}"]
    else:
        assert all(c.value != f"{y:04d}-{m:02d}-{d:02d}" for c in found)
        for c in found:  # anything found instead must itself be real (e.g. a year alone)
            assert check_record({"id": "x", "text": text, "mentions": [
                {"start": c.start, "end": c.end, "type": "DATE", "text": text[c.start:c.end], "value": c.value}],
                "events": []}) == []


@given(st.integers(0, 10**7), st.integers(0, 99))
def test_percent_numbers_round_trip(whole, frac):
    grouped = f"{whole:,}".replace(",", ".")
    text = f"tăng {grouped},{frac:02d}%"
    (c,) = find_percents(text)
    assert c.value == pytest.approx(whole + frac / 100)
