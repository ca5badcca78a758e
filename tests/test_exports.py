"""Exports for other tools and imports back: gold -> export -> import -> identical gold."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.exports import (OBJECT_LABEL, duration, export, labeling_config, labelstudio_task, read_docbin,
                              read_records, read_timeml)
from pipeline.gold import EVENT_TYPES, MENTION_TYPES, validate_file
from pipeline.imports import brat_records, import_file, labelstudio_records

from helpers import DEV, GOLD

GOLD_FILES = [GOLD, *([DEV] if DEV.exists() else [])]


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return read_records(GOLD)


def cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result


# ---------------------------------------------------------------- Label Studio


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.name)
def test_labelstudio_round_trip_is_identical(tmp_path, path):
    r = cli("export", "--format", "labelstudio", str(path), "--out", str(tmp_path / "ls"))
    assert r.exit_code == 0, r.output
    tasks = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == len(read_records(path))
    assert all("annotations" in t and "predictions" not in t for t in tasks)
    r = cli("import", "labelstudio", str(tmp_path / "ls" / "tasks.json"), "--out", str(tmp_path / "back.jsonl"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "back.jsonl").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_labelstudio_results_fit_the_labeling_config(gold):
    config = ET.fromstring(labeling_config())
    controls = {el.get("name"): el for el in config.iter() if el.get("toName") == "text"}
    relations = {el.get("value") for el in config.iter("Relation")}
    labels = {el.get("value") for el in config.iter("Label")}
    assert labels == {*MENTION_TYPES, *EVENT_TYPES, OBJECT_LABEL}
    kinds = {"Labels": "labels", "TextArea": "textarea", "Choices": "choices"}
    n_rel = 0
    for rec in gold:
        for item in labelstudio_task(rec)["annotations"][0]["result"]:
            if item["type"] == "relation":
                n_rel += 1
                assert set(item["labels"]) <= relations
                continue
            control = controls[item["from_name"]]
            assert kinds[control.tag] == item["type"]
            v = item["value"]
            if item["type"] == "labels":
                assert rec["text"][v["start"]:v["end"]] == v["text"]
            if item["type"] == "choices":
                assert set(v["choices"]) <= {c.get("value") for c in control.iter("Choice")}
    assert n_rel > 100


def _edited_export(rec: dict) -> list[dict]:
    """The record as a Label Studio export after a person worked on it in the tool."""
    task = labelstudio_task(rec)
    result = task["annotations"][0]["result"]
    rename = {}
    for item in result:  # Label Studio's own random region ids
        if "id" in item:
            rename.setdefault(item["id"], f"x{len(rename):04d}Q")
            item["id"] = rename[item["id"]]
    for item in result:
        if item["type"] == "relation":
            item["from_id"], item["to_id"] = rename[item["from_id"]], rename[item["to_id"]]
            if item["labels"] in (["date"], ["object"]):
                item["labels"] = []  # the role follows from the target
    rels = [i for i in result if i["type"] == "relation"]
    rels[0]["from_id"], rels[0]["to_id"], rels[0]["direction"] = rels[0]["to_id"], rels[0]["from_id"], "left"
    regions: dict[str, list[dict]] = {}
    for item in result:
        if item["type"] != "relation":
            regions.setdefault(item["id"], []).insert(0, item)  # per-region values before their region
    groups = list(regions.values())
    moved = next(g for g in groups if g[-1]["from_name"] == "trigger")  # an event drawn last
    groups.remove(moved)
    task["annotations"][0]["result"] = [i for g in groups + [moved] for i in g] + rels
    task["annotations"][0].update(id=2, updated_at="2024-05-04T10:00:00Z", was_cancelled=False)
    task["annotations"].append({"id": 3, "result": [], "was_cancelled": True, "updated_at": "2024-06-01T00:00:00Z"})
    task["annotations"].insert(0, {"id": 1, "result": [], "updated_at": "2024-01-01T00:00:00Z"})
    task["predictions"] = [{"model_version": "vnevents", "result": []}]
    task["id"] = 17
    return [task]


def test_labelstudio_import_of_an_edited_export(tmp_path, gold):
    rec = gold[1]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_edited_export(rec), ensure_ascii=False), encoding="utf-8")
    records, problems = labelstudio_records(path)
    assert problems == []
    assert records == [rec]


def test_labelstudio_import_utf16_offsets_and_unlabelled_roles(tmp_path):
    text = "😀 Ngày 15/6/2021, Bộ Y tế ban hành Quyết định số 749/QĐ-TTg."
    s = text.index("Ngày")
    u16 = lambda i: i + 1  # one astral character before every offset
    def region(rid, a, b, control, label):
        return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
                "value": {"start": u16(a), "end": u16(b), "text": text[a:b], "labels": [label]}}
    def textarea(rid, a, b, name, value):
        return {"id": rid, "from_name": name, "to_name": "text", "type": "textarea",
                "value": {"start": u16(a), "end": u16(b), "text": [value]}}
    d0, d1 = s, s + 14
    i0 = text.index("Bộ Y tế"); i1 = i0 + 7
    t0 = text.index("ban hành"); t1 = t0 + 8
    q0 = text.index("Quyết"); q1 = len(text) - 1
    result = [
        region("a", d0, d1, "mention", "DATE"), textarea("a", d0, d1, "value", "2021-06-15"),
        region("b", i0, i1, "mention", "INSTITUTION"), textarea("b", i0, i1, "value", "Bộ Y tế"),
        region("c", q0, q1, "mention", "DOCREF"), textarea("c", q0, q1, "value", "749/QĐ-TTg"),
        textarea("c", q0, q1, "doc_type", "Quyết định"),
        region("t", t0, t1, "trigger", "ISSUANCE"), textarea("t", t0, t1, "canonical", "iss-749/QĐ-TTg"),
        {"id": "t", "from_name": "status", "to_name": "text", "type": "choices",
         "value": {"start": u16(t0), "end": u16(t1), "choices": ["done"]}},
        {"type": "relation", "from_id": "t", "to_id": "a", "labels": []},
        {"type": "relation", "from_id": "t", "to_id": "b", "labels": ["agent"]},
        {"type": "relation", "from_id": "t", "to_id": "c"},
    ]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([{"id": 5, "data": {"text": text}, "annotations": [{"result": result}]}]),
                    encoding="utf-8")
    n, problems = import_file("labelstudio", path, tmp_path / "gold.jsonl")
    assert (n, problems) == (1, [])
    rec = json.loads((tmp_path / "gold.jsonl").read_text(encoding="utf-8"))
    assert rec["id"] == "5"
    assert [(m["text"], m["value"]) for m in rec["mentions"]] == [
        ("Ngày 15/6/2021", "2021-06-15"), ("Bộ Y tế", "Bộ Y tế"), ("Quyết định số 749/QĐ-TTg", "749/QĐ-TTg")]
    assert rec["events"] == [{"type": "ISSUANCE", "trigger": {"start": t0, "end": t1}, "date": 0, "agent": 1,
                              "institutions": [1], "documents": [2], "percents": [], "quantities": [],
                              "object": None, "status": "done", "canonical": "iss-749/QĐ-TTg"}]


def test_labelstudio_import_reports_what_gold_validation_finds(tmp_path, gold):
    task = labelstudio_task(gold[0])
    result = task["annotations"][0]["result"]
    # a new DATE region whose value nobody filled in, and a trigger without status
    text = gold[0]["text"]
    result.append({"id": "new", "from_name": "mention", "to_name": "text", "type": "labels",
                   "value": {"start": 0, "end": 3, "text": text[0:3], "labels": ["DATE"]}})
    task["annotations"][0]["result"] = [i for i in result if not (i.get("id") == "e0" and i["from_name"] == "status")]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task, {"data": {"text": "x", "article_id": "empty"}}]), encoding="utf-8")
    r = cli("import", "labelstudio", str(path), "--out", str(tmp_path / "gold.jsonl"))
    assert r.exit_code == 1
    assert "task 2 (id empty): no annotation or prediction; skipped" in r.output
    assert re.search(r"line 1 \(id 000\): mention 0: DATE value None is not a TIMEX3 value", r.output), r.output
    assert "an act needs status" in r.output  # the file is still written, for fixing
    assert validate_file(tmp_path / "gold.jsonl")


def test_labelstudio_import_refuses_other_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"text": "no tasks here"}', encoding="utf-8")
    records, problems = labelstudio_records(path)
    assert records == [] and "not a Label Studio JSON export" in problems[0]


# ---------------------------------------------------------------- brat


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.name)
def test_brat_round_trip(tmp_path, path):
    r = cli("export", "--format", "brat", str(path), "--out", str(tmp_path / "brat"))
    assert r.exit_code == 0, r.output
    records, problems = brat_records(tmp_path / "brat")
    assert problems == [] and records == read_records(path)
    r = cli("import", "brat", str(tmp_path / "brat"), "--out", str(tmp_path / "back.jsonl"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "back.jsonl").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_brat_files_are_well_formed_standoff(tmp_path, gold):
    export("brat", GOLD, tmp_path)
    conf = (tmp_path / "annotation.conf").read_text(encoding="utf-8")
    for t in (*MENTION_TYPES, *EVENT_TYPES):
        assert re.search(rf"^{t}\b", conf, re.M)
    n_events = 0
    for rec in gold:
        text = (tmp_path / f"{rec['id']}.txt").read_text(encoding="utf-8")
        assert text == rec["text"]
        ids = set()
        for line in (tmp_path / f"{rec['id']}.ann").read_text(encoding="utf-8").splitlines():
            ann_id, body, *rest = line.split("\t")
            assert ann_id not in ids
            ids.add(ann_id)
            if ann_id.startswith("T"):
                frags = [tuple(map(int, f.split())) for f in body.split(" ", 1)[1].split(";")]
                assert rest[0] == " ".join(text[s:e] for s, e in frags) and "\n" not in rest[0]
            elif ann_id.startswith("E"):
                n_events += 1
                head, *args = body.split()
                assert head.split(":")[0] in EVENT_TYPES
                assert all(a.split(":")[1] in ids for a in [head, *args])
            elif ann_id.startswith("#"):
                json.loads(rest[0])
    assert n_events == sum(len(r["events"]) for r in gold)


def test_brat_spans_across_lines_are_fragments(tmp_path, gold):
    rec = json.loads(json.dumps(gold[0]))
    nl = rec["text"].index("\n")
    rec["events"][0]["object"] = {"start": nl - 5, "end": nl + 6}
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    export("brat", src, tmp_path / "b")
    ann = (tmp_path / "b" / "000.ann").read_text(encoding="utf-8")
    assert f"Object {nl - 5} {nl};{nl + 1} {nl + 6}\t" in ann
    records, problems = brat_records(tmp_path / "b")
    assert problems == [] and records == [rec]


# ---------------------------------------------------------------- spaCy


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.name)
def test_spacy_docbin_round_trip(tmp_path, path):
    r = cli("export", "--format", "spacy", str(path), "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert read_docbin(tmp_path / "docs.spacy") == read_records(path)
    r = cli("import", "spacy", str(tmp_path / "docs.spacy"), "--out", str(tmp_path / "back.jsonl"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "back.jsonl").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_spacy_docs_carry_spans_and_entities(tmp_path, gold):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    export("spacy", GOLD, tmp_path)
    docs = list(DocBin().from_disk(tmp_path / "docs.spacy").get_docs(Vocab()))
    for doc, rec in zip(docs, gold):
        assert doc.text == rec["text"]
        spans = doc.spans["mentions"]
        assert [(s.start_char, s.end_char, s.label_) for s in spans] == [
            (m["start"], m["end"], m["type"]) for m in rec["mentions"]]
        assert [s.label_ for s in doc.spans["events"]] == [e["type"] for e in rec["events"]]
        assert len(doc.spans["objects"]) == sum(1 for e in rec["events"] if e["object"])
        assert {(e.start_char, e.end_char) for e in doc.ents} <= {(m["start"], m["end"]) for m in rec["mentions"]}
        assert len(doc.ents) >= len(spans) - sum(1 for m in rec["mentions"] if m["type"] == "INSTITUTION")
        assert len(list(doc.sents)) > 5


# ---------------------------------------------------------------- TimeML


def test_timeml_has_every_date_as_timex3(tmp_path, gold):
    r = cli("export", "--format", "timeml", str(GOLD), "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    for rec in gold:
        path = tmp_path / f"{rec['id']}.tml"
        back = read_timeml(path)
        assert back["text"] == rec["text"] and back["id"] == rec["id"]
        assert back["published"] == rec["published"]
        assert back["mentions"] == [m for m in rec["mentions"] if m["type"] == "DATE"]
        root = ET.parse(path).getroot()
        for t in root.iter("TIMEX3"):
            assert t.get("type") in ("DATE", "TIME", "DURATION") and t.get("value") and t.get("tid")
            if t.get("type") == "DURATION":
                assert re.fullmatch(r"P(\d+|X)[YMD]|PT(\d+|X)M", t.get("value"))
                assert {t.get("beginPoint"), t.get("endPoint")} <= {x.get("tid") for x in root.iter("TIMEX3")}
    doc = (tmp_path / "000.tml").read_text(encoding="utf-8")
    assert re.search(r'<TIMEX3 tid="t\d+" type="DURATION" value="P5Y" beginPoint="(t\d+)" endPoint="(t\d+)">'
                     r'giai đoạn 2021-2025</TIMEX3><TIMEX3 tid="\1" type="DATE" value="2021" />'
                     r'<TIMEX3 tid="\2" type="DATE" value="2025" />', doc)
    assert 'type="TIME" value="2021-03-12T10:00"' in (tmp_path / "001.tml").read_text(encoding="utf-8")
    assert 'mod="END"' in "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.tml"))


@pytest.mark.parametrize("begin,end,expected", [
    ("2021", "2025", "P5Y"), ("2021-01", "2021-03", "P3M"), ("XXXX-02-01", "XXXX-02-02", "P2D"),
    ("XXXX-12", "XXXX-02", "P3M"), ("2021-03-12T10:00", "2021-03-12T12:30", "PT150M"), ("2021", "2021-03", "PXM"),
    ("XXXX", "2021", "PXY"),
])
def test_timex3_durations(begin, end, expected):
    assert duration(begin, end) == expected


# ---------------------------------------------------------------- a run's outputs, hostile text included


def test_exports_of_run_outputs(outputs, tmp_path):
    from conftest import HOSTILE_ID, HOSTILE_TEXT

    preds = read_records(outputs / "predictions.jsonl")
    for fmt in ("labelstudio", "brat", "spacy", "timeml"):
        r = cli("export", "--format", fmt, str(outputs), "--out", str(tmp_path / fmt))
        assert r.exit_code == 0, (fmt, r.output)
    tasks = json.loads((tmp_path / "labelstudio" / "tasks.json").read_text(encoding="utf-8"))
    assert all("predictions" in t and "annotations" not in t for t in tasks)  # pre-annotations to review
    records, problems = labelstudio_records(tmp_path / "labelstudio" / "tasks.json")
    assert problems == [] and records == preds
    records, problems = brat_records(tmp_path / "brat")
    assert problems == [] and records == preds
    assert read_docbin(tmp_path / "spacy" / "docs.spacy") == preds
    names = {p.name for p in (tmp_path / "brat").iterdir()}
    assert all(re.fullmatch(r"[\w.-]+", n) for n in names)
    hostile = [p for p in (tmp_path / "timeml").glob("*.tml") if read_timeml(p)["id"] == HOSTILE_ID]
    assert len(hostile) == 1 and read_timeml(hostile[0])["text"] == HOSTILE_TEXT
    assert "<script>" not in hostile[0].read_text(encoding="utf-8")


def test_export_refuses_an_invalid_source(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "abc", "mentions": [{"start": 0, "end": 9, "type": "DATE"}], "events": []}\n',
                   encoding="utf-8")
    r = cli("export", "--format", "brat", str(bad), "--out", str(tmp_path / "o"))
    assert r.exit_code == 1 and "out of range" in r.output and not (tmp_path / "o").exists()
    r = cli("export", "--format", "brat", str(tmp_path), "--out", str(tmp_path / "o"))
    assert r.exit_code == 1 and "no predictions.jsonl" in r.output
