"""The office's dashboard: links to every console page, and charts from the three
statistics routes drawn as SVG images (no script, no inline style in the page), each with
its figures as a table; a statistics route that fails costs only its own charts."""
from __future__ import annotations

import base64
import re

import pytest

from frontends.portal.app import CSP
from tests.unit.portal.conftest import log_in

MEMBERS, EVENTS, NOTIFICATIONS = "/api/v1/members/stats", "/api/v1/events/stats", "/api/v1/notifications/stats"
STATUSES = ("queued", "sending", "sent", "failed", "unknown", "skipped", "held", "digested")


def counts(**given) -> dict:
    return {status: given.get(status, 0) for status in STATUSES}


MEMBER_STATS = {
    "verified_members": 1300,
    "by_graduation_year": [{"graduation_year": 1987, "count": 250}, {"graduation_year": 2005, "count": 1049},
                           {"graduation_year": None, "count": 1}],
    "by_faculty": [{"faculty": "dental_medicine", "count": 300}, {"faculty": "pharmacy", "count": 999},
                   {"faculty": None, "count": 1}],
    "by_class_and_faculty": [],
    "funnel": {"signed_up": 2000, "email_confirmed": 1700, "verified": 1300, "pending_verification": 500,
               "awaiting_email": 300, "awaiting_office": 200, "rejected": 200},
}
EVENT_STATS = {"starts_from": "2026-01-01", "starts_to": None, "more": False, "events": [
    {"id": "e-1", "title": {"bg": "Бал на випуск 2005", "en": "Class of 2005 ball"}, "kind": "reunion",
     "starts_at": "2026-02-01T18:00:00+02:00", "ends_at": "2026-02-01T23:00:00+02:00", "timezone": "Europe/Sofia",
     "past": True, "capacity": 200, "seats_taken": 150, "confirmed_registrations": 100, "waitlist_length": 0,
     "waitlisted_people": 0, "checked_in": 90, "checked_in_people": 120, "fill": 0.75, "attendance": 0.8},
    {"id": "e-2", "title": {"bg": "Лекция", "en": "Lecture"}, "kind": "lecture",
     "starts_at": "2026-05-01T18:00:00+03:00", "ends_at": "2026-05-01T20:00:00+03:00", "timezone": "Europe/Sofia",
     "past": False, "capacity": None, "seats_taken": 0, "confirmed_registrations": 0, "waitlist_length": 3,
     "waitlisted_people": 4, "checked_in": 0, "checked_in_people": 0, "fill": None, "attendance": None}]}
NOTIFICATION_STATS = {
    "days": 2, "timezone": "Europe/Sofia", "since": "2026-03-01T00:00:00+02:00", "until": "2026-03-02T12:00:00+02:00",
    "totals": [{"channel": "email", "total": 4321, "counts": counts(sent=4000, failed=21, skipped=300)},
               {"channel": "sms", "total": 7, "counts": counts(sent=7)}],
    "per_day": [{"day": "2026-03-01", "channel": "email", "counts": counts(sent=3000, failed=20, skipped=300)},
                {"day": "2026-03-01", "channel": "sms", "counts": counts(sent=7)},
                {"day": "2026-03-02", "channel": "email", "counts": counts(sent=1000, failed=1)},
                {"day": "2026-03-02", "channel": "sms", "counts": counts()}]}


@pytest.fixture
def stats(gateway):
    gateway.on("GET", MEMBERS, 200, MEMBER_STATS)
    gateway.on("GET", EVENTS, 200, EVENT_STATS)
    gateway.on("GET", NOTIFICATIONS, 200, NOTIFICATION_STATS)


def page(response) -> str:
    return response.get_data(as_text=True)


def figure(html: str, key: str) -> str:
    match = re.search(rf'<figure class="chart" id="chart-{key}">(.*?)</figure>', html, re.S)
    assert match, f"no chart {key}"
    return match.group(1)


def svg_of(html: str, key: str) -> str:
    """The SVG image of the chart ``key``, decoded from its data URI."""
    src = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', figure(html, key)).group(1)
    return base64.b64decode(src).decode()


def test_signed_out_visitors_are_sent_to_log_in(client, gateway):
    response = client.get("/office")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("roles", [("alumnus",), ("staff",)])
def test_members_and_staff_are_refused_without_asking_for_statistics(client, gateway, roles):
    log_in(client, gateway, roles=roles)
    assert client.get("/office").status_code == 403
    assert [c for c in gateway.calls if c.path.endswith("/stats")] == []


def test_the_dashboard_links_to_every_page_of_the_office(admin, gateway, stats):
    html = page(admin.get("/office"))
    nav = re.search(r'<nav aria-labelledby="console-pages">(.*?)</nav>', html, re.S).group(1)
    for href, words in (("/office/roster", "Roster import"), ("/office/approvals", "Approval queue"),
                        ("/office/segments", "Segments"), ("/office/events", "Events"),
                        ("/office/events/today", "Check-in at the door"),
                        ("/office/announcements", "Announcements"), ("/office/deliveries", "Delivery log")):
        assert f'<a href="{href}">{words}</a>' in nav


def test_each_chart_is_an_svg_image_drawn_by_pygal_with_its_title_and_no_script(admin, gateway, stats):
    response = admin.get("/office")
    html = page(response)
    assert response.status_code == 200
    for key, title in (("classes", "Verified members by class"), ("faculties", "Verified members by faculty"),
                       ("funnel", "Verification funnel"), ("events", "Event fill and attendance"),
                       ("email", "Email outcomes, last 2 days")):
        svg = svg_of(html, key)
        assert svg.startswith("<svg") and "pygal" in svg and f"<title>{title}</title>" in svg
        assert "<script" not in svg and "<?xml" not in svg
        assert f'alt="{title}"' in figure(html, key)
    # The page itself keeps the policy: no inline style or script of its own.
    assert "<style" not in html and "style=" not in html and "<script>" not in html
    assert response.headers["Content-Security-Policy"] == CSP


