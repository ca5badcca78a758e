"""The underthesea-built Doc maps exactly onto the stored text."""
import unicodedata

import pytest
from underthesea import word_tokenize

from pipeline.nlp import get_nlp
from pipeline.reader import iter_articles
from pipeline.segment import segmenter, sentence_bounds
from pipeline.textutil import modern_tones

from helpers import RAW


@pytest.fixture(scope="module")
def articles():
    return list(iter_articles([RAW]))


def test_doc_text_is_the_stored_text(articles):
    nlp = get_nlp()
    for art in articles:
        doc = nlp.make_doc(art.text)
        assert doc.text == art.text
        for tok in doc:
            assert art.text[tok.idx:tok.idx + len(tok.text)] == tok.text


def test_words_are_underthesea_words(articles):
    """Our offsets-first segmentation gives underthesea's own words (modulo its character rewriting)."""
    seg = segmenter()
    checked = 0
    for art in articles:
        for s, e in list(sentence_bounds(art.text))[:40]:
            ours = [modern_tones(art.text[a:b]) for a, b in seg.words(art.text, s, e)]
            theirs = [modern_tones(w) for w in word_tokenize(art.text[s:e])]
            # we split a number from a following word ("30/30 bộ"); join those back to compare
            assert " ".join(ours) == " ".join(theirs)
            checked += 1
    assert checked > 100


def test_number_word_merge_is_split():
    doc = get_nlp().make_doc("Theo Bộ, 30/30 bộ, cơ quan ngang bộ đã ban hành.")
    assert "30/30" in [t.text for t in doc] and "30/30 bộ" not in [t.text for t in doc]


@pytest.mark.parametrize("text", [
    "Uỷ ban Quốc gia về Chính phủ điện tử",                     # underthesea rewrites "Uỷ" -> "Ủy"
    unicodedata.normalize("NFD", "Ngày 15/6/2021, Thủ tướng đã phê duyệt"),  # NFD input
    "  dòng đầu\n\n\tdòng hai  có  hai dấu cách\u00a0và NBSP\n",
    "",
])
def test_rewrites_and_odd_whitespace_keep_offsets(text):
    doc = get_nlp().make_doc(text)
    assert doc.text == text


def test_sentences_never_cross_a_line_break():
    text = "Dòng một không có dấu chấm\nDòng hai. Câu ba."
    doc = get_nlp().make_doc(text)
    assert [s.text.strip() for s in doc.sents] == ["Dòng một không có dấu chấm", "Dòng hai.", "Câu ba."]


def test_very_long_line_is_cut_into_bounded_sentences():
    text = "chuyển đổi số " * 2000
    bounds = list(sentence_bounds(text))
    assert max(e - s for s, e in bounds) <= 2000
    assert get_nlp().make_doc(text).text == text


def test_segmenting_only_what_rules_need_gives_the_same_results(articles):
    """The lazy segmentation (default) and segmenting every sentence agree on every mention and event."""
    from pipeline import extract
    from pipeline.bench import build_corpus
    from pipeline.records import doc_to_record

    texts = [a.text for a in articles] + [r["text"] for r in build_corpus(40, seed=3)]
    for text in texts:
        lazy = doc_to_record(extract(text), id="a", source="", published=None)
        full = doc_to_record(extract(text, segment_all=True), id="a", source="", published=None)
        assert lazy["mentions"] == full["mentions"]
        assert lazy["events"] == full["events"]


def test_text_read_once_stays_right_after_retokenizing_and_is_not_kept():
    """The rules read the Doc's text from a table made by the tokenizer (``doc.text`` joins every
    token on each access); a component that splits tokens must keep it true, and the table is
    dropped at the end so a DocBin does not store the text twice."""
    from pipeline.mentions import MENTIONS
    from pipeline.nlp import extract
    from pipeline.segment import TEXT, doc_text

    text = "Ngày 1/7/2025, UBND tỉnh Bắc Ninh (mới) công bố 99 xã, phường; tỷ lệ đạt 95,5%/năm."
    doc = get_nlp().make_doc(text)
    assert doc.user_data[TEXT] is text and doc_text(doc) == doc.text == text
    done = extract(text)
    assert TEXT not in done.user_data
    assert done.text == text
    for span in done.spans[MENTIONS]:  # every mention still cuts the same text
        assert text[span.start_char:span.end_char] == span.text
