"""DATE mentions: full, partial and year-less dates, times, quarters and intervals.

Contract (see docs/ANNOTATION.md, DATE): the span covers the expression with its
unit, position and part-of-day words ("cuối tháng 11/2021", "chiều ngày 5/9",
"giai đoạn 2021-2025", "10h00 12/03/2021") and leaves out frames ("từ", "đến
hết", ...). ``value`` is TIMEX3-like (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``,
``YYYY-MM-DDTHH:MM``, ``START/END``; ``XXXX`` for an unknown year), ``mod`` is
START/MID/END, ``info`` holds ``granularity`` and the ``start``/``end`` calendar
days the value covers.

The rules decide what is a date; the words come from ``date_words.tsv``; a full
numeric date is checked with dateparser (DMY order, strict), which also rejects
impossible days ("31/2", "29/02/2023"). A year-less date takes the year of the
nearest preceding full date, else the article's publication year.
"""
from __future__ import annotations

import calendar
import re
from datetime import date
from functools import cache, lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from .mentions import Candidate, Intervals, add_mentions
from .segment import doc_text
from .resources import load_table, words
from .textutil import word_alternation

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_DASH = r"\s*[-–—]\s*"


@cache
def _word_roles() -> dict[str, list[tuple[str, str]]]:
    roles: dict[str, list[tuple[str, str]]] = {}
    for row in load_table("date_words"):
        roles.setdefault(row["role"], []).append((row["word"], row.get("value", "")))
    return roles


