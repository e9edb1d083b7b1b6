"""The export answer every service shares (``shared/web/export.py``): stored documents as
plain JSON, a file named after the service and a member id that cannot break the header, and a
404 problem for a member the service has forgotten."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from bson import ObjectId
from flask import Flask

from shared.web import export
from shared.web.problems import Problem


def test_stored_documents_become_plain_json():
    moment = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)
    oid = ObjectId("0123456789abcdef01234567")
    assert export.jsonable({"_id": "m-1", "at": moment, "list": [oid, b"\x01\xff"], "n": 2}) == {
        "id": "m-1", "at": "2026-12-06T09:30:00+00:00", "list": ["0123456789abcdef01234567", "01ff"], "n": 2}


def test_a_read_models_bookkeeping_is_left_out():
    entry = {"_id": "m-1", "given_name": "Мария", "field_times": {"given_name": 1}, "tokens": ["maria"],
             "sort_name": "maria"}
    assert export.read_model_entry(entry) == {"_id": "m-1", "given_name": "Мария"}
    assert export.read_model_entry(None) is None


def test_the_download_names_the_file_after_the_service_and_a_safe_member_id():
    with Flask(__name__).app_context():
        body, status, headers = export.download("events", 'm-1"\r\nX: y', {"registrations": []})
    assert status == 200 and body["service"] == "events" and body["registrations"] == []
    assert headers["Content-Disposition"] == 'attachment; filename="alumnet-events-m-1___X__y.json"'


def test_a_forgotten_member_is_a_404_problem():
    with pytest.raises(Problem) as raised:
        export.download("awards", "m-1", None)
    assert raised.value.code == 404
