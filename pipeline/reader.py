"""Robust reading of input articles for the vnevents pipeline.

Contract
--------
``iter_articles(paths, max_bytes=MAX_FILE_BYTES)`` yields one :class:`Article`
per text: one per ``.txt``/``.html``/``.htm`` file (or any file named
explicitly), one per non-blank line of a ``.jsonl`` file. Folders are expanded
recursively to their ``.txt``, ``.jsonl``, ``.html`` and ``.htm`` files,
sorted by path. It is a generator: files are read one at a time (each file
whole, at most ``max_bytes``). It never raises for a bad path, file, folder or
line: it yields an Article with ``status="error"``, ``text=""`` and a
``message`` a person can act on (an unreadable folder too).

Article fields: ``id``, ``source`` (the path as given, joined with the path
under it; ``"path:line"`` for ``.jsonl``), ``text`` (the stored, clean text;
offsets are computed on it), ``published`` (an ISO date string given with the
input, else None), ``status`` (``"ok"``, ``"warning"`` or ``"error"``),
``message`` ("" when ok) and ``date_source`` (``"published"`` when
``published`` came with the input, else "").

Ids: a file's id is its path under the input folder, without its suffix, with
"/" between folders (``crawl/2017/a.txt`` given as ``crawl`` -> ``2017/a``); a
file named on its own has its name without suffix. A ``.jsonl`` record's id is
its "id" field, else ``"<file id>:<line>"``. Ids are unique within one call:
an article whose id was already used (the same id on two ``.jsonl`` lines, the
same name in two input folders, ``a.txt`` next to ``a.html``) is an error that
names the first user of the id; it is never merged with it.

Never input: the folders in ``exclude`` (the run's output folder), and any
folder vnevents wrote (one holding the ``.vnevents`` marker, or both
``predictions.jsonl`` and ``articles.csv``, and ``.partial-*``/``.run-*``
folders) are skipped while walking (``on_skip`` is told), and a path named
inside one is an error.

Publication dates: a ``.jsonl`` record's "published", else a sidecar
``published.tsv`` (tab-separated, a header with ``published`` and ``file``
or ``id``). The sidecar nearest to the file wins, searched from the file's
folder up to the input folder and the folder just above it (so
``corpus/dev/published.tsv`` serves both ``corpus/dev`` and
``corpus/dev/raw``). A ``file`` cell is a path relative to the sidecar's
folder, or a file name; an ``id`` cell is the article's id or the file's name
without suffix. An empty date, or "null", "none", "NA", "-", means unknown. A sidecar that cannot be used, or rows that are ignored, get
one row of their own (error or warning).

Stored text (``clean_text``): Unicode NFC; "\\r\\n" and lone "\\r" become
"\\n"; a leading BOM is removed; C0 control characters other than "\\n" and
"\\t" are removed. Nothing else is rewritten (old-style tone placement such as
"Uỷ" stays, whitespace is not collapsed, lines are not stripped).

Bytes (``read_text``):
- UTF-8 with or without BOM, and UTF-16/UTF-32 with BOM: ok.
- Other bytes that are not valid UTF-8 are decoded with the encoding that
  charset-normalizer finds: warning "not valid UTF-8 at byte N; decoded as
  windows-1258". Windows-1258 combining tone marks become precomposed by NFC.
  No plausible encoding: error "not valid UTF-8 at byte N and no known
  encoding fits".
- Empty or whitespace-only: error "empty file".
- Binary (a known magic number, NUL bytes outside UTF-16/32, or a large share
  of control bytes): error "binary content (looks like PDF)" / "binary content".
  NUL-laden bytes that decode as BOM-less UTF-16 give a warning instead.

HTML: ``.html``/``.htm`` files, text starting like an HTML document, and text
with HTML remnants (tags such as <p>, <br>, <a href=...>, or entities such as
&nbsp; &#7899;) are converted to text with BeautifulSoup ("html.parser"):
<script>, <style>, <noscript>, <template> and <head> are dropped, block
elements become line breaks, entities are unescaped, non-breaking spaces
become spaces, and runs of blank lines shrink to one blank line. For whole
HTML documents, whitespace inside the markup is collapsed as a browser would.
Status: ``.html``/``.htm`` files stay "ok" with message "HTML converted to
text"; HTML found in any other text is a "warning" with message "HTML removed".
Several remarks are joined with "; "; the status is the worst one.

Size: files over ``max_bytes`` are an error "file too large (25.3 MB; limit
20 MB)", found from the file size without reading the file.
"""

