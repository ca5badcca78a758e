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


# --- merge rules (each on sentences from the bundled corpus or written for the test) ---------------

PORTAL_DATED = ("Ngày 09/12/2019, Cổng dịch vụ công quốc gia được chính thức khai trương vào để tích hợp các "
                "dịch vụ công trực tuyến của các bộ, ngành, địa phương.")
PORTAL_BARE = "Cổng dịch vụ công quốc gia được chính thức khai trương."
AXIS = ("Ngày 12/03/2019, Trục liên thông văn bản quốc gia được khai trương vào, nhằm tăng cường trao đổi văn bản "
        "điện tử giữa các cơ quan nhà nước trên quy mô quốc gia.")


def _launch(context, date=None, article="001", position=0):
    return Statement("LAUNCH", date=date, object="", trigger="khai trương", context=context, article=article,
                     position=position)


def test_an_act_restated_in_its_article_is_one_event():
    """The body restates the lead's launch (no object was read in either): their sentences say the same."""
    ids = resolve([_launch(PORTAL_DATED, "2019-12-09", position=10), _launch(AXIS, "2019-03-12", position=20),
                   _launch(PORTAL_BARE, position=30)])
    assert ids[0] == ids[2] != ids[1]


def test_a_restatement_needs_the_same_article():
    ids = resolve([_launch(PORTAL_DATED, "2019-12-09", article="a"), _launch(PORTAL_BARE, article="b")])
    assert ids[0] != ids[1]


def test_a_document_named_without_its_number_joins_the_numbered_one_issued_that_day():
    named = Statement("ISSUANCE", date="2025-06-12", trigger="biểu quyết thông qua", article="x",
                      object="Nghị quyết về việc sắp xếp đơn vị hành chính cấp tỉnh năm 2025",
                      context="Sáng 12/6, Quốc hội đã biểu quyết thông qua Nghị quyết về việc sắp xếp đơn vị hành "
                              "chính cấp tỉnh năm 2025.")
    numbered = Statement("ISSUANCE", date="2025-06-12", trigger="thông qua", article="y",
                         documents=(("Nghị quyết", "202/2025/QH15"),), object="Nghị quyết số 202/2025/QH15",
                         context="Sáng 12-6 Quốc hội đã thông qua Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị "
                                 "hành chính cấp tỉnh.")
    other = Statement("ISSUANCE", date="2025-06-12", trigger="thông qua", article="z",
                      documents=(("Nghị quyết", "203/2025/QH15"),), object="Nghị quyết số 203/2025/QH15",
                      context="Cùng ngày, Quốc hội thông qua Nghị quyết số 203/2025/QH15 sửa đổi Hiến pháp.")
    ids = resolve([named, numbered, other])
    assert ids[0] == ids[1] != ids[2]


def test_a_body_written_two_ways_is_one_body():
    """"Bộ KH&CN" and "Bộ Khoa học và Công nghệ" are one ministry (institutions.tsv); "Sở ..." is another body."""
    ids = resolve([Statement("ORGANIZATION", object="Bộ KH&CN", trigger="thành lập", article="a"),
                   Statement("ORGANIZATION", object="Bộ Khoa học và Công nghệ", trigger="hợp nhất", article="b"),
                   Statement("ORGANIZATION", object="Sở Khoa học và Công nghệ", trigger="thành lập", article="c",
                             date="2025-07-01")])
    assert ids[0] == ids[1] != ids[2]


def test_a_meeting_is_known_by_the_document_it_adopted():
    full = Statement("MEETING", date="2025-04-12", article="a", documents=(("Nghị quyết", "60-NQ/TW"),),
                     object="Hội nghị lần thứ 11 Ban Chấp hành Trung ương Đảng khóa XIII", trigger="Hội nghị")
    short = Statement("MEETING", article="b", documents=(("Nghị quyết", "60-NQ/TW"),),
                      object="Hội nghị Trung ương", trigger="Hội nghị")
    assert len(set(resolve([full, short]))) == 1


