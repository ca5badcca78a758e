"""Long-article benchmark of the review app (``vnevents review bench``).

Builds one long article (500,000 characters by default) by recombining the
sentences of the bundled corpus into paragraphs, runs the pipeline on it,
writes a run's outputs in a temporary folder, serves the review app on a
local port, and measures:

* the article page: bytes of every section page (the largest is reported)
  and the server's time to build the first one;
* opening it in Chromium (``/usr/bin/chromium``, when present): time from
  navigation to the ``load`` event, and to the first item focused by script;
* decisions: the round trip of every kind of ``POST /api/...`` on items
  spread over the article (accept, reject, reset, a mention's value
  corrected, a mention's span moved, an event's arguments corrected, an
  event's trigger moved, a mention and an event added then removed, undo,
  comment, article status), each timed after the page was opened, as a
  reviewer would; and, as their own column, "accept the rest" on the whole
  article and its undo (one batch of every pending item), three times;
* in Chromium, the time from a click on Accept to the item's new state on
  the page.

Nothing here is a timed test: the figures go in the README.
"""
from __future__ import annotations

import http.client
import json
import logging
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

CHROMIUM = "/usr/bin/chromium"
BULK_KINDS = ("accept the rest", "undo the rest")


def long_text(chars: int = 500_000, seed: int = 0, dense: bool = False) -> str:
    """About ``chars`` characters of news text: a title, a dateline, then paragraphs of bundled sentences.

    ``dense`` keeps only sentences with a digit (more mentions and figures per character).
    """
    from ..bench import _sentences

    sents = _sentences()
    if dense:
        sents = [s for s in sents if any(ch.isdigit() for ch in s)]
    rng = random.Random(seed)
    parts = ["Chuyển đổi số quốc gia: tổng hợp dài các bản tin về Chính phủ điện tử\n\nPV | 12/03/2021 08:00\n\n"]
    size = len(parts[0])
    while size < chars:
        para = " ".join(rng.choice(sents) for _ in range(rng.randint(3, 8))) + "\n\n"
        if size + len(para) > chars:
            para = para[:chars - size]
            cut = max(para.rfind(". "), para.rfind(".\n"))
            para = (para[:cut + 1] if cut > 0 else para.rstrip()) + "\n"
            parts.append(para)
            break
        parts.append(para)
        size += len(para)
    return "".join(parts)


def long_record(chars: int = 500_000, seed: int = 0, dense: bool = False, article_id: str = "long-article") -> dict:
    """The pipeline's record of :func:`long_text`."""
    from ..runner import process_article

    rec = process_article((article_id, f"{article_id}.txt", long_text(chars, seed, dense), "2021-03-12"))
    if rec.get("status") == "error":
        raise RuntimeError(f"the pipeline failed on the long article: {rec.get('error')}")
    return rec


def write_run(out: Path, records: list[dict]) -> Path:
    """Write records as a run's outputs with the pipeline's own writer."""
    from ..outputs import OutputWriter

    writer = OutputWriter(out)
    writer.add(records)
    writer.finalize()
    return out


class _Server:
    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.port = self.server.server_port

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{self.port}"})
        t0 = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        took = time.perf_counter() - t0
        conn.close()
        return resp.status, payload, took


