"""Scale: the Dask path gives the single-process results; runs resume after a kill; output is atomic."""
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.bench import _write_jsonl, build_corpus
from pipeline.cli import main
from pipeline.runner import run

from helpers import RAW, ROOT


def _predictions(out: Path) -> list[str]:
    return (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()


def test_local_cluster_and_scheduler_address_equal_single_process(tmp_path):
    distributed = pytest.importorskip("distributed")
    single = tmp_path / "single"
    run([RAW], single, workers=1, report=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run([RAW], tmp_path / "cluster", client=client, report=False)
        result = CliRunner().invoke(main, ["run", str(RAW), "--out", str(tmp_path / "addr"),
                                           "--scheduler", cluster.scheduler_address, "-q"])
        assert result.exit_code == 0, result.output
        workers_used = {w for w in client.scheduler_info()["workers"]}
    assert len(workers_used) == 2
    assert _predictions(tmp_path / "cluster") == _predictions(single)
    assert _predictions(tmp_path / "addr") == _predictions(single)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cluster" / "events.parquet"),
                                  pd.read_parquet(single / "events.parquet"))


def _cached(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start_run(src: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(src), "--out", str(out),
                             "--workers", "1", *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _kill_when(proc: subprocess.Popen, condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"run finished before it could be interrupted: {proc.stderr.read()}")
        if condition():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return
        time.sleep(0.01)
    proc.kill()
    pytest.fail("condition never met")


@pytest.fixture(scope="module")
def bench_input(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "articles.jsonl"
    _write_jsonl(build_corpus(80, seed=7), path)
    return path


def test_killed_run_resumes_with_only_the_missing_articles(tmp_path, bench_input):
    full = tmp_path / "full"
    run([bench_input], full, workers=1, report=False)

    out = tmp_path / "resumed"
    proc = _start_run(bench_input, out)
    _kill_when(proc, lambda: _cached(out / "cache.sqlite") >= 16)
    done = _cached(out / "cache.sqlite")
    assert 16 <= done < 80
    assert not (out / "predictions.jsonl").exists()  # nothing half-written was published

    result = CliRunner().invoke(main, ["run", str(bench_input), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert f"({80 - done} processed, {done} from cache" in result.output
    assert _predictions(out) == _predictions(full)
    for name in ("mentions.parquet", "events.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(full / name))
    for name in ("mentions.csv", "events.csv", "articles.csv"):
        assert (out / name).read_bytes() == (full / name).read_bytes()


def test_killed_run_leaves_previous_outputs_complete(tmp_path, bench_input):
    out = tmp_path / "out"
    run([bench_input], out, workers=1, report=False)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith("cache.sqlite")}
    proc = _start_run(bench_input, out, "--force")
    _kill_when(proc, lambda: any(out.glob(".partial-*/mentions.parquet")))
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith("cache.sqlite")}
    assert after == before
    assert len(pd.read_parquet(out / "mentions.parquet")) > 0
    # the next run cleans the abandoned partial folder
    run([RAW], out, workers=1, report=False)
    assert not list(out.glob(".partial-*"))


def test_force_reprocesses_everything(tmp_path):
    out = tmp_path / "o"
    first = CliRunner().invoke(main, ["run", str(RAW), "--out", str(out), "--workers", "1"])
    again = CliRunner().invoke(main, ["run", str(RAW), "--out", str(out), "--workers", "1"])
    forced = CliRunner().invoke(main, ["run", str(RAW), "--out", str(out), "--workers", "1", "--force"])
    assert "(5 processed, 0 from cache" in first.output
    assert "(0 processed, 5 from cache" in again.output
    assert "(5 processed, 0 from cache" in forced.output


def test_large_jsonl_streams_past_the_file_size_limit(tmp_path):
    from pipeline.reader import iter_articles

    path = tmp_path / "big.jsonl"
    _write_jsonl(build_corpus(30), path)
    assert path.stat().st_size > 16384
    arts = list(iter_articles([path], max_bytes=16384))
    assert len(arts) == 30 and {a.status for a in arts} == {"ok"}


def test_memory_does_not_grow_with_the_number_of_articles():
    """Streaming: no per-article state is kept by the runner (the peak is set by the models)."""
    from pipeline.bench import peak_rss_mb

    small, large = peak_rss_mb(20), peak_rss_mb(200)
    assert large < small * 1.25 + 30, (small, large)


def test_pipeline_is_rebuilt_periodically_with_the_same_results(monkeypatch):
    """The spaCy Vocab only grows; extract() starts a fresh one every DOCS_PER_VOCAB documents."""
    from pipeline import nlp
    from pipeline.records import doc_to_record

    text = (RAW / "000_570e88d3ae45e307.txt").read_text(encoding="utf-8")
    before = doc_to_record(nlp.extract(text), id="a", source="", published=None)
    monkeypatch.setattr(nlp, "DOCS_PER_VOCAB", 2)
    kept = [nlp.extract(text).vocab for _ in range(4)]  # kept alive, so no id is reused
    vocabs = {id(v) for v in kept}
    after = doc_to_record(nlp.extract(text), id="a", source="", published=None)
    assert len(vocabs) >= 2
    assert after["mentions"] == before["mentions"] and after["events"] == before["events"]


def test_text_folding_memo_is_bounded_and_holds_only_short_strings():
    """fold/modern_tones memoise syllables and words in a bounded table; longer spans are computed each
    time (they rarely repeat, and memoising them made memory grow with the number of articles)."""
    from pipeline import textutil

    textutil.fold.cache_clear()
    span = "Uỷ ban nhân dân tỉnh Quảng Ninh, Sở Thông tin và Truyền thông"
    assert len(span) > textutil.MEMO_CHARS
    assert textutil.fold(span) == "ủy ban nhân dân tỉnh quảng ninh sở thông tin và truyền thông"
    assert textutil.fold.cache_info().currsize == 0
    words = [f"Hoá{i}" for i in range(textutil.MEMO_ENTRIES + 500)]
    assert [textutil.fold(w) for w in words] == [f"hóa{i}" for i in range(len(words))]
    assert textutil.fold.cache_info().currsize == textutil.MEMO_ENTRIES
    textutil.fold.cache_clear()


def test_the_canonical_pass_reads_statements_with_memory_independent_of_the_row_groups(tmp_path):
    """The post-pass reads events.parquet in batches; what Arrow holds while a batch is read must not
    grow with the file (pyarrow's pre-buffering kept buffers for every row group: +0.6 MB each)."""
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.canonical import _batches

    rng = random.Random(0)
    held = {}
    for groups in (4, 40):
        path = tmp_path / f"{groups}.parquet"
        with pq.ParquetWriter(path, pa.schema([("sentence", pa.string())])) as writer:
            for _ in range(groups):
                writer.write_table(pa.table({"sentence": ["".join(rng.choice("abcdefghij ") for _ in range(100))
                                                          for _ in range(2000)]}))
        batches = _batches(path)
        next(batches)
        held[groups] = pa.total_allocated_bytes()
        batches.close()
    assert held[40] < held[4] + 500_000, held