def test_a_distinctive_count_is_one_figure_whatever_noun_counts_it():
    a = Statement("RESULT", values=((1165289.0,),), unit="thí sinh", article="d19", trigger="có",
                  object="đăng ký dự thi tốt nghiệp THPT năm 2025")
    b = Statement("RESULT", values=((1165289.0,),), unit="người", article="d20", trigger="là",
                  object="tổng số thí sinh đăng ký")
    small = [Statement("RESULT", values=((34.0,),), unit=u, article=x, trigger="có", object="cả nước")
             for u, x in (("tỉnh", "a"), ("đơn vị", "b"))]
    ids = resolve([a, b, *small])
    assert ids[0] == ids[1] and ids[2] != ids[3]  # 34 provinces and 34 units: too small a number to say


def test_a_copied_sentence_states_the_same_common_figure():
    s1 = ("Phấn đấu đến hết năm 2025, 100% thủ tục hành chính đủ điều kiện được cung cấp dịch vụ công trực "
          "tuyến toàn trình.")
    s2 = "Tỉnh phấn đấu đến hết năm 2025, 100% thủ tục hành chính đủ điều kiện được cung cấp trực tuyến toàn trình."
    s3 = "Phấn đấu đến hết năm 2025, 100% xã có điểm phục vụ bưu chính."
    sts = [Statement("TARGET", values=((100.0,),), unit="%", context=c, article=a, trigger="cung cấp")
           for c, a in ((s1, "a"), (s2, "b"), (s3, "c"))]
    ids = resolve(sts)
    assert ids[0] == ids[1] != ids[2]


# --- keep-apart rules ---------------------------------------------------------------------------------

def test_consolidating_and_renaming_a_body_the_same_day_are_two_acts():
    ctx = ("Ngày 24/9, Ủy ban quốc gia về Chính phủ điện tử vừa được kiện toàn, đổi tên thành Ủy ban quốc gia "
           "về chuyển đổi số.")
    sts = [Statement("ORGANIZATION", date="2021-09-24", object="Ủy ban quốc gia về Chính phủ điện tử", trigger=t,
                     context=ctx, article="000", position=p) for t, p in (("kiện toàn", 1), ("đổi tên", 2))]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_a_rise_and_a_fall_by_the_same_amount_are_two_figures():
    sts = [Statement("RESULT", date="2024", values=((12.7,),), unit="%", object="xuất khẩu dệt may", trigger=t)
           for t in ("tăng", "giảm")]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_announcing_a_document_is_another_act_than_issuing_it():
    sts = [Statement("ISSUANCE", documents=(("Quyết định", "328-QĐ/TW"),), object="Quyết định số 328-QĐ/TW",
                     trigger=t, date=d, article="d06") for t, d in (("ký", "2025-06-24"), ("công bố", "2025-06-30"))]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_regular_meetings_in_two_articles_need_something_that_names_the_same_one():
    briefing = [Statement("MEETING", object="họp báo thường kỳ", trigger="họp báo", article=a, agent=ag)
                for a, ag in (("d15", ""), ("d24", ""))]
    assert len(set(resolve(briefing))) == 2
    dated = [Statement("MEETING", object="họp báo thường kỳ", trigger="họp báo", article=a, date="2025-10-16")
             for a in ("d14", "d15")]
    assert len(set(resolve(dated))) == 1


def test_an_extraordinary_session_is_not_the_regular_one_with_that_number():
    sts = [Statement("MEETING", date="2025-02-18", object="Kỳ họp bất thường lần thứ 9", article="a"),
           Statement("MEETING", object="Kỳ họp thứ 9", article="b"),
           Statement("MEETING", date="2025-06-12", object="Kỳ họp thứ 9", article="c")]
    ids = resolve(sts)
    assert ids[1] == ids[2] != ids[0]