def test_the_charts_draw_the_figures_the_apis_gave(admin, gateway, stats):
    html = page(admin.get("/office"))
    classes = svg_of(html, "classes")
    assert ">1987<" in classes and ">2005<" in classes and ">not given<" in classes
    assert ">Faculty of Pharmacy<" in svg_of(html, "faculties")
    funnel = svg_of(html, "funnel")
    assert ">Members who signed up<" in funnel and ">Pending: awaiting the office<" in funnel
    events = svg_of(html, "events")
    assert ">Class of 2005 ball<" in events and "Fill (seats taken of capacity)" in events
    email = svg_of(html, "email")
    assert ">Sent<" in email and ">Failed<" in email and ">Skipped<" in email
    assert ">Held for digests<" not in email  # a status nothing is in stays out of the legend


def test_every_chart_has_its_figures_as_a_table_in_details(admin, gateway, stats):
    html = page(admin.get("/office"))
    classes = figure(html, "classes")
    assert "<details>" in classes and '<th scope="row">2005</th><td>1,049</td>' in classes
    assert "1,300 verified members in 3 classes; the largest: 2005." in classes
    assert '<th scope="row">Faculty of Pharmacy</th><td>999</td>' in figure(html, "faculties")
    funnel = figure(html, "funnel")
    assert '<th scope="row">Address confirmed</th><td>1,700</td>' in funnel
    assert "Of 2,000 who signed up, 1,700 confirmed their address and 1,300 were verified; 200 await the office." in funnel
    events = figure(html, "events")
    assert '<th scope="row">Class of 2005 ball</th>' in events and "<td>75%</td>" in events and "<td>80%</td>" in events
    assert '<th scope="row">Lecture</th>' in events and "<td>unlimited</td>" in events and "<td>4</td>" in events
    email = figure(html, "email")
    assert '<th scope="row">Sent</th><td>4,000</td><td>7</td>' in email
    assert '<th scope="row">Total</th><td>4,321</td><td>7</td>' in email
    assert "4,000 emails sent, 21 failed, 4,321 in all." in email


@pytest.mark.parametrize("broken, gone, kept", [
    (MEMBERS, ("classes", "faculties", "funnel"), ("events", "email")),
    (EVENTS, ("events",), ("classes", "funnel", "email")),
    (NOTIFICATIONS, ("email",), ("classes", "events")),
])
@pytest.mark.parametrize("status", [403, 404, 429])
def test_a_statistics_route_that_refuses_costs_only_its_own_charts(admin, gateway, stats, broken, gone, kept, status):
    gateway.problem("GET", broken, status, "forbidden" if status == 403 else "not-found")
    response = admin.get("/office")
    html = page(response)
    assert response.status_code == 200
    for key in gone:
        assert f'id="chart-{key}"' not in html
    for key in kept:
        assert svg_of(html, key).startswith("<svg")
    assert "cannot be shown right now" in html and html.count('class="notice error"') == 1


def test_a_statistics_service_that_is_down_costs_only_its_own_charts(admin, gateway, stats):
    gateway.on("GET", EVENTS, 503, {"type": "about:blank", "status": 503})
    html = page(admin.get("/office"))
    assert 'id="unavailable-events"' in html and 'id="chart-events"' not in html
    assert svg_of(html, "classes").startswith("<svg") and svg_of(html, "email").startswith("<svg")


def test_with_the_whole_gateway_down_the_page_still_links_to_the_office(admin, gateway):
    gateway.down = True
    response = admin.get("/office")
    html = page(response)
    assert response.status_code == 200 and html.count('class="notice error"') == 3
    assert '<a href="/office/announcements">Announcements</a>' in html


def test_a_list_of_events_cut_by_the_apis_limit_says_so(admin, gateway, stats):
    assert "More events start in this period" not in page(admin.get("/office"))
    gateway.on("GET", EVENTS, 200, {**EVENT_STATS, "more": True})
    assert "More events start in this period than are shown here." in figure(page(admin.get("/office")), "events")


def test_empty_statistics_draw_empty_charts_without_failing(admin, gateway):
    gateway.on("GET", MEMBERS, 200, {"verified_members": 0, "by_graduation_year": [], "by_faculty": [],
                                     "by_class_and_faculty": [], "funnel": {}})
    gateway.on("GET", EVENTS, 200, {"starts_from": "2026-01-01", "starts_to": None, "more": False, "events": []})
    gateway.on("GET", NOTIFICATIONS, 200, {"days": 30, "timezone": "Europe/Sofia", "since": "2026-03-01T00:00:00+02:00",
                                           "until": "2026-03-30T00:00:00+02:00", "totals": [], "per_day": []})
    response = admin.get("/office")
    html = page(response)
    assert response.status_code == 200 and "No data yet" in svg_of(html, "classes")
    assert "No data yet" in figure(html, "events")


def test_the_dashboard_in_bulgarian(admin, gateway, stats):
    admin.get("/language/bg")
    html = page(admin.get("/office"))
    assert '<html lang="bg">' in html and "Verified members by class" not in html
    assert ">Фармацевтичен факултет<" in svg_of(html, "faculties")
    assert ">Бал на випуск 2005<" in svg_of(html, "events")
    assert '<th scope="row">2005</th><td>1\xa0049</td>' in figure(html, "classes")  # grouped the Bulgarian way
