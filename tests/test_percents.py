"""PERCENT rules on the corpus sentences named in issue #2, plus number edge cases."""
import pytest

from pipeline.percents import find_percents, parse_number

from helpers import corpus_docs, find, labels_over


@pytest.mark.parametrize("art, surface, value", [
    ("002", "90,81%", 90.81),      # "tỷ lệ văn bản dưới dạng điện tử ... đạt 90,81%"
    ("002", "0,3%", 0.3),          # "(tăng hơn 0,3% so với năm 2019)"
    ("003", "90.7%", 90.7),        # "chiếm 90.7% tổng số hồ sơ": dot + 1 digit is a decimal
    ("004", "20 - 30%", [20, 30]), # "tăng trưởng 20 - 30%/năm"
    ("000", "100%", 100),
    ("003", "80%", 80),            # "tối thiểu 80%": the qualifier stays out
])
def test_percents_in_corpus(art, surface, value):
    assert find(corpus_docs()[art], "PERCENT", surface)._.value == value


@pytest.mark.parametrize("art, phrase", [("003", "2,5 lần"), ("003", "0,71"), ("003", "0,48")])
def test_not_percents(art, phrase):
    assert [lab for lab, _ in labels_over(corpus_docs()[art], phrase) if lab == "PERCENT"] == []


@pytest.mark.parametrize("text, value", [
    ("100,5%", 100.5), ("0%", 0), ("1.000.000%", 1000000), ("1.000%", 1000), ("5 phần trăm", 5),
    ("12,5 - 15%", [12.5, 15]),
])
def test_number_edges(text, value):
    (c,) = find_percents(text)
    assert (c.start, c.end, c.value) == (0, len(text), value)


def test_two_percentages_joined_by_words_are_two_mentions():
    text = "chiếm 20% đến 65%"
    assert [(text[c.start:c.end], c.value) for c in find_percents(text)] == [("20%", 20), ("65%", 65)]


@pytest.mark.parametrize("raw, number", [("90,81", 90.81), ("1.072.000", 1072000), ("90.7", 90.7), ("4.123,2", 4123.2)])
def test_vietnamese_numbers(raw, number):
    assert parse_number(raw) == number


def test_a_negative_figure_keeps_its_sign():
    from pipeline.percents import find_percents

    text = "Xuất khẩu giảm (-1,4%) so với cùng kỳ; chỉ số −3,2%, khoảng 20 - 30% và 5%-7%."
    assert [(text[c.start:c.end], c.value) for c in find_percents(text)] == [
        ("-1,4%", -1.4), ("−3,2%", -3.2), ("20 - 30%", [20, 30]), ("5%", 5), ("7%", 7)]
