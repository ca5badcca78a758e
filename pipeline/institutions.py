"""INSTITUTION mentions: named public and international bodies, with canonical names.

Contract (docs/ANNOTATION.md, INSTITUTION): spans are names as written,
``value`` the canonical full name ("Bộ TT&TT" -> "Bộ Thông tin và Truyền
thông"), ``info`` the body's ``id``, ``kind``, ``parent`` and ``successor``
where the knowledge base knows them.

Four rules, all reading data files:

1. **Gazetteer** (``institutions.tsv`` names and aliases, ``not_institutions.tsv``
   blockers): longest match over syllables, ignoring case, tone placement and
   the punctuation inside a name ("phòng, chống" = "phòng chống"); a match must
   begin with a capital letter, and an all-capital alias ("UBND", "UN") must
   match its case exactly. A blocker ("Chính phủ điện tử", "Thủ tướng Chính
   phủ") is the longest match and so hides the body name inside it.
2. **Local bodies** (``local_bodies.tsv`` heads x ``provinces.tsv``): "UBND tỉnh
   Bến Tre", "Sở TT&TT Hà Nội", "Tỉnh ủy" (province from the sentence or the
   article when the text leaves it out).
3. **Coordinated ellipsis** of ministries: "3 Bộ Y tế, Công an và TT&TT" gives
   "Bộ Y tế", "Công an", "TT&TT" (``short`` column).
4. **Unknown bodies**: a head word (``institution_heads.tsv``) followed by
   capitalised underthesea words, joined by "và" ("Vụ Khoa học và Công nghệ").

A unit written straight before its parent ("Phòng Cảnh sát giao thông Công an
tỉnh Thanh Hóa") is one outer mention with the parent nested inside it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc

from .mentions import Candidate, add_mentions
from .segment import doc_text
from .resources import load_table, split_list
from .textutil import fold, modern_tones

_SYLLABLE = re.compile(r"[\w&]+")
_CODE_BEFORE = re.compile(r"\w[/-]\s?$")
_GAP_OK = re.compile(r"(?:[ \t\u00a0]*[,\-–&][ \t\u00a0]*|[ \t\u00a0]+|\.)")


@dataclass(frozen=True)
class Body:
    """A body of the knowledge base."""

    id: str
    name: str
    kind: str
    parent: str = ""
    successor: str = ""
    short: tuple[str, ...] = ()


class _Trie:
    """Folded-syllable trie: ``add(words, payload)``; ``longest(keys, i)``."""

    def __init__(self) -> None:
        self.root: dict = {}

    def add(self, phrase: str, payload) -> None:
        node = self.root
        for syl in _SYLLABLE.findall(fold(phrase)):
            node = node.setdefault(syl, {})
        node.setdefault("$", payload)

    def longest(self, sylls: list["_Syl"], i: int) -> tuple[int, object] | None:
        """(index after the match, payload) of the longest phrase starting at ``i``."""
        node, best, j = self.root, None, i
        while j < len(sylls):
            if j > i and not sylls[j].joined:
                break
            node = node.get(sylls[j].key)
            if node is None:
                break
            j += 1
            if "$" in node:
                best = (j, node["$"])
        return best


class _Syl:
    """A syllable: offsets, text, whether the gap before it may lie inside a name; key on demand."""

    __slots__ = ("start", "end", "text", "joined", "_key")

    def __init__(self, start: int, end: int, text: str, joined: bool) -> None:
        self.start, self.end, self.text, self.joined = start, end, text, joined
        self._key: str | None = None

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = self.text if self.text.isdigit() else fold(self.text)
        return self._key


def _syllables(text: str) -> list[_Syl]:
    out: list[_Syl] = []
    prev_end = None
    for m in _SYLLABLE.finditer(text):
        start, end = m.span()
        word = m.group()
        if prev_end is None:
            joined = False
        else:
            gap = text[prev_end:start]
            joined = gap == " " or bool(_GAP_OK.fullmatch(gap))
        out.append(_Syl(start, end, word, joined))
        prev_end = end
    return out


def _has_blocker(node: dict) -> bool:
    """Whether a blocker phrase ends somewhere below this trie node."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.get("$", ("",))[0] == "block":
            return True
        stack.extend(v for k, v in n.items() if k != "$")
    return False


