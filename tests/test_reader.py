"""Tests for pipeline.reader: bad inputs are written into tmp_path by each test."""

from __future__ import annotations

import inspect
import json
import random
import time
import unicodedata
from pathlib import Path

import pytest

from pipeline.reader import MAX_FILE_BYTES, Article, clean_text, iter_articles, read_text

VI = "Uỷ ban nhân dân thành phố Hà Nội đã tổ chức hội nghị tổng kết công tác năm 2021."
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258_like_windows(text: str) -> bytes:
    """Windows-1258 as Windows writes it: tone marks as combining characters.

    Full NFD cannot be encoded (cp1258 has no combining circumflex, breve or horn),
    so each letter is split into its tone mark and the rest, recomposed: "ệ" -> "ê" + U+0323.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        out.append((base + "".join(c for c in parts if c in TONE_MARKS)).encode("cp1258"))
    return b"".join(out)


def read_one(path: Path, **kwargs) -> Article:
    articles = list(iter_articles([path], **kwargs))
    assert len(articles) == 1, articles
    return articles[0]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- clean_text ---------------------------------------------------------------


def test_clean_text_rules():
    assert clean_text("\ufeffa\r\nb\rc\n") == "a\nb\nc\n"
    assert clean_text("a\x00b\x07c\x1bd\te\n") == "ab" + "cd\te\n"
    assert clean_text("  two  spaces \n\n\n  kept  ") == "  two  spaces \n\n\n  kept  "
    assert clean_text("x\ufeffy") == "x\ufeffy"  # only a leading BOM goes


def test_nfd_input_is_stored_nfc_and_old_tone_placement_stays(tmp_path):
    nfd = unicodedata.normalize("NFD", VI)
    assert nfd != VI
    article = read_one(write(tmp_path, "nfd.txt", nfd.encode("utf-8")))
    assert (article.status, article.message) == ("ok", "")
    assert article.text == VI
    assert article.text.startswith("Uỷ ban")  # not rewritten to "Ủy"
    assert clean_text("Hoà Thuỷ") == "Hoà Thuỷ"


# --- encodings ----------------------------------------------------------------


def test_utf8_with_bom(tmp_path):
    article = read_one(write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + VI.encode("utf-8")))
    assert (article.text, article.status, article.message) == (VI, "ok", "")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path, codec):
    bom = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    text = VI + "\r\nDòng hai\r\n"
    article = read_one(write(tmp_path, f"{codec}.txt", bom + text.encode(codec)))
    assert (article.text, article.status) == (VI + "\nDòng hai\n", "ok")


def test_windows_1258_is_decoded_to_nfc(tmp_path):
    text = VI + "\nThủ tướng phê duyệt Chiến lược phát triển Chính phủ điện tử hướng tới Chính phủ số.\n"
    raw = encode_cp1258_like_windows(text)
    with pytest.raises(UnicodeDecodeError) as bad:
        raw.decode("utf-8")
    assert b"\xd2" in raw  # the combining hook above, as Windows writes "ỷ"
    article = read_one(write(tmp_path, "legacy.txt", raw))
    assert article.status == "warning"
    assert article.message == f"not valid UTF-8 at byte {bad.value.start}; decoded as windows-1258"
    assert article.text == text
    assert unicodedata.is_normalized("NFC", article.text)


def test_mostly_utf8_with_a_stray_byte_keeps_utf8(tmp_path):
    raw = VI.encode("utf-8") + b" gi\x96a " + VI.encode("utf-8")
    article = read_one(write(tmp_path, "stray.txt", raw))
    assert article.status == "warning"
    assert article.message.startswith(f"not valid UTF-8 at byte {len(VI.encode()) + 3}; decoded as UTF-8")
    assert article.text == VI + " gi\ufffda " + VI


def test_undecodable_bytes_are_an_error():
    rng = random.Random(7)
    raw = bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    text, status, message = read_text(raw)
    assert (text, status) == ("", "error")
    assert message.startswith("not valid UTF-8 at byte ") and message.endswith("and no known encoding fits")


def test_utf16_without_bom_is_a_warning():
    text, status, message = read_text("Xin chào Việt Nam, hôm nay trời đẹp.".encode("utf-16-le"))
    assert (text, status, message) == ("Xin chào Việt Nam, hôm nay trời đẹp.", "warning",
                                       "no BOM; decoded as UTF-16-LE")


@pytest.mark.parametrize("raw", [b"a\r\nb\r\n\r\nc", b"a\rb\r\rc"], ids=["CRLF", "CR"])
def test_crlf_and_cr_become_lf(tmp_path, raw):
    article = read_one(write(tmp_path, "lines.txt", raw))
    assert (article.text, article.status, article.message) == ("a\nb\n\nc", "ok", "")


# --- empty and binary -----------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"  \n\t\r\n  ", b"\xef\xbb\xbf\n", b"\xff\xfe \x00\n\x00"],
                         ids=["empty", "whitespace", "bom-only", "utf16-whitespace"])
def test_empty_and_whitespace_only(tmp_path, raw):
    article = read_one(write(tmp_path, "empty.txt", raw))
    assert (article.text, article.status, article.message) == ("", "error", "empty file")


def test_png_magic_is_binary(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    article = read_one(write(tmp_path, "photo.txt", png))
    assert (article.text, article.status, article.message) == ("", "error", "binary content (looks like PNG)")


def test_pdf_magic_is_binary():
    assert read_text(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == ("", "error", "binary content (looks like PDF)")


def test_random_bytes_with_nuls_are_binary(tmp_path):
    raw = random.Random(1).randbytes(4096)
    assert b"\x00" in raw
    article = read_one(write(tmp_path, "noise.txt", raw))
    assert (article.text, article.status, article.message) == ("", "error", "binary content")


def test_many_control_bytes_are_binary():
    raw = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15]) * 50 + b"some text"
    assert read_text(raw) == ("", "error", "binary content")


# --- HTML ---------------------------------------------------------------------


def test_html_file_is_converted(tmp_path):
    page = """<!DOCTYPE html>
