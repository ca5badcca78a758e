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


# ---- forms of real crawls (issue: day ranges, months in words, quarters without a year, weekday + date)

@pytest.mark.parametrize("text, published, expected", [
    ("Lễ hội diễn ra trong 2 ngày 1 - 2/2. Năm 2017, lượng khách tăng.", "2017-02-05",
     [("ngày 1 - 2/2", "2017-02-01/2017-02-02"), ("Năm 2017", "2017")]),
    ("Hội chợ mở cửa từ ngày 08 – 11/7/2025 tại Hà Nội.", None, [("ngày 08 – 11/7/2025", "2025-07-08/2025-07-11")]),
    ("Từ ngày 15 đến 26/3, tỉnh ra quân.", "2025-03-01", [("ngày 15", "2025-03-15"), ("26/3", "2025-03-26")]),
    ("Cuối tháng Sáu và tháng Mười năm 2025 có hai đợt.", "2025-01-01",
     [("Cuối tháng Sáu", "2025-06"), ("tháng Mười năm 2025", "2025-10")]),
    ("Trong quý I, GDP tăng; sang quý IV/2024 giảm.", "2025-04-01",
     [("quý I", "2025-01/2025-03"), ("quý IV/2024", "2024-10/2024-12")]),
    ("Sáng thứ Hai (3/2), Bộ họp giao ban.", "2025-02-03", [("Sáng thứ Hai (3/2)", "2025-02-03")]),
    ("Giá từ 2-3 tỷ USD, khoảng 5-10 người mỗi nhóm.", "2025-01-01", []),
])
def test_forms_of_real_crawls(text, published, expected):
    doc = extract(text, published=published)
    assert [(s.text, s._.value) for s in doc.spans["mentions"] if s.label_ == "DATE"] == expected


def test_a_failing_date_rule_loses_one_expression_not_the_article(monkeypatch):
    import pipeline.dates as dates_module
    from pipeline.records import doc_to_record

    real = dates_module._Parse.resolve

    def broken(self, year, month=None):
        if self.kind == "daymonth":
            raise RuntimeError("rule bug")
        return real(self, year, month)

    monkeypatch.setattr(dates_module._Parse, "resolve", broken)
    doc = extract("Ngày 5/6, Bộ Y tế và UBND tỉnh Bến Tre họp; năm 2025 tăng 5%.", published="2025-01-01",
                  article_id="art-1")
    rec = doc_to_record(doc, id="art-1", source="", published=None)
    assert rec["status"] == "warning" and "dates.daymonth" in rec["message"] and "'Ngày 5/6'" in rec["message"]
    assert {m["type"] for m in rec["mentions"]} >= {"INSTITUTION", "DATE", "PERCENT"}


from hypothesis import given, settings, strategies as st  # noqa: E402

_DAY = st.integers(0, 40).map(str)
_MONTH = st.integers(0, 14).map(str)
_YEAR = st.sampled_from(["", "/2017", "/2025", "/1999", "/20255"])
_PIECE = st.one_of(
    st.builds(lambda d1, d2, m, y, dash: f"ngày {d1}{dash}{d2}/{m}{y}", _DAY, _DAY, _MONTH, _YEAR,
              st.sampled_from([" - ", "–", "-", " – "])),
    st.builds(lambda d, m, y: f"từ ngày {d} đến {d}/{m}{y}", _DAY, _MONTH, _YEAR),
    st.builds(lambda q, y: f"quý {q}{y}", st.sampled_from(["I", "II", "III", "IV", "V", "1"]), _YEAR),
    st.builds(lambda w, y: f"cuối tháng {w}{y}", st.sampled_from(["Giêng", "Sáu", "Mười", "Mười hai", "năm"]), _YEAR),
    st.builds(lambda y1, y2: f"giai đoạn {y1}-{y2}", st.integers(1890, 2110), st.integers(1890, 2110)),
    st.sampled_from(["Năm 2017", "năm nay", "thứ Hai (3/2)", "…", "hôm 4/3", "0h ngày 28-3"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECE, min_size=1, max_size=4), st.sampled_from([None, "2017-02-05", "2025-12-31"]))
def test_no_date_rule_raises_on_generated_expressions(pieces, published):
    from pipeline.dates import find_dates

    text = ". ".join(pieces) + "."
    found = find_dates(text, published)  # failures=None: any rule exception fails the test
    for c in found:
        assert text[c.start:c.end] and c.value


@pytest.mark.parametrize("text, published, expected", [
    ("Trong 5 tháng đầu năm 2025, Thanh tra Sở đã kiểm tra 412 cơ sở.", None,
     [("5 tháng đầu năm 2025", "2025-01/2025-05")]),
    ("Lũy kế 9 tháng năm 2025, vốn đầu tư trong nước đạt 38.215 tỷ đồng.", None,
     [("9 tháng năm 2025", "2025-01/2025-09")]),
    ("13/01/2025 | 18:05 Quảng Ninh dự hội nghị.", None, [("13/01/2025 | 18:05", "2025-01-13T18:05")]),
    ("Thứ Tư, 19/03/2025 - 15:10 Sở sau hợp nhất.", None, [("19/03/2025 - 15:10", "2025-03-19T15:10")]),
    ("Trong tháng 9, UBND tỉnh ban hành kế hoạch.", "2025-10-07", [("tháng 9", "2025-09")]),
    ("Ban Chỉ đạo hoàn thành việc này trong tháng 5.", "2025-04-29", [("tháng 5", "2025-05")]),
    ("Từ ngày 1/1 đến ngày 30/6/2017, Công an quận lập hồ sơ.", None,
     [("ngày 1/1", "2017-01-01"), ("ngày 30/6/2017", "2017-06-30")]),
    ("Năm học 2024-2025, tỉnh phấn đấu tỷ lệ đỗ trên 99%.", None, [("Năm học 2024-2025", "2024/2025")]),
])
def test_periods_times_and_months_of_news(text, published, expected):
    doc = extract(text, published=published)
    assert [(s.text, s._.value) for s in doc.spans["mentions"] if s.label_ == "DATE"] == expected


def test_the_date_a_document_was_issued_is_no_anchor_for_year_less_dates():
    """"Nghị quyết ... được Bộ Chính trị ban hành hôm 22/12/2024" dates the document, not the story: a
    year-less date after it takes the year of the story's last full date (docs/ANNOTATION.md)."""
    text = ("Sáng 13/1/2025, Bộ Chính trị tổ chức hội nghị toàn quốc. Nghị quyết 57-NQ/TW được Bộ Chính trị ban "
            "hành hôm 22/12/2024. Ngày 9/1, Chính phủ đã có Nghị quyết 03/NQ-CP. Ngày 26/12/2024, Bộ họp. "
            "Ngày 28/12, Bộ ra quyết định.")
    doc = extract(text, published="2025-01-13")
    values = {s.text: s._.value for s in doc.spans["mentions"] if s.label_ == "DATE"}
    assert values["Ngày 9/1"] == "2025-01-09"
    assert values["Ngày 28/12"] == "2024-12-28"  # a story's own full date still anchors
