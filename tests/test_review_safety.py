"""The review app under attack: Host allow-list on every binding, Origin check, strict JSON, finite values."""
from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import threading
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from conftest import HOSTILE_ID
from pipeline.cli import main
from pipeline.review import allowed_hosts
from pipeline.review.app import LOCAL_HOSTS, create_app
from pipeline.review.db import ReviewDB, mention_key
from test_review import ORIGIN, client, first_corpus_id, records  # noqa: F401 (client: a fixture)


@contextmanager
def bound(app, host: str):
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def raw(host: str, port: int, method: str, path: str, headers: dict, body: bytes | None = None) -> tuple[int, bytes]:
    """One request with exactly these headers (Host included), as a rebinding page or a script would send."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def decision_body(out) -> bytes:
    aid = first_corpus_id(out)
    key = mention_key(records(out)[aid]["mentions"][0])
    return json.dumps({"article_id": aid, "kind": "mention", "key": key, "action": "reject"}).encode()


def test_allowed_hosts_follow_the_binding():
    assert allowed_hosts("127.0.0.1") == LOCAL_HOSTS
    assert allowed_hosts("127.0.0.2") == [*LOCAL_HOSTS, "127.0.0.2"]
    assert allowed_hosts("::1") == LOCAL_HOSTS
    assert allowed_hosts("[::1]") == LOCAL_HOSTS
    assert allowed_hosts("0.0.0.0") == LOCAL_HOSTS  # a wildcard is no Host name: add one with --allow-host
    assert allowed_hosts("0.0.0.0", ("review.lan", " 10.0.0.5 ")) == [*LOCAL_HOSTS, "review.lan", "10.0.0.5"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "0.0.0.0", "::1"])
def test_dns_rebinding_is_refused_on_every_binding(outputs, tmp_path, host):
    """A page on evil.example whose name now resolves to the server: its requests carry Host evil.example."""
    try:
        socket.getaddrinfo(host, 0)
        probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        probe.bind((host, 0))
        probe.close()
    except OSError:
        pytest.skip(f"cannot bind {host} here")
    db_path = tmp_path / "review.sqlite"
    app = create_app(outputs, db_path, allowed_hosts=allowed_hosts(host))
    connect = "::1" if ":" in host else ("127.0.0.1" if host == "0.0.0.0" else host)
    body = decision_body(outputs)
    with bound(app, host) as port:
        for evil in (f"evil.example:{port}", "evil.example", f"EVIL.example.:{port}", "", "127.0.0.1.evil.example"):
            status, data = raw(connect, port, "POST", "/api/decision",
                               {"Host": evil, "Origin": f"http://{evil}", "Content-Type": "application/json"}, body)
            assert status == 400 and b"not allowed" in data, (evil, status, data)
            status, data = raw(connect, port, "GET", "/", {"Host": evil})
            assert status == 400
        own = f"[{connect}]:{port}" if ":" in connect else f"{connect}:{port}"
        assert raw(connect, port, "GET", "/", {"Host": own})[0] == 200
        assert raw(connect, port, "GET", "/", {"Host": f"localhost:{port}"})[0] == 200
        status, data = raw(connect, port, "POST", "/api/decision",
                           {"Host": own, "Origin": f"http://{own}", "Content-Type": "application/json"}, body)
        assert status == 200, data
    assert ReviewDB(db_path).count() == 1


def test_allow_host_adds_a_name(outputs, tmp_path):
    app = create_app(outputs, tmp_path / "r.sqlite", allowed_hosts=allowed_hosts("0.0.0.0", ["review.lan"]))
    with bound(app, "127.0.0.1") as port:
        assert raw("127.0.0.1", port, "GET", "/", {"Host": f"review.lan:{port}"})[0] == 200
        assert raw("127.0.0.1", port, "GET", "/", {"Host": f"other.lan:{port}"})[0] == 400


def test_cli_binding_sets_the_allow_list(outputs, monkeypatch):
    """`vnevents review --host X --allow-host Y` serves only X, Y and the localhost names."""
    import werkzeug.serving

    seen = {}

    class Fake:
        server_port = 8765

        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            pass

    def fake_make_server(host, port, app, threaded=True):
        seen["host"], seen["app"] = host, app
        return Fake()

    monkeypatch.setattr(werkzeug.serving, "make_server", fake_make_server)
    for args, hosts in ((["--host", "127.0.0.2"], {*LOCAL_HOSTS, "127.0.0.2"}),
                        (["--host", "0.0.0.0", "--allow-host", "review.lan"], {*LOCAL_HOSTS, "review.lan"}),
                        (["--host", "::1"], set(LOCAL_HOSTS))):
        result = CliRunner().invoke(main, ["review", "--out", str(outputs), *args])
        assert result.exit_code == 0, result.output
        assert seen["app"].extensions["vnevents"]["hosts"] == hosts
    assert "--allow-host" in CliRunner().invoke(main, ["review", "--out", str(outputs), "--host", "0.0.0.0"]).output
    assert CliRunner().invoke(main, ["review", "--out", str(outputs), "--reviewer", "<b>"]).exit_code != 0


ENDPOINTS = {
    "/api/decision": lambda aid, key: {"article_id": aid, "kind": "mention", "key": key, "action": "reject"},
    "/api/accept-rest": lambda aid, key: {"article_id": aid},
    "/api/undo": lambda aid, key: {"article_id": aid},
    "/api/status": lambda aid, key: {"article_id": aid, "status": "done"},
    "/api/comment": lambda aid, key: {"article_id": aid, "kind": "mention", "key": key, "text": "x"},
    "/api/canonical": lambda aid, key: {"action": "merge", "keys": ["a"], "into": "b"},
    "/api/reviewer": lambda aid, key: {"name": "mallory"},
}


def test_state_changes_need_our_origin(outputs, tmp_path):
    app = create_app(outputs, tmp_path / "review.sqlite")
    c = app.test_client()
    db = ReviewDB(tmp_path / "review.sqlite")
    aid = first_corpus_id(outputs)
    key = mention_key(records(outputs)[aid]["mentions"][0])
    for url, make in ENDPOINTS.items():
        for headers in ({}, {"Origin": "http://evil.example"}, {"Origin": "null"},
                        {"Origin": "http://localhost.evil.example"}, {"Origin": "https://localhost"},
                        {"Origin": "http://localhost:1"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}):
            resp = c.post(url, json=make(aid, key), headers=headers)
            assert resp.status_code == 403, (url, headers, resp.status_code)
            assert "error" in resp.get_json()
    assert db.count() == 0
    assert "set-cookie" not in {k.lower() for k, _ in c.post("/api/reviewer", json={"name": "x"}).headers}
    # the app's own pages: Origin equal to the page's, or (no Origin) Sec-Fetch-Site: same-origin
    assert c.post("/api/decision", json=ENDPOINTS["/api/decision"](aid, key), headers={"Origin": ORIGIN}).status_code == 200
    assert c.post("/api/status", json={"article_id": aid, "status": "progress"},
                  headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert db.count() == 2
    assert c.get("/", headers={"Origin": "http://evil.example"}).status_code == 200  # reading is not changing


BAD_BODIES = [
    (b"[" * 100_000 + b"]" * 100_000, "nested"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested"),
    (b'{"article_id": "x", "kind": "mention", "key": "1:2:DATE", "action": "accept", "mention": ' + b"[" * 9
     + b"]" * 9 + b"}", "nested"),
    (b"", "invalid JSON"),
    (b"not json", "invalid JSON"),
    (b"\xff\xfe{}", "UTF-8"),
    (b'{"article_id": "\\ud800", "kind": "mention", "key": "1:2:DATE", "action": "accept"}', "surrogate"),
    (b'{"article_id": "x", "kind": "mention", "key": "1:2:DATE", "action": "accept", "\\udfff": 1}', "surrogate"),
    (b"[]", "JSON object"),
    (b'"x"', "JSON object"),
    (b"null", "JSON object"),
    (b'{"article_id": NaN}', "NaN"),
    (b'{"article_id": Infinity}', "Infinity"),
    (b'{"article_id": 1e999}', "finite"),
    (b'{"article_id": ' + b"9" * 5000 + b"}", "invalid JSON"),
    (b'{"article_id": 5, "kind": "mention", "key": "1:2:DATE", "action": "accept"}', "must be a string"),
    (b'{"article_id": "x", "kind": ["mention"], "key": "1:2:DATE", "action": "accept"}', "must be one of"),
    (b'{"article_id": "x", "kind": "mention", "key": null, "action": "accept"}', "must be a string"),
    (b'{"article_id": "x", "kind": "mention", "key": "1:2:DATE", "action": true}', "must be one of"),
    (b'{"article_id": "x", "kind": "mention", "key": "1:2:DATE"}', "needs the field"),
    (b'{"article_id": "x", "kind": "mention", "key": "1:2:DATE", "action": "accept", "admin": 1}', "unknown field"),
    (b'{"article_id": "x", "kind": "mention", "key": "1:2:DATE", "action": "add", "mention": "x"}', "JSON object"),
    (b'{"article_id": "x", "kind": "mention", "key": "", "action": "add", '
     b'"mention": {"start": "0", "end": 4, "type": "DATE", "value": "2021"}}', "whole number"),
    (b'{"article_id": "x", "kind": "mention", "key": "", "action": "add", '
     b'"mention": {"start": 0.0, "end": 4, "type": "DATE", "value": "2021"}}', "whole number"),
    (b'{"article_id": "x", "kind": "mention", "key": "", "action": "add", '
     b'"mention": {"start": true, "end": 4, "type": "DATE", "value": "2021"}}', "whole number"),
    (b'{"article_id": "x", "kind": "mention", "key": "", "action": "add", '
     b'"mention": {"start": -1, "end": 4, "type": "DATE", "value": "2021"}}', "out of range"),
    (b'{"article_id": "x", "kind": "event", "key": "", "action": "add", '
     b'"event": {"type": "LAUNCH", "trigger": {"start": 1.5, "end": 3}}}', "whole number"),
    (b'{"article_id": "x", "kind": "event", "key": "", "action": "add", '
     b'"event": {"type": "LAUNCH", "institutions": "1:2:INSTITUTION"}}', "must be a list"),
    (b'{"article_id": "x", "kind": "mention", "key": "", "action": "add", '
     b'"mention": {"start": 0, "end": 4, "type": "PERCENT", "value": [1, 1e999]}}', "finite"),
    (b'{"article_id": "x", "kind": "mention", "key": "", "action": "add", '
     b'"mention": {"start": 0, "end": 4, "type": "PERCENT", "value": -Infinity}}', "Infinity"),
    (b'{"article_id": "' + b"a" * 5000 + b'", "kind": "mention", "key": "1:2:DATE", "action": "accept"}', "longer"),
]


@pytest.mark.parametrize("url", ["/api/decision", "/api/accept-rest", "/api/status", "/api/comment", "/api/canonical",
                                 "/api/reviewer", "/api/undo"])
def test_malformed_json_is_a_400_with_a_reason(client, url):
    db = client.application.extensions["vnevents"]["db"]
    for raw_body, reason in BAD_BODIES:
        resp = client.post(url, data=raw_body, content_type="application/json")
        assert resp.status_code == 400, (url, raw_body[:80], resp.status_code, resp.data[:200])
        err = resp.get_json()["error"]
        if url == "/api/decision" or b'"kind"' not in raw_body:
            assert reason in err, (url, raw_body[:80], err)
        assert b"Traceback" not in resp.data and b"File \"" not in resp.data
    assert client.post(url, data=b"{}", content_type="text/plain").status_code == 415
    assert client.post(url, data=b"{" + b" " * (1 << 20) + b"}", content_type="application/json").status_code == 413
    assert db.count() == 0


def test_values_are_finite_and_offsets_whole(client, outputs, tmp_path):
    """What passes the schema is still checked: finite values, integer offsets; export is standard JSON."""
    rec = records(outputs)[HOSTILE_ID]
    date, inst, doc, pct = rec["mentions"][:4]

    def post(mention, status=400):
        resp = client.post("/api/decision", json={"article_id": HOSTILE_ID, "kind": "mention", "key": mention_key(pct),
                                                   "action": "correct", "mention": mention})
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()

    for value in ("1" + "0" * 400 + ".5", "9" * 400, "1e999", "nan", "inf", "[1, 1e999]", "[NaN, 1]", "[2, 1]",
                  "[1, 2, 3]", "lots", True, [True, 1]):
        assert "error" in post({**pct, "value": value}), value
    for start in (pct["start"] + 0.0, str(pct["start"]), True, None, [pct["start"]]):
        post({**pct, "start": start})
    post({"start": pct["start"], "end": pct["end"], "type": "QUANTITY", "value": {"number": "1e999", "unit": "người"}})
    post({"start": pct["start"], "end": pct["end"], "type": "QUANTITY", "value": {"number": 5, "unit": ""}})
    assert post({**pct, "value": "20,5 - 30"}, 200)["ok"]
    assert client.post("/api/status", json={"article_id": HOSTILE_ID, "status": "done"}).status_code == 200
    target = tmp_path / "gold.jsonl"
    db_path = client.application.extensions["vnevents"]["db"].path
    result = CliRunner().invoke(main, ["review", "export", "--out", str(outputs), "--db", str(db_path),
                                       "--file", str(target)])
    assert result.exit_code == 0, result.output

    def refuse(name):
        raise ValueError(name)

    (line,) = target.read_text(encoding="utf-8").splitlines()
    got = json.loads(line, parse_constant=refuse)
    assert next(m for m in got["mentions"] if m["type"] == "PERCENT")["value"] == [20.5, 30]


@pytest.mark.parametrize("path", [
    "/article?id=%ED%A0%80", "/article?id=" + "x" * 5000, "/article?section=-5&id=x", "/?sort=%00&dir=x&page=-3",
    "/?q=%ED%A0%80&status=evil", "/events?from=garbage&to=2021-13-45&page=abc", "/canonical?min=-1&page=0&type=X",
    "/api/choices?id=x&type=DATE", "/api/item?id=x&kind=zzz", "/api/choices?type=%00", "/api/item",
])
def test_odd_queries_never_500(client, outputs, path):
    resp = client.get(path)
    assert resp.status_code < 500, (path, resp.data[:300])
    aid = first_corpus_id(outputs)
    for extra in ("&section=99999", "&section=-1", "&focus=e-NOPE:1:2", "&section=abc"):
        assert client.get("/article?" + urlencode({"id": aid}) + extra).status_code == 200
    assert client.get("/api/choices?" + urlencode({"id": aid, "type": "DATE", "near": "x", "limit": "-4"})).status_code == 200
    assert client.get("/api/item?" + urlencode({"id": aid, "kind": "event", "key": "nope"})).status_code == 404


def test_old_decision_log_is_migrated(tmp_path):
    """A log written by the first version (no reviewer column) opens with its rows, ids and guards intact."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('mention', 'event')), item_key TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct', 'add', 'reset')),
                payload TEXT, created_at TEXT NOT NULL);
            CREATE INDEX decisions_item ON decisions (article_id, kind, item_key, id);
            CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
            BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
            CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
            BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
            INSERT INTO decisions (article_id, kind, item_key, action, payload, created_at)
            VALUES ('a', 'mention', '0:4:DATE', 'accept', NULL, '2024-01-01T00:00:00+00:00'),
                   ('a', 'mention', '5:9:DATE', 'reject', NULL, '2024-01-01T00:00:01+00:00');
        """)
    db = ReviewDB(path)
    hist = db.history("a")
    assert [(d.id, d.key, d.action, d.reviewer) for d in hist] == [(1, "0:4:DATE", "accept", "default"),
                                                                   (2, "5:9:DATE", "reject", "default")]
    rid, _ = db.add("a", "article", "", "status", {"status": "done"}, reviewer="anna")
    assert rid == 3
    with sqlite3.connect(path) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM decisions")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE decisions SET reviewer = 'x'")
    assert ReviewDB(path).count() == 3  # opening again changes nothing


EVIL_PAGE = """<!doctype html><meta charset="utf-8"><title>evil</title><body><iframe name="sink"></iframe>
<form id="f" method="POST" target="sink" enctype="text/plain" action="{app}/api/status">
<input name='{{"article_id": "{aid}", "status": "done", "x": "' value='"}}'></form>
<script>
window.results = [];
const body = JSON.stringify({{article_id: "{aid}", kind: "mention", key: "{key}", action: "reject"}});
fetch("{app}/api/decision", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body: body}})
  .then(() => results.push("no-cors sent"), (e) => results.push("no-cors failed"));
