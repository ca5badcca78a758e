"""Throughput and memory benchmark (``vnevents bench``, ``make bench``).

Builds a deterministic corpus of N articles by recombining the sentences of the
bundled corpus, then measures on the same texts, in one run:

* vnevents, the whole ``run()`` (read JSONL, extract, write outputs; no cache,
  no report), with 1 worker and with each requested worker count (a Dask
  LocalCluster, started and warmed up before the clock starts);
  throughputs are the best of ``REPEATS`` timed runs, after a warm-up;
* underthesea word segmentation alone on every sentence (the floor of any
  pipeline that segments every sentence);
* the baseline combination a user would reach for: underthesea ``ner`` on every
  sentence plus ``dateparser.search_dates`` on the article (on a subset, it is slow);
* peak memory (RSS) of a single-process run at N and at 10 x N articles, each
  in a fresh subprocess (``bench_memory``; ``--memory-only`` measures only this).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "corpus" / "raw"


def _sentences() -> list[str]:
    from .reader import iter_articles
    from .segment import sentence_bounds

    out = []
    for art in iter_articles([BUNDLED]):
        out += [art.text[s:e].strip() for s, e in sentence_bounds(art.text) if len(art.text[s:e].strip()) > 20]
    return out


def build_corpus(n: int, seed: int = 0) -> list[dict]:
    """N articles of 8-30 bundled sentences each, with a dateline; the same for the same (n, seed)."""
    sents = _sentences()
    rng = random.Random(seed)
    out = []
    for i in range(n):
        body = [rng.choice(sents) for _ in range(rng.randint(8, 30))]
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2024)
        text = f"Bài {i}\n\nPV | {day:02d}/{month:02d}/{year} 08:00\n\n" + "\n".join(body) + "\n"
        out.append({"id": f"bench-{i:06d}", "text": text})
    return out


def _write_jsonl(records: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _rate(n_articles: int, n_chars: int, seconds: float) -> dict:
    return {"articles": n_articles, "seconds": round(seconds, 3), "articles_per_s": round(n_articles / seconds, 2),
            "chars_per_s": round(n_chars / seconds)}


WARMUP = 20   # articles processed before any clock starts (models loaded, caches filled)
REPEATS = 3   # each throughput is the best of this many timed runs (the machine is shared)


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def time_vnevents(path: Path, n: int, chars: int, workers: int, repeats: int = REPEATS) -> dict:
    """The whole run on ``path`` with ``workers`` workers (cluster start-up and warm-up not timed)."""
    from .runner import process_batch, run

    warm = [(r["id"], "", r["text"], None) for r in build_corpus(WARMUP, seed=99)]
    with tempfile.TemporaryDirectory() as out:
        if workers == 1:
            process_batch(warm)
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                run([path], out, workers=1, force=True, report=False)
                runs.append(_rate(n, chars, time.perf_counter() - t0))
            return _best(runs)
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.run(process_batch, warm)  # warm every worker
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                run([path], out, force=True, report=False, client=client)
                runs.append(_rate(n, chars, time.perf_counter() - t0))
            return _best(runs)


def time_segmentation(records: list[dict], repeats: int = REPEATS) -> dict:
    """underthesea word_tokenize on every sentence (sentences split as vnevents splits them)."""
    from underthesea import word_tokenize

    from .segment import sentence_bounds

    for rec in build_corpus(WARMUP, seed=99):
        for s, e in sentence_bounds(rec["text"]):
            word_tokenize(rec["text"][s:e])
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for rec in records:
            text = rec["text"]
            for s, e in sentence_bounds(text):
                word_tokenize(text[s:e])
        runs.append(_rate(len(records), sum(len(r["text"]) for r in records), time.perf_counter() - t0))
    return _best(runs)


def time_baseline(records: list[dict]) -> dict:
    """underthesea ner on every sentence + dateparser.search_dates on the article."""
    from dateparser.search import search_dates
    from underthesea import ner

    from .segment import sentence_bounds

    ner("Bộ Thông tin và Truyền thông")
    search_dates("ngày 1/1/2021", languages=["vi"])
    t0 = time.perf_counter()
    for rec in records:
        text = rec["text"]
        for s, e in sentence_bounds(text):
            ner(text[s:e])
        search_dates(text, languages=["vi"], settings={"DATE_ORDER": "DMY"})
    return _rate(len(records), sum(len(r["text"]) for r in records), time.perf_counter() - t0)


def stage_times(records: list[dict]) -> dict:
    """Seconds spent in each stage of extract() over ``records`` (where the time goes)."""
    from .dates import detect_published
    from .mentions import MENTIONS
    from .nlp import get_nlp
    from .records import doc_to_record

    nlp = get_nlp()
    times: dict[str, float] = {}

    def clock(stage: str, t0: float) -> float:
        now = time.perf_counter()
        times[stage] = times.get(stage, 0.0) + now - t0
        return now

    for rec in records:
        t = time.perf_counter()
        doc = nlp.make_doc(rec["text"])
        t = clock("tokenizer (sentences, syllables, word segmentation where needed, Doc)", t)
        doc._.published = detect_published(rec["text"])
        doc.spans[MENTIONS] = []
        t = clock("article date", t)
        for name, proc in nlp.pipeline:
            doc = proc(doc)
            t = clock(name, t)
        doc_to_record(doc, id=rec["id"], source="", published=doc._.published)
        clock("record", t)
    return {k: round(v, 3) for k, v in times.items()}


def peak_rss_mb(n: int) -> float:
    """Peak RSS (MB) of a fresh single-process ``run()`` on n bench articles.

    The corpus is built and written here, before the measured process starts:
    that process only reads the file and runs, so its peak is the pipeline's
    (the corpus held as Python strings would be 6 MB per 1,000 articles).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        _write_jsonl(build_corpus(n), path)
        code = ("import resource, pathlib\n"
                "from pipeline.runner import run\n"
                f"run([pathlib.Path({str(path)!r})], pathlib.Path({str(Path(tmp) / 'out')!r}), workers=1, "
                "force=True, report=False)\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return round(int(out.stdout.strip().splitlines()[-1]) / 1024, 1)


def bench(n: int = 100, workers: list[int] | None = None, memory: bool = True, baseline_articles: int = 20) -> dict:
    """Run every measurement; returns a JSON-able dict (see the module docstring)."""
    workers = workers or sorted({1, os.cpu_count() or 1})
    records = build_corpus(n)
    chars = sum(len(r["text"]) for r in records)
    result: dict = {"articles": n, "chars": chars, "cores": os.cpu_count(), "vnevents": {}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        _write_jsonl(records, path)
        # single-process vnevents and segmentation alone are timed in alternation, so that
        # drift in the machine's speed affects both alike; each keeps its best run
        single, seg = [], []
        for _ in range(REPEATS):
            single.append(time_vnevents(path, n, chars, 1, repeats=1))
            seg.append(time_segmentation(records, repeats=1))
        result["vnevents"]["1"] = _best(single)
        result["segmentation_only"] = _best(seg)
        for w in workers:
            if w != 1:
                result["vnevents"][str(w)] = time_vnevents(path, n, chars, w)
    result["stages_seconds"] = stage_times(records)
    result["baseline_ner_dateparser"] = time_baseline(records[:baseline_articles])
    one = result["vnevents"]["1"]["articles_per_s"]
    result["ratios"] = {
        "vnevents_1_vs_segmentation": round(one / result["segmentation_only"]["articles_per_s"], 2),
        "vnevents_1_vs_baseline": round(one / result["baseline_ner_dateparser"]["articles_per_s"], 2),
    }
    for w in workers:
        if w > 1:
            result["ratios"][f"vnevents_{w}_vs_1"] = round(result["vnevents"][str(w)]["articles_per_s"] / one, 2)
    if memory:
        result.update(bench_memory(n))
    return result


def bench_memory(n: int) -> dict:
    """Peak RSS only (``vnevents bench --memory-only``): a fresh single-process run at n and at 10 x n
    articles; ``{"peak_rss_mb": {"n": MB, "10n": MB}, "peak_rss_ratio": MB at 10 x n / MB at n}``."""
    small, large = peak_rss_mb(n), peak_rss_mb(10 * n)
    return {"peak_rss_mb": {str(n): small, str(10 * n): large}, "peak_rss_ratio": round(large / small, 3)}


def print_memory(result: dict) -> None:
    """The peak-memory figures of ``bench_memory``, one line."""
    from rich.console import Console

    Console().print("peak RSS (MB), single process: " + ", ".join(
        f"{k} articles: {v}" for k, v in result["peak_rss_mb"].items()) + f" (ratio {result['peak_rss_ratio']})")


def print_bench(result: dict) -> None:
    """The benchmark as a table (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result['articles']} articles, {result['chars']:,} characters, {result['cores']} cores")
    for col in ("system", "articles/s", "characters/s", "seconds"):
        table.add_column(col, justify="left" if col == "system" else "right")
    rows = [(f"vnevents run, {w} worker{'s' if w != '1' else ''}", r) for w, r in result["vnevents"].items()]
    rows += [("underthesea word segmentation alone", result["segmentation_only"]),
             (f"underthesea ner + dateparser.search_dates ({result['baseline_ner_dateparser']['articles']} articles)",
              result["baseline_ner_dateparser"])]
    for name, r in rows:
        table.add_row(name, f"{r['articles_per_s']:.1f}", f"{r['chars_per_s']:,}", f"{r['seconds']:.1f}")
    console = Console()
    console.print(table)
    for k, v in result["ratios"].items():
        console.print(f"{k}: {v}x")
    total = sum(result["stages_seconds"].values())
    console.print("where the time goes (single process): " + ", ".join(
        f"{k} {v / total:.0%}" for k, v in sorted(result["stages_seconds"].items(), key=lambda kv: -kv[1])))
    if "peak_rss_mb" in result:
        print_memory(result)


# --- resolution at scale (``vnevents bench --resolve N``) -------------------------------------------

STORY_ARTICLES = 3   # each synthetic story is reported by this many articles (its statements restate each other)
DEV_RAW = ROOT / "corpus" / "dev" / "raw"


def source_event_rows() -> list[list[dict]]:
    """The event rows (``events.parquet`` columns) of each bundled article that has events, extracted once."""
    from .nlp import extract
    from .reader import iter_articles
    from .records import doc_to_record, event_rows

    out = []
    for art in iter_articles([p for p in (BUNDLED, DEV_RAW) if p.exists()]):
        doc = extract(art.text, article_id=art.id)
        rows = event_rows(doc_to_record(doc, id=art.id, source="", published=doc._.published))
        if rows:
            out.append(rows)
    return out


def _tag(story: int) -> str:
    """A word of letters naming a synthetic story (so that its objects and documents are its own)."""
    letters = "bcdghklmnpqrstvx"
    word = ""
    while True:
        story, r = divmod(story, len(letters))
        word += letters[r]
        if not story:
            return "z" + word


def _shift_day(value: str | None, days: int) -> str | None:
    import datetime as dt
    import re

    if not value or not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return value
    return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()


def synth_rows(n: int, sources: list[list[dict]], seed: int = 0):
    """Event rows of ``n`` synthetic articles, deterministic for (n, sources, seed), one article at a time.

    Articles come in stories of ``STORY_ARTICLES``: a story takes one bundled
    article's events, gives them its own object word, document numbers, days
    and values (so different stories are different events that share their
    wording, as real news does), and each of its articles states a random
    two thirds to all of them.
    """
    import re

    for i in range(n):
        story = i // STORY_ARTICLES
        rng = random.Random(seed * 1_000_003 + i)
        base = sources[random.Random(seed * 7919 + story).randrange(len(sources))]
        tag, factor, days = _tag(story), 1 + (story % 1000) / 10_000, story % 3650
        keep = [r for r in base if rng.random() < 0.85] or base[:1]
        for k, row in enumerate(keep):
            new = dict(row)
            new["article_id"], new["event"] = f"syn-{i:07d}", k
            new["object"] = f"{row['object']} {tag}" if row.get("object") else None
            new["documents"] = " | ".join(re.sub(r"^\d+", lambda m: str(int(m.group()) + 1000 * story), d)
                                          for d in (row.get("documents") or "").split(" | ") if d) or None
            new["date_value"] = _shift_day(row.get("date_value"), days)
            for col in ("value_number", "value_low", "value_high"):
                if row.get(col) is not None:
                    new[col] = round(row[col] * factor, 4)
            yield new


def write_synthetic_run(folder: Path, n: int, sources: list[list[dict]], seed: int = 0) -> int:
    """An unpublished run folder of ``n`` synthetic articles (``events.parquet``, ``predictions.jsonl``),
    written in batches; returns the number of statements."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .outputs import EVENT_SCHEMA, _frame
    from .records import EVENT_COLUMNS

    folder.mkdir(parents=True, exist_ok=True)
    writer = pq.ParquetWriter(folder / "events.parquet", EVENT_SCHEMA)
    total, batch, events_of = 0, [], {}
    with open(folder / "predictions.jsonl", "w", encoding="utf-8") as preds:
        def flush() -> None:
            writer.write_table(pa.Table.from_pandas(_frame(batch, EVENT_COLUMNS, EVENT_SCHEMA), schema=EVENT_SCHEMA,
                                                    preserve_index=False))
            for aid, types in events_of.items():
                preds.write(json.dumps({"id": aid, "events": [{"type": t} for t in types]}) + "\n")
            batch.clear()
            events_of.clear()

        for row in synth_rows(n, sources, seed):
            if len(batch) >= 20_000 and row["event"] == 0:
                flush()
            batch.append(row)
            events_of.setdefault(row["article_id"], []).append(row["type"])
            total += 1
        if batch:
            flush()
    writer.close()
    return total


def time_resolution(folder: Path) -> dict:
    """Seconds and peak RSS (MB) of the canonical post-pass (``write_canonical``) on a run folder, in a
    fresh process, so that the peak is the resolution's own."""
    code = ("import resource, sys, time, pathlib\n"
            "from pipeline.canonical import write_canonical\n"
            "t0 = time.perf_counter()\n"
            f"write_canonical(pathlib.Path({str(folder)!r}))\n"
            "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    seconds, rss = out.stdout.strip().splitlines()[-1].split()
    return {"seconds": round(float(seconds), 2), "peak_rss_mb": round(int(rss) / 1024, 1)}


def bench_resolution(n: int, run_articles: int = 100) -> dict:
    """Resolution of canonical events at n / 10 and n synthetic articles: seconds, peak RSS, statements,
    events; and its share of a whole run, against ``vnevents run`` timed on ``run_articles`` bench articles."""
    import pyarrow.parquet as pq

    sources = source_event_rows()
    result: dict = {"sizes": {}, "source_articles": len(sources)}
    for size in sorted({max(1, n // 10), n}):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "run"
            statements = write_synthetic_run(folder, size, sources)
            measured = time_resolution(folder)
            events = pq.ParquetFile(folder / "canonical_events.parquet").metadata.num_rows
            result["sizes"][str(size)] = {"articles": size, "statements": statements, "events": events, **measured,
                                          "articles_per_s": round(size / max(measured["seconds"], 1e-9), 1)}
    result["run_1_worker"] = run_with_statements(run_articles)
    largest = result["sizes"][str(n)]
    per_statement = largest["seconds"] / largest["statements"]
    run = result["run_1_worker"]
    result["resolution_share_of_run"] = round(per_statement * run["statements_per_article"]
                                              / (run["seconds"] / run["articles"]), 4)
    return result


def run_with_statements(n: int) -> dict:
    """One timed single-process ``vnevents run`` on n bench articles (after a warm-up), with the number
    of statements it found: the density at which resolution's share of a run is computed."""
    import pyarrow.parquet as pq

    from .runner import process_batch, run

    records = build_corpus(n)
    process_batch([(r["id"], "", r["text"], None) for r in build_corpus(WARMUP, seed=99)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        _write_jsonl(records, path)
        t0 = time.perf_counter()
        run([path], Path(tmp) / "out", workers=1, force=True, report=False)
        seconds = time.perf_counter() - t0
        statements = pq.ParquetFile(Path(tmp) / "out" / "events.parquet").metadata.num_rows
    rate = _rate(n, sum(len(r["text"]) for r in records), seconds)
    return {**rate, "statements": statements, "statements_per_article": round(statements / n, 2)}


def print_resolution_bench(result: dict) -> None:
    """The resolution benchmark as a table (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Canonical-event resolution (statements from {result['source_articles']} bundled articles)")
    for col in ("articles", "statements", "events", "seconds", "articles/s", "peak RSS (MB)"):
        table.add_column(col, justify="right")
    for r in result["sizes"].values():
        table.add_row(f"{r['articles']:,}", f"{r['statements']:,}", f"{r['events']:,}", f"{r['seconds']:.1f}",
                      f"{r['articles_per_s']:,.0f}", f"{r['peak_rss_mb']:.0f}")
    console = Console()
    console.print(table)
    run = result["run_1_worker"]
    console.print(f"vnevents run, 1 worker: {run['articles_per_s']:.1f} articles/s, {run['statements_per_article']} "
                  f"statements an article; resolution (at the largest size's cost per statement) adds "
                  f"{result['resolution_share_of_run']:.1%} to its run time")
