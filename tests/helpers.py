"""Shared test helpers: the bundled corpus, processed once per test session."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from pipeline import extract
from pipeline.reader import iter_articles

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "corpus" / "raw"
GOLD = ROOT / "corpus" / "gold" / "seeds.jsonl"
DEV = ROOT / "corpus" / "gold" / "dev.jsonl"


@cache
def corpus_docs() -> dict[str, object]:
    """Article id prefix ("000" ...) -> processed Doc of the bundled article."""
    return {a.id.split("_")[0]: extract(a.text, published=a.published, article_id=a.id) for a in iter_articles([RAW])}


def mentions(doc, label: str | None = None) -> list:
    return [s for s in doc.spans["mentions"] if label is None or s.label_ == label]


def find(doc, label: str, surface: str, nth: int = 0, after: str = ""):
    """The ``nth`` mention of type ``label`` whose text is ``surface`` and is preceded by ``after``."""
    hits = [s for s in mentions(doc, label) if s.text == surface and doc.text[:s.start_char].endswith(after)]
    assert len(hits) > nth, f"no {label} mention {surface!r}; have {[s.text for s in mentions(doc, label)]}"
    return hits[nth]


def texts(doc, label: str) -> list[str]:
    return [s.text for s in mentions(doc, label)]


def in_text(doc, phrase: str) -> tuple[int, int]:
    """Offsets of ``phrase`` in the article (it must occur)."""
    pos = doc.text.find(phrase)
    assert pos >= 0, phrase
    return pos, pos + len(phrase)


def labels_over(doc, phrase: str) -> list[tuple[str, str]]:
    """(label, text) of the mentions overlapping the first occurrence of ``phrase``."""
    s, e = in_text(doc, phrase)
    return [(m.label_, m.text) for m in mentions(doc) if m.start_char < e and s < m.end_char]
