"""The bundled gold validates; the validator catches each kind of problem; the evaluator's output."""
import json

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.gold import ACT_TYPES, MENTION_TYPES, validate_file

from helpers import DEV, GOLD


def test_bundled_gold_is_valid():
    assert validate_file(GOLD) == []
    recs = [json.loads(line) for line in GOLD.open(encoding="utf-8")]
    assert sorted(r["id"] for r in recs) == ["000", "001", "002", "003", "004"]
    assert set().union(*({m["type"] for m in r["mentions"]} for r in recs)) == set(MENTION_TYPES)
    for r in recs:  # version 2: every event carries its canonical key, acts their status
        assert all(e["canonical"] for e in r["events"])
        assert all(e["status"] in ("done", "planned") for e in r["events"] if e["type"] in ACT_TYPES)


def test_dev_gold_is_valid_and_large_enough():
    assert validate_file(DEV) == []
    recs = [json.loads(line) for line in DEV.open(encoding="utf-8")]
    assert len(recs) >= 40
    assert sum(len(r["mentions"]) for r in recs) >= 600
    assert sum(len(r["events"]) for r in recs) >= 250
    keys = {}
    for r in recs:
        for e in r["events"]:
            keys.setdefault(e["canonical"], set()).add(r["id"])
    assert sum(1 for ids in keys.values() if len(ids) > 1) >= 4  # events stated in several passages


def _good():
    text = "Ngày 15/6/2021, Bộ TT&TT ban hành Quyết định số 749/QĐ-TTg, đạt 90,81%."
    return {"id": "x", "source": "x.txt", "published": None, "text": text, "mentions": [
        {"start": 0, "end": 14, "type": "DATE", "text": "Ngày 15/6/2021", "value": "2021-06-15"},
        {"start": 16, "end": 24, "type": "INSTITUTION", "text": "Bộ TT&TT", "value": "Bộ Thông tin và Truyền thông"},
        {"start": 34, "end": 58, "type": "DOCREF", "text": "Quyết định số 749/QĐ-TTg", "value": "749/QĐ-TTg",
         "doc_type": "Quyết định"},
        {"start": 64, "end": 70, "type": "PERCENT", "text": "90,81%", "value": 90.81}],
        "events": [{"type": "ISSUANCE", "trigger": {"start": 25, "end": 33}, "date": 0, "agent": 1,
                    "institutions": [1], "documents": [2], "percents": [], "quantities": [],
                    "object": {"start": 34, "end": 58}, "status": "done", "canonical": "iss-749/QĐ-TTg"},
                   {"type": "RESULT", "trigger": {"start": 60, "end": 63}, "date": None, "agent": None,
                    "institutions": [], "documents": [], "percents": [3], "quantities": [], "object": None,
                    "status": None, "canonical": "res-1"}]}


def _write(tmp_path, *records, raw_lines=()):
    path = tmp_path / "g.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_record_passes(tmp_path):
    assert validate_file(_write(tmp_path, _good())) == []


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["mentions"][0].update(end=13), "text[0:13]"),
    (lambda r: r["mentions"][0].update(end=999), "out of range"),
    (lambda r: r["mentions"][0].update(type="TIME"), "unknown type"),
    (lambda r: r["mentions"][0].update(value="15/6/2021"), "not a TIMEX3"),
    (lambda r: r["mentions"][0].update(value="2021-02-30"), "not a TIMEX3"),
    (lambda r: r["mentions"][3].update(value="90,81"), "not a number"),
    (lambda r: r["mentions"][3].update(value=[30, 20]), "not a number"),
    (lambda r: r["mentions"][2].update(value="749 / QĐ-TTg"), "canonical"),
    (lambda r: r["mentions"][2].update(doc_type="Sắc lệnh đặc biệt"), "doc_type"),
    (lambda r: r["mentions"][0].update(mod="LATE"), "mod"),
    (lambda r: r["mentions"].reverse(), "not sorted"),
    (lambda r: r["mentions"].insert(1, {"start": 5, "end": 20, "type": "DATE", "text": r["text"][5:20],
                                         "value": "2021"}), "overlap"),
    (lambda r: r["events"][0].update(date=1), "DATE mention"),
    (lambda r: r["events"][0].update(documents=[7]), "points at no mention"),
    (lambda r: r["events"][0].update(percents=[0]), "not PERCENT"),
    (lambda r: r["events"][0].update(type="PARTY"), "unknown type"),
    (lambda r: r["events"][0].update(agent=0), "INSTITUTION mention"),
    (lambda r: r["events"][0].update(agent=1, institutions=[]), "not one of the event's institutions"),
    (lambda r: r["events"][1].update(agent=1, institutions=[1]), "figure event has no agent"),
    (lambda r: r["events"][0].update(object={"start": 50, "end": 999}), "object"),
    (lambda r: r["events"][0].update(status=None), "needs status"),
    (lambda r: r["events"][0].update(status="maybe"), "status"),
    (lambda r: r["events"][1].update(status="done"), "status null"),
    (lambda r: r["events"][0].pop("canonical"), "canonical key missing"),
    (lambda r: r["events"][0].update(quantities=[3]), "not QUANTITY"),
    (lambda r: r["events"][0].update(trigger="ban hành"), "trigger"),
    (lambda r: r["mentions"][2].update(doc_type=["Quyết định"]), "doc_type"),
    (lambda r: r["mentions"][0].update(start=True), "out of range"),
    (lambda r: r["mentions"][1].update(country="Korea"), "ISO 3166"),
    (lambda r: r["mentions"].append({"start": 64, "end": 70, "type": "QUANTITY", "text": "90,81%",
                                     "value": {"number": 1, "unit": "đồng "}}), "QUANTITY value"),
])
def test_each_problem_is_reported_with_line_and_id(tmp_path, mutate, message):
    bad = _good()
    mutate(bad)
    problems = validate_file(_write(tmp_path, _good(), bad))
    assert problems, message
    assert all(p.line == 2 and p.id == "x" for p in problems)
    assert any(message in p.message for p in problems), [p.message for p in problems]


