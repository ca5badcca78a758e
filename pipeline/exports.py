"""Gold-format records in the formats of the annotation and NLP ecosystem.

``vnevents export --format FORMAT SOURCE --out DIR`` reads SOURCE (a gold
``.jsonl`` file, a run's ``predictions.jsonl``, or an outputs folder) and writes:

* ``labelstudio``: ``DIR/tasks.json`` (Label Studio tasks: span results for
  mentions, event triggers and objects, per-region values, relation results
  for event arguments) and ``DIR/labeling_config.xml`` (the project's labeling
  interface). ``pipeline.imports`` reads a Label Studio export back.
* ``brat``: ``DIR/<id>.txt`` + ``DIR/<id>.ann`` per article (brat standoff:
  mentions and objects as text-bound annotations, events as brat events with
  roles Date, Agent, Institution, Document, Percent, Quantity, Object),
  ``annotation.conf``, ``visual.conf`` and ``metadata.jsonl`` (id, source,
  published of each file).
* ``spacy``: ``DIR/docs.spacy``, a ``DocBin(store_user_data=True)``: tokens are
  syllables and punctuation, split at every annotation boundary;
  ``doc.spans["mentions"]`` with the pipeline's extension attributes
  (``value``, ``mod``, ``doc_type``, ``info``), ``doc.spans["events"]``
  (triggers labelled by event type), ``doc.spans["objects"]``, ``doc.ents``
  (the mentions without the nested ones), ``doc._.events`` (gold-format
  events), ``doc._.article_id``, ``doc._.published``, ``doc.user_data["source"]``.
* ``timeml``: ``DIR/<id>.tml`` per article: the text with each DATE mention as a
  TimeML ``TIMEX3`` (type DATE or TIME, value, mod; an interval is a DURATION
  whose ``beginPoint``/``endPoint`` are empty TIMEX3 elements), and the
  publication date as the document creation time.

Offsets are Unicode code points everywhere, as in the gold format.
"""
from __future__ import annotations

import bisect
import calendar
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator

from .gold import EVENT_ARGS, EVENT_TYPES, MENTION_TYPES, MODS, STATUSES, read_gold

FORMATS = ("labelstudio", "brat", "spacy", "timeml")

# ---------------------------------------------------------------- reading SOURCE


def source_path(source: str | os.PathLike) -> Path:
    """The JSONL file of SOURCE: the file itself, or an outputs folder's predictions.jsonl."""
    path = Path(source)
    if path.is_dir():
        path = path / "predictions.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{source}: no predictions.jsonl in this folder")
    return path


def read_records(source: str | os.PathLike) -> list[dict]:
    """The records of SOURCE (see :func:`source_path`)."""
    return [rec for _, rec in read_gold(source_path(source))]


def file_stem(rec_id: str, used: set[str]) -> str:
    """A safe, unique file name stem for an article id (the id itself when it is safe)."""
    stem = re.sub(r"[^\w.-]", "_", rec_id).lstrip(".")[:100] or "article"
    if stem != rec_id or stem.lower() in used:
        stem = f"{stem[:90]}-{hashlib.sha1(rec_id.encode('utf-8')).hexdigest()[:8]}"
    n, base = 1, stem
    while stem.lower() in used:  # case-insensitive file systems
        n += 1
        stem = f"{base}-{n}"
    used.add(stem.lower())
    return stem


