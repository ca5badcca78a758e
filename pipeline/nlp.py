"""The spaCy pipeline: underthesea tokenizer, five mention components, event linker."""
from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import dates, docrefs, events, institutions, percents, quantities  # noqa: F401  (register factories)
from . import segment  # noqa: F401  (register the tokenizer)
from .dates import detect_published
from .mentions import MENTIONS
from .textview import view

STORED = ("vnevents", "stored")  # (stored text, view -> stored offsets, or None when the view is the text)

COMPONENTS = ("vnevents_institutions", "vnevents_docrefs", "vnevents_dates", "vnevents_percents",
              "vnevents_quantities", "vnevents_doc_identity", "vnevents_events")


def rules_need_words(text: str, syllables: list[tuple[int, int]], keys: list[str]) -> bool:
    """Whether any rule needs the word segmentation of this sentence (see segment.py).

    Only the event triggers do (a trigger is made of whole words: "tăng" is not
    inside "tăng cường"); names and counted nouns are read from their data
    files on syllables, so segmentation is not spent on them.
    """
    return events.needs_words(text, syllables, keys)


DOCS_PER_VOCAB = 1_000  # rebuild the spaCy pipeline (not the models) this often, keeping memory flat (~25 ms each)
_docs_made = 0


@cache
def get_nlp(segment_all: bool = False) -> Language:
    """The process-wide pipeline (built once; resources load on first use).

    ``segment_all=True`` runs underthesea's word segmentation on every sentence
    (same results, slower; see segment.py).
    """
    tokenizer = {"@tokenizers": "vnevents.underthesea_tokenizer.v1", "segment_all": segment_all}
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": tokenizer}})
    for name in COMPONENTS:
        nlp.add_pipe(name)
    return nlp


def extract(text: str, published: str | None = None, article_id: str | None = None,
            segment_all: bool = False) -> Doc:
    """Run the pipeline on one stored text.

    ``published`` (``YYYY-MM-DD``) anchors year-less dates; when None, the
    article's dateline is used if it has one. Returns a Doc with
    ``doc.spans["mentions"]`` and ``doc._.events``. When the text holds format
    characters or fullwidth forms, the Doc is built on the view of
    ``textview.view`` and ``records.doc_to_record`` maps every offset back to
    the stored text.
    """
    global _docs_made
    _docs_made += 1
    if _docs_made % DOCS_PER_VOCAB == 0:
        get_nlp.cache_clear()  # a fresh Vocab: its string store only ever grows
    nlp = get_nlp(segment_all)
    seen, offsets = view(text)  # format characters hidden, fullwidth forms folded (pipeline/textview.py)
    doc = nlp.make_doc(seen)
    doc.user_data[STORED] = (text, offsets)  # a reference: records reads it instead of rebuilding doc.text
    doc._.published = published or detect_published(seen)
    doc._.article_id = article_id
    if MENTIONS not in doc.spans:
        doc.spans[MENTIONS] = []
    for name, proc in nlp.pipeline:
        try:
            doc = proc(doc)
        except Exception as exc:  # one component's failure loses its output, not the article
            report_failure(doc, name, exc)
    return doc


WARNINGS = ("vnevents", "warnings")


def report_failure(doc: Doc, rule: str, exc: Exception, text: str = "") -> None:
    """Record that ``rule`` failed on this article (``records`` turns it into a warning row)."""
    where = f" on {text!r}" if text else ""
    doc.user_data.setdefault(WARNINGS, []).append(
        f"rule {rule} failed{where}: {type(exc).__name__}: {exc}")
