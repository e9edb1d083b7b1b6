"""The office's announcements: the list with each one's progress, writing a new one in
Bulgarian and English for an audience, its page with live progress, and stopping it.

All of it is the notifications API's ``/announcements`` routes (admins only); the segments
to choose from come from the members API. A new announcement carries an Idempotency-Key
made when its form was drawn, so a double click or a resent form sends it once.
"""
from __future__ import annotations

import functools
import re
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.auth import viewer, with_role
from frontends.portal.console_messages import blp, labels, progress
from frontends.portal.gateway import ApiProblem, SignedOut, api

ANNOUNCEMENTS = "/api/v1/notifications/announcements"
ANNOUNCEMENT_ID = re.compile(r"[0-9A-Za-z_-]{1,80}")
PER_PAGE = 20
# The API's field names -> the form's.
RENAMES = {"subject.bg": "subject_bg", "subject.en": "subject_en", "body.bg": "body_bg", "body.en": "body_en",
           "audience.kind": "audience", "audience.year_from": "graduation_year",
           "audience.year_to": "graduation_year", "audience.faculty": "faculty",
           "audience.segment_id": "segment_id", "channels.0": "sms", "channels": "sms"}
CHECK_FIELDS = lazy_gettext("Please correct the fields marked below.")
NEW_PROBLEMS = {
    # The same drawn form sent twice: the first is still being accepted.
    "idempotency-in-progress": lazy_gettext("This announcement is already being sent. Look for it in the list."),
    # The same drawn form sent again with other words (the browser's back button): nothing was sent.
    "idempotency-mismatch": lazy_gettext("This form was already sent with other contents, so nothing was sent "
                                         "now. Check the list of announcements; the form below can be sent "
                                         "as a new one."),
}
AUDIENCES = (("all", lazy_gettext("Everyone")), ("graduation_years", lazy_gettext("A class")),
             ("faculty", lazy_gettext("A faculty")), ("segment", lazy_gettext("A members segment")))


def status_of(problem: ApiProblem) -> int:
    """The status a form page re-drawn after ``problem`` answers with."""
    return problem.status if problem.status in (403, 404, 409, 429) else 400


def page_number(args) -> int:
    """The page asked for in the query (``?page=``), 1 when it is not a number."""
    try:
        return max(1, int(args.get("page", "1")))
    except ValueError:
        return 1


@blp.route("/office/announcements")
@with_role("admin")
def announcements():
    page = page_number(request.args)
    listed = api().get(ANNOUNCEMENTS, params={"page": page, "per_page": PER_PAGE})
    items = [{**item, "shown": progress.of(item)} for item in listed.get("items", [])]
    return render_template("console_messages/announcements.html", items=items, page=page,
                           has_next=page * PER_PAGE < int(listed.get("total") or 0))


def _segment_options() -> list[tuple[str, str]] | None:
    """The saved segments to choose from (the first hundred, by name: the API's page limit),
    each with how many verified members it matches now; None when they cannot be listed now
    (the rest of the form still works)."""
    try:
        saved = api().get("/api/v1/members/segments", params={"page": 1, "per_page": 100}).get("items", [])
    except ApiProblem:
        return None
    if not saved:
        return []
    return [("", _("Choose a segment"))] + [
        (s["id"], f"{s.get('name', '')} ({labels.number(s.get('count'))})") for s in saved]


def _body(form) -> tuple[dict, dict[str, list[str]]]:
    """The API's request from the form, and what is wrong before asking the API."""
    errors: dict[str, list[str]] = {}
    kind = form.get("audience", "all")
    audience: dict = {"kind": kind}
    if kind == "graduation_years":
        year = form.get("graduation_year", "").strip()
        if not year.isdigit():
            errors["graduation_year"] = [_("Enter the year of the class, e.g. 2005.")]
        else:
            audience.update(year_from=int(year), year_to=int(year))
    elif kind == "faculty":
        audience["faculty"] = form.get("faculty") or None
    elif kind == "segment":
        audience["segment_id"] = form.get("segment_id") or None
    body = {
        "subject": {"bg": form.get("subject_bg", "").strip(), "en": form.get("subject_en", "").strip()},
        "body": {"bg": form.get("body_bg", "").strip(), "en": form.get("body_en", "").strip()},
        "audience": audience,
        "category": form.get("category", "news"),
        "channels": ["email", "sms"] if form.get("sms") else ["email"],
    }
    return body, errors


