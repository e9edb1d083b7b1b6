"""Schemathesis fuzzes every route of the members OpenAPI document in-process: whatever it
generates from the document (valid and invalid bodies, queries, path values), sent as an
admin (the widest access), the members api never answers 5xx. (Its pytest plugin breaks on
pytest 9, so ``tests.support.fuzz_every_route`` drives it.)"""
from __future__ import annotations

from tests.support import fuzz_every_route


def test_no_generated_request_makes_any_members_route_fail(app, admin_headers):
    failures = fuzz_every_route(app, "/api/v1/members/openapi.json", admin_headers)
    assert not failures, "\n\n".join(failures)
