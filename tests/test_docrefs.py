"""DOCREF rules on the corpus sentences named in issue #2, plus codes from the guidelines."""
import pytest

from pipeline import extract
from pipeline.docrefs import canonical_code, find_docrefs

from helpers import corpus_docs, find, texts


@pytest.mark.parametrize("art, surface, value, doc_type, issuer, year, issued", [
    ("001", "Quyết định số 749/QĐ-TTg", "749/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ", None, None),
    ("003", "Quyết định 411/QĐ-TTg", "411/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ", 2022, "2022-03-31"),
    ("001", "Nghị quyết số 17/NQ-CP", "17/NQ-CP", "Nghị quyết", "Chính phủ", None, None),
    ("003", "Nghị quyết 52-NQ/TW", "52-NQ/TW", "Nghị quyết", "Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam",
     None, None),
    ("002", "Nghị quyết số 01-NQ/TƯ", "01-NQ/TƯ", "Nghị quyết", "Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam",
     2020, "2020-10-20"),
    ("002", "Quyết định số 2851/QĐ-UBND", "2851/QĐ-UBND", "Quyết định", "Ủy ban nhân dân", 2020, "2020-10-08"),
    ("002", "Chỉ thị số 01/CT- BTTTT", "01/CT-BTTTT", "Chỉ thị", "Bộ Thông tin và Truyền thông", None, None),
    ("000", "Chỉ thị 16", "16", "Chỉ thị", None, None, None),
])
def test_docrefs_in_corpus(art, surface, value, doc_type, issuer, year, issued):
    """Value, type and identity; the year and issue date come from the code or the date written after it."""
    span = find(corpus_docs()[art], "DOCREF", surface)
    assert (span._.value, span._.doc_type) == (value, doc_type)
    assert span._.info.get("issuer") == issuer
    assert (span._.info.get("year"), span._.info.get("issued")) == (year, issued)


def test_following_date_is_a_separate_mention():
    doc = corpus_docs()["003"]
    span = find(doc, "DOCREF", "Quyết định 411/QĐ-TTg")
    assert doc.text[span.end_char:span.end_char + 16] == " ngày 31/3/2022 "
    assert find(doc, "DATE", "ngày 31/3/2022")._.value == "2022-03-31"


@pytest.mark.parametrize("text, surface, value, doc_type, year", [
    ("Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân", "Nghị định 13/2023/NĐ-CP", "13/2023/NĐ-CP", "Nghị định", 2023),
    ("Số: 170/KH-UBND ngày 5/3/2024", "170/KH-UBND", "170/KH-UBND", "Kế hoạch", 2024),
    ("theo Văn bản số 6296/VPCP-KSTT của Văn phòng Chính phủ", "Văn bản số 6296/VPCP-KSTT", "6296/VPCP-KSTT", "Công văn", None),
    ("Luật Ban hành văn bản quy phạm pháp luật 64/2025/QH15 có hiệu lực",
     "Luật Ban hành văn bản quy phạm pháp luật 64/2025/QH15", "64/2025/QH15", "Luật", 2025),
    ("thực hiện 749/QĐ-TTg của Thủ tướng", "749/QĐ-TTg", "749/QĐ-TTg", "Quyết định", None),
])
def test_codes_from_the_guidelines(text, surface, value, doc_type, year):
    doc = extract(text)
    span = find(doc, "DOCREF", surface)
    assert (span._.value, span._.doc_type, span._.info.get("year")) == (value, doc_type, year)


@pytest.mark.parametrize("text", [
    "Kế hoạch 5 năm 2021 - 2025", "Tạp chí TT&TT số 1 tháng 1/2021", "749 doanh nghiệp", "tỷ trọng ICT/GDP",
    "Chiến lược phát triển Chính phủ điện tử",
])
def test_not_docrefs(text):
    assert find_docrefs(text) == []
    assert texts(extract(text), "DOCREF") == []


def test_document_named_inside_a_body_is_no_docref():
    doc = extract("Tổ công tác triển khai Đề án 06 đã họp.")
    assert [(s.label_, s.text) for s in doc.spans["mentions"]] == [("INSTITUTION", "Tổ công tác triển khai Đề án 06")]


