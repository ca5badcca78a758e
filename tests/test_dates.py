"""DATE rules on the real corpus sentences named in issue #2, plus edge cases."""
import pytest

from pipeline import extract
from pipeline.dates import detect_published, find_dates

from helpers import corpus_docs, find, labels_over


@pytest.mark.parametrize("art, after, surface, value, mod", [
    ("000", "", "Ngày 15/6/2021", "2021-06-15", None),              # "Ngày 15/6/2021, Thủ tướng đã phê duyệt ..."
    ("000", "Từ ", "1/7/2021", "2021-07-01", None),                  # the frame "Từ" is left out
    ("000", "", "Cuối tháng 11/2021", "2021-11", "END"),
    ("000", "", "Đầu tháng 7/2021", "2021-07", "START"),
    ("000", "", "Ngày 24/9", "2021-09-24", None),                   # year from the preceding full date 29/8/2021
    ("000", "", "ngày 30/9", "2021-09-30", None),
    ("000", "", "chiều ngày 5/9", "2021-09-05", None),              # part of day kept in the span
    ("004", "", "ngày 30.9.2021", "2021-09-30", None),
    ("000", "", "giai đoạn 2021-2025", "2021/2025", None),
    ("001", "", "giai đoạn 2016 – 2020", "2016/2020", None),
    ("002", "", "năm 2045", "2045", None),
    ("004", "Đến hết ", "năm 2022", "2022", "END"),                   # span "năm 2022", mod END
    ("001", "", "10h00 12/03/2021", "2021-03-12T10:00", None),      # dateline "Thứ sáu, 10h00 12/03/2021"
    ("002", "", "01/01/2020", "2020-01-01", None),                  # "từ 01/01/2020 đến ngày 31/12/2020": two mentions
    ("002", "", "ngày 31/12/2020", "2020-12-31", None),
    ("002", "", "19/02/2021 12:57", "2021-02-19T12:57", None),
    ("004", "", "04/01/2022, 14:04", "2022-01-04T14:04", None),
    ("001", "", "2016-2020", "2016/2020", None),                   # "(2016-2020)" without the brackets
    ("002", "", "2021 - 2030", "2021/2030", None),                  # "10 năm 2021 - 2030": the duration stays out
])
def test_dates_in_corpus(art, after, surface, value, mod):
    span = find(corpus_docs()[art], "DATE", surface, after=after)
    assert span._.value == value
    assert span._.mod == mod


@pytest.mark.parametrize("art, phrase", [
    ("003", "30/30 bộ"), ("003", "63/63 tỉnh"), ("001", "86/193 quốc gia"),
    ("002", "135,53 thuê bao/100 dân"), ("000", "5 triệu mũi tiêm/ngày"), ("000", "thí điểm 2 năm"),
    ("001", "trong 5 năm qua"),
])
def test_not_dates_in_corpus(art, phrase):
    assert [lab for lab, _ in labels_over(corpus_docs()[art], phrase) if lab == "DATE"] == []


def test_date_inside_a_document_code_is_not_a_date():
    doc = extract("Nghị định 13/2023/NĐ-CP quy định về bảo vệ dữ liệu cá nhân.")
    assert [(s.label_, s.text) for s in doc.spans["mentions"]] == [("DOCREF", "Nghị định 13/2023/NĐ-CP")]


@pytest.mark.parametrize("text", ["ngày 31/2/2021", "ngày 29/02/2023", "tháng 13/2021", "ngày 32/1/2020", "ngày 0/5/2020"])
def test_impossible_dates_are_rejected(text):
    assert find_dates(text) == []


def test_leap_day_is_a_date():
    assert [c.value for c in find_dates("ngày 29/02/2024")] == ["2024-02-29"]


@pytest.mark.parametrize("text, values", [
    ("quý III/2023", ["2023-07/2023-09"]),
    ("từ ngày 15 đến 26/3/2022", ["2022-03-15", "2022-03-26"]),
    ("0h ngày 28-3-2020", ["2020-03-28T00:00"]),
    ("08h00 ngày 25/02/2023", ["2023-02-25T08:00"]),
    ("ngày 02/9/1945 - 02/9/2022", ["1945-09-02/2022-09-02"]),
    ("sinh năm 2003", ["2003"]),
    ("ngày 15 tháng 6 năm 2021", ["2021-06-15"]),
    ("từ 2020 đến 2022", ["2020", "2022"]),
])
def test_date_forms(text, values):
    assert [c.value for c in find_dates(text)] == values


@pytest.mark.parametrize("text", ["lúc 11h", "năm nay", "thời gian tới", "hàng năm", "trong 2 năm", "hiện nay"])
def test_relative_and_vague_times_are_not_dates(text):
    assert find_dates(text) == []


def test_year_less_date_uses_publication_year_then_xxxx():
    assert [c.value for c in find_dates("Ngày 24/9, Ủy ban họp.", "2023-10-01")] == ["2023-09-24"]
    assert [c.value for c in find_dates("Ngày 24/9, Ủy ban họp.")] == ["XXXX-09-24"]


def test_deictic_and_part_of_day_stay_in_span():
    text = "trưa nay 12-3, đoàn công tác"
    (c,) = find_dates(text, "2022-03-12")
    assert text[c.start:c.end] == "trưa nay 12-3" and c.value == "2022-03-12"


@pytest.mark.parametrize("name, expected", [
    ("000", None), ("001", "2021-03-12"), ("002", "2021-02-19"), ("003", None), ("004", "2022-01-04"),
])
def test_article_date_from_dateline(name, expected):
    from helpers import RAW
    text = next(RAW.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    assert detect_published(text) == expected


def test_given_published_date_wins_over_dateline():
    doc = extract("Thu Anh | 04/01/2022, 14:04\nNgày 24/9, Bộ họp.", published="2030-05-01")
    assert doc._.published == "2030-05-01"
