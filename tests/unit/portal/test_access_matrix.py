"""Plays tests/portal_access.py against the portal: every route has a row, and the portal's
own gate answers each kind of visitor as the row says, before it calls any API."""
from __future__ import annotations

import re

import pytest

from tests.portal_access import ACCESS, ADMIN, JUDGE, PUBLIC, SIGNED_IN, STAFF
from tests.unit.portal.conftest import log_in

CALLERS = {  # caller -> (roles, the rows it may pass)
    "anonymous": (None, {PUBLIC}),
    "member": (("alumnus",), {PUBLIC, SIGNED_IN}),
    "staff": (("staff",), {PUBLIC, SIGNED_IN, STAFF}),
    "judge": (("alumnus", "judge"), {PUBLIC, SIGNED_IN, JUDGE}),
    "admin": (("admin",), {PUBLIC, SIGNED_IN, STAFF, ADMIN, JUDGE}),
}


def portal_routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_portal_route_has_a_row(portal):
    routes = portal_routes(portal)
    assert sorted(routes - ACCESS.keys()) == [], "add these routes to tests/portal_access.py"
    assert sorted(ACCESS.keys() - routes) == [], "these rows name no route any more"


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "x1", re.sub(r"<int:[^>]+>", "1", rule))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method,rule", sorted(ACCESS))
def test_the_portal_gate_answers_as_its_row_says(portal, client, gateway, caller, method, rule):
    portal.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; this one is about the gate
    roles, passes = CALLERS[caller]
    if roles:
        log_in(client, gateway, member_id=f"{caller}-1", roles=roles)
    before = len(gateway.calls)
    response = client.open(_path(rule), method=method)
    gated_to_login = response.status_code == 302 and response.headers["Location"].startswith("/login?")
    if ACCESS[(method, rule)] in passes:
        assert not gated_to_login and response.status_code != 403 or gateway.calls[before:], (
            f"{caller} should reach {method} {rule}")
    else:
        expected = "login" if caller == "anonymous" else 403
        assert (gated_to_login if expected == "login" else response.status_code == 403), (
            f"{caller} should be refused at {method} {rule}, got {response.status_code}")
        assert gateway.calls[before:] == [], f"the portal called the API for {caller} at {method} {rule}"
