"""Canonical events: statements of one real-world event resolve to one stable id."""
from pipeline import extract
from pipeline.records import doc_to_record
from pipeline.resolve import Statement, compatible_dates, resolve, resolve_records

A = ("Ngày 12/6/2025, Quốc hội đã biểu quyết thông qua Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị hành chính. "
     "Năm 2024, GDP tăng 7,09%.")
B = ("Sáng 12/6, Quốc hội thông qua Nghị quyết 202/2025/QH15 với 461 đại biểu tán thành. "
     "Tổng cục Thống kê cho biết năm 2024 GDP tăng 7,09% so với năm trước.")
C = "Ngày 20/3/2025, Chính phủ ban hành Nghị định số 55/2025/NĐ-CP về cơ cấu tổ chức của Bộ."


def _records(*texts):
    return [doc_to_record(extract(t, published="2025-06-13"), id=f"a{i}", source="", published="2025-06-13")
            for i, t in enumerate(texts)]


def _ids(recs):
    return {(r["id"], e["type"], e["trigger"]["text"]): e["canonical"] for r in recs for e in r["events"]}


def test_the_same_document_and_figure_in_two_articles_share_an_id():
    recs = _records(A, B)
    resolve_records(recs)
    by_type = {}
    for r in recs:
        for e in r["events"]:
            by_type.setdefault(e["type"], set()).add(e["canonical"])
    assert len(by_type["ISSUANCE"]) == 1   # Nghị quyết 202/2025/QH15, stated twice
    assert len(by_type["RESULT"]) == 1     # GDP 2024 +7,09%, stated twice


def test_ids_do_not_depend_on_order_and_survive_more_articles():
    first = _records(A, B)
    resolve_records(first)
    more = _records(A, B, C)
    resolve_records(more)
    reordered = _records(C, B, A)
    resolve_records(reordered)
    ids_first, ids_more = _ids(first), _ids(more)
    assert all(ids_more[k] == v for k, v in ids_first.items())
    assert set(ids_first.values()) <= {e["canonical"] for r in reordered for e in r["events"]}


def test_two_different_days_never_merge_and_an_undated_statement_joins():
    st = [Statement("MEETING", date="2025-02-18", object="Kỳ họp bất thường lần thứ 9"),
          Statement("MEETING", date="2025-06-12", object="Kỳ họp thứ 9"),
          Statement("MEETING", date="2025-06-12", object="Kỳ họp thứ 9 của Quốc hội")]
    ids = resolve(st)
    assert ids[1] == ids[2] and ids[0] != ids[1]
    assert compatible_dates("2025-06", "2025-06-12") and compatible_dates(None, "2025-06-12")
    assert not compatible_dates("2025-06-11", "2025-06-12")


def test_common_values_need_a_shared_indicator():
    st = [Statement("TARGET", date="2030", values=((100.0,),), unit="%", object="tỷ lệ hồ sơ trực tuyến"),
          Statement("TARGET", date="2030", values=((100.0,),), unit="%", object="số xã có điểm phát sóng"),
          Statement("TARGET", date="2030", values=((100.0,),), unit="%", object="tỷ lệ hồ sơ được xử lý trực tuyến")]
    ids = resolve(st)
    assert ids[0] == ids[2] != ids[1]
