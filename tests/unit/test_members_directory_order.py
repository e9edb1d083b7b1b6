"""The directory orders a search's matches in the api (``profiles_store.sorted_like_store``):
the order must be the one the store gives for the same sort, nulls, ties and descending
included, or a page would differ between a search with words and a browse without."""
from __future__ import annotations

import pytest

from services.members.profiles import store as profiles_store

DOCS = [
    {"_id": "a3", "sort_name": "ivanova maria", "graduation_year": 2001},
    {"_id": "a1", "sort_name": "ivanova maria", "graduation_year": 2001},
    {"_id": "a2", "sort_name": "ivanova maria"},                      # year hidden: missing
    {"_id": "b1", "sort_name": "ivanov ivan", "graduation_year": None},
    {"_id": "b2", "sort_name": "", "graduation_year": 1999},
    {"_id": "b3", "sort_name": "zhechev shteryu", "graduation_year": 2001},
    {"_id": "b0", "sort_name": "ivanova", "graduation_year": 2026},
]


@pytest.mark.parametrize("sort", sorted(profiles_store.SORTS))
def test_the_api_orders_matches_as_the_store_sorts_them(db, sort):
    db.order_probe.insert_many([dict(d) for d in DOCS])
    stored = [d["_id"] for d in db.order_probe.find({}, {"_id": 1}).sort(profiles_store.SORTS[sort])]
    assert [d["_id"] for d in profiles_store.sorted_like_store([dict(d) for d in DOCS], sort)] == stored