def _is_acronym(alias: str) -> bool:
    letters = [ch for ch in alias if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters) and " " not in alias.strip()


@dataclass
class _KB:
    bodies: dict
    gazetteer: _Trie
    shorts: _Trie
    local_heads: _Trie
    levels: _Trie
    provinces: _Trie
    generic_heads: _Trie
    parent_heads: _Trie = None  # type: ignore[assignment]
    starters: frozenset = frozenset()  # first syllables of any name, head or blocker
    lower_starters: frozenset = frozenset()  # those a match may begin with in lower case (blockers)

    def __post_init__(self) -> None:
        self.starters = frozenset(self.gazetteer.root) | frozenset(self.local_heads.root) | frozenset(
            self.generic_heads.root) | frozenset(self.parent_heads.root if self.parent_heads else ())
        self.lower_starters = frozenset(
            k for k, node in self.gazetteer.root.items() if _has_blocker(node))


@cache
def knowledge_base() -> _KB:
    """Load the institution data once per process."""
    bodies: dict[str, Body] = {}
    gaz, shorts = _Trie(), _Trie()
    for row in load_table("institutions"):
        body = Body(row["id"], row["name"], row.get("kind", ""), row.get("parent", ""),
                    row.get("successor", ""), tuple(split_list(row.get("short"))))
        bodies[body.id] = body
        for alias in [body.name, *split_list(row.get("aliases"))]:
            gaz.add(alias, ("body", body.id, alias if _is_acronym(alias) else None))
        for short in body.short:
            shorts.add(short, ("body", body.id, short if _is_acronym(short) else None))
    for row in load_table("not_institutions"):
        gaz.add(row["phrase"], ("block", None, None))
    local_heads, levels, provinces = _Trie(), _Trie(), _Trie()
    for row in load_table("local_bodies"):
        head_levels = tuple(_level_name(x) for x in split_list(row.get("levels")))
        local_heads.add(row["head"], (row["name"], row.get("kind", "local"),
                                      row["head"] if _is_acronym(row["head"]) else None, head_levels))
        for level in split_list(row.get("levels")):
            levels.add(level, level)
    for level, canon in (("TP", "thành phố"), ("TP.", "thành phố"), ("Tp", "thành phố")):
        levels.add(level, canon)
    for row in load_table("provinces"):
        for alias in [row["name"], *split_list(row.get("aliases"))]:
            provinces.add(alias, (row["name"], row.get("unit", "tỉnh")))
    generic = _Trie()
    for row in load_table("institution_heads"):
        generic.add(row["head"], (row.get("kind", "other"), row.get("specifier") or "upper"))
    parent_heads = _Trie()
    for row in load_table("parent_heads"):
        parent_heads.add(row["head"], row["head"])
    for abbr, level in (("Q", "quận"), ("H", "huyện"), ("TX", "thị xã"), ("P", "phường"), ("TT", "thị trấn")):
        levels.add(abbr, level)
    return _KB(bodies, gaz, shorts, local_heads, levels, provinces, generic, parent_heads)


def _case_ok(sylls: list[_Syl], i: int, j: int, exact: str | None) -> bool:
    first = sylls[i].text
    if not (first[0].isupper() or first[0].isdigit()):
        return False
    if exact is not None:
        written = " ".join(s.text for s in sylls[i:j])
        return modern_tones(written) == " ".join(_SYLLABLE.findall(modern_tones(exact)))
    return True


def _level_name(level: str) -> str:
    return {"tp": "thành phố", "tp.": "thành phố", "q": "quận", "h": "huyện", "tx": "thị xã", "p": "phường",
            "tt": "thị trấn"}.get(level.casefold(), level.casefold())