def test_quantity_values(tmp_path):
    text = "Doanh thu đạt 130.280 tỷ đồng và 555 DN, từ 2-3 tỷ USD."
    rec = {"id": "q", "text": text, "published": None, "events": [], "mentions": [
        {"start": 14, "end": 29, "type": "QUANTITY", "text": "130.280 tỷ đồng",
         "value": {"number": 130280000000000, "unit": "VND"}},
        {"start": 33, "end": 39, "type": "QUANTITY", "text": "555 DN", "value": {"number": 555, "unit": "dn"}},
        {"start": 44, "end": 54, "type": "QUANTITY", "text": "2-3 tỷ USD",
         "value": {"number": [2e9, 3e9], "unit": "USD"}}]}
    assert validate_file(_write(tmp_path, rec)) == []
    rec["mentions"][1]["value"] = {"number": 555}
    rec["mentions"][2]["value"] = {"number": [3e9, 2e9], "unit": "USD"}
    assert len(validate_file(_write(tmp_path, rec))) == 2


def test_malformed_lines_never_raise(tmp_path):
    path = tmp_path / "bad.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_bytes(b'{"id": "a", "text": NaN}\n' + deep.encode() + b"\n\xff\xfe{}\n")
    problems = validate_file(path)
    assert [p.line for p in problems] == [1, 2, 3]
    assert "NaN" in problems[0].message and "nested" in problems[1].message and "UTF-8" in problems[2].message


def test_nested_institutions_are_allowed(tmp_path):
    text = "Phòng Cảnh sát giao thông Công an tỉnh Thanh Hoá"
    rec = {"id": "n", "text": text, "published": None, "events": [], "mentions": [
        {"start": 0, "end": 48, "type": "INSTITUTION", "text": text, "value": text},
        {"start": 26, "end": 48, "type": "INSTITUTION", "text": text[26:], "value": "Công an tỉnh Thanh Hóa"}]}
    assert validate_file(_write(tmp_path, rec)) == []


def test_invalid_json_line_and_cli_exit_code(tmp_path):
    path = _write(tmp_path, _good(), raw_lines=['{"id": "y", "text": '])
    problems = validate_file(path)
    assert [(p.line, "invalid JSON" in p.message) for p in problems] == [(2, True)]
    result = CliRunner().invoke(main, ["gold", "validate", str(path)])
    assert result.exit_code == 1 and "line 2" in result.output
    before = path.read_bytes()
    assert CliRunner().invoke(main, ["gold", "validate", str(GOLD), str(DEV)]).exit_code == 0
    assert path.read_bytes() == before  # never rewritten


def test_evaluate_json_structure_with_baselines():
    result = CliRunner().invoke(main, ["evaluate", str(GOLD), "--json", "--baselines"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for mode in ("strict", "overlap"):
        for t in (*MENTION_TYPES, "overall"):
            assert set(out["mentions"][mode][t]) >= {"p", "r", "f1"}
    assert set(out["mentions"]["value_accuracy"]) == set(MENTION_TYPES)
    assert set(out["events"]) >= {"p", "r", "f1", "argument_accuracy", "canonical_links"}
    assert set(out["events"]["argument_accuracy"]) == {"date", "agent", "institutions", "documents", "percents",
                                                       "quantities", "status", "object_overlap", "object_exact"}
    assert {b["type"] for b in out["baselines"].values()} == set(MENTION_TYPES)
    for b in out["baselines"].values():
        assert b["seconds"] >= 0 and 0 <= b["strict"]["f1"] <= 1


def test_evaluate_table_and_errors_listing():
    result = CliRunner().invoke(main, ["evaluate", str(GOLD), "--errors", "3"])
    assert result.exit_code == 0, result.output
    assert "Mentions" in result.output and "Events" in result.output