from __future__ import annotations

import csv
import html.entities
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Iterator

import charset_normalizer
from bs4 import BeautifulSoup, NavigableString, PageElement, Tag

MAX_FILE_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".jsonl", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")

_MAGIC = {
    b"%PDF-": "PDF",
    b"PK\x03\x04": "ZIP, e.g. DOCX or XLSX",
    b"PK\x05\x06": "ZIP",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"\x1f\x8b": "GZIP",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an old Office file, DOC or XLS",
    b"\x7fELF": "a program, ELF",
}
_BOMS = [  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
]
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r")
_CONTROL_SHARE = 0.05  # more control bytes than this share: binary
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f]")

_HTML_TAG = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|img|ul|ol|li|h[1-6]|table|thead|tbody|tr|td|th"
    r"|section|article|header|footer|nav|figure|figcaption|blockquote|font|sup|sub|hr"
    r"|script|style|iframe|body|head|meta|link|title)(?:\s[^<>]*)?/?>",
    re.I,
)
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|([A-Za-z][A-Za-z0-9]{1,31}));")
_DROP_TAGS = {"script", "style", "noscript", "template", "head", "iframe", "svg"}
# Break marks written into the text while walking HTML; C0 controls, so never in clean text.
_PARA, _LINE, _BR = "\x1e", "\x1f", "\x1d"
_BREAKS = {"br": _BR} | dict.fromkeys(
    ["div", "li", "tr", "dt", "dd", "figcaption", "caption", "option"], _LINE
) | dict.fromkeys(
    ["p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre",
     "section", "article", "header", "footer", "nav", "aside", "main", "figure", "hr",
     "title", "address", "form", "fieldset", "details", "summary"], _PARA
)
# A run of marks and whitespace; the look-behind makes matching start only where a
# run starts (else long space runs without a mark would cost quadratic time).
_BREAK_RUN = re.compile("(?<![ \t\n\x1d-\x1f])[ \t\n\x1d-\x1f]*[\x1d-\x1f][ \t\n\x1d-\x1f]*")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

SIDECAR = "published.tsv"
_NO_DATE = {"", "null", "none", "nan", "na", "n/a", "-"}  # a sidecar's ways of saying "no date known"
OUTPUT_MARKER = ".vnevents"  # written by vnevents into every output folder it uses
_OUTPUT_DIR_PREFIXES = (".partial-", ".run-")


@dataclass(frozen=True)
class Article:
    id: str  # path under the input folder without suffix; .jsonl: the record's "id" (else "<id>:<line>")
    source: str  # the path as given (for .jsonl: "path:line")
    text: str  # the stored, clean text; "" on error
    published: str | None  # given with the input (.jsonl "published", published.tsv), else None
    status: str  # "ok" | "warning" | "error"
    message: str  # a reason a person understands; "" when ok
    date_source: str = ""  # "published" when ``published`` came with the input


