"""An event's territory: the whole country, one province, or unknown (pipeline/territory.py)."""
from pipeline import extract
from pipeline.records import doc_to_record, event_rows
from pipeline.resolve import resolve_records

PROVINCIAL = ("ỦY BAN NHÂN DÂN TỈNH NINH BÌNH\n"
              "Ngày 3/10/2025, Ủy ban nhân dân tỉnh tổ chức phiên họp thường kỳ tháng 9. "
              "Chủ tịch UBND tỉnh yêu cầu các sở, ngành phấn đấu giải ngân 100% kế hoạch vốn đầu tư công năm 2025. "
              "Trên phạm vi cả nước, tỷ lệ giải ngân 9 tháng đạt 50,7% kế hoạch.")
NATIONAL = ("Ngày 2/10/2025, Thủ tướng Chính phủ yêu cầu các bộ, ngành, địa phương phấn đấu giải ngân 100% "
            "kế hoạch vốn đầu tư công năm 2025 được Thủ tướng Chính phủ giao.")
OTHER_PROVINCE = ("UBND tỉnh Gia Lai vừa có văn bản chỉ đạo các sở, ngành. Chủ tịch UBND tỉnh yêu cầu phấn đấu "
                  "giải ngân 100% kế hoạch vốn đầu tư công năm 2025.")


def _record(text, id_="a"):
    return doc_to_record(extract(text, published="2025-10-05"), id=id_, source="", published="2025-10-05")


def _figures(rec):
    return {row["sentence"][:30]: row["territory"] for row in event_rows(rec) if row["type"] in ("RESULT", "TARGET")}


def test_a_provincial_portal_figure_is_its_province_and_a_national_one_the_country():
    found = _figures(_record(PROVINCIAL))
    assert found["Chủ tịch UBND tỉnh yêu cầu các"] == "Ninh Bình"  # "UBND tỉnh": the province of the page
    assert found["Trên phạm vi cả nước, tỷ lệ gi"] == "VN"         # "cả nước" in the sentence
    assert set(_figures(_record(NATIONAL)).values()) == {"VN"}


def test_the_same_target_of_the_country_and_of_two_provinces_are_three_events():
    recs = [_record(PROVINCIAL, "p1"), _record(NATIONAL, "n"), _record(OTHER_PROVINCE, "p2"),
            _record(PROVINCIAL.replace("tháng 9", "tháng 10"), "p1-again")]
    resolve_records(recs)
    ids = {}
    for rec in recs:
        for ev in rec["events"]:
            if ev["type"] == "TARGET":
                ids.setdefault(rec["id"], set()).add(ev["canonical"])
    assert len(ids["p1"] | ids["n"] | ids["p2"]) == 3
    assert ids["p1"] == ids["p1-again"]  # the same province's target, restated, is one event