def _value_text(value: Any) -> str:
    """A mention value as one line of text: strings as they are, numbers and objects as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def parse_value(mtype: str, text: Any) -> Any:
    """The value of a mention of type ``mtype`` from its text form (inverse of :func:`_value_text`)."""
    if not isinstance(text, str):
        return text
    text = text.strip()
    if mtype in ("PERCENT", "QUANTITY"):
        try:
            return json.loads(text)
        except ValueError:
            try:
                return float(text.replace(",", "."))
            except ValueError:
                return text
    return text


# ---------------------------------------------------------------- Label Studio

ROLE_OF_TYPE = {"DATE": "date", "INSTITUTION": "institution", "DOCREF": "document", "PERCENT": "percent",
                "QUANTITY": "quantity"}
RELATION_LABELS = ("date", "agent", "institution", "document", "percent", "quantity", "object")
OBJECT_LABEL = "OBJECT"
_LIST_ROLE = {"institution": "institutions", "document": "documents", "percent": "percents", "quantity": "quantities"}
COLORS = {"DATE": "#1f77b4", "PERCENT": "#2ca02c", "DOCREF": "#d62728", "INSTITUTION": "#9467bd",
          "QUANTITY": "#8c564b", OBJECT_LABEL: "#bcbd22"}


def labeling_config() -> str:
    """The Label Studio labeling interface that the exported tasks and the import expect."""
    def labels(name: str, values: Iterable[str]) -> str:
        items = "".join(f'\n    <Label value="{v}" background="{COLORS.get(v, "#ff7f0e")}"/>' for v in values)
        return f'  <Labels name="{name}" toName="text">{items}\n  </Labels>\n'

    relations = "".join(f'\n    <Relation value="{r}"/>' for r in RELATION_LABELS)
    mods = "".join(f'<Choice value="{m}"/>' for m in MODS)
    statuses = "".join(f'<Choice value="{s}"/>' for s in STATUSES)
    return (
        "<View>\n"
        + labels("mention", MENTION_TYPES) + labels("trigger", EVENT_TYPES) + labels("object", [OBJECT_LABEL])
        + f"  <Relations>{relations}\n  </Relations>\n"
        '  <Text name="text" value="$text"/>\n'
        '  <View visibleWhen="region-selected" whenTagName="mention">\n'
        '    <Header value="Normalized value (TIMEX3 date, number or [low, high], '
        '{&quot;number&quot;, &quot;unit&quot;}, '
        'document code, canonical name)"/>\n'
        '    <TextArea name="value" toName="text" perRegion="true" editable="true" maxSubmissions="1" rows="1"/>\n'
        '    <Header value="mod (DATE)"/>\n'
        f'    <Choices name="mod" toName="text" perRegion="true" choice="single">{mods}</Choices>\n'
        '    <Header value="doc_type (DOCREF)"/>\n'
        '    <TextArea name="doc_type" toName="text" perRegion="true" editable="true" maxSubmissions="1" rows="1"/>\n'
        '    <Header value="country (INSTITUTION, ISO 3166 alpha-2; empty for VN)"/>\n'
        '    <TextArea name="country" toName="text" perRegion="true" editable="true" maxSubmissions="1" rows="1"/>\n'
        "  </View>\n"
        '  <View visibleWhen="region-selected" whenTagName="trigger">\n'
        '    <Header value="status (acts)"/>\n'
        f'    <Choices name="status" toName="text" perRegion="true" choice="single">{statuses}</Choices>\n'
        '    <Header value="canonical key"/>\n'
        '    <TextArea name="canonical" toName="text" perRegion="true" editable="true" maxSubmissions="1" rows="1"/>\n'
        "  </View>\n"
        "</View>\n"
    )


def _span_value(text: str, start: int, end: int) -> dict:
    return {"start": start, "end": end, "text": text[start:end]}


def _region(rid: str, control: str, text: str, start: int, end: int, label: str) -> dict:
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
            "value": {**_span_value(text, start, end), "labels": [label]}}


def _per_region(rid: str, control: str, kind: str, text: str, start: int, end: int, value: str) -> dict:
    key = "choices" if kind == "choices" else "text"
    return {"id": rid, "from_name": control, "to_name": "text", "type": kind,
            "value": {**_span_value(text, start, end), key: [value]}}


def labelstudio_result(rec: dict) -> list[dict]:
    """The Label Studio result list of one record (regions, per-region values, relations)."""
    text = rec["text"]
    out: list[dict] = []
    for i, m in enumerate(rec["mentions"]):
        rid, s, e = f"m{i}", m["start"], m["end"]
        out.append(_region(rid, "mention", text, s, e, m["type"]))
        out.append(_per_region(rid, "value", "textarea", text, s, e, _value_text(m.get("value"))))
        if m.get("mod"):
            out.append(_per_region(rid, "mod", "choices", text, s, e, m["mod"]))
        for key in ("doc_type", "country"):
            if m.get(key):
                out.append(_per_region(rid, key, "textarea", text, s, e, m[key]))
    relations: list[dict] = []
    for k, ev in enumerate(rec["events"]):
        rid, s, e = f"e{k}", ev["trigger"]["start"], ev["trigger"]["end"]
        out.append(_region(rid, "trigger", text, s, e, ev["type"]))
        if ev.get("status"):
            out.append(_per_region(rid, "status", "choices", text, s, e, ev["status"]))
        if ev.get("canonical") is not None:
            out.append(_per_region(rid, "canonical", "textarea", text, s, e, ev["canonical"]))
        links: dict[str, list[str]] = {}
        if ev.get("date") is not None:
            links.setdefault(f"m{ev['date']}", []).append("date")
        for key, mtype in EVENT_ARGS.items():
            for n in ev.get(key, []):
                links.setdefault(f"m{n}", []).append(ROLE_OF_TYPE[mtype])
        if ev.get("agent") is not None:
            links.setdefault(f"m{ev['agent']}", []).append("agent")
        if ev.get("object"):
            oid = f"o{k}"
            out.append(_region(oid, "object", text, ev["object"]["start"], ev["object"]["end"], OBJECT_LABEL))
            links[oid] = ["object"]
        relations.extend({"from_id": rid, "to_id": to, "type": "relation", "direction": "right", "labels": labels}
                         for to, labels in links.items())
    return out + relations


def labelstudio_task(rec: dict, as_predictions: bool = False) -> dict:
    """One Label Studio task: the text and metadata as data, the record as an annotation or a prediction."""
    from . import __version__

    data = {"text": rec["text"], "article_id": rec["id"], "source": rec.get("source"),
            "published": rec.get("published")}
    result = labelstudio_result(rec)
    if as_predictions:
        return {"data": data, "predictions": [{"model_version": f"vnevents {__version__}", "result": result}]}
    return {"data": data, "annotations": [{"result": result}]}


def export_labelstudio(records: Iterable[dict], out_dir: str | os.PathLike, as_predictions: bool = False) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [labelstudio_task(rec, as_predictions) for rec in records]
    paths = [out / "tasks.json", out / "labeling_config.xml"]
    _write_text(paths[0], json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    _write_text(paths[1], labeling_config())
    return paths


# ---------------------------------------------------------------- brat

BRAT_ROLES = {"date": "Date", "agent": "Agent", "institutions": "Institution", "documents": "Document",
              "percents": "Percent", "quantities": "Quantity", "object": "Object"}
BRAT_OBJECT = "Object"


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span cut at line breaks (a brat text-bound annotation cannot cross one)."""
    out = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        out.append((start + m.start(), start + m.end()))
    return out or [(start, end)]