def clean_text(text: str) -> str:
    """Return the stored form of ``text``: NFC, "\\n" newlines, no leading BOM,
    no C0 controls except "\\n" and "\\t". Nothing else is changed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS.sub("", text)
    return unicodedata.normalize("NFC", text)


def read_text(raw: bytes, *, name: str = "") -> tuple[str, str, str]:
    """Decode one file's bytes to its stored text: ``(text, status, message)``.

    ``name`` (a file name or path) is only used for its suffix: ``.html``/``.htm``
    content is always converted from HTML.
    """
    text, status, message = _decode(raw)
    if status == "error":
        return "", status, message
    return _finish(text, status, message, html_file=name.lower().endswith(HTML_SUFFIXES))


def iter_articles(
    paths: Iterable[str | os.PathLike], *, max_bytes: int = MAX_FILE_BYTES,
    exclude: Iterable[str | os.PathLike] = (), on_skip: Callable[[str, str], None] | None = None,
) -> Iterator[Article]:
    """Yield one Article per text found in ``paths`` (files or folders); never raises
    for bad input (see the module docstring).

    ``exclude``: folders never read (the run's output folder); ``on_skip(path, reason)``
    is called for each output folder skipped while walking.
    """
    if isinstance(paths, (str, os.PathLike)):  # one path given on its own
        paths = [paths]
    ctx = _Context([os.path.realpath(os.fspath(p)) for p in exclude], on_skip, max_bytes)
    seen: dict[str, str] = {}
    for given in paths:
        path = os.fspath(given)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        for article in _articles_under(path, ctx):
            yield _unique(article, seen)


class _Context:
    """What one ``iter_articles`` call knows: excluded folders, sidecars, output folders seen."""

    def __init__(self, excluded: list[str], on_skip, max_bytes: int) -> None:
        self.excluded, self.on_skip, self.max_bytes = excluded, on_skip, max_bytes
        self.sidecars = _Sidecars(max_bytes)
        self._output_dirs: dict[str, bool] = {}

    def is_output_dir(self, path: str, *, marker_only: bool = False) -> bool:
        """Does ``path`` hold vnevents outputs: the marker, or (unless ``marker_only``)
        predictions.jsonl with articles.csv, as older versions left them?"""
        if path not in self._output_dirs:
            marked = os.path.exists(os.path.join(path, OUTPUT_MARKER))
            legacy = (os.path.exists(os.path.join(path, "predictions.jsonl"))
                      and os.path.exists(os.path.join(path, "articles.csv")))
            self._output_dirs[path] = (marked, legacy)
        marked, legacy = self._output_dirs[path]
        return marked or (legacy and not marker_only)

    def output_reason(self, path: str) -> str:
        """Why the folder ``path`` is vnevents output and never input ("" when it is not)."""
        if os.path.realpath(path) in self.excluded:
            return "the output folder of this run"
        if os.path.basename(path).startswith(_OUTPUT_DIR_PREFIXES):
            return "a vnevents working folder"
        if self.is_output_dir(path):
            return "a vnevents output folder"
        return ""

    def output_folder_of(self, path: str) -> str:
        """The output folder that ``path`` is or lies in ("" when none)."""
        real = os.path.realpath(path)
        for out in self.excluded:
            if real == out or real.startswith(out.rstrip(os.sep) + os.sep):
                return out
        folder = real if os.path.isdir(real) else os.path.dirname(real)
        own = folder
        while True:  # above its own folder, only the marker counts (an old run's files are no proof)
            if (self.is_output_dir(folder, marker_only=folder != own)
                    or os.path.basename(folder).startswith(_OUTPUT_DIR_PREFIXES)):
                return folder
            parent = os.path.dirname(folder)
            if parent == folder:
                return ""
            folder = parent


def _articles_under(path: str, ctx: _Context) -> Iterator[Article]:
    owner = ctx.output_folder_of(path)
    if owner:
        what = ("is a vnevents output folder" if os.path.realpath(path) == owner
                else f"is inside the vnevents output folder {owner}")
        yield _error(path, f"{what}; vnevents outputs are never read as input")
        return
    if os.path.isdir(path):
        entries = _files_under(path, ctx)
        if not entries:
            yield _error(path, "folder has no .txt, .jsonl, .html or .htm files")
        for file, problem in entries:
            if problem:
                yield Article(_rel_id(file, path, strip=False), file, "", None, "error", problem)
            else:
                yield from _read_file(file, _rel_id(file, path), path, ctx)
                yield from ctx.sidecars.drain()
    else:
        yield from _read_file(path, _stem(path), os.path.dirname(path) or os.curdir, ctx)
        yield from ctx.sidecars.drain()


def _unique(article: Article, seen: dict[str, str]) -> Article:
    """The article, or an error when its id was already used in this run (never merged)."""
    if article.id not in seen:
        seen[article.id] = article.source
        return article
    line = re.search(r"\.jsonl:(\d+)$", article.source, re.I)
    message = (f"{'line ' + line.group(1) + ': ' if line else ''}duplicate id {article.id!r}, already used by "
               f"{seen[article.id]}; not processed (ids must be unique in a run: "
               + ("give each record its own \"id\")" if line else
                  "an id is the path under the input folder without suffix; rename the file or run the "
                  "folders separately)"))
    if article.status == "error":
        message += f"; {article.message}"
    return Article(article.id, article.source, "", article.published, "error", message, article.date_source)


# --- files -------------------------------------------------------------------


def _files_under(folder: str, ctx: _Context) -> list[tuple[str, str]]:
    """(path, "") for each input file under ``folder`` and (path, reason) for each
    folder that could not be read, sorted by path; output folders are pruned."""
    found: list[tuple[str, str]] = []

    def unreadable(error: OSError) -> None:
        reason = "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error)).lower()
        found.append((os.fspath(error.filename or folder), f"cannot read folder ({reason}); its files were not read"))

    for root, dirs, names in os.walk(folder, onerror=unreadable):
        keep = []
        for d in dirs:
            sub = os.path.join(root, d)
            reason = ctx.output_reason(sub)
            if not reason:
                keep.append(d)
            elif ctx.on_skip is not None:
                ctx.on_skip(sub, reason)
        dirs[:] = keep
        found += [(os.path.join(root, n), "") for n in names if n.lower().endswith(TEXT_SUFFIXES)]
    return sorted(found)


def _rel_id(path: str, root: str, *, strip: bool = True) -> str:
    """The id of ``path`` found under the input folder ``root``: the relative path,
    "/" between folders, without the file's suffix."""
    rel = os.path.relpath(path, root)
    if rel == os.curdir:
        return _stem(root)
    rel = rel.replace(os.sep, "/")
    return os.path.splitext(rel)[0] if strip else rel


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path.rstrip("/\\")))[0] or path