def find_institutions(text: str, word_starts: set[int] | None = None) -> list[Candidate]:
    """INSTITUTION candidates in ``text``.

    ``word_starts`` are the start offsets of underthesea words; the rule for
    unknown bodies chains whole words (without it, syllables are words).
    """
    kb = knowledge_base()
    sylls = _syllables(text)
    out: list[Candidate] = []
    last_province: tuple[str, str] | None = None
    places = _province_mentions(kb, sylls, text)
    article_province = _most_named(places)
    i = 0
    starters, lower_starters = kb.starters, kb.lower_starters
    while i < len(sylls):
        first = sylls[i].text[0]
        if not (first.isupper() or first.isdigit()) and sylls[i].text.casefold() not in lower_starters:
            i += 1  # names begin with a capital or a digit; only blockers may not
            continue
        if sylls[i].key not in starters:
            i += 1
            continue
        found = _match_parent_head(kb, sylls, i, text, word_starts) or _match_at(kb, sylls, i, text, word_starts)
        if found is None:
            i += 1
            continue
        j, cand, province = found
        if province:
            last_province = province
        if cand is not None:
            if cand.info.get("needs_province"):
                cand.info.pop("needs_province")
                level = cand.info.pop("level", "")
                options = (_sentence_province(kb, sylls, j, text), _province_before(places, cand.start),
                           last_province, article_province)
                prov = next((p for p in options if p and (not level or fold(level) == fold(p[1]))), None)
                if prov and (not level or level in PROVINCE_LEVELS):
                    unit = "" if level or cand.info.get("kind") not in ("local",) else prov[1]
                    cand.value = " ".join(x for x in (cand.value, unit, prov[0]) if x)
                    if prov[1][0].isupper():  # "Thành phố Hồ Chí Minh": the unit word is part of the name
                        cand.value = cand.value.replace(f" {prov[1].lower()} {prov[0]}", f" {prov[1]} {prov[0]}")
            out.append(cand)
            # coordinated ellipsis: "Bộ Y tế, Công an và TT&TT"
            body = kb.bodies.get(cand.info.get("id", ""))
            while body is not None and body.short and j < len(sylls):
                gap = text[sylls[j - 1].end:sylls[j].start]
                if not re.fullmatch(r"\s*,\s*|\s+và\s+|\s*,\s*và\s+", gap):
                    if not (gap.strip() == "" and sylls[j].key == "và" and j + 1 < len(sylls)):
                        break
                k = j + 1 if sylls[j].key == "và" else j
                hit = kb.shorts.longest(sylls, k)
                if hit is None or not _case_ok(sylls, k, hit[0], hit[1][2]):
                    break
                other = kb.bodies[hit[1][1]]
                out.append(Candidate(sylls[k].start, sylls[hit[0] - 1].end, "INSTITUTION", other.name,
                                     info={"id": other.id, "kind": other.kind, "conjunct": True}))
                j = hit[0]
            # a unit straight before its parent: outer mention, parent nested
            if cand.info.get("kind") in UNIT_KINDS:
                parent_at = _parent_after(kb, sylls, j, text, word_starts)
                if parent_at is not None:
                    j, parent = parent_at
                    out.remove(cand)
                    out.append(parent)
                    out.append(Candidate(cand.start, parent.end, "INSTITUTION",
                                         modern_tones(text[cand.start:parent.end]),
                                         info={"kind": cand.info.get("kind"), "parent_value": parent.value}))
        i = j
    return _refine(kb, sylls, text, out)


_TERM = re.compile(r"[ \t]+(?:khóa|khoá)[ \t]+(?:[IVXLC]+|\d+)(?![\w])")
_ABBR_DEF = re.compile(r"[ \t]*\((?P<abbr>[A-ZĐ][A-Za-zĐđ0-9&\-]{1,11})\)")
_CREDIT = re.compile(r"(?:Ảnh|Nguồn|Video|Clip)\s*:\s*[^\n.:;]{0,60}$|\(\s*$", re.IGNORECASE)


