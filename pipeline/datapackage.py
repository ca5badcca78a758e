"""``outputs/datapackage.json``: a Frictionless (Tabular) Data Package describing a run's CSV tables.

The field list of each table follows the column constants of ``pipeline.records``
(``ARTICLE_COLUMNS``, ``MENTION_COLUMNS``, ``EVENT_COLUMNS``), or the CSV
writer's own list where ``pipeline.outputs`` has one (``ARTICLE_CSV_COLUMNS``),
in their order, so a column added there is listed here without another change. Field types
come from the Parquet schemas of ``pipeline.outputs`` where the table has one
(string, integer, number, date), else from :data:`FIELDS`; descriptions,
formats and constraints come from :data:`FIELDS` (the README's wording). A
column missing from :data:`FIELDS` is still listed, with its type and no
description (:func:`undescribed` names such columns).

Keys: ``articles.id``; ``mentions`` (``article_id``, ``mention``); ``events``
(``article_id``, ``event``); ``mentions.article_id`` and ``events.article_id``
refer to ``articles.id``.

The descriptor depends only on those constants, not on the data, so it can be
written before or after the tables: :func:`write_datapackage` writes it
atomically.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .gold import EVENT_TYPES, MENTION_TYPES, MODS, STATUSES

_DATE_VALUE = "TIMEX3 value, e.g. 2021-11, 2021/2025, XXXX-09-24, 2021-03-12T10:00"

ARTICLE_FIELDS: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "description": "Article id: the file name's prefix, or the .jsonl record's id.",
           "constraints": {"required": True}},
    "source": {"type": "string", "description": "The input file (and line, for a .jsonl) the article came from."},
    "published": {"type": "string", "description": "Publication date: the input's, else the article's own dateline; "
                  "ISO 8601 (YYYY-MM-DD, or a longer ISO date-time given in a .jsonl input).",
                  "constraints": {"pattern": r"\d{4}-\d{2}-\d{2}.*"}},
    "date_source": {"type": "string", "description": "Where published came from: published (given with the input), "
                    "dateline (the article's own), given (the run's default date), none."},
    "status": {"type": "string", "description": "ok, warning (processed; see error) or error (refused or failed).",
               "constraints": {"enum": ["ok", "warning", "error"]}},
    "error": {"type": "string", "description": "The reason for status error or warning."},
    "chars": {"type": "integer", "description": "Characters of the stored text."},
    "mentions": {"type": "integer", "description": "Mentions found in the article."},
    "events": {"type": "integer", "description": "Events found in the article."},
    **{t: {"type": "integer", "description": f"{t} mentions found in the article."} for t in MENTION_TYPES},
}

MENTION_FIELDS: dict[str, dict[str, Any]] = {
    "article_id": {"description": "The article (articles.id)."},
    "mention": {"description": "The mention's number in the article, from 0 (its index in predictions.jsonl)."},
    "type": {"description": "Mention type.", "constraints": {"enum": list(MENTION_TYPES)}},
    "start": {"description": "Offset of the first character in the article text (Unicode code points)."},
    "end": {"description": "Offset after the last character: text[start:end] is the mention."},
    "text": {"description": "The mention as written."},
    "value": {"description": "Normalized value: DATE a " + _DATE_VALUE + "; PERCENT a number or [low, high]; "
              "DOCREF the document code; INSTITUTION the canonical name; QUANTITY number and unit."},
    "value_low": {"description": "PERCENT and QUANTITY: the low end of the value (the value itself if single)."},
    "value_high": {"description": "PERCENT and QUANTITY: the high end of the value (the value itself if single)."},
    "value_number": {"description": "A single number (not a range), with its unit in unit."},
    "unit": {"description": "Unit of value_number: %, an ISO 4217 currency code, or the counted noun."},
    "mod": {"description": "DATE modifier.", "constraints": {"enum": list(MODS)}},
    "doc_type": {"description": "DOCREF: document type (Quyết định, Nghị định ...)."},
    "granularity": {"description": "DATE: year, month, day, minute or interval."},
    "date_start": {"description": "DATE: the first day the value covers (empty when the year is unknown)."},
    "date_end": {"description": "DATE: the last day the value covers (empty when the year is unknown)."},
    "institution_id": {"description": "INSTITUTION: id in the knowledge base (pipeline/resources/institutions.tsv)."},
    "institution_kind": {"description": "INSTITUTION: kind of body, from the knowledge base."},
    "doc_number": {"description": "DOCREF identity: the document number."},
    "doc_year": {"description": "DOCREF identity: the year, from the code, else from the document's own date."},
    "doc_issuer": {"description": "DOCREF identity: the issuer, from the code, else from the words inside the span."},
    "doc_issued": {"description": "DOCREF: the document's date when the text writes it right after the reference."},
    "source": {"description": "The input the article came from (articles.source)."},
}

EVENT_FIELDS: dict[str, dict[str, Any]] = {
    "article_id": {"description": "The article (articles.id)."},
    "event": {"description": "The event's number in the article, from 0."},
    "type": {"description": "Event type.", "constraints": {"enum": list(EVENT_TYPES)}},
    "trigger": {"description": "The trigger word(s) as written."},
    "trigger_start": {"description": "Offset of the trigger in the article text (Unicode code points)."},
    "trigger_end": {"description": "Offset after the trigger."},
    "date_text": {"description": "The event's date as written."},
    "date_value": {"description": "The event's date as a " + _DATE_VALUE + "."},
    "date_mod": {"description": "Modifier of the date.", "constraints": {"enum": list(MODS)}},
    "granularity": {"description": "Granularity of the date: year, month, day, minute or interval."},
    "date_start": {"description": "The first day the date covers (empty when the year is unknown)."},
    "date_end": {"description": "The last day the date covers (empty when the year is unknown)."},
    "agent": {"description": "Canonical name of the body that performs the act; empty for figures and when a person "
              "or office-holder acts."},
    "institutions": {"description": "Canonical names of the bodies taking part, joined with ' | '."},
    "territory": {"description": "What the event is about: VN for the whole country, a province's name, empty "
                  "when unknown (from the acting body, the provinces and scope words of the sentence, then the "
                  "article's bodies; see pipeline/territory.py)."},
    "documents": {"description": "Codes of the documents the act issues or rests on, joined with ' | '."},
    "doc_types": {"description": "Types of those documents, in the same order, joined with ' | '."},
    "percents": {"description": "Percent values of a figure, joined with ' | '."},
    "quantities": {"description": "Quantity values (number and unit) of a figure, joined with ' | '."},
    "object": {"description": "What is acted on: the issued document, the platform launched, the meeting's name; "
               "for a figure, the indicator measured."},
    "object_start": {"description": "Offset of the object in the article text."},
    "object_end": {"description": "Offset after the object."},
    "status": {"description": "Acts only: done or planned.", "constraints": {"enum": list(STATUSES)}},
    "indicator": {"description": "Figures: the indicator measured (the same text as object)."},
    "value_number": {"description": "A figure's value (single values only)."},
    "value_unit": {"description": "Unit of the figure: % for a percentage, the ISO 4217 code for money, "
                   "the counted noun for a count."},
    "value_low": {"description": "A figure's value, low end (a range fills low and high only)."},
    "value_high": {"description": "A figure's value, high end."},
    "canonical": {"description": "The canonical event this statement states (canonical_events.event_id): "
                  "statements of the same real-world act or figure, in any article, share it."},
    "rule": {"description": "The rule that fired: the trigger's type, words and condition, and any modifier "
             "(+counted-act, +goal-list)."},
    "confidence": {"type": "number", "description": "In [0, 1]: lower where the rule has known weak cases "
                   "(copulas, launch verbs after an aspect word, counted acts)."},
    "sentence": {"description": "The event's sentence."},
    "published": {"description": "Publication date of the article."},
    "source": {"description": "The input the article came from (articles.source)."},
}

CANONICAL_FIELDS: dict[str, dict[str, Any]] = {
    "event_id": {"description": "Canonical event id, derived from the event's type and natural key (a document, a "
                 "meeting's ordinal or day, a figure's value and unit, the object's words): re-runs keep it."},
    "type": {"description": "Event type.", "constraints": {"enum": list(EVENT_TYPES)}},
    "object": {"description": "The object or indicator most statements give."},
    "agent": {"description": "The agent most statements give."},
    "territory": {"description": "The territory most statements give: VN, a province's name, or empty."},
    "date": {"description": "The date value most statements give (TIMEX3)."},
    "date_earliest": {"description": "Earliest reported date value, when statements disagree."},
    "date_latest": {"description": "Latest reported date value, when statements disagree."},
    "documents": {"description": "Documents of all statements, joined with ' | '."},
    "institutions": {"description": "Bodies of all statements, joined with ' | '."},
    "value_number": {"description": "The figure's value most statements give."},
    "value_unit": {"description": "Unit of the figure."},
    "status": {"description": "Acts: done or planned (most statements)."},
    "n_statements": {"description": "Statements of this event."},
    "n_articles": {"description": "Articles stating it."},
    "n_sources": {"description": "Distinct inputs stating it."},
    "first_published": {"description": "Earliest publication date among its articles."},
    "last_published": {"description": "Latest publication date among its articles."},
    "article_ids": {"description": "Articles stating it, joined with ' | '."},
}

FIELDS = {"articles": ARTICLE_FIELDS, "mentions": MENTION_FIELDS, "events": EVENT_FIELDS,
          "canonical_events": CANONICAL_FIELDS}

TABLE_DESCRIPTIONS = {
    "articles": "One row per input (file, or line of a .jsonl) with its status and counts.",
    "mentions": "One row per mention (DATE, PERCENT, DOCREF, INSTITUTION, QUANTITY) with its normalized value.",
    "events": "One row per event statement, its arguments resolved to their values.",
    "canonical_events": "One row per real-world event: the statements that state it, in any article, resolved "
                        "into one (events.canonical = event_id).",
}


def _columns() -> dict[str, list[str]]:
    """The CSV columns of each table: the writer's own list where it has one (``outputs.ARTICLE_CSV_COLUMNS``
    adds columns to the record's), else the ``records`` constant."""
    from . import outputs, records

    from .canonical import CANONICAL_COLUMNS

    cols = {table: list(getattr(outputs, f"{stem}_CSV_COLUMNS", None) or getattr(records, f"{stem}_COLUMNS"))
            for table, stem in (("articles", "ARTICLE"), ("mentions", "MENTION"), ("events", "EVENT"))}
    cols["canonical_events"] = list(CANONICAL_COLUMNS)
    return cols


