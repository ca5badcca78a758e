"""DOCREF mentions: numbered legal and administrative documents.

Contract (docs/ANNOTATION.md, DOCREF): the span is the type word, an optional
"số" and the number with its code ("Quyết định số 749/QĐ-TTg", "Chỉ thị số
01/CT- BTTTT", "Chỉ thị 16"); a bare coded number counts alone ("749/QĐ-TTg").
``value`` is the identifier without spaces, each code part cased as officially
written (``TTg``, ``QĐ``); ``doc_type`` the standard type; ``info`` holds the
``issuer`` implied by the code and the ``year`` the code holds.

Type words, type codes and issuer codes come from ``doc_types.tsv``,
``doc_codes.tsv`` and ``issuers.tsv``; units that make a bare number a count
("Kế hoạch 5 năm") from ``units.tsv``.
"""
from __future__ import annotations

import re
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc

from .mentions import Candidate, add_mentions
from .segment import doc_text
from .resources import load_table, words
from .textutil import word_alternation

_SEG = r"[A-ZĐƯ][A-Za-zĐđƯư&]*\d*"
# number (a sub-number after a dot: "66.7/2025/NQ-CP"), optional year, then code parts joined by "/" or "-"
# (a space may follow a dash)
CODE = rf"\d{{1,5}}(?:\.\d{{1,2}})?[a-z]?(?:/\d{{4}})?(?:\s?[/-]\s?{_SEG})+"


@cache
def _tables():
    types = {row["word"].casefold(): row for row in load_table("doc_types")}
    codes = {row["code"].casefold(): row for row in load_table("doc_codes")}
    issuers = {row["code"].casefold(): row for row in load_table("issuers")}
    casing = {k: row["code"] for k, row in issuers.items()}
    casing.update({k: row["code"] for k, row in codes.items()})
    return types, codes, issuers, casing


@cache
def _regexes() -> dict[str, re.Pattern]:
    types, *_ = _tables()
    type_alt = word_alternation(row["word"] for row in types.values())
    named = word_alternation(row["word"] for row in types.values() if row["name_gap"] == "yes")
    bare = word_alternation(row["word"] for row in types.values() if row["bare_number"] == "yes")
    so = r"(?:\s+số)?\s*:?\s*"
    numyear = r"\d{1,5}/(?:19|20)\d\d"
    ident = rf"(?:{CODE}|{numyear})(?![\w/]|-\w)"
    return {
        "coded": re.compile(rf"(?<![\w/.,])(?:(?P<type>{type_alt}){so})?(?P<code>{CODE})(?![\w/])", re.IGNORECASE),
        "named": re.compile(
            rf"(?<!\w)(?P<type>{named})\s+(?P<name>[A-ZĐÀ-Ỹ][^\n\d.;:()]{{0,100}}?)\s+(?:số\s+)?(?P<code>{ident})"
        ),
        # the issuer between the type word and the number: "Nghị định của Chính phủ số 15/2020/NĐ-CP"
        "issuer": re.compile(
            rf"(?<!\w)(?P<type>{type_alt})\s+(?P<name>của\s+[^\n\d.;:(),]{{2,80}}?)\s+số\s+(?P<code>{ident}|\d{{1,5}}(?![\w/]))"
        ),
        # number/year without a code: "Nghị định số 129/2016", "Thông tư 15/2015"
        "numyear": re.compile(rf"(?<!\w)(?P<type>{type_alt}){so}(?P<code>{numyear})(?![\w/]|[-–]\w|[.,]\d)"),
        "bare": re.compile(rf"(?<!\w)(?P<type>{bare}){so}(?P<code>\d{{1,4}})(?![\w/]|[.,]\d)"),
        "type_inside": re.compile(rf"(?<!\w)(?:{type_alt})(?!\w)"),
        "units": re.compile(rf"\s+(?:{word_alternation(words('units'))})(?!\w)", re.IGNORECASE),
        "so_label": re.compile(r"(?<!\w)Số\s*:\s*$"),
    }


def canonical_code(raw: str) -> str:
    """``01/CT- BTTTT`` -> ``01/CT-BTTTT``; ``749/qđ-ttg`` -> ``749/QĐ-TTg``."""
    _, _, _, casing = _tables()
    compact = re.sub(r"\s+", "", raw)

    def fix(m: re.Match) -> str:
        letters, digits = m.group(1), m.group(2)
        return casing.get(letters.casefold(), letters.upper()) + digits

    return re.sub(r"([A-Za-zĐđƯư&]+)(\d*)", fix, compact)


def describe_code(code: str) -> dict:
    """doc_type, issuer and year implied by a canonical code."""
    _, codes, issuers, _ = _tables()
    parts = re.split(r"[/-]", code)
    info: dict = {"doc_type": None, "issuer": None, "year": None}
    for part in parts[1:]:
        if re.fullmatch(r"\d{4}", part):
            info["year"] = int(part)
            continue
        letters = re.match(r"[^\d]+", part)
        key = letters.group().casefold() if letters else ""
        if info["doc_type"] is None and key in codes:
            info["doc_type"] = codes[key]["doc_type"]
            if key == "qh":  # laws: QH15 is the 15th National Assembly
                info["issuer"] = issuers["qh"]["issuer"]
            continue
        if info["issuer"] is None and key in issuers:
            info["issuer"] = issuers[key]["issuer"]
    return info