def test_two_days_of_unknown_year_never_merge():
    assert not compatible_dates("XXXX-10-11", "XXXX-10-25")
    assert compatible_dates("XXXX-10-11", "2025-10-11")
    sts = [Statement("MEETING", date="XXXX-10-11", object="Hội nghị Trung ương 7 khóa XVIII", article="a"),
           Statement("MEETING", date="XXXX-10-25", object="Hội nghị Trung ương 7 khóa XVIII", article="b")]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_two_acting_bodies_are_two_acts():
    sts = [Statement("ISSUANCE", object="nghị quyết về sắp xếp đơn vị hành chính cấp xã", trigger="ban hành",
                     agent=a, article=x) for a, x in (("Quốc hội", "a"), ("Ủy ban Thường vụ Quốc hội", "b"))]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_the_same_uncommon_value_in_another_article_must_measure_the_same_thing():
    online = Statement("RESULT", date="2024", values=((58.7,),), unit="%", article="d11", trigger="đạt",
                       object="tỷ lệ hồ sơ được tiếp nhận, giải quyết trực tuyến của tỉnh")
    invest = Statement("RESULT", values=((58.7,),), unit="%", article="d43", trigger="đạt",
                       object="giải ngân vốn đầu tư công")
    again = Statement("RESULT", values=((58.7,),), unit="%", article="x", trigger="đạt",
                      object="tỷ lệ hồ sơ giải quyết trực tuyến")
    ids = resolve([online, invest, again])
    assert ids[0] == ids[2] != ids[1]


def test_an_event_keeps_one_scope_of_indicator():
    """An undated "tăng trưởng" target may join the GDP one or the GRDP one, never both into one event."""
    sts = [Statement("TARGET", date="2025", values=((8.0,),), unit="%", object="tăng trưởng GDP", article="a"),
           Statement("TARGET", date="2025", values=((8.0,),), unit="%", object="mục tiêu tăng trưởng", article="b"),
           Statement("TARGET", date="2025", values=((8.0,),), unit="%", object="tăng trưởng GRDP", article="c")]
    ids = resolve(sts)
    assert ids[0] != ids[2]


def test_events_that_share_a_weak_key_get_different_ids():
    """Two different renamings whose objects share words: one id each (ids never collide)."""
    sts = [Statement("ORGANIZATION", object="Cục Công nghiệp công nghệ thông tin và Truyền thông",
                     trigger="đổi tên", article="d01"),
           Statement("ORGANIZATION", object="Trung tâm Công nghệ thông tin và Truyền thông", trigger="đổi tên",
                     article="d11")]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_stop_words_keep_their_diacritics():
    from pipeline.resolve import _words

    assert "dang" in _words("đăng ký dự thi") and "dang" not in _words("đang triển khai")


def test_a_ministry_and_a_provincial_department_of_one_name_are_two_bodies():
    c1 = "Bộ Tài chính được tổ chức lại trên cơ sở hợp nhất Bộ Kế hoạch và Đầu tư và Bộ Tài chính."
    c2 = "Tương tự, Sở Tài chính được tổ chức lại trên cơ sở hợp nhất Sở Kế hoạch và Đầu tư và Sở Tài chính."
    sts = [Statement("ORGANIZATION", object=o, trigger="tổ chức lại", context=c, article="a", position=p)
           for o, c, p in (("Bộ Tài chính", c1, 1), ("Sở Tài chính", c2, 2))]
    ids = resolve(sts)
    assert ids[0] != ids[1]