<html><head><title>Tiêu đề trang</title><style>p { color: red }</style></head>
<body>
  <script>var tracking = "không được lấy";</script>
  <noscript>Bật JavaScript</noscript>
  <!-- ghi chú -->
  <h1>Tin   nổi bật</h1>
  <p>Hà Nội&nbsp;mưa &amp; lạnh &#7899;  &#x1EDB; &lt;tag&gt;</p>
  <div>Dòng một<br>Dòng hai</div>



  <ul><li>Mục 1</li><li>Mục 2</li></ul>
</body></html>"""
    article = read_one(write(tmp_path, "trang tin.html", page.encode("utf-8")))
    assert (article.status, article.message) == ("ok", "HTML converted to text")
    assert article.id == "trang tin"
    assert article.text == ("Tin nổi bật\n\nHà Nội mưa & lạnh ớ ớ <tag>\n\n"
                            "Dòng một\nDòng hai\n\nMục 1\nMục 2")
    for dropped in ("tracking", "color", "JavaScript", "ghi chú", "Tiêu đề trang"):
        assert dropped not in article.text


def test_txt_with_html_remnants(tmp_path):
    raw = ("Thủ tướng <b>phê duyệt</b> chiến lược.<br>\nĐoạn hai &amp; ba&nbsp;bốn"
           "\n\n\n\n<p>Đoạn <a href=\"https://x.vn/a?b=1&amp;c=2\">cuối</a></p>").encode("utf-8")
    article = read_one(write(tmp_path, "remnants.txt", raw))
    assert (article.status, article.message) == ("warning", "HTML removed")
    assert article.text == "Thủ tướng phê duyệt chiến lược.\nĐoạn hai & ba bốn\n\nĐoạn cuối"


def test_text_that_only_looks_a_bit_like_html_is_kept():
    raw = "Giá vàng < 70 triệu & USD > 24.000; AT&T; &abc;".encode("utf-8")
    assert read_text(raw) == (raw.decode("utf-8"), "ok", "")


def test_document_start_in_txt_is_html():
    text, status, message = read_text(b"<!-- saved -->\n<html><body><p>A</p><p>B</p></body></html>",
                                      name="page.txt")
    assert (text, status, message) == ("A\n\nB", "warning", "HTML removed")


def test_html_with_no_text_left_is_an_error():
    assert read_text(b"<html><script>x()</script></html>", name="a.htm") == (
        "", "error", "no text left after removing HTML")


def test_encoding_warning_and_html_are_both_reported():
    raw = encode_cp1258_like_windows("<p>" + VI + "</p><p>Đoạn hai của bài viết tiếng Việt.</p>")
    text, status, message = read_text(raw)
    assert text == VI + "\n\nĐoạn hai của bài viết tiếng Việt."
    assert status == "warning"
    assert message.endswith("decoded as windows-1258; HTML removed")


# --- size ---------------------------------------------------------------------


def test_ten_megabyte_file_is_read_fast(tmp_path):
    paragraph = (VI + " " + unicodedata.normalize("NFD", "Người dân") + "\r\n") * 1000
    raw = paragraph.encode("utf-8") * 84
    assert 10 * 1024 * 1024 <= len(raw) < MAX_FILE_BYTES
    path = write(tmp_path, "big.txt", raw)
    start = time.perf_counter()
    article = read_one(path)
    elapsed = time.perf_counter() - start
    assert (article.status, article.message) == ("ok", "")
    assert article.text == clean_text(raw.decode("utf-8"))
    assert article.text.count("\n") == 84_000 and "\r" not in article.text
    assert elapsed < 10, elapsed


def test_one_megabyte_single_line(tmp_path):
    line = ("Việt Nam " * 130_000).encode("utf-8")
    assert len(line) > 1024 * 1024 and b"\n" not in line
    start = time.perf_counter()
    article = read_one(write(tmp_path, "line.txt", line))
    assert time.perf_counter() - start < 5
    assert (article.text, article.status) == (line.decode("utf-8"), "ok")


def test_file_over_the_limit(tmp_path):
    path = write(tmp_path, "huge.txt", b"a" * 3000)
    article = read_one(path, max_bytes=1024)
    assert (article.text, article.status) == ("", "error")
    assert article.message == "file too large (2.9 KB; limit 1 KB)"


def test_default_limit_message_in_megabytes(tmp_path):
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as f:  # a sparse 25.3 MB file: the reader must not need its bytes
        f.truncate(int(25.3 * 1024 * 1024))
    assert read_one(path).message == "file too large (25.3 MB; limit 20 MB)"


# --- jsonl --------------------------------------------------------------------


def test_jsonl_good_invalid_and_missing_text(tmp_path):
    lines = [
        json.dumps({"id": 42, "text": "Bài một\r\nDòng hai", "published": "2021-06-15"}, ensure_ascii=False),
        '{"id": "b", "text": "x" "y"}',
        "",
        json.dumps({"id": "c", "title": "không có text"}),
        json.dumps({"text": 5}),
        json.dumps({"text": "Có <b>thẻ</b> HTML", "published": "2021-06-15T08:30:00+07:00"}, ensure_ascii=False),
        json.dumps({"text": "Ngày sai", "published": "15/6/2021"}, ensure_ascii=False),
        "[1, 2]",
    ]
    path = write(tmp_path, "tin tức.jsonl", "\n".join(lines).encode("utf-8"))
    articles = list(iter_articles([path]))
    got = [(a.id, a.source, a.status) for a in articles]
    src = str(path)
    assert got == [
        ("42", f"{src}:1", "ok"),
        ("tin tức:2", f"{src}:2", "error"),
        ("c", f"{src}:4", "error"),
        ("tin tức:5", f"{src}:5", "error"),
        ("tin tức:6", f"{src}:6", "warning"),
        ("tin tức:7", f"{src}:7", "warning"),
        ("tin tức:8", f"{src}:8", "error"),
    ]
    first, invalid, no_text, not_string, html, bad_date, not_object = articles
    assert (first.text, first.published, first.message) == ("Bài một\nDòng hai", "2021-06-15", "")
    assert invalid.text == ""
    assert invalid.message == "line 2: invalid JSON (Expecting ',' delimiter at column 25)"
    assert no_text.message == 'line 4: no "text" field'
    assert not_string.message == 'line 5: "text" is not a string (got number)'
    assert (html.text, html.published, html.message) == (
        "Có thẻ HTML", "2021-06-15T08:30:00+07:00", "line 6: HTML removed")
    assert bad_date.published is None and "line 7" in bad_date.message and "15/6/2021" in bad_date.message
    assert not_object.message == "line 8: not a JSON object (got array)"


def test_jsonl_three_lines_ok_error_error(tmp_path):
    raw = '{"id": "a", "text": "Tốt"}\n{"id": "b", "text": \n{"id": "c"}\n'
    articles = list(iter_articles([write(tmp_path, "ba.jsonl", raw.encode("utf-8"))]))
    assert [a.status for a in articles] == ["ok", "error", "error"]
    assert articles[1].message.startswith("line 2: invalid JSON (")
    assert articles[2].message == 'line 3: no "text" field'


def test_jsonl_in_windows_1258(tmp_path):
    raw = encode_cp1258_like_windows(
        json.dumps({"id": "x", "text": VI}, ensure_ascii=False) + "\r\n"
        + json.dumps({"id": "y", "text": "Thủ tướng phê duyệt Chính phủ số"}, ensure_ascii=False) + "\r\n")
    articles = list(iter_articles([write(tmp_path, "cu.jsonl", raw)]))
    assert [(a.id, a.text, a.status) for a in articles] == [
        ("x", VI, "warning"), ("y", "Thủ tướng phê duyệt Chính phủ số", "warning")]
    assert "decoded as windows-1258" in articles[0].message


def test_bad_jsonl_file_is_one_error(tmp_path):
    article = read_one(write(tmp_path, "zip.jsonl", b"PK\x03\x04" + bytes(100)))
    assert (article.id, article.status, article.message) == ("zip", "error", "binary content (looks like ZIP, e.g. DOCX or XLSX)")


# --- paths --------------------------------------------------------------------


def test_vietnamese_file_name_with_spaces(tmp_path):
    path = write(tmp_path, "Tin tức hôm nay – Hà Nội.txt", VI.encode("utf-8"))
    article = read_one(path)
    assert (article.id, article.source, article.text, article.status) == (
        "Tin tức hôm nay – Hà Nội", str(path), VI, "ok")


def test_folder_mixing_good_and_bad_files(tmp_path):
    folder = tmp_path / "kho"
    (folder / "con").mkdir(parents=True)
    write(folder, "b_tot.txt", VI.encode("utf-8"))
    write(folder, "a_rong.txt", b"")
    write(folder, "c.html", b"<p>Trang</p>")
    write(folder / "con", "d.jsonl", '{"text": "Dòng"}\nnot json\n'.encode("utf-8"))
    write(folder / "con", "e anh.txt", b"\x89PNG\r\n\x1a\nxxxx")
    write(folder, "f.htm", encode_cp1258_like_windows("<p>" + VI + "</p>"))
    write(folder, "ghi chú.md", b"ignored")
    write(folder, "image.png", b"\x89PNG\r\n\x1a\n")
    articles = list(iter_articles([folder]))
    got = [(Path(a.source.split(".jsonl:")[0]).name, a.status) for a in articles]
    assert got == [
        ("a_rong.txt", "error"),
        ("b_tot.txt", "ok"),
        ("c.html", "ok"),
        ("d", "ok"),
        ("d", "error"),
        ("e anh.txt", "error"),
        ("f.htm", "warning"),
    ]
    sources = [a.source for a in articles]
    assert sources == sorted(sources)
    assert articles[1].text == VI and articles[2].text == "Trang" and articles[6].text == VI


def test_missing_path_and_generator(tmp_path):
    gen = iter_articles([tmp_path / "không có.txt", str(tmp_path / "nope")])
    assert inspect.isgenerator(gen)
    first, second = list(gen)
    assert (first.id, first.text, first.status, first.message) == ("không có", "", "error", "file not found")
    assert second.source == str(tmp_path / "nope") and second.status == "error"


def test_single_path_string_and_empty_folder(tmp_path):
    path = write(tmp_path, "one.txt", b"mot")
    assert [a.text for a in iter_articles(str(path))] == ["mot"]
    (tmp_path / "empty").mkdir()
    (article,) = iter_articles([tmp_path / "empty"])
    assert article.status == "error" and "no .txt" in article.message


def test_read_text_uses_name_for_html():
    assert read_text(b"<b>x</b>", name="a.HTML") == ("x", "ok", "HTML converted to text")
    assert read_text(b"<b>x</b>", name="a.txt") == ("x", "warning", "HTML removed")


def test_jsonl_empty_text_and_empty_file(tmp_path):
    (article,) = iter_articles([write(tmp_path, "a.jsonl", b'\n{"id": 1, "text": " \\r\\n "}\n')])
    assert (article.id, article.source, article.status, article.message) == (
        "1", f"{tmp_path / 'a.jsonl'}:2", "error", "line 2: empty text")
    (article,) = iter_articles([write(tmp_path, "b.jsonl", b"\n\n")])
    assert (article.id, article.status, article.message) == ("b", "error", "empty file")