def _brat_span(text: str, start: int, end: int) -> tuple[str, str]:
    frags = _fragments(text, start, end)
    return ";".join(f"{s} {e}" for s, e in frags), " ".join(text[s:e] for s, e in frags)


def brat_ann(rec: dict) -> str:
    """The .ann standoff of one record."""
    text = rec["text"]
    lines: list[str] = []
    t_ids: list[str] = []
    counters = {"A": 0, "#": 0}

    def nxt(kind: str) -> str:
        counters[kind] += 1
        return f"{kind}{counters[kind]}"

    tn = 0
    for m in rec["mentions"]:
        tn += 1
        tid = f"T{tn}"
        t_ids.append(tid)
        offsets, surface = _brat_span(text, m["start"], m["end"])
        lines.append(f"{tid}\t{m['type']} {offsets}\t{surface}")
        if m.get("mod"):
            lines.append(f"{nxt('A')}\tMod {tid} {m['mod']}")
        note = {"value": m.get("value")}
        for key in ("doc_type", "country"):
            if m.get(key):
                note[key] = m[key]
        lines.append(f"{nxt('#')}\tAnnotatorNotes {tid}\t{json.dumps(note, ensure_ascii=False)}")
    for k, ev in enumerate(rec["events"]):
        tn += 1
        trig = f"T{tn}"
        offsets, surface = _brat_span(text, ev["trigger"]["start"], ev["trigger"]["end"])
        lines.append(f"{trig}\t{ev['type']} {offsets}\t{surface}")
        args = []
        if ev.get("date") is not None:
            args.append(("Date", t_ids[ev["date"]]))
        if ev.get("agent") is not None:
            args.append(("Agent", t_ids[ev["agent"]]))
        for key in EVENT_ARGS:
            for j, n in enumerate(ev.get(key, [])):
                args.append((BRAT_ROLES[key] + (str(j + 1) if j else ""), t_ids[n]))
        if ev.get("object"):
            tn += 1
            oid = f"T{tn}"
            offsets, surface = _brat_span(text, ev["object"]["start"], ev["object"]["end"])
            lines.append(f"{oid}\t{BRAT_OBJECT} {offsets}\t{surface}")
            args.append(("Object", oid))
        eid = f"E{k + 1}"
        lines.append(f"{eid}\t{ev['type']}:{trig}" + "".join(f" {role}:{tid}" for role, tid in args))
        if ev.get("status"):
            lines.append(f"{nxt('A')}\tStatus {eid} {ev['status']}")
        if ev.get("canonical") is not None:
            note = json.dumps({"canonical": ev["canonical"]}, ensure_ascii=False)
            lines.append(f"{nxt('#')}\tAnnotatorNotes {eid}\t{note}")
    return "".join(line + "\n" for line in lines)


