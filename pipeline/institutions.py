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
    starters: frozenset = frozenset()  # first syllables of any name, head or blocker
    lower_starters: frozenset = frozenset()  # those a match may begin with in lower case (blockers)

    def __post_init__(self) -> None:
        self.starters = frozenset(self.gazetteer.root) | frozenset(self.local_heads.root) | frozenset(
            self.generic_heads.root)
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
        generic.add(row["head"], row.get("kind", "other"))
    return _KB(bodies, gaz, shorts, local_heads, levels, provinces, generic)


def _case_ok(sylls: list[_Syl], i: int, j: int, exact: str | None) -> bool:
    first = sylls[i].text
    if not (first[0].isupper() or first[0].isdigit()):
        return False
    if exact is not None:
        written = " ".join(s.text for s in sylls[i:j])
        return modern_tones(written) == " ".join(_SYLLABLE.findall(modern_tones(exact)))
    return True


def _level_name(level: str) -> str:
    return {"tp": "thành phố", "tp.": "thành phố"}.get(level.casefold(), level.casefold())


def find_institutions(text: str, word_starts: set[int] | None = None) -> list[Candidate]:
    """INSTITUTION candidates in ``text``.

    ``word_starts`` are the start offsets of underthesea words; the rule for
    unknown bodies chains whole words (without it, syllables are words).
    """
    kb = knowledge_base()
    sylls = _syllables(text)
    out: list[Candidate] = []
    last_province: tuple[str, str] | None = None
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
        found = _match_at(kb, sylls, i, text, word_starts)
        if found is None:
            i += 1
            continue
        j, cand, province = found
        if province:
            last_province = province
        if cand is not None:
            if cand.info.get("needs_province"):
                prov = _sentence_province(kb, sylls, j, text) or last_province
                cand.info.pop("needs_province")
                if prov:
                    cand.value = f"{cand.value} {prov[0]}"
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
    return out


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
        found = _match_at(kb, sylls, k, text, word_starts) if sylls[k].text[0].isupper() else None
        if found and found[1] is not None and found[1].info.get("kind") in PARENT_KINDS:
            return found[0], found[1]
        if sylls[k].text[0].isupper() and k > j:
            return None
    return None


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
    local = _match_local(kb, sylls, i)
    if local is not None and (best is None or local[0] > best[0]):
        best = local
    if best is None:
        best = _match_generic(kb, sylls, i, text, word_starts)
    return best


PROVINCE_LEVELS = ("tỉnh", "thành phố")


def _match_local(kb: _KB, sylls: list[_Syl], i: int):
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
    lvl = _level_name(level[1]) if level else None
    k = level[0] if level else j
    if lvl is None or lvl in PROVINCE_LEVELS:
        prov = kb.provinces.longest(sylls, k) if k < len(sylls) else None
        if prov and sylls[k].text[0].isupper():
            end = prov[0]
            pname, unit = prov[1]
            unit_word = (lvl or unit) if head_levels else ""
            value = " ".join(x for x in (name, unit_word, pname) if x)
            return end, Candidate(sylls[i].start, sylls[end - 1].end, "INSTITUTION", value,
                                  info={"kind": kind, "province": pname}), prov[1]
    if lvl is not None and lvl not in PROVINCE_LEVELS:
        m = k
        while m < len(sylls) and sylls[m].joined and sylls[m].text[0].isupper():
            m += 1
        if m > k:
            place = modern_tones(" ".join(x.text for x in sylls[k:m]))
            return m, Candidate(sylls[i].start, sylls[m - 1].end, "INSTITUTION", f"{name} {lvl} {place}",
                                info={"kind": kind}), None
        return None
    if lvl is not None or not head_levels:
        value = f"{name} {lvl}" if lvl else name
        return k, Candidate(sylls[i].start, sylls[k - 1].end, "INSTITUTION", value,
                            info={"kind": kind, "needs_province": True}), None
    return None


def _match_generic(kb: _KB, sylls: list[_Syl], i: int, text: str, word_starts: set[int] | None):
    head = kb.generic_heads.longest(sylls, i)
    if head is None or not sylls[i].text[0].isupper():
        return None
    j, kind = head
    starts = word_starts if word_starts is not None else {s.start for s in sylls}
    end_k = j
    k = j
    while k < len(sylls) and text[sylls[k - 1].end:sylls[k].start] == " ":
        if sylls[k].start in starts and sylls[k].text[0].isupper():
            k += 1
            while k < len(sylls) and sylls[k].start not in starts and text[sylls[k - 1].end:sylls[k].start] == " ":
                k += 1  # the rest of the same underthesea word
            end_k = k
        elif sylls[k].key == "và" and k + 1 < len(sylls) and sylls[k + 1].text[0].isupper() and end_k > j:
            k += 1
        else:
            break
    if end_k == j:
        return None
    value = modern_tones(text[sylls[i].start:sylls[end_k - 1].end])
    return end_k, Candidate(sylls[i].start, sylls[end_k - 1].end, "INSTITUTION", value,
                            info={"kind": kind, "generic": True}), None


def needs_words(text: str, syllables: list[tuple[int, int]], keys: list[str]) -> bool:
    """Whether the unknown-body rule (which chains words) may apply in this sentence.

    It applies at a capitalised head word ("Vụ", "Cục" ...) followed by a
    capitalised syllable where no known name starts.
    """
    kb = knowledge_base()
    heads = kb.generic_heads.root
    sylls = None
    for k, key in enumerate(keys):
        if key not in heads or not text[syllables[k][0]].isupper():
            continue
        if k + 1 < len(keys) and not any(text[a].isupper() for a, _ in syllables[k + 1:k + 4]):
            continue
        if sylls is None:
            s0, s1 = syllables[0][0], syllables[-1][1]
            sylls = _syllables(text[s0:s1])
            index = {sy.start + s0: i for i, sy in enumerate(sylls)}
        i = index.get(syllables[k][0])
        if i is None or (kb.gazetteer.longest(sylls, i) is None and kb.local_heads.longest(sylls, i) is None):
            return True
    return False


@Language.factory("vnevents_institutions")
def make_institutions(nlp: Language, name: str):
    """spaCy factory: the INSTITUTION component."""
    return institution_component


def institution_component(doc: Doc) -> Doc:
    """Add INSTITUTION mentions (nested ones allowed)."""
    from spacy.attrs import IDX, IS_SPACE

    arr = doc.to_array([IDX, IS_SPACE])
    starts = set(arr[arr[:, 1] == 0, 0].tolist())
    return add_mentions(doc, find_institutions(doc.text, starts), nest=True)