@pytest.mark.parametrize("raw, canonical", [("01/CT- BTTTT", "01/CT-BTTTT"), ("749/qđ-ttg", "749/QĐ-TTg"),
                                            ("13/2023/nđ-cp", "13/2023/NĐ-CP"), ("64/2025/qh15", "64/2025/QH15")])
def test_canonical_code(raw, canonical):
    assert canonical_code(raw) == canonical


# A regression set of legal sentences written for the project (headers, "Căn cứ" preambles,
# amendment clauses, citations inside citations): (text, [(surface, value, doc_type, issuer, issued)]).
LEGAL = [
    ("Căn cứ Luật Đầu tư và Nghị định số 31/2021/NĐ-CP ngày 26/3/2021 của Chính phủ quy định chi tiết;",
     [("Nghị định số 31/2021/NĐ-CP", "31/2021/NĐ-CP", "Nghị định", "Chính phủ", "2021-03-26")]),
    ("Thực hiện Nghị định của Chính phủ số 15/2020/NĐ-CP về xử phạt vi phạm hành chính,",
     [("Nghị định của Chính phủ số 15/2020/NĐ-CP", "15/2020/NĐ-CP", "Nghị định", "Chính phủ", None)]),
    ("theo Quyết định của Thủ tướng Chính phủ số 1234/QĐ-TTg ngày 02/10/2024 về kiện toàn Ban Chỉ đạo.",
     [("Quyết định của Thủ tướng Chính phủ số 1234/QĐ-TTg", "1234/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ",
       "2024-10-02")]),
    ("Căn cứ Luật Thuế thu nhập doanh nghiệp, thuế tài nguyên số 71/2014/QH13 và Luật Bảo vệ môi trường "
     "số 72/2020/QH14;",
     [("Luật Thuế thu nhập doanh nghiệp, thuế tài nguyên số 71/2014/QH13", "71/2014/QH13", "Luật", "Quốc hội", None),
      ("Luật Bảo vệ môi trường số 72/2020/QH14", "72/2020/QH14", "Luật", "Quốc hội", None)]),
    ("Mức phạt áp dụng theo điểm a khoản 3 Điều 7 Nghị định số 47.",
     [("Nghị định số 47", "47", "Nghị định", None, None)]),
    ("Nghị định số 129/2016 và Thông tư 15/2015 được dẫn tại Điều 11, khoản 1 của Quy chế.",
     [("Nghị định số 129/2016", "129/2016", "Nghị định", None, None),
      ("Thông tư 15/2015", "15/2015", "Thông tư", None, None)]),
    ("Nghị định số 14/2022/NĐ-CP sửa đổi, bổ sung một số điều của Nghị định số 15/2020/NĐ-CP ngày 03/02/2020.",
     [("Nghị định số 14/2022/NĐ-CP", "14/2022/NĐ-CP", "Nghị định", "Chính phủ", None),
      ("Nghị định số 15/2020/NĐ-CP", "15/2020/NĐ-CP", "Nghị định", "Chính phủ", "2020-02-03")]),
    ("ỦY BAN NHÂN DÂN TỈNH VĨNH LONG\nSố: 214/KH-UBND\nVĩnh Long, ngày 18 tháng 9 năm 2025",
     [("214/KH-UBND", "214/KH-UBND", "Kế hoạch", "Ủy ban nhân dân", None)]),
]


@pytest.mark.parametrize("text, expected", LEGAL)
def test_legal_forms_and_document_identity(text, expected):
    doc = extract(text, published="2025-10-01")
    got = [(s.text, s._.value, s._.doc_type, s._.info.get("issuer"), s._.info.get("issued"))
           for s in doc.spans["mentions"] if s.label_ == "DOCREF"]
    assert got == expected
    for s in doc.spans["mentions"]:
        if s.label_ == "DOCREF":
            assert s._.info["number"] == s._.value.split("/")[0].split("-")[0]


def test_a_cited_documents_date_is_no_anchor_for_later_dates():
    text = ("Theo Quyết định số 2289/QĐ-TTg ngày 31/12/2020 của Thủ tướng, ngày 15/3 tỉnh họp.\n"
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;\nNgày 20/4, UBND tỉnh ban hành kế hoạch.")
    doc = extract(text, published="2025-01-10")
    values = {s.text: s._.value for s in doc.spans["mentions"] if s.label_ == "DATE"}
    assert values["ngày 15/3"] == "2025-03-15" and values["Ngày 20/4"] == "2025-04-20"