def find_docrefs(text: str) -> list[Candidate]:
    """DOCREF candidates in ``text`` (overlaps are resolved by :func:`add_mentions`)."""
    types, *_ = _tables()
    rx = _regexes()
    out: list[Candidate] = []
    for m in rx["coded"].finditer(text):
        code = canonical_code(m.group("code"))
        info = describe_code(code)
        if m.group("type"):
            doc_type = types[m.group("type").casefold()]["doc_type"]
        else:
            doc_type = info["doc_type"]
            if doc_type is None and not info["issuer"]:
                continue  # a bare slash code with neither a type nor an issuer
            if doc_type is None:
                doc_type = "Công văn"
        out.append(Candidate(m.start(), m.end(), "DOCREF", code, doc_type=doc_type,
                             info={"issuer": info["issuer"], "year": info["year"]}))
    for kind in ("named", "issuer"):
        for m in rx[kind].finditer(text):
            if rx["type_inside"].search(m.group("name")):
                continue  # "Luật Đầu tư và Nghị định số 31/2021/NĐ-CP": the law has no number of its own
            code = canonical_code(m.group("code"))
            info = describe_code(code)
            if kind == "issuer":  # the body written in the span is the issuer
                info["issuer"] = " ".join(m.group("name").split()[1:])
            out.append(Candidate(m.start(), m.end(), "DOCREF", code,
                                 doc_type=types[m.group("type").casefold()]["doc_type"],
                                 info={"issuer": info["issuer"], "year": info["year"], "replaces_inner": True}))
    for m in rx["numyear"].finditer(text):
        if not m.group("type")[0].isupper():
            continue
        number, year = m.group("code").split("/")
        out.append(Candidate(m.start(), m.end(), "DOCREF", m.group("code"),
                             doc_type=types[m.group("type").casefold()]["doc_type"],
                             info={"issuer": None, "year": int(year)}))
    for m in rx["bare"].finditer(text):
        if not m.group("type")[0].isupper() or rx["units"].match(text, m.end()):
            continue
        out.append(Candidate(m.start(), m.end(), "DOCREF", m.group("code"),
                             doc_type=types[m.group("type").casefold()]["doc_type"],
                             info={"issuer": None, "year": None}))
    return out


@Language.factory("vnevents_docrefs")
def make_docrefs(nlp: Language, name: str):
    """spaCy factory: the DOCREF component."""
    return docref_component


def docref_component(doc: Doc) -> Doc:
    """Add DOCREF mentions (after institutions, which win an overlap).

    A document whose span holds its issuer ("Quyết định của Thủ tướng Chính phủ
    số 1234/QĐ-TTg") is one DOCREF: the bodies found inside it give way.
    """
    from .mentions import MENTIONS

    found = find_docrefs(doc_text(doc))
    wide = [c for c in found if c.info.pop("replaces_inner", False)]
    if wide and MENTIONS in doc.spans:
        def inside(span) -> bool:
            return any(c.start <= span.start_char and span.end_char <= c.end for c in wide)
        doc.spans[MENTIONS] = [s for s in doc.spans[MENTIONS] if not (s.label_ == "INSTITUTION" and inside(s))]
    return add_mentions(doc, found)


_ISSUED = re.compile(r"^\s*,?\s*(?:ban hành\s+|được ký\s+|ký\s+)?(?:ngày|ngày ký)?\s*$", re.IGNORECASE)


def document_identity(doc: Doc) -> Doc:
    """Complete each DOCREF's identity once the dates are known.

    ``info`` gets ``number`` (the number before the first "/" or "-"),
    ``year`` (from the code, else from its date), ``issuer`` (from the code,
    else from the words inside the span), and ``issued``: the document's own
    date when a DATE follows it straight away ("Quyết định số 2289/QĐ-TTg ngày
    31/12/2020", "..., ngày 15/6/2021").
    """
    from .mentions import MENTIONS

    spans = list(doc.spans[MENTIONS]) if MENTIONS in doc.spans else []
    for i, span in enumerate(spans):
        if span.label_ != "DOCREF":
            continue
        info = dict(span._.info or {})
        value = span._.value or ""
        info["number"] = re.split(r"[/-]", value)[0] if value else None
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        if nxt is not None and nxt.label_ == "DATE" and _ISSUED.match(doc_text(doc)[span.end_char:nxt.start_char]) \
                and nxt.start_char - span.end_char <= 14 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", nxt._.value or ""):
            info["issued"] = nxt._.value
            info["year"] = info.get("year") or int(nxt._.value[:4])
        span._.info = info
    return doc


@Language.factory("vnevents_doc_identity")
def make_document_identity(nlp: Language, name: str):
    """spaCy factory: DOCREF identity (number, year, issuer, issue date); runs after the dates."""
    return document_identity