def test_the_resolution_benchmark_builds_stories_that_resolve_as_stories(tmp_path):
    """``vnevents bench --resolve``: the same synthetic run for the same size; the articles of one story
    state its events, which resolve to one event each, and two stories stay apart."""
    import pandas as pd

    from pipeline.bench import STORY_ARTICLES, write_synthetic_run
    from pipeline.canonical import write_canonical

    row = {"type": "ISSUANCE", "trigger": "ban hành", "trigger_start": 10, "trigger_end": 18,
           "date_value": "2025-03-02", "documents": "55/2025/NĐ-CP", "doc_types": "Nghị định",
           "object": "Nghị định số 55/2025/NĐ-CP", "agent": "Chính phủ",
           "sentence": "Ngày 02/3/2025, Chính phủ đã ban hành Nghị định số 55/2025/NĐ-CP.", "source": "",
           "published": "2025-03-03"}
    sources = [[{**row, "article_id": "s", "event": 0}]]
    n = 2 * STORY_ARTICLES
    assert write_synthetic_run(tmp_path / "a", n, sources) == write_synthetic_run(tmp_path / "b", n, sources) == n
    assert (tmp_path / "a" / "predictions.jsonl").read_bytes() == (tmp_path / "b" / "predictions.jsonl").read_bytes()
    write_canonical(tmp_path / "a")
    events = pd.read_parquet(tmp_path / "a" / "events.parquet")
    stories = events.groupby(events["article_id"].str[-7:].astype(int) // STORY_ARTICLES)["canonical"].nunique()
    assert list(stories) == [1, 1] and events["canonical"].nunique() == 2


def test_evaluate_lists_missed_and_wrong_canonical_links():
    from pipeline.evaluate import EventScores, link_errors

    es = EventScores()
    ev = {"type": "ISSUANCE", "trigger": {"start": 0, "end": 3}}
    for gold, pred in (("iss-1", "a"), ("iss-1", "b"), ("iss-1", "b"), ("iss-2", "b")):
        es.links.append((gold, pred))
        es.linked.append(("x", "abc", ev))
    split, joined = link_errors(es)
    assert [(n, k) for n, k, _ in split] == [(2, "iss-1")]   # a|b, a|b: two links missed
    assert [(n, k) for n, k, _ in joined] == [(2, "b")]      # iss-2 wrongly with each iss-1 statement of b


def test_a_department_acts_for_its_ministry_but_a_committee_not_for_its_parliament():
    from pipeline.resolve import related_bodies

    assert related_bodies("Cục Thống kê", "Bộ Tài chính")
    assert not related_bodies("Ủy ban Thường vụ Quốc hội", "Quốc hội")
    head = Statement("ISSUANCE", trigger="công bố", object="số liệu kinh tế - xã hội", agent="Cục Thống kê",
                     article="d23", context="Cục Thống kê công bố số liệu kinh tế - xã hội quý III và 9 tháng năm 2025")
    body = Statement("ISSUANCE", trigger="công bố", object="số liệu thống kê kinh tế - xã hội", agent="Bộ Tài chính",
                     article="d23", date="2025-10-06", position=100,
                     context="Sáng 6/10/2025, tại Hà Nội, Cục Thống kê (Bộ Tài chính) tổ chức họp báo công bố số "
                             "liệu thống kê kinh tế - xã hội quý III và 9 tháng năm 2025.")
    assert len(set(resolve([head, body]))) == 1


def test_a_short_name_inside_a_longer_one_is_no_conflict_but_two_laws_are():
    ctx1 = "Công bố tỷ trọng giá trị tăng thêm của kinh tế số trong GDP, GRDP giai đoạn 2020 - 2024"
    ctx2 = ("Sáng 6/1/2025, Tổng cục Thống kê công bố kết quả biên soạn chỉ tiêu tỷ trọng giá trị tăng thêm của "
            "kinh tế số trong GDP và GRDP giai đoạn 2020 - 2024.")
    sts = [Statement("ISSUANCE", trigger="công bố", object="tỷ trọng giá trị tăng thêm", context=ctx1, article="a"),
           Statement("ISSUANCE", trigger="công bố", article="a", position=50, date="2025-01-06", context=ctx2,
                     object="kết quả biên soạn chỉ tiêu tỷ trọng giá trị tăng thêm")]
    assert len(set(resolve(sts))) == 1
    law1 = "Trước đó, Quốc hội đã thông qua Luật Tổ chức Chính phủ (sửa đổi) với 463/465 đại biểu tham gia."
    law2 = "Theo chương trình, sáng 19/2, Quốc hội sẽ biểu quyết thông qua Luật Tổ chức chính quyền địa phương (sửa đổi)."
    laws = [Statement("ISSUANCE", trigger="thông qua", object="Luật Tổ chức Chính phủ", context=law1, article="b"),
            Statement("ISSUANCE", trigger="biểu quyết thông qua", object="Luật Tổ chức chính quyền địa phương",
                      context=law2, article="b", position=80, date="2025-02-19")]
    assert len(set(resolve(laws))) == 2


def test_a_distinctive_amount_in_two_articles_is_one_figure_however_its_indicator_is_worded():
    s1 = Statement("TARGET", date="2026/2030", values=((126500000000.0,),), unit="VND", article="d34",
                   trigger="bố trí", object="", context="Sở Tài chính tham mưu bố trí 126,5 tỷ đồng để thực hiện Kế "
                                                          "hoạch trong giai đoạn 2026-2030.")
    s2 = Statement("TARGET", date="2026/2030", values=((126500000000.0,),), unit="VND", article="d35",
                   trigger="là", object="Tổng kinh phí dự kiến cho",
                   context="Tổng kinh phí dự kiến cho giai đoạn 2026-2030 là 126,5 tỷ đồng.")
    s3 = Statement("TARGET", date="2026/2030", values=((126000000000.0,),), unit="VND", article="x",
                   trigger="là", object="Tổng kinh phí dự kiến cho")
    ids = resolve([s1, s2, s3])
    assert ids[0] == ids[1] != ids[2]


def test_a_headline_act_joins_the_lead_that_names_its_documents_in_the_plural():
    from pipeline.resolve import object_head

    assert object_head("các quyết định") == object_head("quyết định thành lập") == "quyết định"
    head = Statement("ISSUANCE", trigger="Công bố", object="quyết định thành lập", article="d07",
                     context="Công bố quyết định thành lập 4 đảng bộ trực thuộc Trung ương")
    lead = Statement("ISSUANCE", trigger="công bố", object="các quyết định", article="d07", position=144,
                     date="2025-02-03", context="Sáng 3/2/2025, Thường trực Ban Bí thư tổ chức Hội nghị công bố các "
                                                "quyết định của Bộ Chính trị về việc thành lập 4 đảng bộ trực thuộc "
                                                "Trung ương.")
    assert len(set(resolve([head, lead]))) == 1


def test_one_count_under_two_nouns_when_one_noun_is_in_the_other():
    a = Statement("RESULT", values=((34.0,),), unit="tỉnh", object="cả nước", article="d05", trigger="còn",
                  context="Quốc hội thông qua Nghị quyết sắp xếp đơn vị hành chính cấp tỉnh, cả nước còn 34 tỉnh, thành")
    b = Statement("RESULT", values=((34.0,),), unit="đơn vị", object="hành chính cấp tỉnh", article="d38",
                  trigger="có", context="Theo Nghị quyết, cả nước có 34 đơn vị hành chính cấp tỉnh.")
    c = Statement("RESULT", values=((34.0,),), unit="xã", object="cả nước", article="x", trigger="có",
                  context="Sau sắp xếp, huyện có 34 xã.")
    ids = resolve([a, b, c])
    assert ids[0] == ids[1] != ids[2]


def test_statements_of_one_sentence_are_different_events():
    from pipeline.resolve import Statement, resolve
    sentence = "Năm 2025 phải cắt giảm ít nhất 37,5% thời gian giải quyết và 37,5% chi phí tuân thủ."
    a = Statement("TARGET", values=((37.5,),), unit="%", object="thời gian giải quyết", article="x",
                  position=10, trigger="cắt giảm", context=sentence, date="2025")
    b = Statement("TARGET", values=((37.5,),), unit="%", object="", article="x",
                  position=10, trigger="cắt giảm", context=sentence, date="2025")
    ids = resolve([a, b])
    assert ids[0] != ids[1]


def test_a_meeting_named_by_its_noun_alone_is_the_one_just_named():
    text = ("Sáng 13/1/2025, Bộ Chính trị tổ chức Hội nghị toàn quốc về phát triển khoa học và chuyển đổi số. "
            "Hội nghị được kết nối trực tuyến tới 12.000 điểm cầu. "
            "Chiều 14/1/2025, Bộ Tài chính tổ chức Hội thảo về dữ liệu. Hội thảo diễn ra tại Hà Nội.")
    recs = _records(text)
    meetings = [e for e in recs[0]["events"] if e["type"] == "MEETING"]
    names = [recs[0]["text"][e["object"]["start"]:e["object"]["end"]] for e in meetings]
    assert names[1] == "Hội nghị" and names[3] == "Hội thảo"  # the name ends where the sentence goes on
    resolve_records(recs)
    ids = [e["canonical"] for e in meetings]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]