@cache
def _patterns() -> dict[str, re.Pattern]:
    roles = _word_roles()
    unit = {v: w for w, v in roles["unit"]}
    day_w, month_w, year_w, quarter_w = (re.escape(unit[k]) for k in ("day", "month", "year", "quarter"))
    period = word_alternation(w for w, _ in roles["period"])
    ytd_w = word_alternation(w for w, _ in roles["ytd"])
    month_names = word_alternation(w for w, _ in roles["month_name"])
    d = r"(?:0?[1-9]|[12]\d|3[01])"
    m = r"(?:0?[1-9]|1[0-2])"
    y = r"(?:1[89]\d\d|20\d\d|21\d\d)"
    time = r"(?:(?:[01]?\d|2[0-3])(?:h(?:[0-5]\d)?|:[0-5]\d)(?:'|p)?)"
    nb = r"(?<![\w/.,-])"          # not glued to a number or word on the left
    na = r"(?![\w]|[/.,-]\d)"       # nor on the right
    full = rf"{d}(?P<{{s}}>[/.-]){m}(?P={{s}}){y}"
    core = rf"""
      (?P<ytd>(?:[1-9]|1[0-2])\s+{month_w}\s+(?:{ytd_w}\s+)?{year_w}\s+{y})
    | (?P<drange>(?:{day_w}\s+)?{full.format(s='s1')}{_DASH}(?:{day_w}\s+)?{full.format(s='s2')})
    | (?P<formal>(?:{day_w}\s+)?{d}\s+{month_w}\s+{m}\s+{year_w}\s+{y})
    | (?P<tfull>{time}\s+(?:{day_w}\s+)?{full.format(s='s3')}|(?:{day_w}\s+)?{full.format(s='s4')}(?:,|\s*[|\-–])?\s+{time}(?![\d/]))
    | (?P<full>(?:{day_w}\s+)?{full.format(s='s5')})
    | (?P<quarter>{quarter_w}\s+(?:IV|I{{1,3}}|[1-4])(?:\s*[/-]\s*|\s+{year_w}\s+){y})
    | (?P<monthyear>{month_w}\s+{m}(?:\s*[/.-]\s*|\s+{year_w}\s+){y})
    | (?P<tdaymonth>{time}\s+(?:{day_w}\s+)?{d}[/.-]{m}(?![/.-]?\d))
    | (?P<dayrange>(?:{day_w}\s+)?{d}{_DASH}{d}[/.-]{m}(?:[/.-]{y})?(?![/.-]?\d))
    | (?P<ellipsis>{day_w}\s+{d}(?=\s+(?:đến|tới)\s+(?:{day_w}\s+)?{d}[/.-]{m}))
    | (?P<monthname>{month_w}\s+(?-i:{month_names})(?:\s*/\s*{y}|\s+{year_w}\s+{y})?(?!\w))
    | (?P<quarteronly>{quarter_w}\s+(?-i:IV|I{{1,3}})(?![\w/-]))
    | (?P<daymonth>(?:{day_w}\s+)?{d}[/.-]{m}(?![/.-]?\d))
    | (?P<month>{month_w}\s+{m}(?!\d|[/.,]\d))
    | (?P<yrange>(?:(?:{period}|{year_w})\s+)?\(?{y}{_DASH}{y}\)?)
    | (?P<year>(?:{year_w}\s+)?{y})
    """
    return {
        "core": re.compile(nb + r"(?:" + core + r")" + na, re.IGNORECASE | re.VERBOSE),
        "left": re.compile(
            rf"(?:(?P<mod>{word_alternation(w for w, _ in roles['mod'])})\s+)?"
            rf"(?:(?P<part>{word_alternation(w for w, _ in roles['part'])})(?:\s+(?:{word_alternation(w for w, _ in roles['deictic'])}))?\s+)?$",
            re.IGNORECASE,
        ),
        "frame": re.compile(
            rf"(?:^|[\s(,;:])(?P<frame>{word_alternation(w for w, _ in roles['frame'])})\s+$", re.IGNORECASE
        ),
        "edition": re.compile(
            rf"(?:(?:{word_alternation(w for w, _ in roles.get('edition', []))})|(?<![\w])[A-Z][A-Za-z]+)\s+$"),
        "weekday": re.compile(rf"(?:{word_alternation(w for w, _ in roles['weekday'])}),?\s*$", re.IGNORECASE),
        "weekday_open": re.compile(rf"(?<!\w)(?:{word_alternation(w for w, _ in roles['weekday'])})\s*\($",
                                   re.IGNORECASE),
        "duration": re.compile(r"\d\s+$"),
        "num": re.compile(r"\d+"),
        "time": re.compile(time, re.IGNORECASE),
        "unit_after": re.compile(rf"\s+(?:{word_alternation(words('units'))})(?!\w)"),
        "year_word": re.compile(rf"^{year_w}\s+", re.IGNORECASE),
        "period_word": re.compile(rf"^(?:{period})\s+", re.IGNORECASE),
        "month_word": re.compile(rf"^{month_w}\s+", re.IGNORECASE),
    }


@cache
def _month_names() -> dict[str, int]:
    return {w.casefold(): int(v) for w, v in _word_roles()["month_name"]}


@cache
def _mods() -> dict[str, str]:
    roles = _word_roles()
    table = {w.casefold(): v for w, v in roles["mod"]}
    table.update({w.casefold(): v for w, v in roles["frame"] if v})
    return table


@lru_cache(maxsize=4096)
def _check_full(day: int, month: int, year: int) -> bool:
    """A full date is real: dateparser must read it (DMY, strict) as that very day."""
    import dateparser

    try:
        date(year, month, day)
    except ValueError:
        return False
    parsed = dateparser.parse(
        f"{day:02d}/{month:02d}/{year}", languages=["vi"],
        settings={"DATE_ORDER": "DMY", "STRICT_PARSING": True, "PARSERS": ["absolute-time"]},
    )
    return parsed is not None and (parsed.year, parsed.month, parsed.day) == (year, month, day)


def _valid_day(day: int, month: int, year: int | None) -> bool:
    if year is not None:
        return _check_full(day, month, year)
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]


def _ymd(year: int | None, month: int, day: int) -> str:
    return f"{'XXXX' if year is None else f'{year:04d}'}-{month:02d}-{day:02d}"


