"""Schemathesis fuzzes every route of the members OpenAPI document in-process: whatever it
generates from the document (valid and invalid bodies, queries, path values), sent as an
admin (the widest access), the members api never answers 5xx."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES_PER_ROUTE = 30


def test_no_generated_request_makes_any_members_route_fail(app, admin_headers):
    api = schemathesis.openapi.from_wsgi("/api/v1/members/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 25  # every route is in the document
    failures = []
    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
        try:
            fuzz()
        except Exception as error:  # report every failing route, not only the first
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