def test_one_document_is_one_issuance_whoever_is_said_to_issue_it():
    """Two bodies said to issue one numbered resolution (its signer's, its issuer's) do not make two acts."""
    recs = _records("Ngày 22/12/2024, Ban Bí thư ban hành Nghị quyết 57-NQ/TW về chuyển đổi số.",
                    "Nghị quyết 57-NQ/TW được Bộ Chính trị ban hành ngày 22/12/2024.",
                    "Ngày 9/1/2025, Chính phủ ban hành Nghị quyết số 03/NQ-CP về chương trình hành động.")
    resolve_records(recs)
    ids = [e["canonical"] for r in recs for e in r["events"] if e["type"] == "ISSUANCE"]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]


def test_a_document_cited_in_another_comma_part_is_not_the_one_issued():
    text = ("Thực hiện Nghị quyết số 66/NQ-CP ngày 26/3/2025 của Chính phủ, Bộ Tài chính đã ban hành quyết định "
            "phê duyệt phương án cắt giảm thủ tục. Quyết định số 749/QĐ-TTg ngày 3/6/2020 phê duyệt Chương trình "
            "Chuyển đổi số quốc gia.")
    rec = _records(text)[0]
    issued = [rec["text"][e["object"]["start"]:e["object"]["end"]] for e in rec["events"] if e["type"] == "ISSUANCE"]
    assert issued[0].startswith("quyết định phê duyệt phương án")
    assert issued[1] == "Quyết định số 749/QĐ-TTg"  # the document before its verb is its subject, not cited