def _refine(kb: _KB, sylls: list[_Syl], text: str, cands: list[Candidate]) -> list[Candidate]:
    """What a name's surroundings say about it.

    * a country after it makes the body foreign: "Chính phủ Hàn Quốc", "Bộ
      Quốc phòng Nga" keep their own name and get ``country`` (never a
      Vietnamese body's id);
    * a term after it stays in the span, not in the value ("Quốc hội khóa XV");
    * an abbreviation in brackets after it is its own mention with the same
      value ("(KH&CN)", "(PA05)"), and so is the abbreviation used later on;
    * an agency credit is no mention ("Ảnh: AFP/TTXVN", "(TTXVN)").
    """
    by_start = {sy.start: k for k, sy in enumerate(sylls)}
    out: list[Candidate] = []
    aliases: dict[str, Candidate] = {}
    for c in cands:
        if c.info.get("kind") == "media" and (_CREDIT.search(text[max(0, c.start - 70):c.start].split("\n")[-1])
                                               and text[c.end:c.end + 1] in (")", "", "\n", " ", ".")):
            continue
        k = next((by_start[p] for p in (c.end + 1,) if p in by_start), None)
        if k is not None and text[c.end:c.end + 1] == " " and sylls[k].text[0].isupper():
            hit = _countries().longest(sylls, k)
            if hit:
                c.end = sylls[hit[0] - 1].end
                c.value = modern_tones(text[c.start:c.end])
                c.info = {"kind": c.info.get("kind"), "country": hit[1][1], "foreign": True}
        term = _TERM.match(text, c.end)
        if term:
            c.end = term.end()
        out.append(c)
        abbr = _ABBR_DEF.match(text, c.end)
        if abbr and c.info.get("kind") in UNIT_KINDS:  # "Phòng ... (PA05) Công an tỉnh Nghệ An": the parent after it
            k = next((by_start[p] for p in (abbr.end() + 1,) if p in by_start), None)
            parent = _match_at(kb, sylls, k, text, None) if k is not None and text[abbr.end():abbr.end() + 1] == " " else None
            if parent and parent[1] is not None and parent[1].info.get("kind") in PARENT_KINDS:
                c.value = f"{c.value} {parent[1].value}"
        if abbr and not any(x.start == abbr.start("abbr") for x in cands):
            a = Candidate(abbr.start("abbr"), abbr.end("abbr"), "INSTITUTION", c.value,
                          info={k2: v for k2, v in c.info.items() if k2 in ("id", "kind", "country")} | {"abbreviation": True})
            out.append(a)
            aliases.setdefault(abbr.group("abbr"), a)
    for abbr, a in aliases.items():
        for m in re.finditer(rf"(?<![\w&-]){re.escape(abbr)}(?![\w&-])", text[a.end:]):
            s0 = a.end + m.start()
            if not any(x.start <= s0 < x.end for x in out):
                out.append(Candidate(s0, s0 + len(abbr), "INSTITUTION", a.value, info=dict(a.info)))
    _foreign_party_scope(text, out)
    for c in out:
        if "country" not in c.info and c.info.get("kind") != "international":
            c.info["country"] = "VN"
    return out


_VN_PARTY = "Đảng Cộng sản Việt Nam"


def _foreign_party_scope(text: str, cands: list[Candidate]) -> None:
    """Party bodies after a foreign party is named belong to that party ("Đại hội ... của Đảng Cộng sản
    Trung Quốc ... Bộ Chính trị ..."), until a sentence names Việt Nam."""
    foreign: tuple[str, str] | None = None
    for c in sorted(cands, key=lambda x: x.start):
        sentence = text[max(text.rfind(".", 0, c.start), text.rfind("\n", 0, c.start)) + 1:c.end]
        if c.info.get("foreign") and fold(c.value).startswith("đảng cộng sản"):
            foreign = (c.value[len("Đảng Cộng sản "):], c.info["country"])
            continue
        if foreign is None or c.info.get("kind") != "party" or "Việt Nam" in sentence:
            if "Việt Nam" in sentence:
                foreign = None
            continue
        name, code = foreign
        c.value = (c.value.replace(_VN_PARTY, f"Đảng Cộng sản {name}") if _VN_PARTY in c.value
                   else f"{c.value} Đảng Cộng sản {name}")
        c.info = {"kind": "party", "country": code, "foreign": True}