def _error(path: str, message: str) -> Article:
    return Article(_stem(path), path, "", None, "error", message)


def _read_file(path: str, file_id: str, root: str, ctx: _Context) -> Iterator[Article]:
    if path.lower().endswith(".jsonl"):
        dates = _JsonlDates(ctx.sidecars, path, root)
        if os.path.isfile(path):
            yield from _stream_jsonl(path, ctx.max_bytes, file_id, dates)
            return
    raw = _read_bytes(path, ctx.max_bytes)
    if isinstance(raw, str):  # the reason it could not be read
        yield Article(file_id, path, "", None, "error", raw)
    elif path.lower().endswith(".jsonl"):
        yield from _jsonl_articles(path, raw, file_id, dates)
    else:
        text, status, message = read_text(raw, name=path)
        published = ctx.sidecars.lookup(path, root, [file_id, _stem(path)]) if status != "error" else None
        yield Article(file_id, path, text, published, status, message, "published" if published else "")


def _read_bytes(path: str, max_bytes: int) -> bytes | str:
    """The file's bytes, or a message saying why they were not read."""
    if os.path.exists(path) and not os.path.isfile(path):
        return "not a regular file"
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                return f"file too large ({_size(size)}; limit {_size(max_bytes)})"
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        return "file not found"
    except PermissionError:
        return "permission denied"
    except OSError as e:
        return f"cannot read file ({e.strerror or e})"
    if len(raw) > max_bytes:  # grew since fstat, or a special file
        return f"file too large (over {_size(max_bytes)}; limit {_size(max_bytes)})"
    return raw


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


# --- decoding ----------------------------------------------------------------


