"""outputs/datapackage.json: a Frictionless data package of a run's tables, validated with frictionless."""
from __future__ import annotations

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.datapackage import FIELDS, _columns, descriptor, write_datapackage

from helpers import RAW

frictionless = pytest.importorskip("frictionless", reason="pip install frictionless (the test extra)")


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(main, ["run", str(RAW), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    write_datapackage(out)
    return out


def _errors(path) -> list[tuple]:
    report = frictionless.validate(str(path))
    return [] if report.valid else report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])


def test_data_package_of_a_run_is_valid(run_out):
    assert _errors(run_out / "datapackage.json") == []
    package = frictionless.Package(str(run_out / "datapackage.json"))
    assert package.resource_names == ["articles", "mentions", "events", "canonical_events"]
    rows = package.get_resource("events").read_rows()
    assert len(rows) > 100 and any(r["date_start"] is not None for r in rows)
    assert type(next(r["date_start"] for r in rows if r["date_start"] is not None)).__name__ == "date"


def test_data_package_with_hostile_article_is_valid(outputs):
    write_datapackage(outputs)
    assert _errors(outputs / "datapackage.json") == []


def test_fields_follow_the_column_constants():
    desc = descriptor()
    res = {r["name"]: r for r in desc["resources"]}
    from pipeline import outputs, records

    written = {"articles": getattr(outputs, "ARTICLE_CSV_COLUMNS", records.ARTICLE_COLUMNS),
               "mentions": records.MENTION_COLUMNS, "events": records.EVENT_COLUMNS}
    assert _columns()["mentions"][:len(written["mentions"])] == list(written["mentions"])
    for name, cols in written.items():
        fields = res[name]["schema"]["fields"]
        assert [f["name"] for f in fields] == list(cols)
        assert all(f["type"] in ("string", "integer", "number", "date") for f in fields)
    events = {f["name"]: f for f in res["events"]["schema"]["fields"]}
    assert events["date_start"]["type"] == "date" and events["trigger_start"]["type"] == "integer"
    assert events["value_number"]["type"] == "number" and "TIMEX3" in events["date_value"]["description"]
    assert res["mentions"]["schema"]["primaryKey"] == ["article_id", "mention"]
    assert res["events"]["schema"]["foreignKeys"][0]["reference"] == {"resource": "articles", "fields": ["id"]}


def test_a_new_column_is_listed_without_a_description(monkeypatch):
    import pipeline.records as records

    monkeypatch.setattr(records, "EVENT_COLUMNS", [*records.EVENT_COLUMNS, "brand_new"])
    fields = {r["name"]: r for r in descriptor()["resources"]}["events"]["schema"]["fields"]
    assert fields[-1] == {"name": "brand_new", "type": "string"}
    assert "brand_new" not in FIELDS["events"]


def test_validation_catches_broken_keys_and_types(run_out, tmp_path):
    out = shutil.copytree(run_out, tmp_path / "out")
    lines = (out / "mentions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = "no-such-article" + lines[1][lines[1].index(","):]
    (out / "mentions.csv").write_text("".join(lines), encoding="utf-8")
    errors = _errors(out / "datapackage.json")
    assert any(e[3] == "foreign-key" and "no-such-article" in e[4] for e in errors), errors
    with open(out / "events.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("date_start")
    next(r for r in rows[1:] if r[col])[col] = "15/06/2021"
    with open(out / "events.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert any(e[3] == "type-error" and e[2] == "date_start" for e in _errors(out / "datapackage.json"))


def test_write_is_atomic_and_json(tmp_path):
    path = write_datapackage(tmp_path)
    assert json.loads(path.read_text(encoding="utf-8"))["profile"] == "tabular-data-package"
    assert [p.name for p in tmp_path.iterdir()] == ["datapackage.json"]