_BARE_PARENTS = ("Sở", "Bộ", "Cục", "Tỉnh", "Ban")


def _match_parent_head(kb: _KB, sylls: list[_Syl], i: int, text: str, word_starts: set[int] | None):
    """A head whose only specifier is its parent: "Thanh tra Sở Y tế Hà Nội", "Đảng bộ Chính phủ".

    One mention, nothing nested; the value is the head and the parent's value
    ("Ban cán sự đảng Ủy ban nhân dân tỉnh Quảng Ninh"), or the name as written
    before a bare referring head ("Thanh tra Sở", "Văn phòng Bộ").
    """
    hit = kb.parent_heads.longest(sylls, i)
    if hit is None or not sylls[i].text[0].isupper():
        return None
    j = hit[0]
    if j >= len(sylls) or text[sylls[j - 1].end:sylls[j].start] != " " or not sylls[j].text[0].isupper():
        return None
    head = modern_tones(text[sylls[i].start:sylls[j - 1].end])
    parent = _match_at(kb, sylls, j, text, word_starts)
    if parent is not None and parent[1] is not None and not parent[1].info.get("generic"):
        end, cand, province = parent
        return end, Candidate(sylls[i].start, cand.end, "INSTITUTION", f"{head} {cand.value}",
                              info={"kind": cand.info.get("kind"), "parent_value": cand.value,
                                    **({"needs_province": True, "level": cand.info.get("level", "")}
                                       if cand.info.get("needs_province") else {})}), province
    if sylls[j].text in _BARE_PARENTS and (j + 1 >= len(sylls) or not sylls[j + 1].joined
                                          or not sylls[j + 1].text[0].isupper()):
        return j + 1, Candidate(sylls[i].start, sylls[j].end, "INSTITUTION", f"{head} {sylls[j].text}",
                                info={"kind": "department"}), None
    return None


UNIT_KINDS = ("department", "agency", "unit", "police")
PARENT_KINDS = ("ministry", "local", "government", "security")
UNIT_REACH = 5  # lower-case syllables a unit's name may run on before its parent


def _parent_after(kb: _KB, sylls: list[_Syl], j: int, text: str, word_starts: set[int] | None):
    """(index after, parent candidate) when a parent body follows position ``j`` closely."""
    for k in range(j, min(j + UNIT_REACH + 1, len(sylls))):
        if k > j and not text[sylls[k - 1].end:sylls[k].start].isspace():
            return None
        if k >= len(sylls) or (k > 0 and not text[sylls[k - 1].end:sylls[k].start].isspace()):
            return None
        two = fold(sylls[k].text + " " + sylls[k + 1].text) if k + 1 < len(sylls) else ""
        if k < len(sylls) and sylls[k].text[0].islower() and two not in _name_compounds() and (
                sylls[k].key in _name_stops() or two in _name_stops()):
            return None  # "Sở Y tế phối hợp với UBND ...": a verb, not the rest of a name
        found = _match_at(kb, sylls, k, text, word_starts) if sylls[k].text[0].isupper() else None
        if found and found[1] is not None and found[1].info.get("kind") in PARENT_KINDS:
            return found[0], found[1]
        if sylls[k].text[0].isupper() and k > j:
            return None
    return None


def _province_mentions(kb: _KB, sylls: list[_Syl], text: str) -> list[tuple[int, tuple[str, str]]]:
    """(offset, (province, unit)) of each province the text names after a unit word or in full."""
    out = []
    k = 0
    while k < len(sylls):
        if sylls[k].text[0].isupper():
            hit = kb.provinces.longest(sylls, k)
            if hit:
                before = fold(text[max(0, sylls[k].start - 12):sylls[k].start])
                nxt = sylls[hit[0]] if hit[0] < len(sylls) else None
                longer = nxt is not None and nxt.joined and nxt.text[:1].isupper()  # "Thái Bình Dương"
                if re.search(r"(?:tỉnh|thành phố|tp)\s*$", before) or (hit[0] - k >= 2 and not longer):
                    out.append((sylls[k].start, hit[1]))
                k = hit[0]
                continue
        k += 1
    return out


