"""report.html: one self-contained page over a finished run's outputs.

``write_report(out_dir)`` reads ``predictions.jsonl`` line by line and
``events.parquet`` batch by batch (memory stays flat whatever the run's size)
and writes ``OUT/report.html`` atomically (a temporary file in the same folder,
then ``os.replace``). The page has:

- a summary: articles (with their status from ``articles.csv``), mentions and
  events per type;
- a timeline: events by month and type (events whose date is a day or a month;
  an inline SVG drawn here), and events by year and type (every dated event,
  by the start of its date);
- the events table, sortable (click a column head) and filterable (type, free
  text) by a little inline script;
- each article's text with its mentions highlighted by type, displaCy-style,
  the normalized value on hover (``title``). For a large run only the first
  ``max_articles`` articles are shown, and the page says so.

The page loads nothing from the network. Everything that comes from the data is
HTML-escaped (Jinja2 autoescape and :func:`markupsafe.escape`), and a
Content-Security-Policy allows only the page's own inline script (by its hash)
and no network at all, so a hostile article shows as text.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import tempfile
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from jinja2 import Environment
from markupsafe import Markup, escape

MENTION_TYPES = ("DATE", "PERCENT", "DOCREF", "INSTITUTION")
EVENT_TYPES = ("ISSUANCE", "LAUNCH", "ORGANIZATION", "MEETING", "LICENSING", "TARGET", "RESULT")
MENTION_COLORS = {"DATE": "#bfe1d9", "PERCENT": "#e4e7d2", "DOCREF": "#feca74", "INSTITUTION": "#7aecec"}
EVENT_COLORS = {"ISSUANCE": "#4e79a7", "LAUNCH": "#f28e2b", "ORGANIZATION": "#e15759", "MEETING": "#76b7b2",
                "LICENSING": "#59a14f", "TARGET": "#edc948", "RESULT": "#b07aa1"}
OTHER_COLOR = "#9c9c9c"
MAX_ARTICLES = 200
MAX_EVENT_ROWS = 5000
EVENT_TABLE_COLUMNS = ("article_id", "type", "trigger", "date_text", "date_value", "date_start", "date_end",
                       "institutions", "documents", "percents", "sentence")


# ---------------------------------------------------------------- values and highlighting

def format_value(value: Any) -> str:
    """A mention's normalized value as text (``[20, 30]`` for a range, ``90.81``, ``2021-06``, ``555 dn``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict) and set(value) == {"number", "unit"}:  # a QUANTITY: "130280000000000 VND"
        return f"{format_value(value['number'])} {value['unit']}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def mention_title(m: dict) -> str:
    """Hover text of a mention: type, value, and mod / doc_type when present."""
    parts = [f"{m.get('type', '')}: {format_value(m.get('value'))}"]
    if m.get("mod"):
        parts.append(f"mod {m['mod']}")
    if m.get("doc_type"):
        parts.append(str(m["doc_type"]))
    return " · ".join(parts)


def _attrs(attrs: dict[str, Any]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in attrs.items() if value is not None)


def highlight(text: str, mentions: Iterable[dict], attrs: Callable[[int, dict], dict[str, Any]] | None = None,
              tag: str = "mark") -> Markup:
    """``text`` as escaped HTML with each mention wrapped in ``<mark>`` (nested where spans nest).

    ``attrs(i, mention)`` gives the attributes of mention ``i`` (escaped here).
    The page's text content stays exactly ``text``: no label or other text is
    inserted (labels come from CSS ``::after``), so character offsets into the
    rendered text are offsets into the stored text. A mention that crosses
    another one's boundary (not nested) or falls outside the text is not
    highlighted.
    """
    if attrs is None:
        def attrs(i: int, m: dict) -> dict[str, Any]:
            return {"class": f"m m-{m.get('type')}", "data-label": m.get("type"), "title": mention_title(m)}
    items = sorted(((m["start"], m["end"], i, m) for i, m in enumerate(mentions)
                    if isinstance(m.get("start"), int) and isinstance(m.get("end"), int)
                    and 0 <= m["start"] < m["end"] <= len(text)), key=lambda x: (x[0], -x[1], x[2]))
    out: list[str] = []
    pos = 0
    stack: list[int] = []
    for start, end, i, m in items:
        while stack and stack[-1] <= start:
            close = stack.pop()
            out.append(str(escape(text[pos:close])) + f"</{tag}>")
            pos = close
        if stack and end > stack[-1]:
            continue  # crosses the enclosing mention's end: cannot nest
        out.append(str(escape(text[pos:start])))
        out.append(f"<{tag}{_attrs(attrs(i, m))}>")
        pos = start
        stack.append(end)
    while stack:
        close = stack.pop()
        out.append(str(escape(text[pos:close])) + f"</{tag}>")
        pos = close
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