def _decode(raw: bytes) -> tuple[str, str, str]:
    """Bytes to (unclean) text, status and message; text is "" on error."""
    if not raw.strip():
        return "", "error", "empty file"
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            return "", "error", f"binary content (looks like {kind})"
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec), "ok", ""
            except UnicodeDecodeError as e:
                return "", "error", f"starts with a {label} BOM but is not valid {label} at byte {e.start}"
    if b"\x00" in raw:
        return _bomless_utf16(raw)
    controls = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    if controls > _CONTROL_SHARE * len(raw):
        return "", "error", "binary content"
    try:
        return raw.decode("utf-8"), "ok", ""
    except UnicodeDecodeError as e:
        bad = e.start
    text, replaced = _mostly_utf8(raw)
    if text is not None:  # UTF-8 with a few bad bytes
        return text, "warning", (f"not valid UTF-8 at byte {bad}; decoded as UTF-8 with {replaced} "
                                 f"invalid byte sequence{'s' if replaced > 1 else ''} replaced by \ufffd")
    for match in charset_normalizer.from_bytes(raw):
        try:
            text = raw.decode(match.encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, "warning", f"not valid UTF-8 at byte {bad}; decoded as {_encoding_name(match.encoding)}"
    return "", "error", f"not valid UTF-8 at byte {bad} and no known encoding fits"


def _mostly_utf8(raw: bytes) -> tuple[str | None, int]:
    """(text, number of bad sequences) when ``raw`` is UTF-8 with a few bad bytes (at
    least ten good non-ASCII characters per bad sequence), else (None, n)."""
    text = raw.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return (text if non_ascii - replaced >= 10 * replaced else None), replaced


def _bomless_utf16(raw: bytes) -> tuple[str, str, str]:
    """NUL bytes: UTF-16 without BOM if every NUL sits on one side of its pair, else binary."""
    odd_nuls, even_nuls = raw[1::2].count(0), raw[0::2].count(0)
    codec = "utf-16-le" if even_nuls == 0 else "utf-16-be" if odd_nuls == 0 else ""
    if codec and len(raw) % 2 == 0 and odd_nuls + even_nuls >= len(raw) // 8:  # mostly ASCII letters
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            text = ""
        if text and len(_CONTROL_CHARS.findall(text)) <= _CONTROL_SHARE * len(text):
            return text, "warning", f"no BOM; decoded as {codec.upper()}"
    return "", "error", "binary content"


def _encoding_name(codec: str) -> str:
    name = codec.replace("_", "-")
    return "windows-" + name[2:] if re.fullmatch(r"cp125\d", name) else name


# --- text and HTML -----------------------------------------------------------


def _finish(
    text: str, status: str, message: str, *, html_file: bool = False, empty: str = "empty file"
) -> tuple[str, str, str]:
    """Clean decoded text, convert HTML, and check that text remains."""
    notes = [message] if message else []
    text = clean_text(text)
    if not text.strip():
        return "", "error", empty
    document = html_file or _looks_like_document(text)
    if document or _has_html_remnants(text):
        text = clean_text(_html_to_text(text, document=document))
        if html_file:
            notes.append("HTML converted to text")
        else:
            notes.append("HTML removed")
            status = "warning"
        if not text.strip():
            return "", "error", "no text left after removing HTML"
    return text, status, "; ".join(notes)


def _looks_like_document(text: str) -> bool:
    """Does the text start like an HTML document (after an XML prolog or comments)?"""
    head = text[:65536].lstrip()
    while head.startswith(("<!--", "<?")):
        head = head.partition("-->" if head.startswith("<!--") else "?>")[2].lstrip()
    return head[:14].lower().startswith(("<!doctype html", "<html"))


def _has_html_remnants(text: str) -> bool:
    if _HTML_TAG.search(text):
        return True
    for m in _HTML_ENTITY.finditer(text):
        if m.group(1) is None or m.group(1) in html.entities.name2codepoint:
            return True
    return False


def _html_to_text(markup: str, *, document: bool) -> str:
    """Text of ``markup``; ``document``: collapse source whitespace as a browser would.

    Walks the parsed tree once without changing it (changing a bs4 tree costs time
    proportional to the number of siblings), writing break marks where blocks start
    and end, then turns each run of marks and whitespace into one line break, or a
    blank line for paragraphs, two <br> or a blank line already in the text.
    """
    parts: list[str] = []
    stack: list[PageElement | str | None] = list(reversed(BeautifulSoup(markup, "html.parser").contents))
    in_pre = 0  # how many <pre> elements the walk is inside (no ancestor walk: nesting costs linear time)
    while stack:
        node = stack.pop()
        if node is None:  # a <pre> ends
            in_pre -= 1
        elif isinstance(node, Tag):
            if node.name in _DROP_TAGS:
                continue
            mark = _BREAKS.get(node.name, "")
            parts.append(mark)
            if node.name != "br":
                stack.append(mark)  # written when the element ends
                if node.name == "pre":
                    in_pre += 1
                    stack.append(None)
                stack.extend(reversed(node.contents))
        elif type(node) is NavigableString:  # not a comment, doctype or declaration
            if document and not in_pre:
                parts.append(re.sub(r"\s+", " ", node))
            else:
                parts.append(str(node))
        elif type(node) is str:
            parts.append(node)
    text = "".join(parts).replace("\xa0", " ")
    text = _BREAK_RUN.sub(_break_for, text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _break_for(run: re.Match[str]) -> str:
    marks = run.group()
    paragraph = _PARA in marks or marks.count(_BR) > 1 or marks.count("\n") > 1
    return "\n\n" if paragraph else "\n"


# --- jsonl -------------------------------------------------------------------


def _stream_jsonl(path: str, max_bytes: int, file_id: str, dates: _JsonlDates) -> Iterator[Article]:
    """Records of a ``.jsonl`` file read line by line, so its size is not limited.

    A UTF-8 file streams (each line at most ``max_bytes``); in a UTF-8 file, a
    line with a few bad bytes is read with them replaced by U+FFFD (a warning),
    and a line that is not UTF-8 at all loses only that line (an error). A file in another encoding
    (no line with non-ASCII text is valid UTF-8) is decoded whole, as any other
    file, when it fits in ``max_bytes``; a larger one gets an error for each
    undecodable line.
    """
    yielded = False
    legacy_from = 0  # the first line to decode with the whole file's encoding
    utf8: bool | None = None  # is the file UTF-8? decided at its first undecodable line
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
            fh.seek(0)
            whole = (b"\x00" in head or any(head.startswith(magic) for magic in _MAGIC)
                     or head.startswith((b"\xff\xfe", b"\xfe\xff")))  # binary, or UTF-16/32: decode whole
            for number, raw_line in enumerate(fh if not whole else (), start=1):
                if number == 1:
                    raw_line = raw_line.removeprefix(b"\xef\xbb\xbf")
                if len(raw_line) > max_bytes:
                    yielded = True
                    yield Article(f"{file_id}:{number}", f"{path}:{number}", "", None, "error",
                                  f"line {number}: too long ({_size(len(raw_line))}; limit {_size(max_bytes)})")
                    continue
                try:
                    line = raw_line.decode("utf-8")
                except UnicodeDecodeError as e:
                    if utf8 is None:
                        utf8 = _has_utf8_text(path)
                    if not utf8 and os.path.getsize(path) <= max_bytes:
                        legacy_from = number
                        break
                    yielded = True
                    text, replaced = _mostly_utf8(raw_line)
                    if text is None:
                        yield Article(f"{file_id}:{number}", f"{path}:{number}", "", None, "error",
                                      f"line {number}: not valid UTF-8 at byte {e.start} of the line; only this "
                                      "line is skipped")
                    elif text.strip():
                        yield _jsonl_record(path, file_id, number, text.rstrip("\r\n"), "warning",
                                            f"line {number}: not valid UTF-8 at byte {e.start} of the line; "
                                            f"decoded with {replaced} invalid byte sequence"
                                            f"{'s' if replaced > 1 else ''} replaced by \ufffd", dates)
                    continue
                if line.strip():
                    yielded = True
                    yield _jsonl_record(path, file_id, number, line.rstrip("\r\n"), "ok", "", dates)
            else:
                if not whole:
                    if not yielded:
                        yield Article(file_id, path, "", None, "error", "empty file")
                    return
    except OSError as e:
        yield Article(file_id, path, "", None, "error", f"cannot read file ({e.strerror or e})")
        return
    raw = _read_bytes(path, max_bytes)
    if isinstance(raw, str):
        yield Article(file_id, path, "", None, "error", raw)
    else:
        yield from _jsonl_articles(path, raw, file_id, dates, first_line=max(legacy_from, 1))


def _has_utf8_text(path: str) -> bool:
    """Does some line of the file hold non-ASCII bytes that are valid UTF-8? (Text in
    a legacy 8-bit encoding almost never is, so then the file is UTF-8.)"""
    with open(path, "rb") as fh:
        for raw_line in fh:
            if not raw_line.isascii():
                try:
                    raw_line.decode("utf-8")
                    return True
                except UnicodeDecodeError:
                    pass
    return False


def _jsonl_articles(path: str, raw: bytes, file_id: str, dates: _JsonlDates, first_line: int = 1) -> Iterator[Article]:
    content, file_status, file_message = _decode(raw)
    if file_status == "error":
        yield Article(file_id, path, "", None, "error", file_message)
        return
    content = content.removeprefix("\ufeff")
    if not content.strip():
        yield Article(file_id, path, "", None, "error", "empty file")
        return
    for number, line in enumerate(content.split("\n"), start=1):
        if number >= first_line and line.strip():
            yield _jsonl_record(path, file_id, number, line, file_status, file_message, dates)


def _jsonl_record(path: str, file_id: str, number: int, line: str, status: str, message: str,
                  dates: _JsonlDates) -> Article:
    source, fallback_id = f"{path}:{number}", f"{file_id}:{number}"
    try:
        record = json.loads(line, strict=False)
    except json.JSONDecodeError as e:
        return Article(fallback_id, source, "", None, "error",
                       f"line {number}: invalid JSON ({e.msg} at column {e.colno})")
    except RecursionError:
        return Article(fallback_id, source, "", None, "error", f"line {number}: invalid JSON (nested too deeply)")
    if not isinstance(record, dict):
        return Article(fallback_id, source, "", None, "error",
                       f"line {number}: not a JSON object (got {_json_type(record)})")
    raw_id = record.get("id")
    ok_id = isinstance(raw_id, (str, int, float)) and not isinstance(raw_id, bool) and str(raw_id) != ""
    article_id = str(raw_id) if ok_id else fallback_id
    notes = [message] if message else []
    if "id" in record and not ok_id:
        notes.append(f"line {number}: \"id\" ignored (got {_json_type(raw_id)})")
    if "text" not in record:
        return Article(article_id, source, "", None, "error", f"line {number}: no \"text\" field")
    if not isinstance(record["text"], str):
        return Article(article_id, source, "", None, "error",
                       f"line {number}: \"text\" is not a string (got {_json_type(record['text'])})")
    published = record.get("published")
    if published is not None:
        if _valid_date(published):
            published = published.strip()
        else:
            notes.append(f"line {number}: \"published\" is not an ISO date ({published!r}); ignored")
            published = None
    if published is None:
        published = dates.lookup(article_id if ok_id else None)
    text, text_status, text_message = _finish(record["text"], "ok", "", empty="empty text")
    date_source = "published" if published else ""
    if text_status == "error":
        return Article(article_id, source, "", published, "error", f"line {number}: {text_message}", date_source)
    if text_message:
        notes.append(f"line {number}: {text_message}")
    status = "warning" if notes or "warning" in (status, text_status) else "ok"
    return Article(article_id, source, text, published, status, "; ".join(notes), date_source)


def _valid_date(value: object) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        return False
    try:
        date.fromisoformat(value.strip()[:10])
    except ValueError:
        return False
    return True


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


# --- publication dates from a sidecar ----------------------------------------


class _Sidecar:
    """One ``published.tsv``: dates by file (relative path or name) and by id."""

    def __init__(self, folder: str, by_file: dict[str, str], by_id: dict[str, str]) -> None:
        self.folder, self.by_file, self.by_id = folder, by_file, by_id

    def find(self, path: str | None, ids: list[str]) -> str | None:
        if path is not None and self.by_file:
            rel = os.path.relpath(path, self.folder).replace(os.sep, "/")
            for key in (rel, os.path.basename(path)):
                if key in self.by_file:
                    return self.by_file[key]
        for key in ids:
            if key in self.by_id:
                return self.by_id[key]
        return None


class _Sidecars:
    """The ``published.tsv`` files met while reading, parsed once each; their
    problems become rows of their own (``drain``)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._by_folder: dict[str, _Sidecar | None] = {}
        self._pending: list[Article] = []

    def lookup(self, path: str, root: str, ids: list[str], *, by_path: bool = True) -> str | None:
        """The date the nearest sidecar gives the file ``path`` (found under ``root``) or one of ``ids``."""
        for folder in _sidecar_folders(path, root):
            sidecar = self._load(folder)
            if sidecar is not None:
                found = sidecar.find(path if by_path else None, ids)
                if found:
                    return found
        return None

    def drain(self) -> list[Article]:
        pending, self._pending = self._pending, []
        return pending

    def _load(self, folder: str) -> _Sidecar | None:
        if folder not in self._by_folder:
            path = os.path.join(folder, SIDECAR)
            self._by_folder[folder] = self._parse(path) if os.path.isfile(path) else None
        return self._by_folder[folder]

    def _parse(self, path: str) -> _Sidecar | None:
        def problem(status: str, messages: list[str]) -> None:
            self._pending.append(Article(path, path, "", None, status, f"{SIDECAR}: " + "; ".join(messages)))

        raw = _read_bytes(path, self.max_bytes)
        if isinstance(raw, str):
            problem("error", [f"{raw}; its dates were not used"])
            return None
        content, status, message = _decode(raw)
        if status == "error":
            problem("error", [f"{message}; its dates were not used"])
            return None
        rows = csv.reader(io.StringIO(clean_text(content)), delimiter="\t")
        header = [h.strip().lower() for h in next(rows, [])]
        key_col = "file" if "file" in header else "id" if "id" in header else None
        if "published" not in header or key_col is None:
            problem("error", [f"needs a header line with the columns \"published\" and \"file\" or \"id\" "
                              f"(found {', '.join(header) or 'nothing'}); its dates were not used"])
            return None
        date_at, key_at = header.index("published"), header.index(key_col)
        id_at = header.index("id") if key_col == "file" and "id" in header else None
        by_file: dict[str, str] = {}
        by_id: dict[str, str] = {}
        first_line: dict[tuple[str, str], int] = {}
        notes = []
        for row in rows:
            number = rows.line_num
            cells = [c.strip() for c in row] + [""] * len(header)
            value, key = cells[date_at], cells[key_at]
            kind, table = key_col, by_file if key_col == "file" else by_id
            if not key and id_at is not None and cells[id_at]:
                kind, key, table = "id", cells[id_at], by_id
            if not key or value.lower() in _NO_DATE:
                continue
            if kind == "file":
                key = key.replace("\\", "/").removeprefix("./")
            if not _valid_date(value):
                notes.append(f"line {number}: {value!r} is not a date (YYYY-MM-DD); ignored")
                continue
            if key in table and table[key] != value.strip():
                notes.append(f"line {number}: {kind} {key!r} already dated on line {first_line[kind, key]}; ignored")
                continue
            table.setdefault(key, value.strip())
            first_line.setdefault((kind, key), number)
        if message:
            notes.insert(0, message)
        if notes:
            problem("warning", notes)
        return _Sidecar(os.path.dirname(path) or os.curdir, by_file, by_id)


def _sidecar_folders(path: str, root: str) -> list[str]:
    """Where a sidecar for ``path`` may be: its folder up to ``root``, then the folder above ``root``."""
    folder = os.path.dirname(os.path.abspath(path))
    top = os.path.abspath(root)
    found = []
    while True:
        found.append(folder)
        if folder == top or os.path.dirname(folder) == folder:
            break
        if not folder.startswith(top.rstrip(os.sep) + os.sep):
            break
        folder = os.path.dirname(folder)
    above = os.path.dirname(found[-1])
    if above != found[-1]:
        found.append(above)
    return found


class _JsonlDates:
    """Publication dates the sidecars give the records of one ``.jsonl`` file: by the
    record's id, else for the whole file."""

    def __init__(self, sidecars: _Sidecars, path: str, root: str) -> None:
        self.sidecars, self.path, self.root = sidecars, path, root
        self._file_date: str | None | bool = False  # False: not looked up yet

    def lookup(self, record_id: str | None) -> str | None:
        if record_id is not None:
            found = self.sidecars.lookup(self.path, self.root, [record_id], by_path=False)
            if found:
                return found
        if self._file_date is False:
            self._file_date = self.sidecars.lookup(self.path, self.root, [])
        return self._file_date
