"""Running the pipeline over any number of articles: stream, cache, parallelise.

``run()`` reads articles lazily (``reader.iter_articles``), groups them in
batches, looks each article up in the result cache, sends the misses to the
workers and writes results in input order as they arrive (``OutputWriter``).
At most ``window`` batches are in flight, so memory stays flat.

One code path serves all scales through Dask: ``workers=1`` runs in this
process; ``workers=N`` starts a ``distributed.LocalCluster`` of N worker
processes; ``scheduler="tcp://host:8786"`` uses an existing cluster. Each worker
process builds the pipeline once (``nlp.get_nlp`` is cached per process), not
once per article.

Cache: ``OUT/cache.sqlite`` maps a key (hash of the text, its publication date,
the package version and the resource files) to the article's result. A re-run
after an interruption, or with new articles, processes only what is missing;
``force=True`` ignores the cache.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import sqlite3
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import __version__
from .outputs import OutputWriter, Prepared, prepare
from .reader import Article, iter_articles
from .resources import resources_fingerprint

BATCH = 32
MAX_CHARS = 500_000  # longer articles are refused: a stated limit, not a slow run


def process_article(item: tuple[str, str, str, str | None]) -> dict:
    """Process one (id, source, text, published): the record, never an exception."""
    art_id, source, text, published = item
    try:
        from .nlp import extract
        from .records import doc_to_record

        doc = extract(text, published=published, article_id=art_id)
        return doc_to_record(doc, id=art_id, source=source, published=published or doc._.published)
    except Exception as exc:  # one bad article must not stop the run
        return {"id": art_id, "source": source, "published": published, "text": text, "mentions": [],
                "events": [], "status": "error", "message": f"extraction failed: {type(exc).__name__}: {exc}"}


def encode(record: dict) -> bytes:
    """A record as stored in the cache (compressed JSON)."""
    return zlib.compress(json.dumps(record, ensure_ascii=False).encode())


def process_batch(items: list[tuple[str, str, str, str | None]]) -> tuple[list[tuple[dict, bytes]], Prepared]:
    """Process a batch in one worker call (amortises scheduling).

    Returns each record with its cache encoding, and the batch's output pieces
    (``outputs.prepare``), made here so that the process writing the outputs
    does as little as possible.
    """
    out = []
    for item in items:
        rec = process_article(item)
        out.append((rec, encode(rec) if rec.get("status") != "error" else b""))
    return out, prepare([rec for rec, _ in out])


def cache_key(text: str, published: str | None) -> str:
    """The cache key of an article: its content, its date and the pipeline's version."""
    h = hashlib.sha256()
    for part in (__version__, resources_fingerprint(), published or "", text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class ResultCache:
    """SQLite store of finished results, committed batch by batch."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, record BLOB NOT NULL)")

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        rows = self.db.execute(
            f"SELECT key, record FROM results WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()
        return {k: json.loads(zlib.decompress(v)) for k, v in rows}

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        """Store (key, encoded record) pairs in one transaction."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO results (key, record) VALUES (?, ?)", items)

    def close(self) -> None:
        self.db.close()


@dataclass
class RunStats:
    """What a run did."""

    articles: int = 0
    processed: int = 0
    cached: int = 0
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warned: list[tuple[str, str]] = field(default_factory=list)


class _Executor:
    """submit(batch) -> handle; result(handle) -> records. Dask or in-process."""

    def __init__(self, workers: int, scheduler: str | None, client=None) -> None:
        self.client = self.cluster = None
        self.owned = client is None
        if client is not None:
            self.client = client
        elif scheduler or workers > 1:
            from distributed import Client, LocalCluster

            if scheduler:
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)

    def submit(self, batch):
        if self.client is None:
            return process_batch(batch)
        return self.client.submit(process_batch, batch, pure=False)

    def result(self, handle):
        return handle if self.client is None else handle.result()

    def close(self) -> None:
        if self.client is not None and self.owned:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _limit(articles: Iterable[Article], max_chars: int) -> Iterator[Article]:
    """Refuse, with the limit stated, articles longer than ``max_chars`` characters."""
    for art in articles:
        if len(art.text) > max_chars:
            yield Article(art.id, art.source, "", art.published, "error",
                          f"article too long ({len(art.text):,} characters; limit {max_chars:,}; "
                          "split it or raise --max-chars)")
        else:
            yield art


def _batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    it = iter(articles)
    while batch := list(itertools.islice(it, size)):
        yield batch


def run(paths: Iterable[str | os.PathLike], out_dir: str | os.PathLike = "outputs", *, workers: int = 1,
        scheduler: str | None = None, force: bool = False, batch_size: int = BATCH,
        progress: Callable[[RunStats], None] | None = None, report: bool = True, client=None,
        max_chars: int = MAX_CHARS) -> RunStats:
    """Process every article under ``paths`` and write the outputs to ``out_dir``.

    ``client``: an existing ``distributed.Client`` to use (it is not closed).
    Returns what the run did; failed articles are in ``RunStats.failed``.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    writer = OutputWriter(out)
    cache = ResultCache(out / "cache.sqlite")
    stats = RunStats()
    executor = _Executor(workers, scheduler, client)
    n_workers = len(executor.client.scheduler_info()["workers"]) if executor.client is not None else 1
    window = max(2, 2 * max(workers, n_workers))
    pending: deque = deque()

    def drain_one() -> None:
        batch, keys, known, todo, handle = pending.popleft()
        results, prepared = executor.result(handle) if handle is not None else ([], None)
        done = dict(zip(todo, results))
        cache.put_many([(keys[i], blob) for i, (_, blob) in done.items() if blob])
        fresh = {i: rec for i, (rec, _) in done.items()}
        records = []
        for i, art in enumerate(batch):
            if art.status == "error":
                rec = {"id": art.id, "source": art.source, "published": art.published, "text": "",
                       "mentions": [], "events": [], "status": "error", "message": art.message}
            elif i in fresh:
                rec = fresh[i]
                stats.processed += 1
            else:
                rec = dict(known[keys[i]], id=art.id, source=art.source)
                stats.cached += 1
            if art.status == "warning" and rec.get("status") == "ok":
                rec = dict(rec, status="warning", message=art.message)
            if rec["status"] == "error":
                stats.errors += 1
                stats.failed.append((art.source, rec["message"]))
            elif rec["status"] == "warning":
                stats.warnings += 1
                stats.warned.append((art.source, rec["message"]))
            records.append(rec)
        # the worker's pieces hold the whole batch when every article was processed there
        writer.add(records, prepared if len(done) == len(batch) else None)
        stats.articles += len(records)
        if progress:
            progress(stats)

    try:
        for batch in _batches(_limit(iter_articles(paths), max_chars), batch_size):
            keys = {i: cache_key(a.text, a.published) for i, a in enumerate(batch) if a.status != "error"}
            known = {} if force else cache.get_many(sorted(set(keys.values())))
            todo = [i for i in keys if keys[i] not in known]
            items = [(batch[i].id, batch[i].source, batch[i].text, batch[i].published) for i in todo]
            pending.append((batch, keys, known, todo, executor.submit(items) if items else None))
            while len(pending) >= window:
                drain_one()
        while pending:
            drain_one()
        writer.finalize()
        if report:
            from .report import write_report

            write_report(out)
    except BaseException:
        writer.abort()
        raise
    finally:
        executor.close()
        cache.close()
    stats.seconds = time.perf_counter() - t0
    return stats