# ---------------------------------------------------------------- reading the outputs

def iter_predictions(path: Path) -> Iterator[dict]:
    """The records of a predictions.jsonl file, one at a time (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _as_date(value: Any) -> date | None:
    """A date from a parquet cell (date, datetime, pandas Timestamp, ISO string), else None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NaT or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, pd.Timestamp):
            return value.date()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def iter_event_rows(path: Path, batch_size: int = 4096) -> Iterator[dict]:
    """The rows of events.parquet as dicts, batch by batch."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    columns = [c for c in (*EVENT_TABLE_COLUMNS, "event", "trigger_start", "trigger_end") if c in names]
    for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
        yield from batch.to_pylist()


def _status_counts(path: Path) -> Counter:
    counts: Counter = Counter()
    if path.exists():
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                counts[row.get("status") or "ok"] += 1
    return counts


# ---------------------------------------------------------------- the timeline (inline SVG)

def _gap_bins(points: list[tuple[str, Counter | None]], max_gap: int) -> list[tuple[str, Counter | None]]:
    """Keep the bins with counts; a run of more than ``max_gap`` empty bins between them becomes one gap (None)."""
    bins: list[tuple[str, Counter | None]] = []
    empty: list[str] = []
    for label, counter in points:
        if counter:
            if len(empty) > max_gap:
                bins.append(("…", None))
            else:
                bins.extend((e, Counter()) for e in empty)
            empty = []
            bins.append((label, counter))
        else:
            empty.append(label)
    return bins


def _month_bins(counts: dict[tuple[int, int], Counter], max_gap: int = 3) -> list[tuple[str, Counter | None]]:
    """Consecutive months from the first to the last; runs of more than ``max_gap`` empty months shrink to one gap."""
    if not counts:
        return []
    (y, m), last = min(counts), max(counts)
    points = []
    while (y, m) <= last:
        points.append((f"{y:04d}-{m:02d}", counts.get((y, m))))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return _gap_bins(points, max_gap)


def _year_bins(counts: dict[int, Counter], max_gap: int = 3) -> list[tuple[str, Counter | None]]:
    """Consecutive years from the first to the last, long empty runs shrunk to one gap."""
    if not counts:
        return []
    return _gap_bins([(str(y), counts.get(y)) for y in range(min(counts), max(counts) + 1)], max_gap)


def svg_stacked_bars(bins: list[tuple[str, Counter | None]], types: Iterable[str], colors: dict[str, str],
                     title: str, height: int = 220) -> Markup:
    """A stacked bar chart as inline SVG: one bar per bin, one segment per type; ``None`` bins are gaps."""
    types = list(types)
    if not bins:
        return Markup('<p class="empty">No dated events.</p>')
    top = max((sum(c.values()) for _, c in bins if c), default=1) or 1
    bar_w, gap, left, bottom, pad_top = 18, 6, 40, 64, 12
    width = left + len(bins) * (bar_w + gap) + 10
    plot_h = height - bottom - pad_top
    step = next(m * 10 ** e for e in range(12) for m in (1, 2, 5) if m * 10 ** e * 5 >= top)
    top = -(-top // step) * step
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>']
    for tick in range(0, top + 1, step):
        y = pad_top + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{left - 4}" x2="{width - 5}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">{tick}</text>')
    for k, (label, counter) in enumerate(bins):
        x = left + k * (bar_w + gap)
        if counter is None:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{pad_top + plot_h - 4:.1f}" class="gap" '
                         f'text-anchor="middle">…</text>')
        else:
            y = pad_top + plot_h
            for t in types:
                n = counter.get(t, 0)
                if not n:
                    continue
                h = plot_h * n / top
                y -= h
                parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" '
                             f'fill="{escape(colors.get(t, OTHER_COLOR))}" data-type="{escape(t)}">'
                             f'<title>{escape(label)} · {escape(t)}: {n}</title></rect>')
            total = sum(counter.values())
            if total:
                parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" class="count" '
                             f'text-anchor="middle">{total}</text>')
        if counter is None:
            continue
        lx, ly = x + bar_w / 2, pad_top + plot_h + 10
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" class="label" text-anchor="end" '
                     f'transform="rotate(-50 {lx:.1f} {ly:.1f})">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 5}" y1="{pad_top + plot_h}" y2="{pad_top + plot_h}" class="axis"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


# ---------------------------------------------------------------- the page

SCRIPT = r"""
(function () {
  var table = document.getElementById('events-table');
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var typeSel = document.getElementById('ev-type');
  var search = document.getElementById('ev-search');
  var shown = document.getElementById('ev-shown');
  function apply() {
    var t = typeSel.value, q = search.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!t || r.getAttribute('data-type') === t) && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  typeSel.addEventListener('change', apply);
  search.addEventListener('input', apply);
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        if (x === y) { return 0; }
        if (x === '') { return 1; }
        if (y === '') { return -1; }
        return (x < y ? -1 : 1) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  apply();
}());
"""

STYLE = """
body { font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1.2em 3em; color: #222; }
h1 { font-size: 1.6em; margin: .8em 0 .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta { color: #666; } .note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .4em .8em; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 12em; }
.card b.big { font-size: 1.8em; display: block; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #eee; padding: .25em .6em; text-align: left; vertical-align: top; }
table.counts td.n { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px; vertical-align: -1px; margin-right: .3em; }
.chart-wrap { overflow-x: auto; } svg.chart text { font-size: 11px; fill: #444; } svg.chart .grid { stroke: #eee; }
svg.chart .axis { stroke: #999; } svg.chart .count { font-size: 10px; fill: #222; } svg.chart .gap { font-size: 14px; }
.legend span { margin-right: 1em; white-space: nowrap; }
#events-table { font-size: 13px; width: 100%; } #events-table th { cursor: pointer; background: #f6f6f6; position: sticky; top: 0; }
#events-table th[aria-sort=ascending]::after { content: " ▲"; } #events-table th[aria-sort=descending]::after { content: " ▼"; }
#events-table td.sent { max-width: 32em; color: #555; }
.filters { margin: .6em 0; display: flex; gap: 1em; align-items: center; flex-wrap: wrap; }
details.article { border: 1px solid #ddd; border-radius: 6px; margin: .8em 0; padding: .3em .8em; }
details.article summary { cursor: pointer; font-weight: bold; }
.text { white-space: pre-wrap; line-height: 2.1; overflow-wrap: anywhere; }
mark.m { padding: .15em .25em; border-radius: .3em; color: inherit; box-decoration-break: clone; -webkit-box-decoration-break: clone; }
mark.m::after { content: attr(data-label); font-size: .62em; font-weight: bold; margin-left: .35em; vertical-align: middle; opacity: .75; }
mark.m mark.m { border: 1px solid rgba(0,0,0,.25); }
""" + "".join(f"mark.m-{t} {{ background: {c}; }}\n" for t, c in MENTION_COLORS.items())

PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '{{ script_hash }}'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vnevents report: {{ out_name }}</title>
<style>{{ style }}</style>
</head>
<body>
<h1>vnevents report</h1>
<p class="meta">Outputs of <code>{{ out_name }}</code> · written {{ generated }} · pipeline {{ version }}</p>

<h2 id="summary">Summary</h2>
<div class="cards">
  <div class="card" id="sum-articles"><b class="big">{{ n_articles }}</b> articles
    {% if statuses %}<br><small>inputs in articles.csv: {% for s, n in statuses %}{{ n }} {{ s }}{% if not loop.last %} · {% endif %}{% endfor %}</small>{% endif %}</div>
  <div class="card" id="sum-mentions"><b class="big">{{ n_mentions }}</b> mentions
    <table class="counts">{% for t, n in mention_counts %}<tr data-type="{{ t }}"><td><span class="swatch" style="background: {{ mention_colors.get(t, other) }}"></span>{{ t }}</td><td class="n">{{ n }}</td></tr>{% endfor %}</table></div>
  <div class="card" id="sum-events"><b class="big">{{ n_events }}</b> events
    <table class="counts">{% for t, n in event_counts %}<tr data-type="{{ t }}"><td><span class="swatch" style="background: {{ event_colors.get(t, other) }}"></span>{{ t }}</td><td class="n">{{ n }}</td></tr>{% endfor %}</table></div>
</div>

<h2 id="timeline">Timeline</h2>
<p class="legend">{% for t in event_types %}<span><span class="swatch" style="background: {{ event_colors.get(t, other) }}"></span>{{ t }}</span>{% endfor %}</p>
<h3>Events by month</h3>
<p class="meta">Events dated to a day or a month, by the month of their date ({{ n_monthly }} events).
{% if n_long %}{{ n_long }} events dated only by a year, quarter or longer period are in the chart by year below.{% endif %}
{% if n_undated %}{{ n_undated }} events have no date.{% endif %} Runs of empty months are shown as “…”.</p>
<div class="chart-wrap" id="chart-month">{{ month_chart }}</div>
<h3>Events by year</h3>
<p class="meta">Every dated event, by the year its date starts ({{ n_dated }} events). Runs of empty years are shown as “…”.</p>
<div class="chart-wrap" id="chart-year">{{ year_chart }}</div>

<h2 id="events">Events</h2>
{% if events_missing %}<p class="note">events.parquet was not found: no event table.</p>{% endif %}
{% if events_capped %}<p class="note">The table shows the first {{ event_rows|length }} of {{ n_events }} events; events.parquet and events.csv hold them all.</p>{% endif %}
<div class="filters">
  <label>Type <select id="ev-type"><option value="">all</option>{% for t in event_types %}<option value="{{ t }}">{{ t }}</option>{% endfor %}</select></label>
  <label>Filter <input id="ev-search" type="search" placeholder="institution, document, text…"></label>
  <span><span id="ev-shown">{{ event_rows|length }}</span> of {{ event_rows|length }} shown · click a column head to sort</span>
</div>
<div class="chart-wrap">
<table id="events-table">
<thead><tr><th>Article</th><th>Type</th><th>Trigger</th><th>Date</th><th>Value</th><th>Start</th><th>Institutions</th><th>Documents</th><th>Percents</th><th>Sentence</th></tr></thead>
<tbody>
{% for r in event_rows %}<tr data-type="{{ r.type }}"><td>{{ r.article_id }}</td><td>{{ r.type }}</td><td>{{ r.trigger }}</td><td>{{ r.date_text }}</td><td>{{ r.date_value }}</td><td data-sort="{{ r.date_sort }}">{{ r.date_start }}</td><td>{{ r.institutions }}</td><td>{{ r.documents }}</td><td>{{ r.percents }}</td><td class="sent">{{ r.sentence }}</td></tr>
{% endfor %}</tbody>
</table>
</div>

<h2 id="articles">Articles</h2>
<p class="legend">{% for t in mention_types %}<span><mark class="m m-{{ t }}" data-label="{{ t }}">{{ t|lower }}</mark></span> {% endfor %} · hover a mention for its normalized value</p>
{% if articles_capped %}<p class="note" id="articles-capped">Showing the first {{ articles|length }} of {{ n_articles }} articles; predictions.jsonl holds them all.</p>{% endif %}
{% for a in articles %}
<details class="article" id="article-{{ loop.index }}"{% if loop.first %} open{% endif %}>
<summary>{{ a.id }} · {{ a.source }}{% if a.published %} · {{ a.published }}{% endif %} · {{ a.n_mentions }} mentions, {{ a.n_events }} events</summary>
<div class="text" lang="vi">{{ a.html }}</div>
</details>
{% endfor %}
<script>{{ script }}</script>
</body>
</html>
"""


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def _ordered(counter: Counter, known: Iterable[str]) -> list[tuple[str, int]]:
    known = list(known)
    return [(t, counter.get(t, 0)) for t in known] + sorted((t, n) for t, n in counter.items() if t not in known)


def build_report(out_dir: str | os.PathLike, max_articles: int = MAX_ARTICLES,
                 max_event_rows: int = MAX_EVENT_ROWS, name: str | None = None) -> str:
    """The HTML of the report over the outputs in ``out_dir`` (titled ``name``, else the folder's name)."""
    from . import __version__

    out = Path(out_dir)
    n_articles = 0
    mention_counts: Counter = Counter()
    event_counts_pred: Counter = Counter()
    articles = []
    pred = out / "predictions.jsonl"
    if pred.exists():
        for rec in iter_predictions(pred):
            n_articles += 1
            ms = rec.get("mentions") or []
            mention_counts.update(m.get("type") for m in ms)
            event_counts_pred.update(e.get("type") for e in rec.get("events") or [])
            if len(articles) < max_articles:
                articles.append({"id": rec.get("id"), "source": rec.get("source"), "published": rec.get("published"),
                                 "n_mentions": len(ms), "n_events": len(rec.get("events") or []),
                                 "html": highlight(rec.get("text") or "", ms)})

    event_counts: Counter = Counter()
    monthly: dict[tuple[int, int], Counter] = defaultdict(Counter)
    yearly: dict[int, Counter] = defaultdict(Counter)
    n_undated = n_long = 0
    event_rows: list[dict] = []
    events_path = out / "events.parquet"
    events_missing = not events_path.exists()
    if not events_missing:
        for row in iter_event_rows(events_path):
            etype = row.get("type") or ""
            event_counts[etype] += 1
            start, end = _as_date(row.get("date_start")), _as_date(row.get("date_end"))
            if start is None:
                n_undated += 1
            else:
                yearly[start.year][etype] += 1
                if end is None or (end - start).days < 31:
                    monthly[(start.year, start.month)][etype] += 1
                else:
                    n_long += 1
            if len(event_rows) < max_event_rows:
                event_rows.append({
                    **{k: ("" if row.get(k) is None else format_value(row.get(k))) for k in EVENT_TABLE_COLUMNS},
                    "type": etype, "date_start": start.isoformat() if start else "",
                    "date_sort": start.isoformat() if start else "",
                })
    else:
        event_counts = event_counts_pred
    n_events = sum(event_counts.values())
    n_dated = n_events - n_undated if not events_missing else 0
    year_bins = _year_bins(yearly)
    types_seen = list(EVENT_TYPES) + sorted(set(event_counts) - set(EVENT_TYPES))

    env = Environment(autoescape=True)
    page = env.from_string(PAGE).render(
        out_name=name or out.resolve().name or str(out), generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=__version__, script=Markup(SCRIPT), script_hash=_script_hash(SCRIPT), style=Markup(STYLE),
        n_articles=n_articles, statuses=sorted(_status_counts(out / "articles.csv").items()),
        n_mentions=sum(mention_counts.values()), mention_counts=_ordered(mention_counts, MENTION_TYPES),
        n_events=n_events, event_counts=_ordered(event_counts, EVENT_TYPES),
        mention_colors=MENTION_COLORS, event_colors=EVENT_COLORS, other=OTHER_COLOR,
        mention_types=MENTION_TYPES, event_types=types_seen,
        month_chart=svg_stacked_bars(_month_bins(monthly), types_seen, EVENT_COLORS, "Events by month and type"),
        year_chart=svg_stacked_bars(year_bins, types_seen, EVENT_COLORS, "Events by year and type"),
        n_monthly=sum(sum(c.values()) for c in monthly.values()), n_long=n_long, n_undated=n_undated,
        n_dated=n_dated, event_rows=event_rows, events_capped=len(event_rows) < n_events and not events_missing,
        events_missing=events_missing, articles=articles, articles_capped=len(articles) < n_articles,
    )
    return page


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_report(out_dir: str | os.PathLike, max_articles: int = MAX_ARTICLES, name: str | None = None) -> Path:
    """Write ``OUT/report.html`` from the finished outputs in ``out_dir``; return its path.

    ``name``: the title's folder name (the run writes the report before publishing,
    in a working folder)."""
    out = Path(out_dir)
    path = out / "report.html"
    write_text_atomic(path, build_report(out, max_articles=max_articles, name=name))
    return path