@blp.route("/office/announcements/new", methods=["GET", "POST"])
@with_role("admin")
def new():
    form = request.form if request.method == "POST" else {"audience": "all", "category": "news"}
    errors, message, status = {}, None, 200
    if request.method == "POST":
        body, errors = _body(request.form)
        if errors:
            message, status = str(CHECK_FIELDS), 400
        else:
            try:
                sent = api().post(ANNOUNCEMENTS, body, headers={"Idempotency-Key": request.form.get("key", "")[:255]
                                                                or uuid.uuid4().hex})
            except ApiProblem as problem:
                message, status = problems.summary(problem, NEW_PROBLEMS), status_of(problem)
                if problem.kind not in NEW_PROBLEMS:  # those name the key, no field of the form
                    errors = problems.field_errors(problem, RENAMES)
            else:
                flash(_("The announcement is on its way. Its progress is shown below."), "success")
                return redirect(url_for("console_messages.announcement", announcement_id=sent["id"]))
    # A fresh key each time the form is drawn: a corrected form is another request.
    return render_template("console_messages/new.html", form=form, errors=errors, message=message,
                           key=uuid.uuid4().hex, segments=_segment_options(), audiences=AUDIENCES,
                           faculties=[("", _("Choose a faculty")), *labels.FACULTIES.items()],
                           categories=list(labels.CATEGORIES.items())), status


def _checked(announcement_id: str) -> str:
    """An id as the API makes them (hex), so nothing else is pasted into the API's path."""
    if not ANNOUNCEMENT_ID.fullmatch(announcement_id):
        abort(404)
    return announcement_id


def _announcement(announcement_id: str) -> dict:
    return api().get(f"{ANNOUNCEMENTS}/{_checked(announcement_id)}")


def _segment_names(announcement: dict) -> dict[str, str]:
    """The name of the announcement's segment, if it has one and it still exists."""
    segment_id = (announcement.get("audience") or {}).get("segment_id")
    if not segment_id:
        return {}
    try:
        return {segment_id: api().get(f"/api/v1/members/segments/{segment_id}").get("name", "")}
    except ApiProblem:
        return {}  # deleted since: the page still says it was a segment


@blp.route("/office/announcements/<announcement_id>")
@with_role("admin")
def announcement(announcement_id: str):
    shown = _announcement(announcement_id)
    return render_template("console_messages/announcement.html", a=shown, p=progress.of(shown),
                           audience=labels.audience(shown.get("audience"), _segment_names(shown)))


def _fetched(view):
    """A fragment the page's script asks for: a session that ended answers 401, not the
    login page (which the script would paste into the box); it keeps the last answer."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if request.headers.get("X-Requested-With") != "fetch":
            return view(*args, **kwargs)
        if viewer() is None:
            abort(401)
        try:
            return view(*args, **kwargs)
        except SignedOut:
            abort(401)
    return wrapped


@blp.route("/office/announcements/<announcement_id>/progress")
@_fetched
@with_role("admin")
def progress_fragment(announcement_id: str):
    """What the announcement's page refreshes every two seconds (a fragment, not a page)."""
    shown = _announcement(announcement_id)
    return render_template("console_messages/_progress.html", a=shown, p=progress.of(shown))


@blp.route("/office/announcements/<announcement_id>/cancel", methods=["GET", "POST"])
@with_role("admin")
def cancel(announcement_id: str):
    """GET asks to confirm (no script needed); POST stops it."""
    if request.method == "GET":
        shown = _announcement(announcement_id)
        return render_template("console_messages/cancel.html", a=shown, p=progress.of(shown))
    api().post(f"{ANNOUNCEMENTS}/{_checked(announcement_id)}/cancel")
    flash(_("The announcement is stopped. What was already sent stays sent."), "success")
    return redirect(url_for("console_messages.announcement", announcement_id=announcement_id))
