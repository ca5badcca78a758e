"""Robust reading of input articles for the vnevents pipeline.

Contract
--------
``iter_articles(paths, max_bytes=MAX_FILE_BYTES)`` yields one :class:`Article`
per text: one per ``.txt``/``.html``/``.htm`` file (or any file named
explicitly), one per non-blank line of a ``.jsonl`` file. Folders are expanded
recursively to their ``.txt``, ``.jsonl``, ``.html`` and ``.htm`` files,
sorted by path. It is a generator: files are read one at a time (each file
whole, at most ``max_bytes``). It never raises for a bad path, file or line:
it yields an Article with ``status="error"``, ``text=""`` and a ``message``
a person can act on.

Article fields: ``id`` (file stem; for ``.jsonl`` the record's "id", else
``"<stem>:<line>"``), ``source`` (the path as given; ``"path:line"`` for
``.jsonl``), ``text`` (the stored, clean text; offsets are computed on it),
``published`` (a ``.jsonl`` record's ISO date string, else None), ``status``
(``"ok"``, ``"warning"`` or ``"error"``) and ``message`` ("" when ok).

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

import html.entities
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Iterator

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


@dataclass(frozen=True)
class Article:
    id: str  # .txt/.html: file stem; .jsonl: the record's "id" (else "<stem>:<line>")
    source: str  # the path as given (for .jsonl: "path:line")
    text: str  # the stored, clean text; "" on error
    published: str | None  # a .jsonl record's "published" (YYYY-MM-DD or longer ISO), else None
    status: str  # "ok" | "warning" | "error"
    message: str  # a reason a person understands; "" when ok


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
    paths: Iterable[str | os.PathLike], *, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[Article]:
    """Yield one Article per text found in ``paths`` (files or folders); never raises
    for bad input (see the module docstring)."""
    if isinstance(paths, (str, os.PathLike)):  # one path given on its own
        paths = [paths]
    for given in paths:
        path = os.fspath(given)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if os.path.isdir(path):
            files = _files_under(path)
            if not files:
                yield _error(path, "folder has no .txt, .jsonl, .html or .htm files")
            for file in files:
                yield from _read_file(file, max_bytes)
        else:
            yield from _read_file(path, max_bytes)


# --- files -------------------------------------------------------------------


def _files_under(folder: str) -> list[str]:
    found = []
    for root, _dirs, names in os.walk(folder):
        found += [os.path.join(root, n) for n in names if n.lower().endswith(TEXT_SUFFIXES)]
    return sorted(found)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path.rstrip("/\\")))[0] or path


def _error(path: str, message: str) -> Article:
    return Article(_stem(path), path, "", None, "error", message)


def _read_file(path: str, max_bytes: int) -> Iterator[Article]:
    if path.lower().endswith(".jsonl") and os.path.isfile(path):
        yield from _stream_jsonl(path, max_bytes)
        return
    raw = _read_bytes(path, max_bytes)
    if isinstance(raw, str):  # the reason it could not be read
        yield _error(path, raw)
    elif path.lower().endswith(".jsonl"):
        yield from _jsonl_articles(path, raw)
    else:
        text, status, message = read_text(raw, name=path)
        yield Article(_stem(path), path, text, None, status, message)


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
    text = raw.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if non_ascii - replaced >= 10 * replaced:  # UTF-8 with a few bad bytes
        return text, "warning", (f"not valid UTF-8 at byte {bad}; decoded as UTF-8 with {replaced} "
                                 f"invalid byte sequence{'s' if replaced > 1 else ''} replaced by \ufffd")
    for match in charset_normalizer.from_bytes(raw):
        try:
            text = raw.decode(match.encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, "warning", f"not valid UTF-8 at byte {bad}; decoded as {_encoding_name(match.encoding)}"
    return "", "error", f"not valid UTF-8 at byte {bad} and no known encoding fits"


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
    stack: list[PageElement | str] = list(reversed(BeautifulSoup(markup, "html.parser").contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _DROP_TAGS:
                continue
            mark = _BREAKS.get(node.name, "")
            parts.append(mark)
            if node.name != "br":
                stack.append(mark)  # written when the element ends
                stack.extend(reversed(node.contents))
        elif type(node) is NavigableString:  # not a comment, doctype or declaration
            if document and node.find_parent("pre") is None:
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


def _stream_jsonl(path: str, max_bytes: int) -> Iterator[Article]:
    """Records of a ``.jsonl`` file read line by line, so its size is not limited.

    A UTF-8 file streams (each line at most ``max_bytes``). A file that turns out
    not to be UTF-8 is decoded whole, as any other file, when it fits in
    ``max_bytes``; a larger one gets an error for each undecodable line.
    """
    stem = _stem(path)
    seen_text = False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
            fh.seek(0)
            binary = b"\x00" in head or any(head.startswith(magic) for magic in _MAGIC)
            for number, raw_line in enumerate(fh if not binary else (), start=1):
                if number == 1:
                    if raw_line.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: decode whole
                        break
                    raw_line = raw_line.removeprefix(b"\xef\xbb\xbf")
                if len(raw_line) > max_bytes:
                    yield Article(f"{stem}:{number}", f"{path}:{number}", "", None, "error",
                                  f"line {number}: too long ({_size(len(raw_line))}; limit {_size(max_bytes)})")
                    continue
                try:
                    line = raw_line.decode("utf-8")
                except UnicodeDecodeError as e:
                    if os.path.getsize(path) <= max_bytes and not seen_text:
                        break  # decode the whole file with encoding detection below
                    yield Article(f"{stem}:{number}", f"{path}:{number}", "", None, "error",
                                  f"line {number}: not valid UTF-8 at byte {e.start}")
                    continue
                if line.strip():
                    seen_text = True
                    yield _jsonl_record(path, stem, number, line.rstrip("\r\n"), "ok", "")
            else:
                if not binary:
                    if not seen_text:
                        yield _error(path, "empty file")
                    return
    except OSError as e:
        yield _error(path, f"cannot read file ({e.strerror or e})")
        return
    raw = _read_bytes(path, max_bytes)
    if isinstance(raw, str):
        yield _error(path, raw)
    else:
        yield from _jsonl_articles(path, raw)


def _jsonl_articles(path: str, raw: bytes) -> Iterator[Article]:
    content, file_status, file_message = _decode(raw)
    if file_status == "error":
        yield _error(path, file_message)
        return
    content = content.removeprefix("\ufeff")
    if not content.strip():
        yield _error(path, "empty file")
        return
    stem = _stem(path)
    for number, line in enumerate(content.split("\n"), start=1):
        if line.strip():
            yield _jsonl_record(path, stem, number, line, file_status, file_message)


def _jsonl_record(path: str, stem: str, number: int, line: str, status: str, message: str) -> Article:
    source, fallback_id = f"{path}:{number}", f"{stem}:{number}"
    try:
        record = json.loads(line, strict=False)
    except json.JSONDecodeError as e:
        return Article(fallback_id, source, "", None, "error",
                       f"line {number}: invalid JSON ({e.msg} at column {e.colno})")
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
    text, text_status, text_message = _finish(record["text"], "ok", "", empty="empty text")
    if text_status == "error":
        return Article(article_id, source, "", published, "error", f"line {number}: {text_message}")
    if text_message:
        notes.append(f"line {number}: {text_message}")
    status = "warning" if notes or "warning" in (status, text_status) else "ok"
    return Article(article_id, source, text, published, status, "; ".join(notes))


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