def test_a_merger_is_one_event_however_its_object_is_cut():
    recs = _records("Tỉnh Tuyên Quang mới được thành lập trên cơ sở nhập tỉnh Hà Giang và tỉnh Tuyên Quang.",
                    "Theo nghị quyết, tỉnh Hà Giang và tỉnh Tuyên Quang được hợp nhất thành tỉnh Tuyên Quang; "
                    "tỉnh Lào Cai và tỉnh Yên Bái được hợp nhất thành tỉnh Lào Cai.")
    resolve_records(recs)
    ids = [e["canonical"] for r in recs for e in r["events"] if e["type"] == "ORGANIZATION"]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]


def test_a_rank_is_a_value_and_a_move_of_rank_is_not_the_position_it_reaches():
    from pipeline.records import event_rows

    recs = _records("Năm 2020, xếp hạng chính phủ điện tử của Việt Nam theo Liên Hợp Quốc đứng thứ 86/193 quốc gia.",
                    "Theo Liên Hợp Quốc, năm 2020 Việt Nam xếp hạng 86 về chính phủ điện tử, tăng 2 bậc. "
                    "Chỉ số chính phủ điện tử tăng hạng từ thứ 88 lên thứ 86.")
    rows = [row for r in recs for row in event_rows(r) if row["type"] == "RESULT"]
    values = [(row["trigger"], row["value_number"], row["value_low"], row["value_high"], row["value_unit"])
              for row in rows]
    assert values == [("đứng thứ", 86.0, 86.0, 86.0, "rank"), ("xếp hạng", 86.0, 86.0, 86.0, "rank"),
                      ("tăng", 2.0, 2.0, 2.0, "bậc"), ("tăng hạng", None, 88.0, 86.0, "rank")]
    resolve_records(recs)
    ids = [e["canonical"] for r in recs for e in r["events"] if e["type"] == "RESULT"]
    assert ids[0] == ids[1] and ids[3] != ids[1]