def _parquet_types() -> dict[str, dict[str, str]]:
    """Frictionless types of the Parquet-backed tables' columns, from ``pipeline.outputs``' schemas."""
    import pyarrow as pa

    from .canonical import CANONICAL_SCHEMA
    from .outputs import EVENT_SCHEMA, MENTION_SCHEMA

    def kind(t: pa.DataType) -> str:
        if pa.types.is_timestamp(t) or pa.types.is_date(t):
            return "date"  # the CSV writes these day-precision timestamps as YYYY-MM-DD
        if pa.types.is_integer(t):
            return "integer"
        if pa.types.is_floating(t):
            return "number"
        if pa.types.is_boolean(t):
            return "boolean"
        return "string"

    return {"mentions": {f.name: kind(f.type) for f in MENTION_SCHEMA},
            "events": {f.name: kind(f.type) for f in EVENT_SCHEMA},
            "canonical_events": {f.name: kind(f.type) for f in CANONICAL_SCHEMA}}


def _field(table: str, name: str, types: dict[str, str]) -> dict[str, Any]:
    spec = FIELDS[table].get(name, {})
    field: dict[str, Any] = {"name": name, "type": types.get(name) or spec.get("type") or "string"}
    if field["type"] == "date":
        field["format"] = "default"  # ISO 8601 YYYY-MM-DD
    if spec.get("description"):
        field["description"] = spec["description"]
    if spec.get("constraints"):
        field["constraints"] = dict(spec["constraints"])
    return field


