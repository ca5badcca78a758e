"""Event linking on real corpus sentences."""
import pytest

from pipeline import extract

from helpers import corpus_docs


def events_of(doc, sentence_start: str):
    """(type, trigger, date text, institutions, documents, percents) of the events in one sentence."""
    ms = list(doc.spans["mentions"])
    pos = doc.text.find(sentence_start)
    assert pos >= 0
    out = []
    for ev in doc._.events:
        if ev["sentence"]["start"] <= pos < ev["sentence"]["end"]:
            out.append((ev["type"], ev["trigger"]["text"],
                        ms[ev["date"]].text if ev["date"] is not None else None,
                        [ms[i]._.value for i in ev["institutions"]],
                        [ms[i]._.value for i in ev["documents"]],
                        [ms[i]._.value for i in ev["percents"]]))
    return out


def test_issuance_with_date_institution_and_document():
    doc = corpus_docs()["001"]
    assert events_of(doc, "Ngày 14/01/2020, Thủ tướng Chính phủ đã ban hành") == [
        ("ISSUANCE", "ban hành", "Ngày 14/01/2020", [], ["01/CT-TTg"], [])]


def test_launch_licensing_meeting_organization():
    doc = corpus_docs()["000"]
    assert events_of(doc, "Cuối tháng 11/2021, Ngân hàng") == [
        ("LICENSING", "cấp phép", "Cuối tháng 11/2021", ["Ngân hàng Nhà nước Việt Nam"], [], [])]
    assert [e[:3] for e in events_of(doc, "Từ 1/7/2021, hệ thống")] == [("LAUNCH", "vận hành", "1/7/2021")]
    meeting = events_of(doc, "Ngày 29/8/2021, Thủ tướng Chính phủ")
    assert [e[:3] for e in meeting] == [("MEETING", "cuộc họp", "Ngày 29/8/2021")]  # the head noun (v2)
    assert [e[:2] for e in events_of(doc, "Ngày 24/9, Ủy ban")] == [("ORGANIZATION", "kiện toàn"), ("ORGANIZATION", "đổi tên")]


def test_reference_back_and_count_of_meetings_are_no_meetings():
    doc = corpus_docs()["001"]
    assert [e for e in events_of(doc, "Tại phiên họp, Thủ tướng") if e[0] == "MEETING"] == []
    assert [e for e in events_of(doc, "Đến nay, Uỷ ban đã tổ chức 5 phiên họp") if e[0] == "MEETING"] == []


def test_one_event_per_trigger_with_its_own_percent():
    doc = corpus_docs()["002"]
    got = events_of(doc, "Tỷ lệ doanh thu sản phẩm an toàn an ninh mạng nội địa")
    assert [(t, trig, p) for t, trig, _, _, _, p in got] == [("RESULT", "đạt", [47.3]), ("RESULT", "tăng", [10.1])]


def test_goal_with_future_date_is_a_target_and_comparison_base_never_dates():
    doc = corpus_docs()["004"]
    got = events_of(doc, "Đến năm 2025, tối thiểu 80% hồ sơ")
    assert {e[0] for e in got} == {"TARGET"} and {e[2] for e in got} == {"năm 2025"}
    doc = corpus_docs()["001"]
    ranks = events_of(doc, "Tại Báo cáo khảo sát xếp hạng")
    assert all(e[2] != "năm 2018" for e in ranks)


def test_source_body_is_not_an_argument():
    doc = corpus_docs()["003"]
    got = events_of(doc, "Theo Bộ Thông tin và Truyền thông, về lĩnh vực")
    assert got and all("Bộ Thông tin và Truyền thông" not in e[3] for e in got)


def test_trigger_must_be_a_whole_word():
    doc = extract("Năm 2020, Việt Nam tăng cường hợp tác với 20 quốc gia.", published="2021-01-01")
    assert doc._.events == []


@pytest.mark.parametrize("text, etype", [
    ("Năm 2020, doanh thu đạt 120 tỷ đồng.", "RESULT"),
    ("Đến năm 2030, doanh thu đạt 120 tỷ đồng.", "TARGET"),
    ("Năm 2020, doanh thu đã đạt 120 tỷ đồng.", "RESULT"),
])
def test_result_or_target_by_time(text, etype):
    doc = extract(text, published="2021-06-01")
    assert [e["type"] for e in doc._.events] == [etype]


UNSEEN = ("UBND TP.HCM đã ban hành Kế hoạch số 1234/KH-UBND ngày 10/01/2024 về chuyển đổi số, đặt mục tiêu "
          "đến năm 2025 có 80% doanh nghiệp nhỏ và vừa sử dụng nền tảng số.\n"
          "Theo Cục Thống kê, tỷ lệ hồ sơ trực tuyến đạt 45,2%, tăng 12 điểm phần trăm so với cùng kỳ năm 2023.")


def test_issuance_is_dated_by_its_document_and_goal_clause_after_a_comma():
    doc = extract(UNSEEN, published="2024-03-15")
    got = events_of(doc, "UBND TP.HCM đã ban hành")
    assert got[0] == ("ISSUANCE", "ban hành", "ngày 10/01/2024", ["Ủy ban nhân dân Thành phố Hồ Chí Minh"],
                      ["1234/KH-UBND"], [])
    assert ("TARGET", "có", "năm 2025") in [e[:3] for e in got]


def test_comparison_base_with_cung_ky_never_dates():
    doc = extract(UNSEEN, published="2024-03-15")
    got = events_of(doc, "Theo Cục Thống kê")
    assert [(e[0], e[1], e[2]) for e in got] == [("RESULT", "đạt", None), ("RESULT", "tăng", None)]
    assert all(e[3] == [] for e in got)  # the source body is no participant


def test_act_dates_after_the_trigger_but_not_horizons():
    text = ("Hội nghị trực tuyến toàn quốc diễn ra chiều 20/12 dưới sự chủ trì của Phó Thủ tướng. "
            "Cục An toàn thông tin khai trương Trung tâm Giám sát an toàn không gian mạng quốc gia vào sáng 12/4. "
            "Thủ tướng đã ban hành Quyết định 749/QĐ-TTg phê duyệt Chương trình Chuyển đổi số quốc gia đến năm 2025.")
    doc = extract(text, published="2024-12-25")
    ms = list(doc.spans["mentions"])
    got = [(e["type"], ms[e["date"]].text if e["date"] is not None else None) for e in doc._.events]
    assert got == [("MEETING", "chiều 20/12"), ("LAUNCH", "sáng 12/4"), ("ISSUANCE", None)]  # one act, one event