def bench(chars: int = 500_000, decisions: int = 20, browser: bool = True, dense: bool = False,
          seed: int = 0) -> dict:
    """Measure the review app on one long article; returns the figures (sizes in bytes, times in seconds)."""
    from .app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    rec = long_record(chars, seed, dense)
    extract_s = time.perf_counter() - t0
    result: dict = {"chars": len(rec["text"]), "mentions": len(rec["mentions"]), "events": len(rec["events"]),
                    "extract_seconds": round(extract_s, 2)}
    with tempfile.TemporaryDirectory(prefix="vnevents-review-bench-") as tmp:
        out = write_run(Path(tmp) / "out", [rec])
        app = create_app(out, Path(tmp) / "review.sqlite")
        with _Server(app) as srv:
            url = "/article?" + urlencode({"id": rec["id"]})
            status, page, first = srv.request("GET", url)
            assert status == 200, page[:300]
            status, page, warm = srv.request("GET", url)
            html = page.decode()
            head = '<script id="article-data" type="application/json">'
            sections = json.loads(html[html.index(head) + len(head):html.index("</script>", html.index(head))])["sections"]
            sizes = []
            for k in range(sections):
                _s, p, _t = srv.request("GET", url + f"&section={k}")
                sizes.append(len(p))
            result.update(sections=sections, page_bytes_first=len(page), page_bytes_max=max(sizes),
                          page_bytes_all_sections=sum(sizes), server_page_seconds_cold=round(first, 3),
                          server_page_seconds_warm=round(warm, 3))
            kinds_info: dict = {}
            kinds = _decisions(srv, rec, decisions, kinds_info)
            every = [t for k, ts in kinds.items() if k not in BULK_KINDS for t in ts]
            result["decision_kinds"] = {k: {"n": len(ts), "median": round(statistics.median(ts), 4),
                                            "max": round(max(ts), 4)} for k, ts in kinds.items()}
            if every:
                result.update(decision_seconds_median=round(statistics.median(every), 4),
                              decision_seconds_max=round(max(every), 4), decisions_timed=len(every))
            bulk = [t for k in BULK_KINDS for t in kinds.get(k, [])]
            if bulk:
                result.update(bulk_seconds_median=round(statistics.median(bulk), 4), bulk_seconds_max=round(max(bulk), 4),
                              bulk_items=kinds_info.get("bulk_items", 0))
            if browser and Path(CHROMIUM).exists():
                result.update(_browser(srv.port, url, rec))
    return result


def _free_word(text: str, taken: list[tuple[int, int]], near: int) -> tuple[int, int] | None:
    """A capitalised word near ``near`` that no span in ``taken`` covers (for an added mention or event)."""
    import re

    for m in re.finditer(r"\b[A-ZĐ][^\W\d_]{3,}\b", text[near:near + 20_000]):
        s, e = near + m.start(), near + m.end()
        if not any(a < e and s < b for a, b in taken):
            return s, e
    return None


