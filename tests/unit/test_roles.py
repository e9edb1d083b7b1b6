"""Roles across every service's HTTP routes (the real apps on the session's local store).

Only ``admin`` grants an admin-only route: every route that refuses an alumnus (403) refuses
a student, a judge and staff too, except the door of events (check-in and attendee lists),
which staff run, the judging of awards, which judges alone do (not even the office:
``JUDGING``), and routes that refuse a caller for who they are rather than for a role: a
mentee's, which refuse alumni for being no student or recent graduate, and some of the
ambassadors' (``ELIGIBILITY``). The routes are discovered from each app, so a route added later is checked
without a test naming it; the refusal comes before the route reads its path or body.
"""
from __future__ import annotations

import pytest

from services.awards.app import create_app as awards_app
from services.events.app import create_app as events_app
from services.members.app import create_app as members_app
from services.notifications.app import create_app as notifications_app
from tests.routes import api_routes, fill
from tests.support import bearer

# What staff may do that an alumnus may not: the door of an event.
DOOR = {("POST", "/api/v1/events/<event_id>/check-ins"), ("GET", "/api/v1/events/<event_id>/attendance.csv"),
        ("GET", "/api/v1/events/<event_id>/registrations")}
# Refused to an alumnus for who they are, not for their role: asking for a mentor is for
# students and recent graduates (services/members/mentoring/rules.py, mentee_refusal), whatever
# their roles; the authorisation matrix plays these on real members.
ELIGIBILITY = {("GET", "/api/v1/members/me/mentoring/recommendations"),
               ("POST", "/api/v1/members/me/mentoring/requests"),
               # Applying to be an ambassador needs a verified member record (alumnus or student),
               # which no role grants; the finder's confirmation refuses a bad link whoever calls;
               # answering a contact is the ambassador's alone, not the office's.
               ("POST", "/api/v1/members/ambassadors/applications"),
               ("POST", "/api/v1/members/ambassadors/questions/<question_id>/confirm"),
               ("POST", "/api/v1/members/ambassadors/<member_id>/contacts/<contact_id>/reply"),
               ("POST", "/api/v1/members/ambassadors/<member_id>/contacts/<contact_id>/log")}
# What judges do and nobody else, the office included: score award nominations, blind.
JUDGING = {("GET", "/api/v1/awards/cycles/<cycle_id>/judging"),
           ("PUT", "/api/v1/awards/cycles/<cycle_id>/judging/<ballot_id>"),
           ("POST", "/api/v1/awards/cycles/<cycle_id>/judging/<ballot_id>/conflict")}
# What a path variable is filled with: any id is fine, the role is refused first.
FILLERS = {"fmt": "png"}
ANY_ID = "0" * 32


def routes(app) -> list[tuple[str, str, str]]:
    """(method, rule, url) of every API route of ``app``."""
    return [(method, rule, fill(rule, FILLERS, default=ANY_ID)) for method, rule in api_routes(app)]


@pytest.mark.parametrize("create_app", [members_app, events_app, notifications_app, awards_app],
                         ids=["members", "events", "notifications", "awards"])
def test_only_admins_pass_admin_only_routes_and_staff_only_the_events_door(make_config, issue_token, create_app):
    client = create_app(make_config(AMQP_URL="memory://")).test_client()

    def status(method: str, url: str, role: str) -> int:
        return client.open(url, method=method, json={}, headers=bearer(issue_token("1" * 32, role))).status_code

    admin_only = [(method, rule, url) for method, rule, url in routes(client.application)
                  if status(method, url, "alumnus") == 403 and (method, rule) not in ELIGIBILITY]
    for method, rule, url in admin_only:
        if (method, rule) in JUDGING:
            assert status(method, url, "judge") != 403, (method, rule)
            assert all(status(method, url, role) == 403 for role in ("admin", "student", "staff")), (method, rule)
            continue
        assert status(method, url, "admin") != 403, (method, rule)
        for role in ("student", "judge", "staff"):
            if role == "staff" and (method, rule) in DOOR:
                assert status(method, url, role) != 403, (method, rule)
            else:
                assert status(method, url, role) == 403, (role, method, rule)
    if create_app is events_app:
        assert DOOR <= {(method, rule) for method, rule, _ in admin_only}
    if create_app is awards_app:
        assert JUDGING <= {(method, rule) for method, rule, _ in admin_only}