fetch("{app}/api/decision", {{method: "POST", headers: {{"Content-Type": "application/json"}}, body: body}})
  .then((r) => results.push("json " + r.status), (e) => results.push("json blocked"));
fetch("{app}/api/accept-rest", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "application/json"}}, body: JSON.stringify({{article_id: "{aid}"}})}})
  .then(() => results.push("rest sent"), () => results.push("rest failed"));
document.getElementById("f").submit();
</script>"""


def test_attacks_from_a_browser_do_no_harm(outputs, tmp_path, browser):
    """Chromium on another origin posts to the app (simple requests, a form, a preflighted fetch), and a
    rebinding name resolved to a 0.0.0.0 binding serves a page that posts same-origin: the log stays empty."""
    from conftest import CHROMIUM, CHROMIUM_ARGS

    db_path = tmp_path / "review.sqlite"
    app = create_app(outputs, db_path, allowed_hosts=allowed_hosts("0.0.0.0"))
    aid = first_corpus_id(outputs)
    key = mention_key(records(outputs)[aid]["mentions"][0])

    with bound(app, "0.0.0.0") as port:
        target = f"http://127.0.0.1:{port}"
        html = EVIL_PAGE.format(app=target, aid=aid, key=key).encode()

        def evil(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [html]

        with bound(evil, "127.0.0.1") as evil_port:
            rebinding = browser.browser_type.launch(
                executable_path=CHROMIUM, headless=True,
                args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"])
            try:
                page = rebinding.new_page()
                # another origin: every request is sent or blocked, none changes anything
                page.goto(f"http://localhost:{evil_port}/")
                page.wait_for_function("window.results && window.results.length === 3", timeout=10_000)
                results = page.evaluate("window.results")
                assert "json blocked" in results  # the preflight gets no CORS consent
                page.wait_for_timeout(300)  # the form's navigation into the frame
                # DNS rebinding: evil.example now resolves to the server; its page is the app's "origin"
                resp = page.goto(f"http://evil.example:{port}/")
                assert resp.status == 400 and "not allowed" in page.content()
                got = page.evaluate("""(aid) => fetch('/api/status', {method: 'POST',
                    headers: {'Content-Type': 'application/json'},
                    body: JSON.stringify({article_id: aid, status: 'done'})}).then((r) => r.status)""", aid)
                assert got == 400
                # the app's own name still works from the same browser
                assert page.goto(f"http://localhost:{port}/").status == 200
            finally:
                rebinding.close()
    assert ReviewDB(db_path).count() == 0
