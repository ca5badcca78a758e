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
from .resources import load_table, words
from .textutil import word_alternation

_SEG = r"[A-ZĐƯ][A-Za-zĐđƯư&]*\d*"
# number, optional year, then code parts joined by "/" or "-" (a space may follow a dash)
CODE = rf"\d{{1,5}}[a-z]?(?:/\d{{4}})?(?:\s?[/-]\s?{_SEG})+"


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
    return {
        "coded": re.compile(rf"(?<![\w/])(?:(?P<type>{type_alt}){so})?(?P<code>{CODE})(?![\w/])", re.IGNORECASE),
        "named": re.compile(
            rf"(?<!\w)(?P<type>{named})\s+(?P<name>[A-ZĐÀ-Ỹ][^\n\d,.;:()]{{0,80}}?)\s+(?:số\s+)?(?P<code>{CODE})(?![\w/])"
        ),
        "bare": re.compile(rf"(?<!\w)(?P<type>{bare}){so}(?P<code>\d{{1,4}})(?![\w/.,]|,\d)"),
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
    for m in rx["named"].finditer(text):
        code = canonical_code(m.group("code"))
        info = describe_code(code)
        out.append(Candidate(m.start(), m.end(), "DOCREF", code,
                             doc_type=types[m.group("type").casefold()]["doc_type"],
                             info={"issuer": info["issuer"], "year": info["year"]}))
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
    """Add DOCREF mentions (after institutions, which win an overlap)."""
    return add_mentions(doc, find_docrefs(doc.text))