def brat_annotation_conf() -> str:
    args = ("Date?:DATE, Agent?:INSTITUTION, Institution*:INSTITUTION, Document*:DOCREF, Percent*:PERCENT, "
            f"Quantity*:QUANTITY, Object?:{BRAT_OBJECT}")
    return (
        "# vnevents: mention types, event objects, the seven event types (docs/ANNOTATION.md)\n"
        "[entities]\n" + "".join(f"{t}\n" for t in (*MENTION_TYPES, BRAT_OBJECT))
        + "\n[relations]\n<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>\n"
        + "\n[events]\n" + "".join(f"{t}\t{args}\n" for t in EVENT_TYPES)
        + "\n[attributes]\n"
        + f"Mod\tArg:DATE, Value:{'|'.join(MODS)}\n"
        + f"Status\tArg:<EVENT>, Value:{'|'.join(STATUSES)}\n"
    )


def brat_visual_conf() -> str:
    return ("[labels]\n" + "".join(f"{t} | {t}\n" for t in (*MENTION_TYPES, BRAT_OBJECT, *EVENT_TYPES))
            + "\n[drawing]\n" + "".join(f"{t}\tbgColor:{c}\n" for t, c in COLORS.items() if t != OBJECT_LABEL)
            + f"{BRAT_OBJECT}\tbgColor:{COLORS[OBJECT_LABEL]}\n")


