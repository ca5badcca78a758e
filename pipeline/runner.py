"""Running the pipeline over any number of articles: stream, cache, parallelise.

``run()`` locks the output folder (a second run into it is refused:
``outputs.OutputLocked``), reads articles lazily (``reader.iter_articles``,
never from the output folder), groups them in batches, looks each article up
in the result cache, sends the misses to the workers and writes results in
input order as they arrive (``OutputWriter``). At most ``window`` batches are
in flight, so memory stays flat. The outputs are published as one set at the
end (see ``outputs``).

One code path serves all scales through Dask: ``workers=1`` runs in this
process; ``workers=N`` also starts in this process and starts a
``distributed.LocalCluster`` of N worker processes only once more than
``parallel_min_chars`` characters need processing (starting workers and
loading the models in each costs seconds; a small input is done sooner
without them). The local cluster uses temporary TLS credentials that only
this run holds (``Security.temporary()``), serves no dashboard unless asked,
and logs nothing below CRITICAL. ``scheduler="tcp://host:8786"`` uses an
existing cluster (``SchedulerError`` if it cannot be reached). Each worker
process builds the pipeline once (``nlp.get_nlp`` is cached per process), not
once per article.

Time limit: each article's extraction runs under a deadline
(``article_timeout`` seconds); one that runs past it is interrupted (an
asynchronous exception raised in its thread), reported as an error, and the
run goes on.

Publication dates: an article's reference date is, in order, the one given
with the input (``.jsonl`` "published", ``published.tsv``: date source
``published``), its own dateline (``dateline``), the run's ``published``
default (``given``), else none (``none``).

Cache: ``OUT/cache.sqlite`` maps a key (hash of the text, its publication date,
the package version and the resource files) to the article's result. A re-run
after an interruption, or with new articles, processes only what is missing;
``force=True`` ignores the cache. A cache that is not a database (corrupt,
truncated, overwritten) is moved aside with a notice and a new one started.
"""
from __future__ import annotations

import ctypes
import hashlib
import itertools
import json
import logging
import os
import sqlite3
import threading
import time
import warnings
import zlib
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import __version__
from .outputs import OutputError, OutputWriter, Prepared, lock_output_folder, prepare
from .reader import Article, iter_articles
from .resources import resources_fingerprint

BATCH = 32
MAX_CHARS = 500_000  # longer articles are refused: a stated limit, not a slow run
ARTICLE_TIMEOUT = 120.0  # seconds per article; the slowest legitimate article takes a few seconds
PARALLEL_MIN_CHARS = 1_000_000  # about 8 s of work in one process: less does not pay for starting workers
SCHEDULER_TIMEOUT = "20s"


class SchedulerError(Exception):
    """The Dask scheduler given cannot be used; the message is one line for a person."""


class OutputIsInput(OutputError):
    """An input is the output folder or lies inside it (a usage mistake)."""


def _check_not_output(paths: list, out: Path) -> None:
    """Refuse, before anything is written, an input that is the output folder or inside it
    (the output folder inside an input is fine: it is skipped while reading)."""
    real_out = os.path.realpath(out)
    for given in paths:
        real = os.path.realpath(os.fspath(given))
        if real == real_out or real.startswith(real_out.rstrip(os.sep) + os.sep):
            where = "is the output folder" if real == real_out else f"is inside the output folder {out}"
            raise OutputIsInput(f"the input {os.fspath(given)} {where}; vnevents never reads its own outputs: "
                                f"choose another --out (e.g. {os.path.join(os.fspath(given), 'out')})")


# --- one article, under a time limit -------------------------------------------------


class ArticleTimeout(BaseException):
    """Raised inside an article's thread when it runs past its time limit.

    A BaseException, so that the pipeline's per-rule ``except Exception`` does not
    swallow it and go on with the same article."""


