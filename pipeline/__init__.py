"""vnevents: dates, percentages, document numbers, institutions and events from Vietnamese news.

>>> from pipeline import extract
>>> doc = extract("Ngày 15/6/2021, Thủ tướng đã phê duyệt ...")
>>> [(s.text, s.label_, s._.value) for s in doc.spans["mentions"]]
"""
from __future__ import annotations

__version__ = "0.1.0"


def extract(text: str, published: str | None = None, article_id: str | None = None, segment_all: bool = False):
    """Run the pipeline on one text; see :func:`pipeline.nlp.extract`."""
    from .nlp import extract as _extract

    return _extract(text, published=published, article_id=article_id, segment_all=segment_all)


__all__ = ["extract", "__version__"]
