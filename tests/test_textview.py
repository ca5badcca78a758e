"""Invisible and look-alike characters inside numbers: the rules read a view, offsets stay on the stored text."""
import pytest

from pipeline import extract
from pipeline.records import doc_to_record
from pipeline.textview import view


def _mentions(text):
    rec = doc_to_record(extract(text, published="2021-07-01"), id="x", source="", published=None)
    assert rec["text"] == text
    assert all(text[m["start"]:m["end"]] == m["text"] for m in rec["mentions"])
    return [(m["type"], m["text"], m["value"]) for m in rec["mentions"]]


@pytest.mark.parametrize("text, expected", [
    ("Ngày 1\u200b5/6/2021, tỷ lệ đạt 90,\u200b81%.",
     [("DATE", "Ngày 1\u200b5/6/2021", "2021-06-15"), ("PERCENT", "90,\u200b81%", 90.81)]),
    ("Theo Quyết định 749/QĐ-\u00adTTg của Thủ tướng.", [("DOCREF", "Quyết định 749/QĐ-\u00adTTg", "749/QĐ-TTg")]),
    ("Trong năm 2\u200f021, tỷ lệ tăng 5%.", [("DATE", "năm 2\u200f021", "2021"), ("PERCENT", "5%", 5)]),
    ("Ngày １５/６/２０２１ tỷ lệ đạt ９０％.", [("DATE", "Ngày １５/６/２０２１", "2021-06-15"), ("PERCENT", "９０％", 90)]),
])
def test_format_characters_and_fullwidth_forms(text, expected):
    assert _mentions(text) == expected


def test_events_are_mapped_back_too():
    text = "Năm 2\u200b024, doanh thu đạt 130.280 tỷ đồng."
    rec = doc_to_record(extract(text, published="2025-01-01"), id="x", source="", published=None)
    ev = rec["events"][0]
    assert text[ev["trigger"]["start"]:ev["trigger"]["end"]] == "đạt"
    assert text[ev["object"]["start"]:ev["object"]["end"]] == "doanh thu"


def test_plain_text_is_its_own_view():
    assert view("Ngày 15/6/2021") == ("Ngày 15/6/2021", None)