def test_names_that_give_different_periods_are_different_events():
    st = [Statement("MEETING", object="Phiên họp Chính phủ thường kỳ tháng 1/2025", article="a", context="x",
                    position=0),
          Statement("MEETING", object="Phiên họp Chính phủ thường kỳ tháng 1/2025", article="a", context="y",
                    position=90),
          Statement("MEETING", object="Phiên họp Chính phủ thường kỳ tháng 9/2025", article="a", context="z",
                    position=400)]
    ids = resolve(st)
    assert ids[0] == ids[1] != ids[2]


def test_statements_decoded_again_when_the_window_of_recent_ones_is_full_resolve_alike(monkeypatch):
    """Blocks read their statements back from the store through a bounded window; when it is full, the
    members of the block already read must stay (they were dropped: a KeyError on large runs)."""
    import json

    from helpers import DEV, GOLD

    from pipeline import resolve as resolve_module

    sts = []
    for path in (DEV, GOLD):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            for st in resolve_module.statements_of(rec):
                st.article = str(rec["id"])
                sts.append(st)
    expected = resolve(sts)
    monkeypatch.setattr(resolve_module, "_RECENT", 0)
    assert resolve(sts) == expected
    assert len(set(expected)) < len(sts)  # the gold statements do merge: the blocks were compared


def test_an_event_with_documents_takes_only_statements_that_share_one():
    """The union-find keeps each cluster's documents (in the store, not in memory): a cluster of two
    documents takes a statement of either, never one of a third; a merged cluster keeps them all."""
    import sqlite3

    from pipeline.resolve import _Clusters

    def issued(*numbers):
        return Statement("ISSUANCE", documents=tuple(("Nghị quyết", n) for n in numbers))

    clusters = _Clusters(sqlite3.connect(":memory:"))
    for i, st in enumerate([issued("202/2025/QH15", "203/2025/QH15"), issued("202/2025/QH15"),
                            issued("204/2025/QH15"), issued("203/2025/QH15", "205/2025/QH15"),
                            issued("205/2025/QH15"), issued("206/2025/QH15")]):
        clusters.add(i, st)
    find = clusters.find
    assert clusters.union(find(1), find(0))          # 202 is one of {202, 203}
    assert not clusters.union(find(2), find(0))      # 204 is neither
    assert clusters.union(find(3), find(0))          # {203, 205} meets {202, 203}: {202, 203, 205}
    assert clusters.union(find(4), find(0))          # 205 came with the merge
    assert not clusters.union(find(5), find(0))
    assert not clusters.union(find(0), find(2))      # refused from either side
    assert len({find(i) for i in range(6)}) == 3


def test_the_union_find_stores_small_numbers_in_one_byte_and_widens_for_larger_ones():
    from pipeline.resolve import _Ints

    values = [0, 5, 127, -128, 128, -40_000, 40_000, 2**31, -(2**40)]
    ints = _Ints()
    for v in values[:4]:
        ints.append(v)
    assert ints.items.itemsize == 1
    for v in values[4:]:
        ints.append(v)
    ints[0] = 2**50
    assert ints.items.itemsize == 8
    assert [ints[i] for i in range(len(ints))] == [2**50] + values[1:]
