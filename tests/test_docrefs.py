"""DOCREF rules on the corpus sentences named in issue #2, plus codes from the guidelines."""
import pytest

from pipeline import extract
from pipeline.docrefs import canonical_code, find_docrefs

from helpers import corpus_docs, find, texts


@pytest.mark.parametrize("art, surface, value, doc_type, issuer, year", [
    ("001", "Quyết định số 749/QĐ-TTg", "749/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ", None),
    ("003", "Quyết định 411/QĐ-TTg", "411/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ", None),
    ("001", "Nghị quyết số 17/NQ-CP", "17/NQ-CP", "Nghị quyết", "Chính phủ", None),
    ("003", "Nghị quyết 52-NQ/TW", "52-NQ/TW", "Nghị quyết", "Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam", None),
    ("002", "Nghị quyết số 01-NQ/TƯ", "01-NQ/TƯ", "Nghị quyết", "Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam", None),
    ("002", "Quyết định số 2851/QĐ-UBND", "2851/QĐ-UBND", "Quyết định", "Ủy ban nhân dân", None),
    ("002", "Chỉ thị số 01/CT- BTTTT", "01/CT-BTTTT", "Chỉ thị", "Bộ Thông tin và Truyền thông", None),
    ("000", "Chỉ thị 16", "16", "Chỉ thị", None, None),
])
def test_docrefs_in_corpus(art, surface, value, doc_type, issuer, year):
    span = find(corpus_docs()[art], "DOCREF", surface)
    assert (span._.value, span._.doc_type) == (value, doc_type)
    assert span._.info.get("issuer") == issuer
    assert span._.info.get("year") == year


def test_following_date_is_a_separate_mention():
    doc = corpus_docs()["003"]
    span = find(doc, "DOCREF", "Quyết định 411/QĐ-TTg")
    assert doc.text[span.end_char:span.end_char + 16] == " ngày 31/3/2022 "
    assert find(doc, "DATE", "ngày 31/3/2022")._.value == "2022-03-31"


@pytest.mark.parametrize("text, surface, value, doc_type, year", [
    ("Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân", "Nghị định 13/2023/NĐ-CP", "13/2023/NĐ-CP", "Nghị định", 2023),
    ("Số: 170/KH-UBND ngày 5/3/2024", "170/KH-UBND", "170/KH-UBND", "Kế hoạch", None),
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
