"""The console's front page: a link to every page of the office, and charts of members,
events and emails from the three statistics routes (admins only).

Each statistics route is asked once; when one fails (refused, or its service down) its
charts give way to a note and the rest of the page still works.
"""
from __future__ import annotations

import logging

from flask import g, render_template, url_for
from flask_babel import lazy_gettext
from werkzeug.routing import BuildError

from frontends.portal.auth import with_role
from frontends.portal.console_dashboard import blp, charts
from frontends.portal.gateway import ApiDown, ApiProblem, api

log = logging.getLogger("alumnet.portal")

# (endpoint, the path if that area names it otherwise, words): the console's pages.
PAGES = (
    ("console_members.roster", "/office/roster", lazy_gettext("Roster import")),
    ("console_members.approvals", "/office/approvals", lazy_gettext("Approval queue")),
    ("console_members.segments", "/office/segments", lazy_gettext("Segments")),
    ("console_events.index", "/office/events", lazy_gettext("Events")),
    ("console_events.today_page", "/office/events/today", lazy_gettext("Check-in at the door")),
    ("console_messages.announcements", "/office/announcements", lazy_gettext("Announcements")),
    ("console_messages.deliveries", "/office/deliveries", lazy_gettext("Delivery log")),
    ("console_surveys.index", "/office/surveys", lazy_gettext("Surveys")),
    ("console_mentoring.index", "/office/mentoring", lazy_gettext("Mentoring programme")),
    ("console_awards.index", "/office/awards", lazy_gettext("Alumni awards")),
    ("console_causes.index", "/office/causes", lazy_gettext("Causes")),
    ("console_ambassadors.index", "/office/ambassadors", lazy_gettext("Ambassador programme")),
    ("console_ambassadors.report", "/office/ambassadors/report", lazy_gettext("Ambassadors' report")),
)
STATS = {"members": "/api/v1/members/stats", "events": "/api/v1/events/stats",
         "notifications": "/api/v1/notifications/stats"}


def _href(endpoint: str, path: str) -> str:
    try:
        return url_for(endpoint)
    except BuildError:
        return path


def _stats(name: str) -> dict | None:
    """One statistics route's answer, or None when it cannot be had now."""
    try:
        return api().get(STATS[name])
    except (ApiProblem, ApiDown) as exc:
        log.warning("dashboard statistics unavailable", extra={"stats": name, "error": str(exc)})
        return None


@blp.route("/office")
@with_role("admin")
def index():
    members, events, notifications = _stats("members"), _stats("events"), _stats("notifications")
    sections = [
        ("members", members is not None and [charts.members_by_class(members), charts.members_by_faculty(members),
                                             charts.verification_funnel(members)]),
        ("events", events is not None and [charts.event_fill(events, g.get("locale", "en"))]),
        ("notifications", notifications is not None and [charts.email_outcomes(notifications)]),
    ]
    return render_template("console_dashboard/index.html", sections=sections,
                           pages=[(_href(endpoint, path), words) for endpoint, path, words in PAGES])