def _decisions(srv: "_Server", rec: dict, n: int, info: dict) -> dict[str, list[float]]:
    """Seconds per decision kind: ``n`` items of each kind spread over the article, then the bulk pair."""
    from .db import event_key, mention_key

    aid, text = rec["id"], rec["text"]
    times: dict[str, list[float]] = {}

    def post(kind: str, path: str, body: dict) -> dict:
        status, payload, took = srv.request("POST", path, {"article_id": aid, "section": 0, **body})
        assert status == 200, (kind, payload[:300])
        times.setdefault(kind, []).append(took)
        return json.loads(payload)

    def spread(items: list) -> list:
        return [items[(i * len(items)) // n] for i in range(n)] if len(items) > n else list(items)

    taken = [(m["start"], m["end"]) for m in rec["mentions"]]
    taken += [(e["trigger"]["start"], e["trigger"]["end"]) for e in rec["events"]]
    for m in spread(rec["mentions"]):
        k = mention_key(m)
        d = {"kind": "mention", "key": k}
        post("mention accept", "/api/decision", {**d, "action": "accept"})
        post("mention reject", "/api/decision", {**d, "action": "reject"})
        post("reset", "/api/decision", {**d, "action": "reset"})
        if m["type"] != "DOCREF" or m.get("doc_type"):  # a DOCREF of unknown kind needs the reviewer's kind
            body = {"start": m["start"], "end": m["end"], "type": m["type"], "value": m["value"],
                    "mod": m.get("mod"), "doc_type": m.get("doc_type")}
            post("mention value corrected", "/api/decision", {**d, "action": "correct", "mention": body})
            post("undo", "/api/undo", {})
        post("comment", "/api/comment", {"kind": "mention", "key": k, "text": "xem lại"})
    insts = [m for m in rec["mentions"] if m["type"] == "INSTITUTION" and " " in m["text"]]
    for m in spread(insts):
        k = mention_key(m)
        cut = m["start"] + m["text"].rindex(" ")
        body = {"start": m["start"], "end": cut, "type": m["type"], "value": text[m["start"]:cut]}
        post("mention span moved", "/api/decision", {"kind": "mention", "key": k, "action": "correct", "mention": body})
        post("reset", "/api/decision", {"kind": "mention", "key": k, "action": "reset"})
    for e in spread(rec["events"]):
        k = event_key(e)
        d = {"kind": "event", "key": k}
        post("event accept", "/api/decision", {**d, "action": "accept"})
        post("event reject", "/api/decision", {**d, "action": "reject"})
        post("event arguments corrected", "/api/decision", {**d, "action": "correct",
                                                           "event": {"date": None, "status": None}})
        t = e["trigger"]
        if t["end"] - t["start"] > 1 and not text[t["end"] - 2].isspace():
            post("event trigger moved", "/api/decision", {**d, "action": "correct", "event": {
                "trigger": {"start": t["start"], "end": t["end"] - 1}}})
        post("reset", "/api/decision", {**d, "action": "reset"})
    for i in range(n):
        span = _free_word(text, taken, (i * len(text)) // n)
        if span is None:
            continue
        s, e = span
        got = post("mention added", "/api/decision", {"kind": "mention", "key": "", "action": "add", "mention": {
            "start": s, "end": e, "type": "INSTITUTION", "value": text[s:e]}})
        post("added item removed", "/api/decision", {"kind": "mention", "key": got["key"], "action": "reject"})
        got = post("event added", "/api/decision", {"kind": "event", "key": "", "action": "add", "event": {
            "type": "ISSUANCE", "trigger": {"start": s, "end": e}}})
        post("added item removed", "/api/decision", {"kind": "event", "key": got["key"], "action": "reject"})
        post("article status", "/api/status", {"status": "progress"})
    for _ in range(3):
        got = post("accept the rest", "/api/accept-rest", {})
        info["bulk_items"] = got["accepted"]
        post("undo the rest", "/api/undo", {})
    return times


def _browser(port: int, url: str, rec: dict) -> dict:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the test extra is not installed: server figures only
        return {}

    base = f"http://127.0.0.1:{port}"
    out: dict = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = b.new_page(viewport={"width": 1400, "height": 900})
        opens = []
        for _ in range(3):
            t0 = time.perf_counter()
            page.goto(base + url, wait_until="load")
            opens.append(time.perf_counter() - t0)
        out["browser_open_seconds"] = round(min(opens), 3)
        clicks = []
        items = page.locator("#mention-list > li.item")
        n = min(10, items.count())
        for i in range(n):
            li = items.nth(i)
            key = li.get_attribute("data-key")
            t0 = time.perf_counter()
            li.locator('button[data-action="accept"]').click()
            page.wait_for_function("(k) => { const el = document.getElementById('m-' + k);"
                                   " return el && el.classList.contains('st-accept'); }", arg=key)
            clicks.append(time.perf_counter() - t0)
        if clicks:
            out["browser_decision_seconds_median"] = round(statistics.median(clicks), 4)
            out["browser_decision_seconds_max"] = round(max(clicks), 4)
        b.close()
    return out


def print_bench(r: dict) -> None:
    print(f"article: {r['chars']:,} characters, {r['mentions']:,} mentions, {r['events']:,} events "
          f"(extracted in {r['extract_seconds']} s); {r['sections']} sections")
    print(f"page: first section {r['page_bytes_first']:,} bytes, largest {r['page_bytes_max']:,} bytes "
          f"(all sections together {r['page_bytes_all_sections']:,}); server builds it in "
          f"{r['server_page_seconds_warm']} s ({r['server_page_seconds_cold']} s cold)")
    if "browser_open_seconds" in r:
        print(f"Chromium: opens in {r['browser_open_seconds']} s (navigation to load); a click on Accept is "
              f"on the page in {r['browser_decision_seconds_median']} s (median, max "
              f"{r['browser_decision_seconds_max']} s)")
    if "decision_seconds_median" in r:
        print(f"decisions: {r['decisions_timed']} answered in {r['decision_seconds_median']} s (median), "
              f"max {r['decision_seconds_max']} s")
        for kind, k in r["decision_kinds"].items():
            print(f"  {kind:28s} n={k['n']:3d}  median {k['median']:.3f} s  max {k['max']:.3f} s")
    if "bulk_seconds_max" in r:
        print(f"bulk: accept the rest ({r['bulk_items']:,} items) and its undo, 3 times each: median "
              f"{r['bulk_seconds_median']} s, max {r['bulk_seconds_max']} s")
