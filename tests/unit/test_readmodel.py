"""shared.readmodel: a change sets only the fields no newer change has set."""
from __future__ import annotations

from datetime import datetime, timezone

from shared import readmodel

T = datetime(2026, 11, 28, 10, 0, 0, 400_000, tzinfo=timezone.utc)


def test_a_change_sets_the_fields_it_is_not_older_than():
    times = {"email": T, "city": T.replace(minute=5)}
    fields = {"email": "a@example.bg", "city": "Varna", "phone": "+359888123456"}
    assert readmodel.newer_fields(fields, times, T.replace(minute=1)) == {"email": "a@example.bg",
                                                                          "phone": "+359888123456"}
    assert readmodel.newer_fields(fields, None, T) == fields


def test_times_compare_at_the_stores_millisecond_precision():
    stored = readmodel.at_ms(T)  # what the store gives back
    redelivered = T.replace(microsecond=400_999)  # the same change, microseconds still on it
    assert readmodel.newer_fields({"email": "x"}, {"email": stored}, redelivered) == {"email": "x"}
    assert readmodel.newer_fields({"email": "x"}, {"email": stored.replace(microsecond=401_000)}, redelivered) == {}
