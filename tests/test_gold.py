"""The bundled gold validates; the validator catches each kind of problem; the evaluator's output."""
import json

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.gold import validate_file

from helpers import GOLD


def test_bundled_gold_is_valid():
    assert validate_file(GOLD) == []
    recs = [json.loads(line) for line in GOLD.open(encoding="utf-8")]
    assert sorted(r["id"] for r in recs) == ["000", "001", "002", "003", "004"]
    for r in recs:
        assert {m["type"] for m in r["mentions"]} == {"DATE", "PERCENT", "DOCREF", "INSTITUTION"} or r["id"] == "004"


def _good():
    text = "Ngày 15/6/2021, Bộ TT&TT ban hành Quyết định số 749/QĐ-TTg, đạt 90,81%."
    return {"id": "x", "source": "x.txt", "published": None, "text": text, "mentions": [
        {"start": 0, "end": 14, "type": "DATE", "text": "Ngày 15/6/2021", "value": "2021-06-15"},
        {"start": 16, "end": 24, "type": "INSTITUTION", "text": "Bộ TT&TT", "value": "Bộ Thông tin và Truyền thông"},
        {"start": 34, "end": 58, "type": "DOCREF", "text": "Quyết định số 749/QĐ-TTg", "value": "749/QĐ-TTg",
         "doc_type": "Quyết định"},
        {"start": 64, "end": 70, "type": "PERCENT", "text": "90,81%", "value": 90.81}],
        "events": [{"type": "ISSUANCE", "trigger": {"start": 25, "end": 33}, "date": 0, "institutions": [1],
                    "documents": [2], "percents": []}]}


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
])
def test_each_problem_is_reported_with_line_and_id(tmp_path, mutate, message):
    bad = _good()
    mutate(bad)
    problems = validate_file(_write(tmp_path, _good(), bad))
    assert problems, message
    assert all(p.line == 2 and p.id == "x" for p in problems)
    assert any(message in p.message for p in problems), [p.message for p in problems]


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
    assert CliRunner().invoke(main, ["gold", "validate", str(GOLD)]).exit_code == 0
    assert path.read_bytes() == before  # never rewritten


def test_evaluate_json_structure_with_baselines():
    result = CliRunner().invoke(main, ["evaluate", str(GOLD), "--json", "--baselines"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for mode in ("strict", "overlap"):
        for t in ("DATE", "PERCENT", "DOCREF", "INSTITUTION", "overall"):
            assert set(out["mentions"][mode][t]) >= {"p", "r", "f1"}
    assert set(out["mentions"]["value_accuracy"]) == {"DATE", "PERCENT", "DOCREF", "INSTITUTION"}
    assert set(out["events"]) >= {"p", "r", "f1", "argument_accuracy"}
    assert {b["type"] for b in out["baselines"].values()} == {"DATE", "PERCENT", "DOCREF", "INSTITUTION"}
    for b in out["baselines"].values():
        assert b["seconds"] >= 0 and 0 <= b["strict"]["f1"] <= 1


def test_evaluate_table_and_errors_listing():
    result = CliRunner().invoke(main, ["evaluate", str(GOLD), "--errors", "3"])
    assert result.exit_code == 0, result.output
    assert "Mentions" in result.output and "Events" in result.output
