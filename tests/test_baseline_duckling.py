"""The Duckling (Vietnamese) date baseline: offsets, values, and its place in `evaluate --baselines`."""
from __future__ import annotations

import pytest

from pipeline.baselines import BASELINES, _duckling_available, _duckling_value

pytestmark = pytest.mark.skipif(not _duckling_available(),
                                reason="pyduckling-native-phihos has wheels for x86-64 Linux only")


def test_duckling_is_a_date_baseline():
    assert BASELINES["Duckling (vi)"][0] == "DATE"


def test_duckling_finds_vietnamese_dates_with_offsets():
    from pipeline.baselines import duckling_dates

    text = "😀 Ngày 15/6/2021, Bộ ban hành; 10h00 12/03/2021 họp; năm 2025 đạt."
    rec = duckling_dates({"id": "x", "text": text, "published": "2021-12-31"})
    found = {m["text"]: m["value"] for m in rec["mentions"]}
    assert found["Ngày 15/6/2021"] == "2021-06-15"
    assert found["10h00 12/03/2021"] == "2021-03-12T10:00"
    assert found["năm 2025"] == "2025"
    assert all(text[m["start"]:m["end"]] == m["text"] for m in rec["mentions"])
    spans = sorted((m["start"], m["end"]) for m in rec["mentions"])
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize("value,expected", [
    ({"type": "value", "value": "2021-04-01T00:00:00.000+07:00", "grain": "quarter"}, "2021-04/2021-06"),
    ({"type": "interval", "from": {"value": "2021-01-01T00:00:00.000+07:00", "grain": "year"},
      "to": {"value": "2026-01-01T00:00:00.000+07:00", "grain": "year"}}, "2021/2025"),
    ({"type": "interval", "from": {"value": "2022-09-05T12:00:00.000+07:00", "grain": "hour"},
      "to": {"value": "2022-09-05T19:00:00.000+07:00", "grain": "hour"}}, "2022-09-05"),
    ({"type": "interval", "from": {"value": "2021-05-01T00:00:00.000+07:00", "grain": "month"}}, "2021-05"),
])
def test_duckling_values_as_timex3(value, expected):
    assert _duckling_value(value) == expected
