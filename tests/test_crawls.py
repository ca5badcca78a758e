"""Real crawls (issue 13): no article lost, no input mistaken, every common layout read.

Each test builds the folder layout it needs in tmp_path and runs the reader, the
runner or the command line on it.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import outputs, runner
from pipeline.bench import _write_jsonl, build_corpus
from pipeline.cli import main
from pipeline.gold import validate_file
from pipeline.outputs import PUBLISHED, lock_output_folder, safe_cell
from pipeline.reader import iter_articles, read_text
from pipeline.runner import run

from helpers import ROOT

S1 = "Ngày 15/6/2021, Bộ TT&TT ban hành Quyết định số 749/QĐ-TTg, tỷ lệ đạt 90,81%."
S2 = "Sáng thứ Hai (3/2), UBND tỉnh Bến Tre tổ chức hội nghị triển khai Nghị định số 129/2016."
S3 = "Lễ hội diễn ra trong 2 ngày 1 - 2/2. Năm 2017, lượng khách tăng 12%."


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def cli(*args: str):
    return CliRunner().invoke(main, ["run", *args])


def articles(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "articles.csv", keep_default_na=False, dtype={"id": str})


# --- 1. the output folder, and anything vnevents wrote, is never input ------------------------


def test_output_folder_inside_the_input_is_never_read(tmp_path):
    crawl = tmp_path / "crawl"
    write(crawl / "a.txt", S1)
    write(crawl / "b.txt", S2)
    out = crawl / "out"
    for attempt in (1, 2):  # the second run finds the first run's outputs inside the crawl
        result = cli(str(crawl), "--out", str(out), "--workers", "1")
        assert result.exit_code == 0, result.output
        assert sorted(articles(out).id) == ["a", "b"], attempt
        assert f"note: not read: {out} (the output folder of this run)" in result.stderr
    assert validate_file(out / "predictions.jsonl") == []


def test_folders_vnevents_wrote_are_skipped_and_named_ones_refused(tmp_path):
    crawl = tmp_path / "crawl"
    write(crawl / "a.txt", S1)
    write(crawl / "old" / "predictions.jsonl", json.dumps({"id": "x", "text": S2}, ensure_ascii=False) + "\n")
    write(crawl / "old" / "articles.csv", "id\nx\n")  # outputs of a run before the marker existed
    write(crawl / "old" / "report.txt", S2)
    write(crawl / "sub" / ".partial-k3j" / "predictions.jsonl", json.dumps({"id": "y", "text": S2}) + "\n")
    write(crawl / "sub" / "c.txt", S3)
    write(crawl / "marked" / "x.txt", S2)
    (crawl / "marked" / ".vnevents").write_text("")
    skipped = []
    got = list(iter_articles([crawl, crawl / "old" / "predictions.jsonl"], on_skip=lambda p, r: skipped.append(p)))
    assert [(a.id, a.status) for a in got] == [("a", "ok"), ("sub/c", "ok"), ("predictions", "error")]
    assert "vnevents outputs are never read as input" in got[-1].message
    assert sorted(skipped) == sorted(str(crawl / d) for d in ("marked", "old", "sub/.partial-k3j"))


def test_the_output_folder_as_input_is_a_usage_error(tmp_path):
    write(tmp_path / "crawl" / "a.txt", S1)
    result = cli(str(tmp_path / "crawl"), "--out", str(tmp_path / "crawl"))
    assert result.exit_code == 2
    assert "is the output folder" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "crawl" / ".vnevents").exists()  # refused before anything was written


# --- 2. unique ids ------------------------------------------------------------------------------


def test_ids_are_the_path_under_the_input_folder(tmp_path):
    crawl = tmp_path / "crawl"
    write(crawl / "2017" / "tin.txt", S1)
    write(crawl / "2018" / "tin.txt", S2)
    write(crawl / "tin.html", f"<p>{S3}</p>")
    write(crawl / "lines.jsonl", json.dumps({"text": S1}, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    result = cli(str(crawl), "--out", str(out), "--workers", "1", "-q")
    assert result.exit_code == 0, result.output
    assert sorted(articles(out).id) == ["2017/tin", "2018/tin", "lines:1", "tin"]
    assert validate_file(out / "predictions.jsonl") == []
    # a file named on its own keeps its name without suffix
    assert [a.id for a in iter_articles([crawl / "2017" / "tin.txt"])] == ["tin"]


def test_repeated_ids_are_refused_line_by_line_not_merged(tmp_path):
    lines = [{"id": "x", "text": S1}, {"id": "y", "text": S2}, {"id": "x", "text": S3}]
    path = write(tmp_path / "in" / "news.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n")
    write(tmp_path / "in" / "a.txt", S1)
    write(tmp_path / "in" / "a.html", f"<p>{S2}</p>")
    out = tmp_path / "out"
    result = cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "-q")
    assert result.exit_code == 1
    arts = articles(out)
    assert len(arts) == 5  # every input has its row
    dup = arts[arts.source == f"{path}:3"].iloc[0]
    assert dup.status == "error"
    assert dup.error.startswith(f"line 3: duplicate id 'x', already used by {path}:1; not processed")
    assert f"error: {path}:3: line 3: duplicate id 'x'" in result.stderr
    html = arts[arts.source.str.endswith("a.txt")].iloc[0]
    assert html.status == "error" and "already used by" in html.error and "a.html" in html.error
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["a", "x", "y"] and preds[1]["text"] == S1
    assert validate_file(out / "predictions.jsonl") == []


def test_the_same_name_in_two_input_folders_is_reported(tmp_path):
    write(tmp_path / "a" / "tin.txt", S1)
    write(tmp_path / "b" / "tin.txt", S2)
    got = list(iter_articles([tmp_path / "a", tmp_path / "b"]))
    assert [(a.id, a.status) for a in got] == [("tin", "ok"), ("tin", "error")]
    assert f"already used by {tmp_path / 'a' / 'tin.txt'}" in got[1].message
    assert "run the folders separately" in got[1].message


# --- 3. one run at a time per output folder -----------------------------------------------------


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path):
    write(tmp_path / "in" / "a.txt", S1)
    out = tmp_path / "out"
    assert cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "-q").exit_code == 0
    before = (out / "predictions.jsonl").read_bytes()
    lock = lock_output_folder(out)
    try:
        result = cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "--force")
    finally:
        lock.release()
    assert result.exit_code == 3
    assert result.stderr.strip() == (f"error: another vnevents run is writing to {out}; wait for it to finish "
                                     "or choose another --out")
    assert (out / "predictions.jsonl").read_bytes() == before
    assert cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "-q").exit_code == 0  # lock released


def test_two_concurrent_runs_first_completes_second_refused(tmp_path):
    src = tmp_path / "in.jsonl"
    _write_jsonl(build_corpus(60, seed=3), src)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(src), "--out", str(out),
                              "--workers", "1", "-q"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".partial-*/predictions.jsonl")):
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.poll() else ""
        time.sleep(0.05)
    second = cli(str(src), "--out", str(out), "--workers", "1", "-q")
    assert second.exit_code == 3 and "another vnevents run is writing to" in second.stderr
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert len(articles(out)) == 60
    assert len((out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()) == 60


# --- 4. quiet runs; local workers only when they pay off; closed local clusters -----------------


def test_small_input_runs_in_this_process_quietly(tmp_path):
    write(tmp_path / "in" / "a.txt", S1)
    t0 = time.perf_counter()
    result = cli(str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "4")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "8787" not in result.output and "ERROR" not in result.output
    (line,) = result.stderr.splitlines()
    assert "with 1 process (fewer than 1,000,000 characters to process: 4 local workers" in line
    assert time.perf_counter() - t0 < 30


def test_local_cluster_is_tls_only_without_dashboard_and_silent(tmp_path, monkeypatch, capfd):
    distributed = pytest.importorskip("distributed")
    from distributed.security import Security

    src = tmp_path / "in.jsonl"
    _write_jsonl(build_corpus(24, seed=5), src)
    single = run([src], tmp_path / "single", workers=1, report=False)
    seen: dict = {}
    start_local = runner._Executor.start_local

    def spy(self):
        start_local(self)
        seen["cluster"] = self.cluster

    def probe(stats):  # while the workers run: can anyone else get in?
        if "cluster" not in seen or "probed" in seen:
            return
        seen["probed"] = True
        cluster = seen["cluster"]
        seen["address"] = cluster.scheduler_address
        for name, kwargs in (("no credentials", {}), ("other credentials", {"security": Security.temporary()})):
            try:
                with distributed.Client(cluster.scheduler_address, timeout="3s", **kwargs):
                    seen[name] = "connected"
            except Exception as exc:
                seen[name] = f"refused: {type(exc).__name__}"
        port = cluster.scheduler.http_server.port
        seen["http_port"] = port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /status HTTP/1.0\r\nHost: evil.example\r\n\r\n")
            seen["status"] = s.recv(100).split(b"\r\n")[0]

    monkeypatch.setattr(runner._Executor, "start_local", spy)
    capfd.readouterr()
    stats = run([src], tmp_path / "cluster", workers=2, report=False, parallel_min_chars=0, progress=probe,
                batch_size=4)
    captured = capfd.readouterr()
    assert stats.mode == "2 local worker processes" and stats.errors == 0 == single.errors
    assert seen["address"].startswith("tls://127.0.0.1:")
    assert seen["no credentials"].startswith("refused") and seen["other credentials"].startswith("refused")
    assert seen["http_port"] != 8787 and b" 404 " in seen["status"] + b" "  # no dashboard pages
    for noise in ("Traceback", "ERROR", "8787", "Warning"):
        assert noise not in captured.err + captured.out, captured.err
    assert ((tmp_path / "cluster" / "predictions.jsonl").read_bytes()
            == (tmp_path / "single" / "predictions.jsonl").read_bytes())


def test_the_dashboard_is_served_only_when_asked():
    pytest.importorskip("distributed")
    notes: list[str] = []
    executor = runner._Executor(1, None, dashboard=True, notice=notes.append)
    executor.start_local()
    try:
        port = executor.cluster.scheduler.http_server.port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            status = s.recv(100).split(b"\r\n")[0]
    finally:
        executor.close()
    assert status.endswith(b" 200 OK")
    assert notes == [f"Dask dashboard: http://127.0.0.1:{port}/status"]


# --- 5. publication dates -----------------------------------------------------------------------


def test_publication_dates_from_sidecar_record_dateline_and_option(tmp_path):
    crawl = tmp_path / "crawl"
    write(crawl / "sidecar.txt", "Ngày 24/9, Bộ Y tế tổ chức hội nghị.")
    write(crawl / "sub" / "byid.txt", "Ngày 24/9, Bộ Y tế tổ chức hội nghị.")
    write(crawl / "dateline.txt", "Thứ hai, 10h00 13/12/2021\nNgày 24/9, Bộ Y tế tổ chức hội nghị.")
    write(crawl / "nodate.txt", "Ngày 24/9, Bộ Y tế tổ chức hội nghị.")
    write(crawl / "news.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "rec-own", "text": "Ngày 24/9, Bộ Y tế họp.", "published": "2015-01-05"},
        {"id": "rec-tsv", "text": "Ngày 24/9, Bộ Y tế họp.", "published": "2015-01-05"},
        {"id": "rec-tsv2", "text": "Ngày 24/9, Bộ Y tế họp."},
    ]) + "\n")
    write(crawl / "published.tsv", "file\tid\tpublished\nsidecar.txt\t\t2019-12-31\n\tbyid\t2018-10-01\n"
                                   "\trec-tsv\t2016-02-02\n\trec-tsv2\t2016-02-03\n\tnodate\tnot a date\n")
    out = tmp_path / "out"
    result = cli(str(crawl), "--out", str(out), "--workers", "1", "--published", "2017-12-30", "-q")
    assert result.exit_code == 0, result.output
    arts = articles(out).set_index("id")
    assert list(arts.columns[:4]) == ["source", "published", "date_source", "status"]
    expected = {"sidecar": ("2019-12-31", "published"), "sub/byid": ("2018-10-01", "published"),
                "dateline": ("2021-12-13", "dateline"), "nodate": ("2017-12-30", "given"),
                "rec-own": ("2015-01-05", "published"), "rec-tsv": ("2015-01-05", "published"),
                "rec-tsv2": ("2016-02-03", "published")}
    for art_id, (date, source) in expected.items():
        assert (arts.loc[art_id, "published"], arts.loc[art_id, "date_source"]) == (date, source), art_id
    mentions = pd.read_parquet(out / "mentions.parquet")
    dates = mentions[mentions.text == "Ngày 24/9"].set_index("article_id").value
    assert dates["sidecar"] == "2019-09-24" and dates["nodate"] == "2017-09-24" and dates["dateline"] == "2021-09-24"
    sidecar = arts.loc[str(crawl / "published.tsv")]  # the ignored row is said, once
    assert sidecar.status == "warning" and "line 6: 'not a date' is not a date (YYYY-MM-DD); ignored" in sidecar.error
    # without --published the undated article has no reference date
    again = tmp_path / "again"
    assert cli(str(crawl / "nodate.txt"), "--out", str(again), "--workers", "1", "-q").exit_code == 0
    arts = articles(again)
    assert arts[arts.id == "nodate"].date_source.tolist() == ["none"]


@pytest.mark.parametrize("given", ["corpus/dev", "corpus/dev/raw"])
def test_dev_corpus_sidecar_layout(given):
    table = pd.read_csv(ROOT / "corpus" / "dev" / "published.tsv", sep="\t", dtype=str, keep_default_na=False)
    dates = dict(zip(table.id, table.published))
    got = list(iter_articles([ROOT / given]))
    assert got and all(a.status == "ok" for a in got), [a.message for a in got if a.status != "ok"]
    dated = 0
    for art in got:
        date = dates[Path(art.source).stem]
        if date == "null":  # the sidecar's way of saying "unknown"
            assert (art.published, art.date_source) == (None, ""), art.source
        else:
            assert (art.published, art.date_source) == (date, "published"), art.source
            dated += 1
    assert dated >= len(got) - 5


def test_a_sidecar_without_the_columns_is_an_error_row(tmp_path):
    write(tmp_path / "a.txt", S1)
    write(tmp_path / "published.tsv", "name\tdate\na.txt\t2020-01-01\n")
    got = list(iter_articles([tmp_path]))
    assert [(a.id, a.status, a.published) for a in got][0] == ("a", "ok", None)
    assert got[1].status == "error" and 'needs a header line with the columns "published"' in got[1].message


# --- 6. nothing silently skipped ----------------------------------------------------------------


def test_an_unreadable_folder_gets_a_row(tmp_path, monkeypatch):
    crawl = tmp_path / "crawl"
    write(crawl / "a.txt", S1)
    write(crawl / "locked" / "b.txt", S2)
    locked = crawl / "locked"
    if os.geteuid() == 0:  # root reads any folder: make this one fail as it would for a user
        real_scandir = os.scandir

        def scandir(path="."):  # rmtree also calls it with a file descriptor
            if not isinstance(path, int) and os.fspath(path) == str(locked):
                raise PermissionError(errno.EACCES, "Permission denied", str(locked))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        result = cli(str(crawl), "--out", str(tmp_path / "out"), "--workers", "1", "-q")
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 1
    arts = articles(tmp_path / "out")
    row = arts[arts.source == str(locked)].iloc[0]
    assert (row.id, row.status) == ("locked", "error")
    assert row.error == "cannot read folder (permission denied); its files were not read"
    assert f"error: {locked}: cannot read folder (permission denied)" in result.stderr
    assert arts[arts.id == "a"].status.tolist() == ["ok"]


@pytest.mark.parametrize("bad_line", [1, 2])
def test_invalid_utf8_in_one_jsonl_line_loses_only_that_line(tmp_path, bad_line):
    texts = [S1, S2, S3]
    lines = [json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False).encode() for i, t in enumerate(texts)]
    at = lines[bad_line - 1].index(b'"text": "') + 9  # where the text starts
    lines[bad_line - 1] = lines[bad_line - 1][:at] + b"\xff\xfe\xfd\xfc" + lines[bad_line - 1][at:]
    path = write(tmp_path / "news.jsonl", b"\n".join(lines) + b"\n")
    got = list(iter_articles([path]))
    assert [(a.id, a.status) for a in got] == [
        ("news:1" if bad_line == 1 else "r0", "error" if bad_line == 1 else "ok"),
        ("news:2" if bad_line == 2 else "r1", "error" if bad_line == 2 else "ok"),
        ("r2", "ok")]
    bad = got[bad_line - 1]
    assert bad.message == f"line {bad_line}: not valid UTF-8 at byte {at} of the line; only this line is skipped"
    assert [a.text for a in got if a.status == "ok"] == [t for i, t in enumerate(texts) if i != bad_line - 1]


def test_a_stray_byte_in_a_jsonl_line_is_replaced_not_lost(tmp_path):
    long = " ".join([S1, S2, S3])
    line = json.dumps({"id": "r0", "text": long}, ensure_ascii=False).encode()
    at = line.index("Sáng".encode())
    path = write(tmp_path / "news.jsonl", line[:at] + b"\xff" + line[at:] + b"\n" + line.replace(b"r0", b"r1") + b"\n")
    first, second = iter_articles([path])
    assert (first.id, first.status, second.status) == ("r0", "warning", "ok")
    assert first.text == long.replace("Sáng", "\ufffdSáng")
    assert first.message == (f"line 1: not valid UTF-8 at byte {at} of the line; decoded with 1 invalid byte "
                             "sequence replaced by \ufffd")


# --- 7. one clear line and a distinct exit status for each folder/cluster problem ---------------


@pytest.mark.parametrize("force", [False, True])
def test_a_corrupt_cache_is_moved_aside(tmp_path, force):
    write(tmp_path / "in" / "a.txt", S1)
    out = tmp_path / "out"
    write(out / "cache.sqlite", b"this is not a database, it was truncated by a full disk" * 100)
    result = cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", *(["--force"] if force else []))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    (note,) = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert "cache.sqlite is not a usable database" in note and "moved it to cache.sqlite.corrupt-" in note
    (aside,) = out.glob("cache.sqlite.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    again = cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1")
    assert "(0 processed, 1 from cache" in again.stderr  # the new cache works


def test_output_folder_problems_exit_4_with_one_line(tmp_path, monkeypatch):
    write(tmp_path / "in" / "a.txt", S1)
    write(tmp_path / "file.txt", "x")
    cases = {
        str(tmp_path / "no" / "such" / "out"): f"its parent folder {tmp_path / 'no' / 'such'} does not exist",
        str(tmp_path / "file.txt" / "out"): f"{tmp_path / 'file.txt'} is a file, not a folder",
    }
    for out, reason in cases.items():
        result = cli(str(tmp_path / "in"), "--out", out)
        assert result.exit_code == 4, result.output
        assert result.stderr == f"error: cannot create the output folder {out}: {reason}\n"
    # a read-only folder, and a read-only parent: chmod for users; root writes anywhere, so there
    # the file system refuses instead
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:
        real_open, real_mkdir = os.open, os.mkdir

        def read_only(path, flags, *args, **kwargs):
            if os.fspath(path).startswith(str(ro)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        def no_mkdir(path, *args, **kwargs):
            if os.fspath(path).startswith(str(ro)):
                raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", read_only)
        monkeypatch.setattr(os, "mkdir", no_mkdir)
        expected = "read-only file system"
    else:
        ro.chmod(0o555)
        expected = "permission denied"
    try:
        in_folder = cli(str(tmp_path / "in"), "--out", str(ro))
        under = cli(str(tmp_path / "in"), "--out", str(ro / "out"))
    finally:
        ro.chmod(0o755)
    assert in_folder.exit_code == 4 == under.exit_code
    assert in_folder.stderr == f"error: cannot write in the output folder {ro} ({expected})\n"
    assert under.stderr == f"error: cannot create the output folder {ro / 'out'} ({expected})\n"


def test_a_full_disk_while_writing_exits_4_and_keeps_previous_outputs(tmp_path, monkeypatch):
    write(tmp_path / "in" / "a.txt", S1)
    out = tmp_path / "out"
    assert cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "-q").exit_code == 0
    before = {n: (out / n).read_bytes() for n in PUBLISHED}

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs.OutputWriter, "add", full)
    result = cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "--force")
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write the outputs in {out} (no space left on the device)\n"
    assert {n: (out / n).read_bytes() for n in PUBLISHED} == before
    assert not list(out.glob(".partial-*"))


def test_an_unreachable_scheduler_exits_5_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "SCHEDULER_TIMEOUT", "1s")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write(tmp_path / "in" / "a.txt", S1)
    result = cli(str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}")
    assert result.exit_code == 5
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} (")
    assert "Traceback" not in result.output


# --- 8. a time limit per article; deep HTML in linear time -----------------------------------


def test_an_article_over_the_time_limit_is_reported_and_the_run_goes_on(tmp_path):
    slow = (S1 + " ") * 3000  # ~250,000 characters: seconds of work
    path = write(tmp_path / "news.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "before", "text": S2}, {"id": "slow", "text": slow}, {"id": "after", "text": S3}]) + "\n")
    runner.process_article(("warm", "", S1, None))  # models loaded before the clock matters
    t0 = time.perf_counter()
    stats = run([path], tmp_path / "out", workers=1, report=False, article_timeout=0.5)
    assert time.perf_counter() - t0 < 30
    arts = articles(tmp_path / "out").set_index("id")
    assert arts.loc["slow", "status"] == "error"
    assert arts.loc["slow", "error"].startswith("took longer than the time limit of 0.5 s per article")
    assert arts.loc["before", "status"] == arts.loc["after", "status"] == "ok"
    assert arts.loc["after", "mentions"] > 0 and stats.failed == [(f"{path}:2", arts.loc["slow", "error"])]
    # the pipeline is sound after the interruption
    assert runner.process_article(("again", "", S1, None))["mentions"] == \
        runner.process_article(("again", "", S1, None), timeout=60)["mentions"]


def test_deeply_nested_html_is_read_in_linear_time():
    n = 20_000
    markup = "<html><body>" + "<div>Ngày 15/6/2021 Bộ Y tế " * n + "</div>" * n + "<pre>a   b</pre></body></html>"
    t0 = time.perf_counter()
    text, status, _ = read_text(markup.encode(), name="deep.html")
    assert time.perf_counter() - t0 < 5  # was minutes: each text node walked its ancestors
    assert status == "ok" and text.count("Ngày 15/6/2021 Bộ Y tế") == n
    assert text.endswith("a   b")  # <pre> keeps its spaces
    text, _, _ = read_text(b"<html><body><pre>x   <b>y   z</b></pre><p>u   v</p></body></html>", name="p.html")
    assert text == "x   y   z\n\nu v"


# --- 9. CSV cells are not formulas ---------------------------------------------------------------


def test_csv_cells_are_neutralised_not_parquet(tmp_path):
    write(tmp_path / "in" / "=HYPERLINK(evil).txt", "- " + S1 + "\n@Bộ Y tế +tăng 5%.")
    out = tmp_path / "out"
    assert cli(str(tmp_path / "in"), "--out", str(out), "--workers", "1", "-q").exit_code == 0
    arts = articles(out)
    assert arts.id.tolist() == ["'=HYPERLINK(evil)"]
    events_csv = pd.read_csv(out / "events.csv", keep_default_na=False)
    events_pq = pd.read_parquet(out / "events.parquet")
    assert set(events_csv.article_id) == {"'=HYPERLINK(evil)"} and set(events_pq.article_id) == {"=HYPERLINK(evil)"}
    assert events_pq.sentence.str.startswith("- ").any()
    assert events_csv.sentence.str.startswith("'- ").any() and not events_csv.sentence.str.startswith("- ").any()
    mentions_csv = pd.read_csv(out / "mentions.csv", keep_default_na=False)
    assert set(mentions_csv.article_id) == {"'=HYPERLINK(evil)"}
    for cell, safe in [("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
                       ("\t=x", "'\t=x"), ("-1.4", "-1.4"), ("+5", "+5"), ("2021-06", "2021-06"), ("", "")]:
        assert safe_cell(cell) == safe


# --- 10. the output set is published in one step ---------------------------------------------------


def _view(out: Path) -> tuple:
    """What a reader sees in ``out``, checked to be one coherent set."""
    manifest = json.loads((out / "manifest.json").read_text())
    arts = articles(out)
    preds = [json.loads(line)["id"] for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    mentions = pd.read_parquet(out / "mentions.parquet")
    assert manifest["articles"] == len(arts) == len(preds)
    assert sorted(arts.id) == sorted(preds) and set(mentions.article_id) <= set(preds)
    assert len(mentions) == arts.mentions.sum() == len(pd.read_csv(out / "mentions.csv"))
    for name, info in manifest["files"].items():
        assert (out / name).stat().st_size == info["bytes"], name
    return tuple(sorted(preds))


@pytest.mark.parametrize("legacy", [False, True])
def test_a_crash_at_any_step_of_publishing_leaves_one_whole_set(tmp_path, monkeypatch, legacy):
    write(tmp_path / "a" / "one.txt", S1)
    write(tmp_path / "b" / "two.txt", S2)
    write(tmp_path / "b" / "three.txt", S3)
    out = tmp_path / "out"
    run([tmp_path / "a"], out, workers=1)
    if legacy:  # outputs of a vnevents that wrote plain files
        for name in PUBLISHED:
            data = (out / name).read_bytes()
            (out / name).unlink()
            (out / name).write_bytes(data)
        generation = out / os.readlink(out / ".current")
        (out / ".current").unlink()
        shutil.rmtree(generation)
    old = _view(out)
    real = {name: getattr(os, name) for name in ("replace", "rename", "link", "symlink")}
    step = 0
    while True:
        step += 1
        calls = [0]

        def crash_at(name):
            def fs_step(*args, **kwargs):
                calls[0] += 1
                if calls[0] == step:
                    raise KeyboardInterrupt("killed")
                return real[name](*args, **kwargs)
            return fs_step

        for name in real:
            monkeypatch.setattr(os, name, crash_at(name))
        try:
            run([tmp_path / "b"], out, workers=1)
            finished = True
        except KeyboardInterrupt:
            finished = False
        finally:
            for name in real:
                monkeypatch.setattr(os, name, real[name])
        seen = _view(out)
        if finished:
            assert seen == ("three", "two")
            break
        assert seen in (old, ("three", "two")), step
        assert step < 100
    assert step >= 5  # a crash was tried at each step before the run could finish
    for name in PUBLISHED:
        assert os.readlink(out / name) == f".current/{name}"
    assert len(list(out.glob(".run-*"))) == 1 and not list(out.glob(".partial-*"))


# --- a crawl as users lay it out: every article has its row and its mentions ------------------


def test_a_crawl_with_real_forms_loses_no_article(tmp_path):
    forms = [S1, S2, S3, "Trong quý I, doanh thu đạt 5 tỷ đồng.", "Cuối tháng Sáu, Bộ Y tế ban hành Thông tư 15/2015.",
             "Chỉ số giá giảm (-1,4%) so với tháng Mười.", "Ngày 08 – 11/7, Bộ Công an tổ chức hội nghị."]
    crawl = tmp_path / "crawl"
    for i, text in enumerate(forms):
        write(crawl / f"2017/{i % 3}" / f"bai{i // 3}.txt", text)  # names repeat across folders
    write(crawl / "2017" / "trang.html", f"<html><body><p>{S1}</p><p>Ảnh: {S2}</p></body></html>")
    write(crawl / "lines.jsonl", "\n".join(json.dumps({"id": f"j{i}", "text": t}, ensure_ascii=False)
                                           for i, t in enumerate(forms)) + "\n")
    write(crawl / "published.tsv", "id\tpublished\nj0\t2017-03-01\n")
    files = sorted(p for p in crawl.rglob("*") if p.suffix in (".txt", ".html"))
    out = crawl / "out"
    for attempt in (1, 2):
        result = cli(str(crawl), "--out", str(out), "--published", "2017-06-30")
        assert result.exit_code == 0, result.output
        arts = articles(out)
        assert len(arts) == len(files) + len(forms) and arts.id.is_unique
        assert set(arts.status) == {"ok"} and (arts.mentions > 0).all(), arts[["id", "status", "error", "mentions"]]
        assert "Traceback" not in result.output