class _Watchdog:
    """One daemon thread per process that interrupts articles running past their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._jobs: dict[int, list] = {}  # thread id -> [deadline, fired]
        self._thread: threading.Thread | None = None

    @contextmanager
    def limit(self, seconds: float | None):
        """Raise ArticleTimeout in this thread if the block runs longer than ``seconds``."""
        if not seconds or seconds <= 0:
            yield
            return
        tid = threading.get_ident()
        job = [time.monotonic() + seconds, False]
        with self._lock:
            self._jobs[tid] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="vnevents-article-timeout", daemon=True)
                self._thread.start()
        self._wake.set()
        try:
            yield
        finally:
            with self._lock:
                self._jobs.pop(tid, None)
                fired = job[1]
                if fired:  # the exception may still be pending: clear it and raise it here, deterministically
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)
            if fired:
                raise ArticleTimeout()

    def _watch(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for tid, job in list(self._jobs.items()):
                    if job[0] <= now and not job[1]:
                        job[1] = True
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(ArticleTimeout))
                waiting = [job[0] - now for job in self._jobs.values() if not job[1]]
            self._wake.wait(timeout=max(0.01, min(waiting)) if waiting else None)
            self._wake.clear()


_WATCHDOG = _Watchdog()
_warm = False


def _warm_up() -> None:
    """Load the models once per process outside any time limit (an interrupted import
    would leave a module half-loaded)."""
    global _warm
    if not _warm:
        _warm = True
        try:
            from .nlp import extract

            extract("Ngày 15/6/2021, Bộ Y tế ban hành Quyết định số 1/QĐ-BYT, tỷ lệ đạt 90,5%, thu 2 tỷ đồng.")
        except Exception:  # the article itself will report what fails
            pass


def process_article(item: tuple, timeout: float | None = None) -> dict:
    """Process one (id, source, text, published[, default date]): the record, never an exception.

    ``published`` came with the input; the default date (``--published``) is used
    only when the article has no dateline. ``timeout``: seconds before the
    article is given up (status error).
    """
    art_id, source, text, published, *rest = item
    given = rest[0] if rest else None
    _warm_up()
    anchor, date_source = published, "published" if published else "none"
    try:
        with _WATCHDOG.limit(timeout):
            from .dates import detect_published
            from .nlp import extract
            from .records import doc_to_record

            if not published:
                anchor = detect_published(text)
                date_source = "dateline" if anchor else "none"
                if not anchor and given:
                    anchor, date_source = given, "given"
            doc = extract(text, published=anchor, article_id=art_id)
            rec = doc_to_record(doc, id=art_id, source=source, published=anchor or doc._.published)
    except ArticleTimeout:
        from . import nlp

        nlp.get_nlp.cache_clear()  # a fresh pipeline, in case the interruption left state behind
        return _failed(art_id, source, anchor, text, date_source,
                       f"took longer than the time limit of {timeout:g} s per article (--article-timeout); "
                       "not processed")
    except Exception as exc:  # one bad article must not stop the run
        return _failed(art_id, source, anchor, text, date_source,
                       f"extraction failed: {type(exc).__name__}: {exc}")
    rec["date_source"] = date_source
    return rec


def _failed(art_id, source, published, text, date_source, message) -> dict:
    return {"id": art_id, "source": source, "published": published, "text": text, "mentions": [],
            "events": [], "status": "error", "message": message, "date_source": date_source}


def encode(record: dict) -> bytes:
    """A record as stored in the cache (compressed JSON)."""
    return zlib.compress(json.dumps(record, ensure_ascii=False).encode())


def process_batch(items: list[tuple], timeout: float | None = None) -> tuple[list[tuple[dict, bytes]], Prepared]:
    """Process a batch in one worker call (amortises scheduling).

    Returns each record with its cache encoding, and the batch's output pieces
    (``outputs.prepare``), made here so that the process writing the outputs
    does as little as possible.
    """
    out = []
    for item in items:
        rec = process_article(item, timeout)
        out.append((rec, encode(rec) if rec.get("status") != "error" else b""))
    return out, prepare([rec for rec, _ in out])


def cache_key(text: str, published: str | None, given: str | None = None) -> str:
    """The cache key of an article: its content, its dates and the pipeline's version.

    ``given`` (the run's default date) counts only when the input gave no date;
    without it the key is the same as before the option existed."""
    h = hashlib.sha256()
    date_part = published or (f"given:{given}" if given else "")
    for part in (__version__, resources_fingerprint(), date_part, text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


# --- the cache -------------------------------------------------------------------------


def _corrupt(exc: sqlite3.Error) -> bool:
    """Is this the error of a file that is not (or no longer) a database? (Locked or
    read-only databases are OperationalErrors: the cache is fine, the folder is not.)"""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


class ResultCache:
    """SQLite store of finished results, committed batch by batch.

    A file that is not a usable database is moved aside (``cache.sqlite.corrupt-<time>``)
    and a new cache started; ``notice`` is told. Other SQLite errors (read-only,
    disk full) are an ``OutputError``."""

    def __init__(self, path: Path, notice: Callable[[str], None] | None = None) -> None:
        self.path, self.notice = Path(path), notice
        self.db: sqlite3.Connection | None = None
        try:
            self._open()
        except sqlite3.Error as exc:
            self._close_quietly()
            if not _corrupt(exc):
                raise OutputError(f"cannot use the cache {self.path} ({exc})") from None
            self._reset(exc)

    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, record BLOB NOT NULL)")
        self.db.execute("SELECT key FROM results LIMIT 1").fetchall()

    def _close_quietly(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
        self.db = None

    def _reset(self, exc: sqlite3.Error) -> None:
        """Move the broken cache aside and start a new one."""
        self._close_quietly()
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    os.replace(part, f"{aside}{suffix}")
            self._open()
        except (OSError, sqlite3.Error) as again:
            raise OutputError(f"the cache {self.path} is not a usable database ({exc}) and could not be "
                              f"replaced ({again})") from None
        if self.notice:
            self.notice(f"{self.path} is not a usable database ({exc}); it is only a cache: moved it to "
                        f"{aside.name} and started a new one (its articles are processed again)")

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        try:
            rows = self.db.execute(
                f"SELECT key, record FROM results WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()
        except sqlite3.Error as exc:
            if not _corrupt(exc):
                raise OutputError(f"cannot read the cache {self.path} ({exc})") from None
            self._reset(exc)
            return {}
        found = {}
        for k, v in rows:
            try:
                found[k] = json.loads(zlib.decompress(v))
            except (zlib.error, ValueError, TypeError):
                continue  # a damaged entry is a miss
        return found

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        """Store (key, encoded record) pairs in one transaction."""
        for attempt in (1, 2):
            try:
                with self.db:
                    self.db.executemany("INSERT OR REPLACE INTO results (key, record) VALUES (?, ?)", items)
                return
            except sqlite3.Error as exc:
                if not _corrupt(exc) or attempt == 2:
                    raise OutputError(f"cannot write the cache {self.path} ({exc})") from None
                self._reset(exc)

    def close(self) -> None:
        self._close_quietly()


# --- statistics and executors ----------------------------------------------------------


@dataclass
class RunStats:
    """What a run did."""

    articles: int = 0
    processed: int = 0
    cached: int = 0
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    mode: str = "1 process"  # how articles were processed (see _Executor.mode)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warned: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # output folders not read, and why


def _quiet_dask(dashboard: bool) -> dict:
    """Dask settings of a quiet, closed local cluster."""
    settings = {
        "distributed.worker.profile.enabled": False,  # no profiler thread (its tracebacks at shutdown)
        "distributed.worker.http.routes": [],
    }
    if not dashboard:
        settings["distributed.scheduler.http.routes"] = []
    return settings


@contextmanager
def _silenced():
    """Dask's loggers at CRITICAL in this process while a cluster starts, runs or stops."""
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


class _Executor:
    """submit(batch) -> handle; result(handle) -> records. Dask or in-process.

    Local workers start lazily (``start_local``), when the runner sees enough work."""

    def __init__(self, workers: int, scheduler: str | None, client=None, dashboard: bool = False,
                 notice: Callable[[str], None] | None = None, min_chars: int = PARALLEL_MIN_CHARS) -> None:
        self.client = self.cluster = None
        self.owned = client is None
        self.workers, self.dashboard, self.notice = workers, dashboard, notice or (lambda _msg: None)
        self.mode = "1 process"
        self._config = None
        if client is not None:
            self.client = client
            self.mode = f"the given Dask client ({self.n_workers} workers)"
        elif scheduler:
            self.client = self._connect(scheduler)
            self.mode = f"the Dask cluster at {scheduler} ({self.n_workers} workers)"
        elif workers > 1:
            self.mode = f"1 process so far ({workers} local workers start past {min_chars:,} characters to process)"

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info()["workers"]) if self.client is not None else 1

    @property
    def can_start_local(self) -> bool:
        return self.client is None and self.workers > 1

    @staticmethod
    def _connect(scheduler: str):
        from distributed import Client

        try:
            with _silenced():
                return Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); is `dask scheduler` "
                                 "running there?") from None

    def start_local(self) -> None:
        """Start the local cluster: temporary TLS credentials, no dashboard unless asked, quiet."""
        import dask
        from distributed import Client, LocalCluster
        from distributed.security import Security

        self._config = dask.config.set(_quiet_dask(self.dashboard))
        self._config.__enter__()
        security = Security.temporary()  # only this run holds the key: no other process can connect
        with _silenced(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*already in use")  # the note gives the real address
            self.cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True, protocol="tls://",
                host="127.0.0.1", security=security, silence_logs=logging.CRITICAL,
                dashboard_address="127.0.0.1:8787" if self.dashboard else None,
                scheduler_kwargs=None if self.dashboard else {"dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster, security=security)
        self.mode = f"{self.workers} local worker processes"
        if self.dashboard:
            self.notice(f"Dask dashboard: {self.cluster.dashboard_link}")

    def submit(self, batch, timeout):
        if self.client is None:
            return process_batch(batch, timeout)
        return self.client.submit(process_batch, batch, timeout, pure=False)

    def result(self, handle):
        return handle if self.client is None else handle.result()

    def close(self) -> None:
        with _silenced():
            if self.client is not None and self.owned:
                try:
                    self.client.close()
                except Exception:  # closing must not hide the run's own outcome
                    pass
            if self.cluster is not None:
                try:
                    self.cluster.close()
                except Exception:
                    pass
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None


def _limit(articles: Iterable[Article], max_chars: int) -> Iterator[Article]:
    """Refuse, with the limit stated, articles longer than ``max_chars`` characters."""
    for art in articles:
        if len(art.text) > max_chars:
            yield Article(art.id, art.source, "", art.published, "error",
                          f"article too long ({len(art.text):,} characters; limit {max_chars:,}; "
                          "split it or raise --max-chars)", art.date_source)
        else:
            yield art


def _batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    it = iter(articles)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _date_source(art: Article, rec: dict) -> str:
    """Where a record's reference date came from (records cached before the field existed)."""
    if rec.get("date_source"):
        return rec["date_source"]
    if art.published:
        return "published"
    return "dateline" if rec.get("published") else "none"


def run(paths: Iterable[str | os.PathLike], out_dir: str | os.PathLike = "outputs", *, workers: int = 1,
        scheduler: str | None = None, force: bool = False, batch_size: int = BATCH,
        progress: Callable[[RunStats], None] | None = None, report: bool = True, client=None,
        max_chars: int = MAX_CHARS, published: str | None = None, article_timeout: float | None = ARTICLE_TIMEOUT,
        dashboard: bool = False, notice: Callable[[str], None] | None = None,
        parallel_min_chars: int = PARALLEL_MIN_CHARS) -> RunStats:
    """Process every article under ``paths`` and write the outputs to ``out_dir``.

    ``client``: an existing ``distributed.Client`` to use (it is not closed).
    ``published``: the reference date (YYYY-MM-DD) of articles that have none.
    ``notice(message)``: told of decisions and recoveries (workers started, a
    corrupt cache moved aside). Returns what the run did; failed articles are in
    ``RunStats.failed``. Raises ``OutputLocked``/``OutputError`` when the output
    folder cannot be used and ``SchedulerError`` when the scheduler cannot be
    reached, before any work.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    stats = RunStats()
    say = notice or (lambda _msg: None)
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    _check_not_output(paths, out)
    lock = lock_output_folder(out)
    executor = cache = writer = None
    try:
        executor = _Executor(workers, scheduler, client, dashboard, say, parallel_min_chars)
        stats.mode = executor.mode
        cache = ResultCache(out / "cache.sqlite", say)
        writer = OutputWriter(out, lock=lock)
        window = max(2, 2 * executor.n_workers)
        pending: deque = deque()
        to_process = 0  # characters sent to processing so far

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
                           "mentions": [], "events": [], "status": "error", "message": art.message,
                           "date_source": "published" if art.published else "none"}
                elif i in fresh:
                    rec = fresh[i]
                    stats.processed += 1
                else:
                    rec = dict(known[keys[i]], id=art.id, source=art.source)
                    rec["date_source"] = _date_source(art, rec)
                    stats.cached += 1
                if art.status == "warning" and rec.get("status") in ("ok", "warning"):
                    message = "; ".join(m for m in (art.message, rec.get("message")) if m)
                    rec = dict(rec, status="warning", message=message)
                if rec["status"] == "error":
                    stats.errors += 1
                    stats.failed.append((art.source, rec["message"]))
                elif rec["status"] == "warning":
                    stats.warnings += 1
                    stats.warned.append((art.source, rec["message"]))
                records.append(rec)
            # the worker's pieces hold the whole batch when every article was processed there
            _write(out, writer.add, records, prepared if len(done) == len(batch) else None)
            stats.articles += len(records)
            if progress:
                progress(stats)

        def skipped(path: str, reason: str) -> None:
            stats.skipped.append((path, reason))

        articles = iter_articles(paths, exclude=[out], on_skip=skipped)
        for batch in _batches(_limit(articles, max_chars), batch_size):
            keys = {i: cache_key(a.text, a.published, published) for i, a in enumerate(batch) if a.status != "error"}
            known = {} if force else cache.get_many(sorted(set(keys.values())))
            todo = [i for i in keys if keys[i] not in known]
            items = [(batch[i].id, batch[i].source, batch[i].text, batch[i].published, published) for i in todo]
            to_process += sum(len(batch[i].text) for i in todo)
            if executor.can_start_local and to_process >= parallel_min_chars:
                while pending:  # results so far came from this process
                    drain_one()
                say(f"more than {parallel_min_chars:,} characters to process: starting {workers} local worker "
                    "processes")
                executor.start_local()
                stats.mode = executor.mode
                window = max(2, 2 * executor.n_workers)
            pending.append((batch, keys, known, todo, executor.submit(items, article_timeout) if items else None))
            while len(pending) >= window:
                drain_one()
        while pending:
            drain_one()
        if executor.can_start_local:
            stats.mode = (f"1 process (fewer than {parallel_min_chars:,} characters to process: {workers} local "
                          "workers would not have paid off)")

        def complete(folder: Path) -> None:
            if report:
                from .report import write_report

                write_report(folder, name=out.resolve().name)

        _write(out, writer.finalize, complete)
        writer = None
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        if executor is not None:
            executor.close()
        if cache is not None:
            cache.close()
        lock.release()
    stats.seconds = time.perf_counter() - t0
    return stats


def _write(out: Path, fn, *args):
    """Call an output-writing function; a full disk or a folder turned read-only is an OutputError."""
    try:
        return fn(*args)
    except OSError as exc:
        from .outputs import _reason

        raise OutputError(f"cannot write the outputs in {out} ({_reason(exc)})") from None