def undescribed() -> dict[str, list[str]]:
    """Columns of each table that :data:`FIELDS` does not describe yet."""
    return {t: [c for c in cols if not FIELDS[t].get(c, {}).get("description")] for t, cols in _columns().items()}


def descriptor() -> dict[str, Any]:
    """The data package descriptor (a dict) for a run's articles, mentions, events (statements) and canonical events."""
    from . import __version__

    columns = _columns()
    types = _parquet_types()
    resources = []
    for table in ("articles", "mentions", "events", "canonical_events"):
        schema: dict[str, Any] = {"fields": [_field(table, c, types.get(table, {})) for c in columns[table]],
                                  "missingValues": [""]}
        if table == "articles":
            schema["primaryKey"] = ["id"]
        elif table == "canonical_events":
            schema["primaryKey"] = ["event_id"]
        else:
            schema["primaryKey"] = ["article_id", table[:-1]]
            schema["foreignKeys"] = [{"fields": ["article_id"],
                                      "reference": {"resource": "articles", "fields": ["id"]}}]
            if table == "events":
                schema["foreignKeys"].append({"fields": ["canonical"],
                                              "reference": {"resource": "canonical_events", "fields": ["event_id"]}})
        resources.append({
            "name": table, "path": f"{table}.csv", "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "description": TABLE_DESCRIPTIONS[table],
            "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
            "schema": schema,
        })
    return {
        "profile": "tabular-data-package",
        "name": "vnevents-outputs",
        "title": "vnevents: events, mentions and articles extracted from Vietnamese news",
        "description": ("What happened, when, which public body did it, under which document, and the figures "
                        "stated, extracted by vnevents (docs/ANNOTATION.md defines each field). The Parquet files "
                        "beside the CSVs hold the same rows with the same columns; predictions.jsonl holds the same "
                        "results in the gold format."),
        "version": __version__,
        "resources": resources,
    }


def write_datapackage(out_dir: str | os.PathLike) -> Path:
    """Write ``out_dir/datapackage.json`` (atomically) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "datapackage.json"
    tmp = out / ".datapackage.json.tmp"
    tmp.write_text(json.dumps(descriptor(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
