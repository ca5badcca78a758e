"""The territory an event is about: the whole country ("VN"), one province, or unknown ("").

News states the same value and indicator for the country and for provinces
("giải ngân 100% kế hoạch vốn năm 2025" is a national target, and Hưng Yên's,
and Lâm Đồng's); a provincial portal rarely names its province in the sentence
("UBND tỉnh yêu cầu ..."). An event's territory, from the most to the least
direct evidence:

1. for an act, its agent: a local body's province, or "VN" for a national body;
   else its object, when it names one province or national words ("Kỳ họp thứ 9
   Quốc hội khóa XV");
2. the one province its sentence or its bodies name (several: unknown);
3. its sentence's scope words (``resources/scope_words.tsv``): national words
   ("cả nước", "Chính phủ", "GDP") give "VN", local words ("toàn tỉnh",
   "UBND", "GRDP") the article's province;
4. the article's territory: that of the bodies acting in its events (else of
   all the bodies it names): their province, when local bodies are at least
   as many as national ones; "VN" when national bodies are the more.

Read from a record (``records.event_rows`` writes it in the ``territory``
column), so resolution and users see one value.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .resources import load_table
from .textutil import fold, word_alternation

_CACHE = 4096


@lru_cache(maxsize=_CACHE)
def provinces_in(text: str) -> tuple[str, ...]:
    """The provinces ``text`` names (``institutions.provinces_named``), cached: sentences repeat."""
    from .institutions import provinces_named

    return tuple(provinces_named(text))


@lru_cache(maxsize=1)
def _scope_words() -> tuple[re.Pattern, dict[str, str]]:
    """One pattern of all scope phrases (longest first) and the scope of each (folded)."""
    scope = {fold(row["word"]): row["scope"] for row in load_table("scope_words")}
    return re.compile(r"(?<!\w)(?:" + word_alternation(scope) + r")(?!\w)"), scope


@lru_cache(maxsize=_CACHE)
def sentence_scope(text: str) -> str:
    """"national" or "local" when the text's phrases of one scope outnumber the other's, else ""."""
    pattern, scope = _scope_words()
    n = {"national": 0, "local": 0}
    for m in pattern.finditer(fold(text)):
        kind = scope.get(" ".join(m.group().split()))
        if kind in n:
            n[kind] += 1
    return "national" if n["national"] > n["local"] else "local" if n["local"] > n["national"] else ""


def _body_scope(mention: dict) -> str:
    """A body mention's province, "VN" for a national body, "" for a foreign one or a local one
    whose place is not known ("Sở Tài chính" in a text that never names its province)."""
    info = mention.get("info") or {}
    value = str(mention.get("value") or "")
    named = provinces_in(value)
    if named:
        return named[0]
    if info.get("province"):
        return str(info["province"])
    if info.get("country", "VN") != "VN" or info.get("kind") in ("international", "local"):
        return ""
    if info.get("needs_province") or info.get("level") or sentence_scope(value) == "local":
        return ""
    return "VN"


def article_territory(rec: dict) -> str:
    """The territory of an article: that of its events' agents (the bodies acting in it), else of all the
    bodies it names, with the provinces its events' sentences name. The province named most (and more
    than any other), when local evidence is at least as much as national bodies; "VN" when national
    bodies are the more; else ""."""
    ms = rec.get("mentions", [])
    text = rec.get("text", "")
    sentences = {(ev["sentence"]["start"], ev["sentence"]["end"]) for ev in rec.get("events", []) if ev.get("sentence")}
    places = Counter(p for s, e in sentences for p in provinces_in(text[s:e]))
    agents = {ms[ev["agent"]]["value"]: ms[ev["agent"]] for ev in rec.get("events", []) if ev.get("agent") is not None}
    named = [m for m in ms if m.get("type") == "INSTITUTION"]
    for bodies in (list(agents.values()), named):
        scopes = Counter(_body_scope(m) for m in bodies)
        scopes.pop("", None)
        national = scopes.pop("VN", 0)
        if sum(scopes.values()) + national < 2 and bodies is not named:
            continue  # one acting body says little of the article: read all the bodies it names
        scopes.update(places)
        local = sum(scopes.values())
        if local and local >= national:
            ranked = scopes.most_common(2)
            return ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else ""
        return "VN"
    return ""


def event_territories(rec: dict) -> list[str]:
    """The territory of each event of a record (gold format with values), in event order."""
    ms = rec.get("mentions", [])
    text = rec.get("text", "")
    article = None
    out = []
    for ev in rec.get("events", []):
        sent = ev.get("sentence") or {"start": ev["trigger"]["start"], "end": ev["trigger"]["end"]}
        sentence = text[sent["start"]:sent["end"]]
        act = ev["type"] not in ("RESULT", "TARGET")
        agent = _body_scope(ms[ev["agent"]]) if ev.get("agent") is not None and act else ""
        if agent:
            out.append(agent)  # "Thủ tướng phê duyệt Đề án của tỉnh Quảng Ninh" is a national act
            continue
        obj = text[ev["object"]["start"]:ev["object"]["end"]] if act and ev.get("object") else ""
        in_obj = set(provinces_in(obj))
        if obj and (sentence_scope(obj) == "national" or len(in_obj) == 1):
            out.append("VN" if sentence_scope(obj) == "national" else in_obj.pop())
            continue  # "Kỳ họp thứ 9, Quốc hội khóa XV" is the nation's wherever it is reported
        named = set(provinces_in(sentence))
        named.update(p for k in ev.get("institutions", []) for p in provinces_in(str(ms[k].get("value") or "")))
        if named:
            out.append(next(iter(named)) if len(named) == 1 else "")
            continue
        if article is None:
            article = article_territory(rec)
        scope = sentence_scope(sentence)
        if scope == "national":
            out.append("VN")
        elif scope == "local":
            out.append(article if article != "VN" else "")
        else:
            out.append(article)
    return out
