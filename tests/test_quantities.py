"""QUANTITY mentions (money and counts) on sentences in the style of statistics news, and the seeds."""
import pytest

from pipeline import extract
from pipeline.quantities import find_quantities

from helpers import corpus_docs, find


@pytest.mark.parametrize("text, surface, number, unit", [
    ("Doanh thu dịch vụ viễn thông đạt 130.280 tỷ đồng.", "130.280 tỷ đồng", 130_280_000_000_000, "VND"),
    ("Vốn FDI đăng ký đạt 28,54 tỷ USD, tăng 15,2%.", "28,54 tỷ USD", 28_540_000_000, "USD"),
    ("Quy mô khoảng 2,4 nghìn tỷ đồng mỗi năm.", "2,4 nghìn tỷ đồng", 2_400_000_000_000, "VND"),
    ("Tỉnh thu hút 1,5 tỷ đô la Mỹ vốn FDI.", "1,5 tỷ đô la Mỹ", 1_500_000_000, "USD"),
    ("Mức phạt từ 2-3 tỷ USD là quá cao.", "2-3 tỷ USD", [2_000_000_000, 3_000_000_000], "USD"),
    ("Sở Tư pháp đã cấp 12.500 phiếu lý lịch tư pháp.", "12.500 phiếu", 12_500, "phiếu"),
    ("Cả nước có 555 DN bưu chính đang hoạt động.", "555 DN", 555, "dn"),
    ("Nền tảng ghi nhận 22,307 triệu lượt truy cập.", "22,307 triệu lượt", 22_307_000, "lượt"),
    ("Bộ hiện có 1.072 công chức, viên chức.", "1.072 công chức", 1_072, "công chức"),
    ("Sản lượng lúa đạt 5 triệu tấn.", "5 triệu tấn", 5_000_000, "tấn"),
])
def test_quantities_with_scale_and_unit(text, surface, number, unit):
    span = find(extract(text, published="2025-06-01"), "QUANTITY", surface)
    assert span._.value == {"number": number, "unit": unit}


def test_hedges_stay_out_of_the_span():
    doc = extract("Tổng thu đạt hơn 35.000 tỷ đồng, gần 80 doanh nghiệp tham gia.", published="2025-06-01")
    assert [s.text for s in doc.spans["mentions"] if s.label_ == "QUANTITY"] == ["35.000 tỷ đồng", "80 doanh nghiệp"]


@pytest.mark.parametrize("text", [
    "30/30 bộ và 63/63 tỉnh đã kết nối.",          # slash ratios
    "Việt Nam đứng thứ 86 trên thế giới.",          # an ordinal
    "Sau 5 năm, chi phí giảm 2,5 lần.",             # a duration and a multiple
    "Mạng 5G phủ sóng; doanh thu đạt 2.000 tỷ.",    # a number in a name, a scale with no unit
    "Mật độ đạt 135,53 thuê bao/100 dân.",          # a rate
    "Chỉ số đạt 0,71 điểm.",                         # points are an index, not a count
])
def test_not_quantities(text):
    assert [c for c in find_quantities(text)] == []


def test_dates_percents_and_document_numbers_win_overlaps():
    doc = extract("Ngày 15/6/2025, Quyết định số 749/QĐ-TTg giao 90% việc cho 12 tỉnh.", published="2025-06-20")
    labels = [(s.label_, s.text) for s in doc.spans["mentions"]]
    assert ("QUANTITY", "12 tỉnh") in labels
    assert not any(lab == "QUANTITY" and "749" in t for lab, t in labels)


def test_quantities_in_the_bundled_corpus():
    span = find(corpus_docs()["002"], "QUANTITY", "130.280 tỷ đồng")
    assert span._.value == {"number": 130_280_000_000_000, "unit": "VND"}