def export_brat(records: Iterable[dict], out_dir: str | os.PathLike) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    paths, meta = [], []
    for rec in records:
        stem = file_stem(rec["id"], used)
        _write_text(out / f"{stem}.txt", rec["text"])
        _write_text(out / f"{stem}.ann", brat_ann(rec))
        meta.append({"file": stem, "id": rec["id"], "source": rec.get("source"), "published": rec.get("published")})
        paths += [out / f"{stem}.txt", out / f"{stem}.ann"]
    _write_text(out / "metadata.jsonl", "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in meta))
    _write_text(out / "annotation.conf", brat_annotation_conf())
    _write_text(out / "visual.conf", brat_visual_conf())
    return paths + [out / "metadata.jsonl", out / "annotation.conf", out / "visual.conf"]


# ---------------------------------------------------------------- spaCy

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _token_offsets(text: str, cuts: set[int]) -> list[tuple[int, int]]:
    """Syllables and punctuation marks, split again at every offset in ``cuts``."""
    out = []
    ordered = sorted(cuts)
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        lo = bisect.bisect_right(ordered, s)
        hi = bisect.bisect_left(ordered, e)
        for c in ordered[lo:hi]:
            out.append((s, c))
            s = c
        out.append((s, e))
    return out


def record_to_doc(rec: dict, vocab) -> Any:
    """A spaCy Doc of one record (see the module docstring for what it carries)."""
    from spacy.util import filter_spans

    from . import mentions as _registers_extensions  # noqa: F401  (Span/Doc extension attributes)
    from .segment import doc_from_offsets, sentence_bounds

    text = rec["text"]
    sents = [s for s, _ in sentence_bounds(text)] if text.strip() else []
    cuts = set(sents)
    spans = [(m["start"], m["end"]) for m in rec["mentions"]]
    spans += [(ev["trigger"]["start"], ev["trigger"]["end"]) for ev in rec["events"]]
    spans += [(ev["object"]["start"], ev["object"]["end"]) for ev in rec["events"] if ev.get("object")]
    for s, e in spans:
        cuts.update((s, e))
    doc = doc_from_offsets(vocab, text, _token_offsets(text, cuts), set(sents))

    def span(s: int, e: int, label: str):
        sp = doc.char_span(s, e, label=label, alignment_mode="strict")
        if sp is None:  # the span starts or ends in whitespace: keep the tokens it covers
            sp = doc.char_span(s, e, label=label, alignment_mode="contract")
        return sp

    mentions = []
    for m in rec["mentions"]:
        sp = span(m["start"], m["end"], m["type"])
        if sp is None:
            raise ValueError(f"{rec['id']}: mention {m['start']}-{m['end']} covers no token")
        sp._.value = m.get("value")
        sp._.mod = m.get("mod")
        sp._.doc_type = m.get("doc_type")
        if m.get("country"):
            sp._.info = {"country": m["country"]}
        mentions.append(sp)
    doc.spans["mentions"] = mentions
    doc.spans["events"] = [span(ev["trigger"]["start"], ev["trigger"]["end"], ev["type"]) for ev in rec["events"]]
    doc.spans["objects"] = [span(ev["object"]["start"], ev["object"]["end"], OBJECT_LABEL)
                            for ev in rec["events"] if ev.get("object")]
    doc.ents = filter_spans(mentions)
    doc._.events = [dict(ev) for ev in rec["events"]]
    doc._.article_id = rec["id"]
    doc._.published = rec.get("published")
    doc.user_data["source"] = rec.get("source")
    return doc


def export_spacy(records: Iterable[dict], out_dir: str | os.PathLike) -> list[Path]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocab = Vocab()
    db = DocBin(store_user_data=True)
    for rec in records:
        db.add(record_to_doc(rec, vocab))
    path = out / "docs.spacy"
    tmp = path.with_name(path.name + ".tmp")
    db.to_disk(tmp)
    os.replace(tmp, path)
    return [path]


def _lists(x: Any) -> Any:
    """Tuples (as msgpack gives back the DocBin's user data) as lists, all the way down."""
    if isinstance(x, (list, tuple)):
        return [_lists(v) for v in x]
    if isinstance(x, dict):
        return {k: _lists(v) for k, v in x.items()}
    return x


def doc_to_record(doc) -> dict:
    """The gold-format record of a Doc made by :func:`record_to_doc` (or read from the DocBin)."""
    mentions = []
    for sp in doc.spans["mentions"]:
        m = {"start": sp.start_char, "end": sp.end_char, "type": sp.label_, "text": sp.text,
             "value": _lists(sp._.value)}
        if sp._.mod:
            m["mod"] = sp._.mod
        if sp._.doc_type:
            m["doc_type"] = sp._.doc_type
        if (sp._.info or {}).get("country"):
            m["country"] = sp._.info["country"]
        mentions.append(m)
    return {"id": doc._.article_id, "source": doc.user_data.get("source"), "published": doc._.published,
            "text": doc.text, "mentions": mentions, "events": _lists(list(doc._.events or []))}


def read_docbin(path: str | os.PathLike) -> list[dict]:
    """The records of a DocBin written by :func:`export_spacy`."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from . import mentions as _registers_extensions  # noqa: F401

    db = DocBin(store_user_data=True).from_disk(path)
    return [doc_to_record(doc) for doc in db.get_docs(Vocab())]


# ---------------------------------------------------------------- TimeML

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TIMEX_PART = re.compile(r"(?P<y>\d{4}|XXXX)(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<h>\d{2}):(?P<mi>\d{2}))?)?)?")
_GRAIN = {1: "Y", 2: "M", 3: "D", 4: "T"}


def _grain(value: str) -> tuple[str, re.Match | None]:
    m = _TIMEX_PART.fullmatch(value)
    if not m:
        return "", None
    n = sum(1 for g in ("y", "m", "d", "h") if m.group(g))
    return _GRAIN[n], m


def duration(begin: str, end: str) -> str:
    """The TIMEX3 duration covered by an interval's two ends, both included ("P5Y" for 2021/2025).

    An unknown year (XXXX) on both ends is taken as the same year (the next one
    if the end comes before the begin); what cannot be counted is "X" ("PXY").
    """
    gb, mb = _grain(begin)
    ge, me = _grain(end)
    if not mb or not me or gb != ge:
        finer = max(gb or "Y", ge or "Y", key="YMDT".index)
        return "PTXM" if finer == "T" else f"PX{finer}"
    yb, ye = mb.group("y"), me.group("y")
    if (yb == "XXXX") != (ye == "XXXX") or (yb == "XXXX" and gb == "Y"):
        return "PTXM" if gb == "T" else f"PX{gb}"
    y0, y1 = (2001, 2001) if yb == "XXXX" else (int(yb), int(ye))
    if gb == "Y":
        return f"P{y1 - y0 + 1}Y"
    if gb == "M":
        n = (y1 - y0) * 12 + int(me.group("m")) - int(mb.group("m")) + 1
        return f"P{n if n > 0 or yb != 'XXXX' else n + 12}M"

    def day(y: int, m: re.Match) -> date:
        d = min(int(m.group("d")), calendar.monthrange(y, int(m.group("m")))[1])
        return date(y, int(m.group("m")), d)

    d0, d1 = day(y0, mb), day(y1, me)
    if d1 < d0 and yb == "XXXX":
        d1 = day(y1 + 1, me)
    if gb == "D":
        return f"P{(d1 - d0).days + 1}D"
    minutes = (d1 - d0).days * 1440 + int(me.group("h")) * 60 + int(me.group("mi")) - (
        int(mb.group("h")) * 60 + int(mb.group("mi")))
    return f"PT{minutes}M"


def _timex_type(value: str) -> str:
    return "TIME" if "T" in value else "DATE"


def timeml_document(rec: dict) -> str:
    """The TimeML document of one record: DATE mentions as TIMEX3, ``published`` as the DCT."""
    text = _XML_BAD.sub("\ufffd", rec["text"])  # same length: offsets stay valid
    root = ET.Element("TimeML")
    ET.SubElement(root, "DOCID").text = rec["id"]
    tid = 0
    if rec.get("published"):
        dct = ET.SubElement(root, "DCT")
        value = rec["published"][:10]
        t = ET.SubElement(dct, "TIMEX3", {"tid": "t0", "type": "DATE", "value": value,
                                          "functionInDocument": "CREATION_TIME"})
        t.text = rec["published"]
    body = ET.SubElement(root, "TEXT")
    body.text = ""
    last = None
    cursor = 0

    def add_text(s: str) -> None:
        if last is None:
            body.text += s
        else:
            last.tail = (last.tail or "") + s

    for m in rec["mentions"]:
        if m["type"] != "DATE":
            continue
        add_text(text[cursor:m["start"]])
        value = m["value"]
        tid += 1
        attrs = {"tid": f"t{tid}"}
        points = value.split("/") if isinstance(value, str) and "/" in value else None
        if points:
            attrs.update(type="DURATION", value=duration(*points), beginPoint=f"t{tid + 1}", endPoint=f"t{tid + 2}")
        else:
            attrs.update(type=_timex_type(value), value=value)
        if m.get("mod"):
            attrs["mod"] = m["mod"]
        el = ET.SubElement(body, "TIMEX3", attrs)
        el.text = text[m["start"]:m["end"]]
        last = el
        if points:
            for point in points:
                tid += 1
                last = ET.SubElement(body, "TIMEX3", {"tid": f"t{tid}", "type": _timex_type(point), "value": point})
        cursor = m["end"]
    add_text(text[cursor:])
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def read_timeml(path: str | os.PathLike) -> dict:
    """``{"id", "published", "text", "mentions"}`` (DATE mentions) of a .tml file written by :func:`timeml_document`."""
    root = ET.parse(path).getroot()
    body = root.find("TEXT")
    by_id = {t.get("tid"): t for t in root.iter("TIMEX3")}
    parts = [body.text or ""]
    mentions = []
    pos = len(parts[0])
    for el in body:
        if el.text:
            value = el.get("value")
            if el.get("type") == "DURATION" and el.get("beginPoint"):
                value = f"{by_id[el.get('beginPoint')].get('value')}/{by_id[el.get('endPoint')].get('value')}"
            m = {"start": pos, "end": pos + len(el.text), "type": "DATE", "text": el.text, "value": value}
            if el.get("mod"):
                m["mod"] = el.get("mod")
            mentions.append(m)
            parts.append(el.text)
            pos += len(el.text)
        parts.append(el.tail or "")
        pos += len(el.tail or "")
    dct = root.find("DCT/TIMEX3")
    return {"id": root.findtext("DOCID"), "published": dct.text if dct is not None else None,
            "text": "".join(parts), "mentions": mentions}


def export_timeml(records: Iterable[dict], out_dir: str | os.PathLike) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    paths = []
    for rec in records:
        path = out / f"{file_stem(rec['id'], used)}.tml"
        _write_text(path, timeml_document(rec))
        paths.append(path)
    return paths


# ---------------------------------------------------------------- common


def _write_text(path: Path, content: str) -> None:
    """Write a UTF-8 file atomically, line ends untouched."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(content)
    os.replace(tmp, path)


def export(fmt: str, source: str | os.PathLike, out_dir: str | os.PathLike,
           as_predictions: bool | None = None) -> list[Path]:
    """Export SOURCE in ``fmt`` (one of FORMATS) into ``out_dir``; the files written.

    ``as_predictions`` (Label Studio): put the results under ``predictions``
    (pre-annotations to review) rather than ``annotations``; by default, yes for
    a run's predictions.jsonl or outputs folder, no for a gold file.
    """
    path = source_path(source)
    records = read_records(path)
    if fmt == "labelstudio":
        if as_predictions is None:
            as_predictions = path.name == "predictions.jsonl"
        return export_labelstudio(records, out_dir, as_predictions)
    if fmt == "brat":
        return export_brat(records, out_dir)
    if fmt == "spacy":
        return export_spacy(records, out_dir)
    if fmt == "timeml":
        return export_timeml(records, out_dir)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def iter_brat_files(folder: str | os.PathLike) -> Iterator[tuple[str, dict]]:
    """(stem, metadata) of each brat document of a folder, in metadata.jsonl order when it exists."""
    folder = Path(folder)
    meta_path = folder / "metadata.jsonl"
    if meta_path.exists():
        for line in meta_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                meta = json.loads(line)
                yield meta["file"], meta
        return
    for ann in sorted(folder.glob("*.ann")):
        yield ann.stem, {"id": ann.stem, "source": f"{ann.stem}.txt", "published": None}
