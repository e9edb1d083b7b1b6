"""Schemathesis fuzzes every route of the events OpenAPI document in-process, as an admin:
no generated request makes the events api answer 5xx."""
from __future__ import annotations

from tests.support import fuzz_every_route


def test_no_generated_request_makes_any_events_route_fail(app, admin):
    failures = fuzz_every_route(app, "/api/v1/events/openapi.json", admin)
    assert not failures, "\n\n".join(failures)
