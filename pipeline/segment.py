"""underthesea segmentation as a spaCy tokenizer whose tokens map exactly onto the text.

underthesea's public ``word_tokenize`` rewrites characters ("Uỷ" -> "Ủy") and
returns strings, not offsets. Here its own syllable tokenizer (the same regular
expression) runs on the text *as stored*, so every syllable keeps its offsets;
its CRF word-segmentation model then tags the syllables, seeing the forms it was
trained on (normalised by underthesea's ``token_normalize``), and syllables
tagged ``I-W`` join the previous word. Offsets therefore come from the stored
text by construction, whatever the normalisation does, and ``doc.text == text``
always holds (checked). A word that joins a number to a letter syllable ("30/30
bộ") is split there: no rule of ours ever wants that boundary hidden.

Only what the rules need is segmented: the CRF model is the main cost of the
whole pipeline, and the rules look at word boundaries in few places (a trigger
must be a whole word; an unknown body's name is a chain of capitalised words).
``make_doc`` takes a ``needs_words(text, syllables, keys)`` predicate, composed from
the rules (see ``nlp.py``); a sentence for which no rule needs words keeps its
syllables as tokens. ``needs_words=None`` segments every sentence. Both give
the same mentions and events (tested).

Sentences: every line is split by underthesea's ``sent_tokenize``; a line break
always ends a sentence. Very long sentences are cut into pieces of at most
``MAX_SENTENCE_CHARS`` at spaces, so a one-line 1 MB file cannot make the CRF
tagger work on one giant sequence.
"""
from __future__ import annotations

import re
from os.path import dirname, join
from typing import Callable, Iterator

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from .textutil import fold

MAX_SENTENCE_CHARS = 2000
SYLLABLES = ("vnevents", "syllables")  # doc.user_data key: sentence start -> (syllable offsets, folded forms)
TEXT = ("vnevents", "text")  # doc.user_data key: the Doc's text, read once (dropped by the last component)
_HAS_DIGIT = re.compile(r"\d")