def _bounds(value: str) -> tuple[str | None, str | None]:
    """First and last calendar day a value covers (None where the year is unknown)."""
    first, _, last = value.partition("/")
    last = last or first

    def day_of(v: str, end: bool) -> str | None:
        if v.startswith("XXXX"):
            return None
        v = v.split("T")[0]
        parts = [int(p) for p in v.split("-")]
        if len(parts) == 3:
            return f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
        if len(parts) == 2:
            dd = calendar.monthrange(parts[0], parts[1])[1] if end else 1
            return f"{parts[0]:04d}-{parts[1]:02d}-{dd:02d}"
        return f"{parts[0]:04d}-{12 if end else 1:02d}-{31 if end else 1:02d}"

    return day_of(first, False), day_of(last, True)


def granularity(value: str) -> str:
    """year, quarter/interval, month, day or minute: the precision of a value."""
    if "/" in value:
        return "interval"
    if "T" in value:
        return "minute"
    return {1: "year", 2: "month", 3: "day"}[len(value.split("-"))]


class _Parse:
    """What one core match means: value pieces before year inference."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        nums = [int(n) for n in _patterns()["num"].findall(text)]
        self.year = self.month = self.day = None
        self.value: str | None = None
        self.full = False
        p = _patterns()
        if kind in ("full", "tfull", "drange", "formal"):
            if kind == "tfull":
                tm = p["time"].search(text)
                t_nums = [int(n) for n in p["num"].findall(tm.group())]
                hh, mm = t_nums[0], (t_nums[1] if len(t_nums) > 1 else 0)
                rest = text[: tm.start()] + text[tm.end():]
                dd, mo, yy = [int(n) for n in p["num"].findall(rest)][:3]
                if _valid_day(dd, mo, yy):
                    self.value = f"{_ymd(yy, mo, dd)}T{hh:02d}:{mm:02d}"
                    self.year, self.full = yy, True
            elif kind == "drange":
                d1, m1, y1, d2, m2, y2 = nums[:6]
                if _valid_day(d1, m1, y1) and _valid_day(d2, m2, y2) and (y1, m1, d1) < (y2, m2, d2):
                    self.value = f"{_ymd(y1, m1, d1)}/{_ymd(y2, m2, d2)}"
                    self.year, self.full = y2, True
            else:
                dd, mo, yy = nums[:3]
                if _valid_day(dd, mo, yy):
                    self.value, self.year, self.full = _ymd(yy, mo, dd), yy, True
        elif kind == "quarter":
            q_text = re.sub(r"^\S+\s+", "", text)
            roman = re.match(r"(IV|I{1,3})", q_text, re.IGNORECASE)
            q = ROMAN[roman.group(1).upper()] if roman else nums[0]
            yy = nums[-1]
            self.value = f"{yy:04d}-{3 * q - 2:02d}/{yy:04d}-{3 * q:02d}"
        elif kind == "monthyear":
            self.value = f"{nums[1]:04d}-{nums[0]:02d}"
        elif kind == "ytd":  # the first N months of a year
            n, yy = nums[0], nums[-1]
            self.value = f"{yy:04d}-01/{yy:04d}-{n:02d}" if n > 1 else f"{yy:04d}-01"
        elif kind == "yrange":
            y1, y2 = nums[:2]
            if y1 < y2 <= y1 + 100:
                self.value = f"{y1:04d}/{y2:04d}"
        elif kind == "year":
            self.value = f"{nums[0]:04d}"
        elif kind in ("daymonth", "tdaymonth"):
            self.day, self.month = nums[-2], nums[-1]
            if kind == "tdaymonth":
                self.time = (nums[0], nums[1] if len(nums) > 3 else 0)
        elif kind == "month":
            self.month = nums[0]
        elif kind == "ellipsis":
            self.day = nums[0]
        elif kind == "dayrange":
            self.day, self.day2, self.month = nums[0], nums[1], nums[2]
            if len(nums) > 3:
                yy = nums[3]
                if self.day < self.day2 and _valid_day(self.day, self.month, yy) and _valid_day(self.day2, self.month, yy):
                    self.value = f"{_ymd(yy, self.month, self.day)}/{_ymd(yy, self.month, self.day2)}"
                    self.year = yy
        elif kind == "monthname":
            name = re.sub(r"^\S+\s+", "", text)
            name = re.split(r"\s*/\s*|\s+năm\s+", name, flags=re.IGNORECASE)[0]
            self.month = _month_names()[" ".join(name.split()).casefold()]
            if nums:
                self.value = f"{nums[-1]:04d}-{self.month:02d}"
        elif kind == "quarteronly":
            self.quarter = ROMAN[re.sub(r"^\S+\s+", "", text).upper()]

    def resolve(self, year: int | None, month: int | None = None) -> str | None:
        """The value of a year-less date once the year (and month) are known."""
        yy = 'XXXX' if year is None else f'{year:04d}'
        if self.kind in ("month", "monthname"):
            return f"{yy}-{self.month:02d}"
        if self.kind == "quarteronly":
            return f"{yy}-{3 * self.quarter - 2:02d}/{yy}-{3 * self.quarter:02d}"
        if self.kind == "dayrange":
            if not (self.day < self.day2 and _valid_day(self.day, self.month, year)
                    and _valid_day(self.day2, self.month, year)):
                return None
            return f"{_ymd(year, self.month, self.day)}/{_ymd(year, self.month, self.day2)}"
        month = self.month or month
        if month is None or not _valid_day(self.day, month, None):
            return None
        if year is not None and not _valid_day(self.day, month, year):
            return None
        value = _ymd(year, month, self.day)
        if self.kind == "tdaymonth":
            value += f"T{self.time[0]:02d}:{self.time[1]:02d}"
        return value


NEEDS_CONTEXT = {"daymonth", "year", "month"}


def find_dates(text: str, published: str | None = None, skip: list[tuple[int, int]] = (),
               failures: list | None = None, doc_ends: list[int] = ()) -> list[Candidate]:
    """DATE candidates in ``text`` in order, with values (year inference applied).

    ``skip`` lists ranges already taken by other mentions (document codes):
    a date is not looked for inside them. A rule that raises on one
    expression loses that expression only; ``(rule, text, exception)`` is
    appended to ``failures`` (re-raised when ``failures`` is None).
    ``doc_ends`` are the ends of DOCREF mentions: a full date written right
    after one dates that document and, like a date in a "Căn cứ" line, is no
    anchor for the year of later dates.
    """
    p = _patterns()
    mods = _mods()
    pub_year = int(published[:4]) if published and published[:4].isdigit() else None
    out: list[Candidate] = []
    anchor_year: int | None = None
    pending_ellipsis: list[tuple[Candidate, _Parse]] = []
    taken = Intervals(skip)
    for m in p["core"].finditer(text):
        if taken.overlapping(*m.span()):
            continue
        try:
            anchor_year, pending_ellipsis = _one_date(text, m, p, mods, pub_year, anchor_year, pending_ellipsis, out,
                                                      doc_ends)
        except Exception as exc:
            if failures is None:
                raise
            failures.append((f"dates.{m.lastgroup}", m.group(), exc))
    for cand in out:
        first, last = _bounds(cand.value)
        cand.info.update(granularity=granularity(cand.value), start=first, end=last)
    out.sort(key=lambda c: c.start)
    return out


_CITED_GAP = re.compile(r"\s*,?\s*(?:ban hành\s+|ký\s+)?(?:ngày\s*)?$", re.IGNORECASE)
_CITING_LINE = re.compile(r"(?:^|[\n;])\s*[-+•]?\s*căn cứ\b[^\n;]*$", re.IGNORECASE)


_RANGE_END_YEAR = re.compile(
    r"\s*(?:đến|tới|-|–)\s*(?:(?:ngày|tháng)\s+)?(?:\d{1,2}[/.-])?\d{1,2}[/.-](?P<y>(?:19|20)\d\d)(?!\d)", re.IGNORECASE)


_ISSUED_GAP = re.compile(r"\s*,?\s*(?:(?:được|do)\s+[^.;:\n]{0,40}?)?(?:ký ban hành|ban hành|ký|thông qua|phê duyệt)"
                         r"\s+(?:(?:vào\s+)?(?:hôm|ngày)\s*)?$", re.IGNORECASE)


def _cited(text: str, start: int, doc_ends: list[int]) -> bool:
    """A full date that dates a document: right after it, after the verb that issued it ("Nghị quyết
    57-NQ/TW được Bộ Chính trị ban hành hôm 22/12/2024"), or in a "Căn cứ" line."""
    if any(0 <= start - e <= 16 and _CITED_GAP.fullmatch(text[e:start]) for e in doc_ends):
        return True
    if any(0 <= start - e <= 70 and _ISSUED_GAP.fullmatch(text[e:start]) for e in doc_ends):
        return True
    return bool(_CITING_LINE.search(text[max(0, start - 300):start]))


def _one_date(text: str, m: re.Match, p: dict, mods: dict, pub_year: int | None, anchor_year: int | None,
              pending_ellipsis: list, out: list[Candidate], doc_ends: list[int] = ()) -> tuple[int | None, list]:
    """Read one core match into ``out``; returns the new (anchor year, pending ellipsis ends)."""
    if True:
        start, end = m.span()
        kind = m.lastgroup
        core = m.group()
        # a "năm" that closes a duration ("10 năm 2021 - 2030") belongs to the duration
        if kind == "yrange" and p["year_word"].match(core) and p["duration"].search(text[:start]):
            cut = p["year_word"].match(core).end()
            start, core = start + cut, core[cut:]
        if kind in ("yrange", "year") and core.startswith("(") and not core.endswith(")"):
            start, core = start + 1, core[1:]
        if kind == "yrange" and core.startswith("(") and core.endswith(")"):
            start, end, core = start + 1, end - 1, core[1:-1]
        if kind == "month" and p["duration"].search(text[:start]):
            return anchor_year, pending_ellipsis  # "3 tháng 9 ..." is not a month
        left = p["left"].search(text[max(0, start - 30):start])
        mod = None
        if left and left.group():
            if left.group("mod"):
                mod = mods.get(left.group("mod").casefold())
            start -= len(left.group())
        before = text[max(0, start - 30):start]
        frame = p["frame"].search(before)
        if frame and mod is None:
            mod = mods.get(frame.group("frame").casefold())
        has_unit = bool(re.match(r"\w", core)) and not core[0].isdigit()
        has_left = bool(left and left.group())
        in_list = kind == "year" and bool(re.search(r"(?<!\d)(?:1[89]|20|21)\d\d\s*(?:,|và)\s*$", before))
        context = has_unit or has_left or bool(frame) or in_list or bool(p["weekday_open"].search(before[-20:])) or (
            kind == "year" and (before.rstrip().endswith("(") or bool(p["edition"].search(before))))
        if kind in NEEDS_CONTEXT and not context:
            return anchor_year, pending_ellipsis
        if kind in ("daymonth", "dayrange") and re.search(r"\d\s*[-–]\s*\d", core) and p["unit_after"].match(text, end):
            return anchor_year, pending_ellipsis  # "từ 2-3 tỷ USD", "5-10 người": a range of numbers
        if kind == "year" and not has_unit and not in_list and p["unit_after"].match(text, end):
            return anchor_year, pending_ellipsis  # "đến 2030 người"
        parse = _Parse(kind, core)
        info: dict = {}
        if kind in ("dayrange", "monthname") and parse.value is not None:
            value = parse.value
        elif kind in ("daymonth", "tdaymonth", "month", "ellipsis", "dayrange", "monthname", "quarteronly"):
            year = anchor_year if anchor_year is not None else pub_year
            if kind == "ellipsis":
                cand = Candidate(start, end, "DATE", None, mod)
                pending_ellipsis.append((cand, parse))
                return anchor_year, pending_ellipsis
            closing = _RANGE_END_YEAR.match(text, end) if kind in ("daymonth", "month") else None
            if closing:  # "từ ngày 1/1 đến ngày 30/6/2017": the start takes the year of the end
                year = int(closing.group("y"))
            value = parse.resolve(year)
            if value is None:
                return anchor_year, pending_ellipsis
            info["year_from"] = "range" if closing else (
                "context" if anchor_year is not None else ("published" if pub_year else None))
        else:
            value = parse.value
            if value is None:
                return anchor_year, pending_ellipsis
            if parse.full and not _cited(text, start, doc_ends):
                anchor_year = parse.year
        if kind in ("daymonth", "full") and text[start - 1:start] == "(" and text[end:end + 1] == ")":
            weekday = p["weekday_open"].search(text[max(0, start - 20):start])
            if weekday:  # "thứ Hai (3/2)": the weekday through the bracket
                start, end = start - len(weekday.group()), end + 1
                part = p["left"].search(text[max(0, start - 30):start])
                if part and part.group("part"):  # "Sáng thứ Hai (6/10)": a part of day before the weekday
                    start -= len(part.group())
                    if part.group("mod"):
                        mod = mods.get(part.group("mod").casefold())
        cand = Candidate(start, end, "DATE", value, mod, info=info)
        for pend, pparse in pending_ellipsis:  # "ngày 15 đến 26/3": the first end takes the month of the second
            head = value.split("/")[0]
            if re.fullmatch(r"(?:\d{4}|XXXX)-\d{2}(?:-\d{2}.*)?", head):
                yv = head[:4]
                pend.value = pparse.resolve(None if yv == "XXXX" else int(yv), int(head[5:7]))
                if pend.value:
                    out.append(pend)
        pending_ellipsis = []
        out.append(cand)
    return anchor_year, pending_ellipsis


_DATELINE = re.compile(
    r"^(?:[^\n|]{0,60}\|\s*)?(?:Thứ\s+\w+|Chủ\s+nhật)?,?\s*(?:\d{1,2}[h:]\d{2}\s+)?"
    r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?:,?\s+\d{1,2}[h:]\d{2})?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def detect_published(text: str, head_lines: int = 15) -> str | None:
    """The article's dateline date (``YYYY-MM-DD``), or None.

    A dateline is a line holding only a date, perhaps with a weekday, a time and
    an author or site before a "|" ("Thứ sáu, 10h00 12/03/2021", "Lan Phương|
    19/02/2021 12:57", "kinhdoanhvaphattrien.vn | 04/05/2024"). The first one in
    the first ``head_lines`` lines wins; else the first one in the last
    ``head_lines`` lines (a by-line at the end).
    """
    lines = text.split("\n")
    head = "\n".join(lines[:head_lines])
    tail = "\n".join(lines[-head_lines:]) if len(lines) > head_lines else ""
    for region in (head, tail):
        for m in _DATELINE.finditer(region):
            d, mo, y = int(m.group("d")), int(m.group("m")), int(m.group("y"))
            if 1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


@Language.factory("vnevents_dates")
def make_dates(nlp: Language, name: str):
    """spaCy factory: the DATE component."""
    return date_component


def date_component(doc: Doc) -> Doc:
    """Add DATE mentions; year-less dates use ``doc._.published`` as a last resort.

    A date rule that fails on one expression is reported on the Doc (article
    id, rule, text) and loses only that expression.
    """
    from .nlp import report_failure

    skip = [(s.start_char, s.end_char) for s in doc.spans.get("mentions", [])]
    failures: list = []
    ends = [s.end_char for s in doc.spans.get("mentions", []) if s.label_ == "DOCREF"]
    found = find_dates(doc_text(doc), doc._.published, skip, failures, ends)
    for rule, text, exc in failures:
        report_failure(doc, rule, exc, text)
    return add_mentions(doc, found)
