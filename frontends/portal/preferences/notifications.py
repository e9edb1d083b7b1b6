"""``/me/notifications``: how the member hears from the club.

Two forms on one page, as two APIs keep them: the notifications API's preferences (a channel
per category, SMS quiet hours, time zone, digest hour; ``PUT`` replaces them all) and the
members API's consents (may we send news, events... by email, by SMS), where each change is
one more entry of the ledger (``POST``, source ``profile_page``); only the boxes that changed
are sent. The ledger itself is ``/me/notifications/history``.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import available_timezones

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _

from frontends.portal import problems
from frontends.portal.auth import signed_in, viewer
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.preferences import blp, words

PREFERENCES = "/api/v1/notifications/preferences/me"
HISTORY_PER_PAGE = 20
ZONES = sorted(available_timezones())


def _consents_path() -> str:
    return f"/api/v1/members/{viewer().member_id}/consents"


def when(value: str | None) -> str:
    """An API time (ISO 8601) in the member's language and Sofia time."""
    if not value:
        return ""
    try:
        return format_datetime(datetime.fromisoformat(value), "medium")
    except ValueError:
        return value


def _typed_preferences() -> dict:
    """The preferences form as typed, in the notifications API's shape (sent as typed: the API
    checks it and names what is wrong)."""
    channels = {category: request.form.get(f"channels.{category}", "email") for category in words.CATEGORIES}
    quiet = None
    if request.form.get("quiet") == "on":
        quiet = {"start": request.form.get("quiet_hours.start", "").strip(),
                 "end": request.form.get("quiet_hours.end", "").strip()}
    hour = request.form.get("digest_hour", "").strip()
    return {"channels": channels, "quiet_hours": quiet, "timezone": request.form.get("timezone", "").strip(),
            "digest_hour": int(hour) if hour.isdigit() else hour}


def _preference_errors(problem: ApiProblem) -> dict[str, list[str]]:
    """The API names a category's bad choice ``channels.<category>.value`` (a dict's value): the
    form's field is ``channels.<category>``."""
    errors = {}
    for name, messages in problems.field_errors(problem).items():
        parts = name.split(".")
        if parts[0] == "channels" and len(parts) == 3:
            name = ".".join(parts[:2])
        errors.setdefault(name, []).extend(messages)
    return errors


def _options(category: str) -> list[tuple[str, str]]:
    codes = words.ACCOUNT_CHOICES if category == "account" else tuple(words.CHOICES)
    return [(code, words.name(words.CHOICES, code)) for code in codes]


def _page(preferences: dict | None = None, errors: dict | None = None, message: str | None = None,
          consent_message: str | None = None, status: int = 200):
    if preferences is None:
        preferences = api().get(PREFERENCES)
    consents = api().get(_consents_path()).get("consents", [])
    granted = {(row["channel"], row["category"]): row for row in consents}
    return render_template(
        "preferences/notifications.html", preferences=preferences, errors=errors or {}, message=message,
        consent_message=consent_message, granted=granted, words=words, zones=ZONES, when=when,
        options=_options, hours=[(hour, f"{hour:02d}:00") for hour in range(24)],
    ), status


@blp.get("/me/notifications")
@signed_in
def preferences():
    return _page()


@blp.post("/me/notifications")
@signed_in
def save_preferences():
    typed = _typed_preferences()
    try:
        api().put(PREFERENCES, typed)
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            raise
        return _page(typed, _preference_errors(problem), problems.summary(problem),
                     status=400)
    flash(_("Your notification preferences are saved."), "success")
    return redirect(url_for("preferences.preferences"))


@blp.post("/me/notifications/consents")
@signed_in
def save_consents():
    current = api().get(_consents_path()).get("consents", [])
    changes = [{"channel": row["channel"], "category": row["category"], "granted": wanted, "source": "profile_page"}
               for row in current
               if (wanted := request.form.get(f"consent.{row['channel']}.{row['category']}") == "on")
               != bool(row["granted"])]
    try:
        for change in changes:
            api().post(_consents_path(), change)
    except ApiProblem as problem:
        if problem.status not in (400, 422, 429):
            raise
        return _page(consent_message=problems.summary(problem), status=400 if problem.status != 429 else 429)
    if changes:
        flash(_("Your choices are saved. Thank you for letting us know."), "success")
    else:
        flash(_("Nothing was changed."), "success")
    return redirect(url_for("preferences.preferences") + "#consents")


@blp.get("/me/notifications/history")
@signed_in
def consent_history():
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(404)
    history = api().get(f"{_consents_path()}/history", params={"page": int(page), "per_page": HISTORY_PER_PAGE})
    has_next = history["page"] * history["per_page"] < history["total"]
    return render_template("preferences/history.html", history=history, page=int(page), has_next=has_next,
                           words=words, when=when)