def provinces_named(text: str) -> list[str]:
    """The provinces ``text`` names (their names in provinces.tsv), in order: after a unit word
    ("tỉnh Hưng Yên", "TP Huế") or by a name of two syllables or more ("Vĩnh Long")."""
    return [place[0] for _, place in _province_mentions(knowledge_base(), _syllables(text), text)]


def _province_before(places: list, pos: int) -> tuple[str, str] | None:
    before = [p for off, p in places if off < pos]
    return before[-1] if before else None


def _most_named(places: list) -> tuple[str, str] | None:
    from collections import Counter

    counts = Counter(p for _, p in places)
    return counts.most_common(1)[0][0] if counts else None


def _sentence_province(kb: _KB, sylls: list[_Syl], j: int, text: str) -> tuple[str, str] | None:
    """The first province named after position ``j`` in the same sentence."""
    k = j
    while k < len(sylls) and k < j + 25:
        between = text[sylls[k - 1].end:sylls[k].start] if k > 0 else ""
        if "\n" in between or re.search(r"[.!?]\s", between):
            return None
        hit = kb.provinces.longest(sylls, k)
        if hit and sylls[k].text[0].isupper():
            return hit[1]
        k += 1
    return None


def _match_at(kb: _KB, sylls: list[_Syl], i: int, text: str, word_starts: set[int] | None):
    """(next index, candidate or None, province named) for a match at ``i``, else None."""
    best = None
    if _CODE_BEFORE.search(text[max(0, sylls[i].start - 3):sylls[i].start]):
        return None  # "01/CT- BTTTT", "749/QĐ-TTg": an issuer code, not a mention
    hit = kb.gazetteer.longest(sylls, i)
    if hit is not None:
        j, (what, body_id, exact) = hit
        if what == "block":
            best = (j, None, None)
        elif _case_ok(sylls, i, j, exact):
            body = kb.bodies[body_id]
            best = (j, Candidate(sylls[i].start, sylls[j - 1].end, "INSTITUTION", body.name,
                                 info={"id": body.id, "kind": body.kind, "parent": body.parent,
                                       "successor": body.successor}), None)
    local = _match_local(kb, sylls, i, text)
    if local is not None and (best is None or local[0] > best[0]):
        best = local
    if best is None:
        best = _match_generic(kb, sylls, i, text, word_starts)
    return best


PROVINCE_LEVELS = ("tỉnh", "thành phố")


def _match_local(kb: _KB, sylls: list[_Syl], i: int, text: str = ""):
    """A local body: head, then (a level word of that head and) a place, or a bare head."""
    head = kb.local_heads.longest(sylls, i)
    if head is None:
        return None
    j, (name, kind, exact, head_levels) = head
    if not _case_ok(sylls, i, j, exact):
        return None
    level = kb.levels.longest(sylls, j) if head_levels and j < len(sylls) else None
    if level is not None and _level_name(level[1]) not in head_levels:
        level = None
    if level is not None and sylls[j].text.isupper() and len(sylls[j].text) <= 2 and (
            level[0] >= len(sylls) or not text[sylls[j].end:sylls[level[0]].start].strip().startswith(".")):
        level = None  # "Q.8", "Q.Bình Thạnh", "H. Cần Giờ": a letter abbreviation needs its dot
    lvl = _level_name(level[1]) if level else None
    k = level[0] if level else j
    if lvl is None or lvl in PROVINCE_LEVELS:
        prov = kb.provinces.longest(sylls, k) if k < len(sylls) else None
        if prov and sylls[k].text[0].isupper():
            end = prov[0]
            pname, unit = prov[1]
            unit_word = (unit if unit[0].isupper() else (lvl or unit)) if head_levels else ""
            value = " ".join(x for x in (name, unit_word, pname) if x)
            return end, Candidate(sylls[i].start, sylls[end - 1].end, "INSTITUTION", value,
                                  info={"kind": kind, "province": pname}), prov[1]
    if lvl is not None and lvl not in PROVINCE_LEVELS:
        m = k
        if m < len(sylls) and sylls[m].joined and sylls[m].text.isdigit():
            m += 1  # "quận 8", "phường 4"
        else:
            while m < len(sylls) and sylls[m].joined and sylls[m].text[0].isupper():
                m += 1
        if m > k:
            place = modern_tones(" ".join(x.text for x in sylls[k:m]))
            return m, Candidate(sylls[i].start, sylls[m - 1].end, "INSTITUTION", f"{name} {lvl} {place}",
                                info={"kind": kind}), None
        return None
    if lvl is None and kind == "local" and k < len(sylls) and sylls[k].key in ("các", "cấp", "những"):
        return None  # "Hội đồng nhân dân các cấp": the kind of body, not one body
    if lvl is not None or not head_levels or kind == "local":
        # "UBND tỉnh", "Tỉnh ủy", a bare "UBND": the province the text makes clear completes it
        value = f"{name} {lvl}" if lvl else name
        return k, Candidate(sylls[i].start, sylls[k - 1].end, "INSTITUTION", value,
                            info={"kind": kind, "needs_province": True, "level": lvl or ""}), None
    # "Sở Tài chính", "Sở KH&CN" with no locality: the name as written, abbreviations expanded
    return k, Candidate(sylls[i].start, sylls[k - 1].end, "INSTITUTION", name, info={"kind": kind}), None


