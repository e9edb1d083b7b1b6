"""The delivery log: every email and SMS the platform queued, newest first, with its status
and the reason it was skipped or failed; filtered by member, status, channel, template,
announcement and the days it was queued (Sofia days, the office's), page by page.

The filters are a GET form, so a filtered page is a link the office can share.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.auth import with_role
from frontends.portal.console_messages import blp, labels
from frontends.portal.console_messages.views import CHECK_FIELDS, page_number, status_of
from frontends.portal.gateway import ApiProblem, api

DELIVERIES = "/api/v1/notifications/deliveries"
PER_PAGE = 50
OFFICE_ZONE = ZoneInfo("Europe/Sofia")
FILTERS = ("member", "status", "channel", "template", "announcement", "since", "until")
# The API's query names -> the form's.
RENAMES = {"recipient": "member", "announcement_id": "announcement", "page": "page"}
LOG_PROBLEMS = {"forbidden": lazy_gettext("Only the alumni office may read the delivery log.")}


def _day(value: str, field: str, errors: dict) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = [_("Enter a date as YYYY-MM-DD, e.g. 2026-03-01.")]
        return None


def query_of(args) -> tuple[dict, dict[str, list[str]]]:
    """The API's query from the filters form, and what is wrong with it before asking."""
    errors: dict[str, list[str]] = {}
    query: dict = {"per_page": PER_PAGE, "page": page_number(args)}
    for form_name, api_name in (("member", "recipient"), ("status", "status"), ("channel", "channel"),
                                ("template", "template"), ("announcement", "announcement_id")):
        value = args.get(form_name, "").strip()
        if value:
            query[api_name] = value
    since, until = _day(args.get("since", ""), "since", errors), _day(args.get("until", ""), "until", errors)
    if since and until and until < since:
        errors["until"] = [_("The last day must not be before the first.")]
    if since:
        query["since"] = datetime.combine(since, time.min, OFFICE_ZONE).isoformat()
    if until:  # the whole last day: queued before the next day starts
        query["until"] = datetime.combine(until + timedelta(days=1), time.min, OFFICE_ZONE).isoformat()
    return query, errors


@blp.route("/office/deliveries")
@with_role("admin")
def deliveries():
    query, errors = query_of(request.args)
    found, message, status = None, None, 200
    if errors:
        message, status = str(CHECK_FIELDS), 400
    else:
        try:
            found = api().get(DELIVERIES, params=query)
        except ApiProblem as problem:
            message, errors = problems.summary(problem, LOG_PROBLEMS), problems.field_errors(problem, RENAMES)
            status = status_of(problem)
    form = {name: request.args.get(name, "") for name in FILTERS}
    total = int((found or {}).get("total") or 0)
    return render_template("console_messages/deliveries.html", form=form, errors=errors, message=message,
                           found=found, page=query["page"], has_next=query["page"] * PER_PAGE < total,
                           total=total, statuses=labels.STATUSES, channels=labels.CHANNELS,
                           filtered=any(form.values())), status
