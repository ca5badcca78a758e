"""End to end: `vnevents run` on the bundled corpus writes every output, offsets hold."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.gold import validate_file
from pipeline.outputs import FINAL_FILES

from helpers import RAW


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["run", str(RAW), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_all_outputs_written(out):
    for name in (*FINAL_FILES, "report.html"):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".partial-*"))


def test_every_mention_offset_matches_its_text(out):
    n = 0
    for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for m in rec["mentions"]:
            assert rec["text"][m["start"]:m["end"]] == m["text"]
            n += 1
        for ev in rec["events"]:
            t = ev["trigger"]
            assert rec["text"][t["start"]:t["end"]].strip()
    assert n > 250


def test_predictions_are_valid_gold_format(out):
    assert validate_file(out / "predictions.jsonl") == []


def test_tables_agree_with_predictions(out):
    recs = [json.loads(line) for line in (out / "predictions.jsonl").open(encoding="utf-8")]
    mentions = pd.read_parquet(out / "mentions.parquet")
    events = pd.read_parquet(out / "events.parquet")
    assert len(mentions) == sum(len(r["mentions"]) for r in recs)
    assert len(events) == sum(len(r["events"]) for r in recs)
    assert len(pd.read_csv(out / "mentions.csv")) == len(mentions)
    assert len(pd.read_csv(out / "events.csv")) == len(events)
    assert str(events["date_start"].dtype).startswith("datetime64")
    dated = events.dropna(subset=["date_start"]).sort_values("date_start")
    assert dated["date_start"].is_monotonic_increasing and len(dated) > 50


def test_events_row_example(out):
    events = pd.read_csv(out / "events.csv")
    row = events[(events.type == "ISSUANCE") & (events.documents == "749/QĐ-TTg")].iloc[0]
    assert row.date_value == "2020-06-03" and row.date_start == "2020-06-03"


def test_articles_csv_has_one_row_per_input(out):
    arts = pd.read_csv(out / "articles.csv")
    assert len(arts) == 5 and set(arts.status) == {"ok"}
    assert (arts.mentions == arts[["DATE", "PERCENT", "DOCREF", "INSTITUTION", "QUANTITY"]].sum(axis=1)).all()
    assert set(arts.published.dropna()) == {"2021-03-12", "2021-02-19", "2022-01-04"}


def test_jsonl_input_and_published_override(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a1", "text": "Ngày 24/9, Bộ TT&TT ban hành Quyết định số 1/QĐ-BTTTT.",
                               "published": "2023-10-02"}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(src), "--out", str(tmp_path / "o"), "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output
    rec = json.loads((tmp_path / "o" / "predictions.jsonl").read_text(encoding="utf-8"))
    assert rec["id"] == "a1" and rec["published"] == "2023-10-02"
    assert [m["value"] for m in rec["mentions"] if m["type"] == "DATE"] == ["2023-09-24"]


def test_mentions_are_spacy_native():
    """DocBin keeps the spans and their values; displaCy renders the span group."""
    from spacy import displacy
    from spacy.tokens import DocBin

    from pipeline import extract
    from pipeline.nlp import get_nlp

    doc = extract("Ngày 15/6/2021, Bộ TT&TT ban hành Quyết định số 749/QĐ-TTg, đạt 90,81%.")
    data = DocBin(store_user_data=True, docs=[doc]).to_bytes()
    (back,) = DocBin().from_bytes(data).get_docs(get_nlp().vocab)
    assert [(s.text, s.label_, s._.value) for s in back.spans["mentions"]] == [
        (s.text, s.label_, s._.value) for s in doc.spans["mentions"]]
    assert back.spans["mentions"][2]._.doc_type == "Quyết định"
    html = displacy.render(doc, style="span", options={"spans_key": "mentions"})
    assert all(label in html for label in ("DATE", "INSTITUTION", "DOCREF", "PERCENT")) and "QĐ-TTg" in html


def test_canonical_events_table_and_statements_share_ids(tmp_path):
    """A run writes one row per real-world event; every statement points at its row; ids survive more input."""
    import pandas as pd
    from click.testing import CliRunner

    from pipeline.cli import main

    first, both = tmp_path / "a", tmp_path / "ab"
    (first / "in").mkdir(parents=True)
    (both / "in").mkdir(parents=True)
    a = ("Ngày 12/6/2025, Quốc hội đã biểu quyết thông qua Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị "
         "hành chính cấp tỉnh. Năm 2024, GDP tăng 7,09%.\n")
    b = ("Sáng 12/6, Quốc hội thông qua Nghị quyết 202/2025/QH15. Tổng cục Thống kê cho biết năm 2024 GDP tăng "
         "7,09% so với năm trước. Ngày 20/3/2025, Chính phủ ban hành Nghị định số 55/2025/NĐ-CP.\n")
    for folder, texts in ((first, [a]), (both, [a, b])):
        for i, t in enumerate(texts):
            (folder / "in" / f"{i}.txt").write_text(t, encoding="utf-8")
        r = CliRunner().invoke(main, ["run", str(folder / "in"), "--out", str(folder / "out"), "--workers", "1",
                                      "-q", "--published", "2025-06-13"])
        assert r.exit_code == 0, r.output
    st = pd.read_parquet(both / "out" / "events.parquet")
    canon = pd.read_parquet(both / "out" / "canonical_events.parquet")
    assert set(st["canonical"]) == set(canon["event_id"])
    law = canon[canon["documents"].str.contains("202/2025/QH15", na=False)]
    assert len(law) == 1 and law.iloc[0]["n_statements"] == 2 and law.iloc[0]["n_articles"] == 2
    gdp = canon[(canon["type"] == "RESULT") & (canon["value_number"] == 7.09)]
    assert len(gdp) == 1 and gdp.iloc[0]["n_articles"] == 2
    before = set(pd.read_parquet(first / "out" / "canonical_events.parquet")["event_id"])
    assert before <= set(canon["event_id"])  # article B joined A's events without changing their ids
    preds = [json.loads(line) for line in (both / "out" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["canonical"] for p in preds for e in p["events"]} == set(canon["event_id"])


def test_reviewers_canonical_merges_are_honoured_by_the_next_run(tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.review.db import ReviewDB

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Ngày 12/6/2025, Quốc hội thông qua Nghị quyết số 202/2025/QH15. "
                                          "Ngày 20/3/2025, Chính phủ ban hành Nghị định số 55/2025/NĐ-CP.\n",
                                          encoding="utf-8")
    args = ["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "1", "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    ids = list(pd.read_parquet(tmp_path / "out" / "canonical_events.parquet")["event_id"])
    assert len(ids) == 2
    ReviewDB(tmp_path / "out" / "review.sqlite").add("", "canonical", ids[1], "merge", {"into": ids[0]})
    assert CliRunner().invoke(main, args + ["--force"]).exit_code == 0
    assert list(pd.read_parquet(tmp_path / "out" / "canonical_events.parquet")["event_id"]) == [ids[0]]


def test_batch_tables_and_csv_are_those_of_the_typed_frame():
    """``prepare`` builds the Arrow tables and CSV text straight from the rows; they must equal what the
    typed DataFrame (``_frame``) gives, on the bundled and development articles (formula cells, missing
    values, dates, nullable integers, floats)."""
    import pyarrow as pa

    from pipeline.outputs import (ARTICLE_CSV_COLUMNS, EVENT_SCHEMA, MENTION_SCHEMA, _article_csv, _frame,
                                  _safe_frame, article_csv_row, prepare)
    from pipeline.reader import iter_articles
    from pipeline.records import EVENT_COLUMNS, MENTION_COLUMNS, event_rows, mention_rows
    from pipeline.runner import process_article

    from helpers import ROOT

    arts = list(iter_articles([RAW, ROOT / "corpus" / "dev" / "raw"]))
    recs = [process_article((a.id, a.source, a.text, a.published)) for a in arts]
    recs[0]["mentions"][0]["text"] = "=HYPERLINK(1)"  # a formula cell
    recs[1]["source"] = "+1 tin.txt"
    checked = 0
    for i in range(0, len(recs), 16):
        batch = recs[i:i + 16]
        got = prepare(batch)
        for stem, rows_of, columns, schema in (("mentions", mention_rows, MENTION_COLUMNS, MENTION_SCHEMA),
                                               ("events", event_rows, EVENT_COLUMNS, EVENT_SCHEMA)):
            df = _frame([r for rec in batch for r in rows_of(rec)], columns, schema)
            assert getattr(got, stem).equals(pa.Table.from_pandas(df, schema=schema, preserve_index=False))
            if stem == "mentions":  # events.csv is written by the canonical pass, from the events table
                assert got.mentions_csv == _safe_frame(df).to_csv(header=False, index=False)
            checked += len(df)
        articles = pd.DataFrame([article_csv_row(r) for r in batch], columns=ARTICLE_CSV_COLUMNS)
        assert _article_csv([article_csv_row(r) for r in batch]) == _safe_frame(articles).to_csv(header=False,
                                                                                              index=False)
    assert checked > 2000