@cache
def _name_stops() -> frozenset[str]:
    return frozenset(fold(r["word"]) for r in load_table("name_stops"))


@cache
def _name_compounds() -> frozenset[str]:
    return frozenset(fold(r["word"]) for r in load_table("name_compounds"))


@cache
def _countries() -> _Trie:
    trie = _Trie()
    for row in load_table("countries"):
        for alias in [row["name"], *split_list(row.get("aliases"))]:
            trie.add(alias, (row["name"], row["code"]))
    return trie


NAME_REACH = 28  # syllables a name may run on after its head (steering committees have long names)
_JOIN = re.compile(r" |[ \t]*[-–&][ \t]*")


def _match_generic(kb: _KB, sylls: list[_Syl], i: int, text: str, word_starts: set[int] | None):
    """A body the knowledge base does not list: its head noun, then the specifier.

    Vietnamese body names are lower case after the head noun's own specifier
    ("Vụ Tổ chức cán bộ", "Cục Phát triển công nghệ và Đổi mới sáng tạo",
    "Phòng Cảnh sát điều tra tội phạm về ma túy"), so the name runs over
    lower-case words, "-", "&" and "và", and ends on evidence:

    * punctuation (a comma only inside a lower-case list: "phòng, chống");
    * a word that cannot be inside a name (``name_stops.tsv``: aspect and
      function words, the verbs that follow a subject);
    * "và" or a comma followed by another head noun ("Vụ A và Vụ B");
    * a known body (its parent, nested by the caller) or a country;
    * a locality, which ends the name and stays in it ("... Hà Nội").

    A single-syllable head needs a capitalised first specifier ("Khoa Truyền
    nhiễm", not "Khoa học"); a head inside an all-capital run ("CƠ SỞ") is no
    head.
    """
    head = kb.generic_heads.longest(sylls, i)
    if head is None or not sylls[i].text[0].isupper():
        return None
    j, (kind, specifier) = head
    if sylls[i].text.isupper() and len(sylls[i].text) > 1:
        return None  # an all-capital heading ("CƠ SỞ XÉT NGHIỆM", "TỔ CHỨC THỰC HIỆN") names no new body
    if j >= len(sylls) or text[sylls[j - 1].end:sylls[j].start] != " ":
        return None
    if specifier == "upper" and not (sylls[j].text[0].isupper() or sylls[j].text[0].isdigit()):
        return None  # "Trung tâm dữ liệu", "Khoa học": no name follows the head
    words = None  # syllables only: name_compounds.tsv keeps "giao thông", "dự phòng" inside a name
    stops = _name_stops()
    heads = kb.generic_heads
    end_k = j
    k = j
    while k < len(sylls) and k - j < NAME_REACH:
        gap = text[sylls[k - 1].end:sylls[k].start]
        syl = sylls[k]
        if k > j:
            if kb.provinces.longest(sylls, k) and syl.text[0].isupper() and gap == " ":
                hit = kb.provinces.longest(sylls, k)
                end_k = k = hit[0]  # a locality closes the name
                break
            known = kb.gazetteer.longest(sylls, k)
            if syl.text[0].isupper() and gap == " " and (
                    (known and known[1][0] == "body") or kb.local_heads.longest(sylls, k)
                    or _countries().longest(sylls, k)):
                break  # a parent body or a country follows
        if gap == " " or (k > j and _JOIN.fullmatch(gap) and gap.strip()):
            pass
        elif gap.strip() == "," and k > j and sylls[k - 1].text.islower() and syl.text.islower() \
                and syl.key not in stops:
            pass  # "phòng, chống", "khoa học, công nghệ"
        elif gap.strip() == "." and len(sylls[k - 1].text) <= 3 and sylls[k - 1].text[0].isupper():
            pass  # "TP.", "Q." inside a name
        else:
            break
        key = syl.key
        if key == "và":
            nxt = sylls[k + 1] if k + 1 < len(sylls) else None
            if nxt is None or nxt.key in stops or (nxt.text[0].isupper() and heads.longest(sylls, k + 1)):
                break  # "Vụ A và Vụ B": two bodies
            k += 1
            continue
        if syl.text[0].islower() and not syl.text[0].isdigit():
            two = fold(syl.text + " " + sylls[k + 1].text) if k + 1 < len(sylls) else ""
            inside_word = words is not None and k + 1 < len(sylls) and sylls[k + 1].start not in words
            if (inside_word and two not in stops) or two in _name_compounds():
                pass  # a longer word that only begins like a stop ("dự phòng", "giao thông")
            elif key in stops or two in stops:
                if not (key == "về" and k - j <= 3):  # "Ủy ban Quốc gia về ...", "Ban Chỉ đạo về ..."
                    break
        elif k > j and syl.text[0].isupper() and heads.longest(sylls, k) and gap.strip() in (",", ""):
            if gap.strip() == "," or k - j >= 2:
                break  # "Vụ Pháp chế, Thanh tra": the next name
        k += 1
        if syl.text[0].isupper() or syl.text[0].isdigit() or syl.key not in ("các",):
            end_k = k
    while end_k > j and sylls[end_k - 1].key in ("và", "các", "về"):
        end_k -= 1
    if end_k == j:
        return None
    value = _expand_abbreviations(modern_tones(text[sylls[i].start:sylls[end_k - 1].end]))
    info = {"kind": kind, "generic": True}
    if sylls[end_k - 1].key in ("tỉnh",) and end_k - j >= 2:
        info.update(needs_province=True, level="tỉnh")  # "Trung tâm Lưu trữ lịch sử tỉnh" + the article's province
    return end_k, Candidate(sylls[i].start, sylls[end_k - 1].end, "INSTITUTION", value, info=info), None


@cache
def _abbreviations() -> tuple[re.Pattern, dict[str, str]]:
    table = {r["abbreviation"]: r["expansion"] for r in load_table("name_abbreviations")}
    alt = "|".join(re.escape(a) for a in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w&-])(?:{alt})(?![\w&-])"), table


def _expand_abbreviations(value: str) -> str:
    """Abbreviations inside a name, written out ("Trường THPT X" -> "Trường Trung học phổ thông X")."""
    rx, table = _abbreviations()
    return rx.sub(lambda m: table[m.group()], value)


@Language.factory("vnevents_institutions")
def make_institutions(nlp: Language, name: str):
    """spaCy factory: the INSTITUTION component."""
    return institution_component


def institution_component(doc: Doc) -> Doc:
    """Add INSTITUTION mentions (nested ones allowed)."""
    from spacy.attrs import IDX, IS_SPACE

    arr = doc.to_array([IDX, IS_SPACE])
    starts = set(arr[arr[:, 1] == 0, 0].tolist())
    return add_mentions(doc, find_institutions(doc_text(doc), starts), nest=True)
