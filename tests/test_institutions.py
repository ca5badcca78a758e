"""INSTITUTION rules on the corpus sentences named in issue #2; data-driven knowledge base."""
import pytest

from pipeline.institutions import find_institutions, knowledge_base
from pipeline.resources import load_table

from helpers import corpus_docs, find, labels_over, texts

MIC = "Bộ Thông tin và Truyền thông"


@pytest.mark.parametrize("art, surface, value", [
    ("000", "Bộ TT&TT", MIC),
    ("004", "Bộ TT-TT", MIC),
    ("003", "Bộ Thông tin và Truyền thông", MIC),
    ("001", "Uỷ ban Quốc gia về Chính phủ điện tử", "Ủy ban Quốc gia về Chính phủ điện tử"),
    ("000", "Ủy ban quốc gia về chuyển đổi số", "Ủy ban Quốc gia về chuyển đổi số"),
    ("002", "UBND tỉnh Bến Tre", "Ủy ban nhân dân tỉnh Bến Tre"),
    ("000", "Ngân hàng Nhà nước", "Ngân hàng Nhà nước Việt Nam"),
    ("000", "Liên hợp quốc", "Liên Hợp Quốc"),
    ("003", "Bộ Chính trị", "Bộ Chính trị"),
])
def test_institutions_in_corpus(art, surface, value):
    assert find(corpus_docs()[art], "INSTITUTION", surface)._.value == value


def test_renamed_committee_gives_two_bodies_with_the_rename_recorded():
    doc = corpus_docs()["000"]
    old = find(doc, "INSTITUTION", "Ủy ban quốc gia về Chính phủ điện tử")
    new = find(doc, "INSTITUTION", "Ủy ban quốc gia về chuyển đổi số")
    assert old._.value != new._.value
    kb = knowledge_base()
    assert kb.bodies[old._.info["id"]].successor == new._.info["id"]


def test_unit_and_parent_in_brackets_are_two_mentions():
    doc = corpus_docs()["003"]
    assert ("INSTITUTION", "Vụ Khoa học và Công nghệ") in labels_over(doc, "Vụ Khoa học và Công nghệ (Bộ Công Thương)")
    assert find(doc, "INSTITUTION", "Bộ Công Thương")._.value == "Bộ Công Thương"


def test_coordinated_ministries_are_three_mentions():
    doc = corpus_docs()["000"]
    over = labels_over(doc, "3 Bộ Y tế, Công an và TT&TT")
    assert over == [("INSTITUTION", "Bộ Y tế"), ("INSTITUTION", "Công an"), ("INSTITUTION", "TT&TT")]
    values = [s._.value for s in doc.spans["mentions"] if s.text in ("Công an", "TT&TT") and s.label_ == "INSTITUTION"]
    assert values[:2] == ["Bộ Công an", MIC]


@pytest.mark.parametrize("art, phrase", [
    ("000", "Chính phủ điện tử hiểu"), ("000", "Chính phủ số là"), ("000", "Thủ tướng đã phê duyệt"),
    ("000", "Thủ tướng Chính phủ Phạm Minh Chính"), ("000", "cho Viettel, VNPT và MobiFone"),
    ("000", "quỹ đầu tư Andreessen Horowitz"), ("001", "Uỷ ban đã tổ chức"), ("004", "khu vực ASEAN"),
    ("002", "Ngành TT&TT bước vào"),
])
def test_not_institutions(art, phrase):
    assert [lab for lab, _ in labels_over(corpus_docs()[art], phrase) if lab == "INSTITUTION"] == []


def test_body_inside_a_title_is_annotated():
    doc = corpus_docs()["002"]
    assert find(doc, "INSTITUTION", "Bộ TT&TT", after="Bộ trưởng ")._.value == MIC


def test_issuer_code_inside_a_document_number_is_no_institution():
    assert texts(corpus_docs()["002"], "INSTITUTION").count("BTTTT") == 0


def test_unit_written_before_its_parent_nests_the_parent():
    found = [(c.value, c.start, c.end) for c in find_institutions("Phòng Cảnh sát giao thông Công an tỉnh Thanh Hoá cho biết")]
    assert ("Công an tỉnh Thanh Hóa", 26, 48) in found
    assert ("Phòng Cảnh sát giao thông Công an tỉnh Thanh Hóa", 0, 48) in found


@pytest.mark.parametrize("text, value", [
    ("Thành ủy Hà Nội họp", "Thành ủy Hà Nội"),
    ("Sở TT&TT Hà Nội cho biết", "Sở Thông tin và Truyền thông thành phố Hà Nội"),
    ("UBND huyện Yên Mô", "Ủy ban nhân dân huyện Yên Mô"),
    ("Bí thư Tỉnh uỷ, Chủ tịch UBND tỉnh Bến Tre", "Tỉnh ủy Bến Tre"),
])
def test_local_bodies(text, value):
    assert value in [c.value for c in find_institutions(text)]


def test_all_63_old_and_34_new_provinces_are_in_the_data():
    rows = load_table("provinces")
    before = [r for r in rows if not r["valid_from"] or r["valid_from"] <= "2025-06-30"]
    after = [r for r in rows if (not r["valid_to"] or r["valid_to"] >= "2025-07-01")]
    assert len([r for r in before if not r["valid_to"] or r["valid_to"] >= "2025-06-30"]) == 63
    assert len(after) == 34


def test_every_people_committee_of_a_province_is_recognised():
    for row in load_table("provinces"):
        text = f"UBND {row['unit']} {row['name']} ban hành kế hoạch."
        assert [c.value for c in find_institutions(text)] == [f"Ủy ban nhân dân {row['unit']} {row['name']}"], text


def test_adding_an_institution_is_a_one_line_data_change(tmp_path, monkeypatch):
    from pipeline import institutions, resources

    data = tmp_path / "resources"
    data.mkdir()
    for f in resources.RESOURCE_DIR.glob("*.tsv"):
        (data / f.name).write_bytes(f.read_bytes())
    with open(data / "institutions.tsv", "a", encoding="utf-8") as fh:
        fh.write("so-khcn-x\tViện Nghiên cứu Thử nghiệm Quốc gia\tagency\t\tVNTNQG\t\t\t\t\n")
    monkeypatch.setattr(resources, "RESOURCE_DIR", data)
    resources.load_table.cache_clear()
    institutions.knowledge_base.cache_clear()
    try:
        found = [c.value for c in find_institutions("Theo VNTNQG, kết quả tốt.")]
        assert found == ["Viện Nghiên cứu Thử nghiệm Quốc gia"]
    finally:
        resources.load_table.cache_clear()
        institutions.knowledge_base.cache_clear()