class _Segmenter:
    """Lazily loaded underthesea syllable regex + CRF word-segmentation model."""

    def __init__(self) -> None:
        from underthesea.pipeline.text_normalize import token_normalize
        from underthesea.pipeline.word_tokenize import regex_tokenize
        from underthesea.models.fast_crf_sequence_tagger import FastCRFSequenceTagger
        import underthesea.pipeline.word_tokenize as wt

        self.pattern = regex_tokenize.patterns
        self.normalize = token_normalize
        self.model = FastCRFSequenceTagger()
        self.model.load(join(dirname(wt.__file__), "models", "ws_crf_vlsp2013_20230727"))

    def syllables(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Offsets of underthesea's syllable tokens in ``text[start:end]``."""
        return [(m.start() + start, m.end() + start) for m in self.pattern.finditer(text[start:end])]

    def words(self, text: str, start: int, end: int, sylls: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Offsets of the words of one sentence ``text[start:end]``."""
        if sylls is None:
            sylls = self.syllables(text, start, end)
        if not sylls:
            return []
        forms = [_normalized(self.normalize, text[s:e]) for s, e in sylls]
        tags = self.model.predict([[f] for f in forms])
        words: list[list[int]] = []
        prev_digit = None
        for (s, e), tag in zip(sylls, tags):
            digit = bool(_HAS_DIGIT.search(text[s:e]))
            joinable = (
                tag == "I-W" and words and text[words[-1][1]:s].isspace()
                and "\n" not in text[words[-1][1]:s] and digit == prev_digit
            )
            if joinable:
                words[-1][1] = e
            else:
                words.append([s, e])
            prev_digit = digit
        return [(s, e) for s, e in words]


_NORMALIZED: dict[str, str] = {}


def _normalized(normalize, syllable: str) -> str:
    """underthesea's token_normalize, memoised (a bounded table of frequent syllables)."""
    hit = _NORMALIZED.get(syllable)
    if hit is None:
        hit = normalize(syllable)
        if len(_NORMALIZED) < 200_000:
            _NORMALIZED[syllable] = hit
    return hit


_SEGMENTER: _Segmenter | None = None


def segmenter() -> _Segmenter:
    """The process-wide segmenter (model loaded once per process)."""
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = _Segmenter()
    return _SEGMENTER


def sentence_bounds(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of the sentences of ``text``: lines split by underthesea, then capped in length."""
    from underthesea import sent_tokenize

    for line in re.finditer(r"[^\n]+", text):
        ls, le = line.span()
        if not line.group().strip():
            continue
        pieces = sent_tokenize(line.group()) if le - ls <= 20 * MAX_SENTENCE_CHARS else [line.group()]
        cursor = ls
        found: list[tuple[int, int]] = []
        for piece in pieces:
            pos = text.find(piece, cursor, le)
            if pos < 0:  # underthesea rewrote the sentence: keep the line whole
                found = [(ls, le)]
                break
            found.append((pos, pos + len(piece)))
            cursor = pos + len(piece)
        if found and found[-1][1] < le and found != [(ls, le)]:
            found[-1] = (found[-1][0], le)  # keep trailing text in the last sentence
        for s, e in found:
            yield from _cap(text, s, e)


def _cap(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        yield start, cut
        start = cut
    if text[start:end].strip():
        yield start, end


NeedsWords = Callable[[str, list[tuple[int, int]], list[str]], bool]


def make_doc(vocab: Vocab, text: str, needs_words: NeedsWords | None = None) -> Doc:
    """Build the Doc: underthesea words (where a rule needs them), exact whitespace, sentence starts."""
    seg = segmenter()
    spans: list[tuple[int, int]] = []
    starts: set[int] = set()
    syllables: dict[int, tuple[list[tuple[int, int]], list[str]]] = {}
    for s, e in sentence_bounds(text):
        sylls = seg.syllables(text, s, e)
        if not sylls:
            continue
        keys = [fold(text[a:b]) for a, b in sylls]  # folded once, for the predicate and the rules
        ws = seg.words(text, s, e, sylls) if needs_words is None or needs_words(text, sylls, keys) else sylls
        starts.add(ws[0][0])
        spans.extend(ws)
        syllables[ws[0][0]] = (sylls, keys)
    doc = doc_from_offsets(vocab, text, spans, starts)
    doc.user_data[TEXT] = text
    doc.user_data[SYLLABLES] = syllables  # reused by the rules, dropped by the last component
    return doc


def doc_from_offsets(vocab: Vocab, text: str, spans: list[tuple[int, int]], sent_starts: set[int]) -> Doc:
    """A Doc whose tokens are ``text[s:e]`` for the given sorted, disjoint spans.

    Gaps become spaCy whitespace: a single space is the previous token's
    trailing space, anything else a whitespace token.
    """
    words: list[str] = []
    spaces: list[bool] = []
    starts: list[bool | None] = []
    cursor = 0

    def gap(upto: int) -> None:
        g = text[cursor:upto]
        if not g:
            return
        if words and not spaces[-1] and g[0] == " ":
            spaces[-1] = True
            g = g[1:]
        if g:
            words.append(g)
            spaces.append(False)
            starts.append(False if words[:-1] else True)

    for s, e in spans:
        gap(s)
        words.append(text[s:e])
        spaces.append(False)
        starts.append(True if (s in sent_starts or len(words) == 1) else False)
        cursor = e
    gap(len(text))
    # Checked on the lists, not on ``doc.text``: spaCy rebuilds that from every token.
    if "".join(w + " " if sp else w for w, sp in zip(words, spaces)) != text:  # pragma: no cover
        raise AssertionError("tokenization does not reproduce the text")
    return Doc(vocab, words=words, spaces=spaces, sent_starts=starts)


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per Doc: spaCy joins every token on each access.

    A Doc's text never changes (retokenizing keeps it), so the cached copy in
    ``doc.user_data`` stays valid; Docs built elsewhere are read once and cached.
    """
    text = doc.user_data.get(TEXT)
    if text is None:
        text = doc.user_data[TEXT] = doc.text
    return text


class UndertheseaTokenizer:
    """spaCy tokenizer: ``nlp.make_doc(text)`` -> Doc of underthesea words.

    ``needs_words``: see ``make_doc``; None segments every sentence.
    """

    def __init__(self, vocab: Vocab, needs_words: NeedsWords | None = None) -> None:
        self.vocab = vocab
        self.needs_words = needs_words

    def __call__(self, text: str) -> Doc:
        return make_doc(self.vocab, text, self.needs_words)

    # spaCy serialisation hooks: the tokenizer has no state of its own.
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "UndertheseaTokenizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        pass

    def from_disk(self, path, **kwargs) -> "UndertheseaTokenizer":
        return self


@registry.tokenizers("vnevents.underthesea_tokenizer.v1")
def create_tokenizer(segment_all: bool = False):
    """Registry entry so a config can name the tokenizer.

    ``segment_all=False`` segments only the sentences the vnevents rules need.
    """
    def create(nlp):
        if segment_all:
            return UndertheseaTokenizer(nlp.vocab)
        from .nlp import rules_need_words

        return UndertheseaTokenizer(nlp.vocab, rules_need_words)
    return create
