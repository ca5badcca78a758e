"""INSTITUTION rules on the corpus sentences named in issue #2; data-driven knowledge base."""
import pytest

from pipeline import extract
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


# ---- names outside the knowledge base, local and foreign bodies (sentences written for the project)

def _inst(text, published="2025-06-01"):
    doc = extract(text, published=published)
    return [(s.text, s._.value) for s in doc.spans["mentions"] if s.label_ == "INSTITUTION"]


@pytest.mark.parametrize("text, expected", [
    ("Cục Quản lý cạnh tranh đã công bố kết luận điều tra.", [("Cục Quản lý cạnh tranh", "Cục Quản lý cạnh tranh")]),
    ("Phòng Kỹ thuật hình sự cho biết mẫu vật đã được gửi đi.",
     [("Phòng Kỹ thuật hình sự", "Phòng Kỹ thuật hình sự")]),
    ("Bộ trưởng giao Vụ Pháp chế và Vụ Tổ chức cán bộ chủ trì rà soát quy chế.",
     [("Vụ Pháp chế", "Vụ Pháp chế"), ("Vụ Tổ chức cán bộ", "Vụ Tổ chức cán bộ")]),
    ("Cục Phát triển công nghệ và Đổi mới sáng tạo được giao nhiệm vụ mới.",
     [("Cục Phát triển công nghệ và Đổi mới sáng tạo", "Cục Phát triển công nghệ và Đổi mới sáng tạo")]),
    ("Trường THPT Chu Văn An tổ chức lễ khai giảng.",
     [("Trường THPT Chu Văn An", "Trường Trung học phổ thông Chu Văn An")]),
])
def test_names_run_over_lower_case_specifiers(text, expected):
    assert _inst(text) == expected


def test_head_nouns_need_a_name_and_headlines_in_capitals_name_no_body():
    assert _inst("Trung tâm dữ liệu tập trung của tỉnh chưa được đưa vào sử dụng.") == []
    assert _inst("Khoa học và công nghệ là động lực phát triển.") == []
    assert _inst("CƠ SỞ XÉT NGHIỆM BỊ THU HỒI GIẤY PHÉP") == []


@pytest.mark.parametrize("text, expected", [
    ("Sở LĐ-TB&XH TP.HCM quản lý hai cơ sở cai nghiện.",
     [("Sở LĐ-TB&XH TP.HCM", "Sở Lao động - Thương binh và Xã hội Thành phố Hồ Chí Minh")]),
    ("Công an quận 8 phối hợp UBND quận 8 kiểm tra.",
     [("Công an quận 8", "Công an quận 8"), ("UBND quận 8", "Ủy ban nhân dân quận 8")]),
    ("Lực lượng Công an Q.Bình Thạnh đã bắt giữ đối tượng.", [("Công an Q.Bình Thạnh", "Công an quận Bình Thạnh")]),
    ("Tại TP.HCM, đại diện CATP cho biết sẽ tăng cường tuần tra.", [("CATP", "Công an Thành phố Hồ Chí Minh")]),
    ("Sở Y tế TPHCM và Sở Y tế TP Hồ Chí Minh là một.",
     [("Sở Y tế TPHCM", "Sở Y tế Thành phố Hồ Chí Minh"), ("Sở Y tế TP Hồ Chí Minh", "Sở Y tế Thành phố Hồ Chí Minh")]),
    ("Sau khi Thanh tra Sở Y tế Hà Nội phát hiện sai phạm, cơ sở bị Thanh tra Sở xử phạt.",
     [("Thanh tra Sở Y tế Hà Nội", "Thanh tra Sở Y tế thành phố Hà Nội"), ("Thanh tra Sở", "Thanh tra Sở")]),
    ("Đảng bộ Chính phủ trực thuộc Ban Chấp hành Trung ương Đảng.",
     [("Đảng bộ Chính phủ", "Đảng bộ Chính phủ"),
      ("Ban Chấp hành Trung ương Đảng", "Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam")]),
])
def test_local_bodies_and_locality_forms(text, expected):
    assert _inst(text) == expected


def test_province_of_a_bare_committee_comes_from_the_article():
    got = _inst("Tỉnh Quảng Ninh đẩy mạnh chuyển đổi số. Sau hội nghị, UBND tỉnh giao các sở triển khai.")
    assert got == [("UBND tỉnh", "Ủy ban nhân dân tỉnh Quảng Ninh")]


def test_foreign_bodies_keep_their_own_identity():
    doc = extract("Chính phủ Hàn Quốc nâng lương tối thiểu; Bộ Quốc phòng Nga thông báo; "
                  "Đại hội của Đảng Cộng sản Trung Quốc khai mạc.", published="2017-10-18")
    got = [(s.text, s._.value, s._.info.get("country"), s._.info.get("id")) for s in doc.spans["mentions"]
           if s.label_ == "INSTITUTION"]
    assert got == [("Chính phủ Hàn Quốc", "Chính phủ Hàn Quốc", "KR", None),
                   ("Bộ Quốc phòng Nga", "Bộ Quốc phòng Nga", "RU", None),
                   ("Đảng Cộng sản Trung Quốc", "Đảng Cộng sản Trung Quốc", "CN", None)]


def test_credits_are_no_mentions_and_the_agency_acting_is():
    assert _inst("Các đại biểu dự phiên khai mạc. Ảnh: AFP/TTXVN") == []
    assert _inst("Hà Nội (TTXVN) - Sáng nay, hội nghị khai mạc.") == []
    assert _inst("TTXVN đã ký kết thỏa thuận hợp tác.") == [("TTXVN", "Thông tấn xã Việt Nam")]


def test_term_in_span_and_abbreviation_reused():
    got = _inst("Quốc hội khóa XV đã họp. Bộ Khoa học và Công nghệ (KH&CN) cho biết KH&CN sẽ hoàn thành.")
    assert got == [("Quốc hội khóa XV", "Quốc hội"), ("Bộ Khoa học và Công nghệ", "Bộ Khoa học và Công nghệ"),
                   ("KH&CN", "Bộ Khoa học và Công nghệ"), ("KH&CN", "Bộ Khoa học và Công nghệ")]


def test_party_bodies_after_a_foreign_party_belong_to_it():
    got = _inst("Đại hội XIX của Đảng Cộng sản Trung Quốc khai mạc. Bộ Chính trị sẽ được bầu tại Hội nghị.",
                published="2017-10-18")
    assert got == [("Đảng Cộng sản Trung Quốc", "Đảng Cộng sản Trung Quốc"),
                   ("Bộ Chính trị", "Bộ Chính trị Đảng Cộng sản Trung Quốc")]


def test_a_unit_named_with_its_parent_after_its_abbreviation():
    got = _inst("Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (PA05) Công an tỉnh Nghệ An "
                "đã phát hiện 37 trường hợp. Theo PA05, số vụ tăng.")
    unit = "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao Công an tỉnh Nghệ An"
    assert got == [("Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao", unit), ("PA05", unit),
                   ("Công an tỉnh Nghệ An", "Công an tỉnh Nghệ An"), ("PA05", unit)]
