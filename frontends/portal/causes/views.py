"""A member's causes pages: the causes for me (by kind, open or all), a cause with its roles
and places left, joining a role (a collection's item with the quantity I bring), leaving, and
my place on a role's waitlist.

Joining carries an Idempotency-Key made when the page was rendered: a second click of "Join"
is answered with the first answer, not a second volunteering."""
from __future__ import annotations

import functools
import re
import uuid
from datetime import datetime, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.auth import signed_in
from frontends.portal.causes import blp, present
from frontends.portal.console_members.common import has_next, page_number
from frontends.portal.gateway import ApiProblem, api

CAUSES = "/api/v1/events/causes"
PER_PAGE = 20
# Cause and role ids reach the API's paths only if they look like ids.
ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# How a problem's status is answered by the page that shows it next to its form.
SHOWN_AS = (403, 404, 409, 422, 429)


def api_path(cause_id: str, rest: str = "") -> str:
    if not ID.match(cause_id):
        abort(404)
    return f"{CAUSES}/{cause_id}{rest}"


def now() -> datetime:
    return datetime.now(timezone.utc)


def not_for_you():
    return render_template("causes/not_found.html", sentence=present.not_found_sentence()), 404


def with_cause(view):
    """The view gets the cause (as the caller sees it) in place of its id; "not found or not
    for you" when the caller does not see it."""
    @functools.wraps(view)
    def wrapped(cause_id: str, **kwargs):
        try:
            cause = api().get(api_path(cause_id))
        except ApiProblem as problem:
            if problem.status in (403, 404):
                return not_for_you()
            raise
        return view(cause, **kwargs)
    return wrapped


def role_index(cause: dict, role_id: str) -> int:
    """The role's place in the cause (its form's field names); 404 for a role it has not."""
    for index, role in enumerate(cause.get("roles") or []):
        if role.get("role_id") == role_id:
            return index
    abort(404)


def show(cause: dict, *, message: str | None = None, errors: dict | None = None, typed: dict | None = None,
         status: int = 200):
    return render_template("causes/detail.html", cause=cause, mine=present.mine(cause), message=message,
                           errors=errors or {}, typed=typed or {}, open=present.joining_open(cause, now()),
                           keys=[uuid.uuid4().hex for _role in cause.get("roles") or []], present=present), status


@blp.route("/causes")
@signed_in
def index():
    """The causes for me (the API shows a member only those of their audience), open or closed."""
    kind = request.args.get("kind") if request.args.get("kind") in present.KINDS else ""
    show_closed = request.args.get("show") == "closed"
    page = page_number()
    query = {"status": "closed" if show_closed else "published", "page": page, "per_page": PER_PAGE,
             **({"kind": kind} if kind else {})}
    listing = api().get(CAUSES, params=query)
    return render_template("causes/index.html", causes=listing.get("items", []), total=listing.get("total", 0),
                           page=page, has_next=has_next(listing), kind=kind, kinds=present.KINDS,
                           show_closed=show_closed, present=present)


@blp.route("/causes/<cause_id>")
@signed_in
@with_cause
def detail(cause: dict):
    return show(cause)


def _quantity(typed: str) -> int | str | None:
    """A whole number as the API's JSON integer; anything else as typed, which the API refuses
    next to the field ("Not a valid integer.")."""
    return int(typed) if re.fullmatch(r"\d{1,6}", typed) else (typed or None)


@blp.post("/causes/<cause_id>/roles/<role_id>/join")
@signed_in
@with_cause
def join(cause: dict, role_id: str):
    index = role_index(cause, role_id)
    typed = {"index": index, "quantity": request.form.get(f"roles.{index}.quantity", "").strip(),
             "note": request.form.get(f"roles.{index}.note", "").strip()}
    body: dict = {}
    if cause.get("kind") == "collection":
        body["quantity"] = _quantity(typed["quantity"])
    if typed["note"]:
        body["note"] = typed["note"]
    key = (request.form.get("idempotency_key") or uuid.uuid4().hex)[:255]
    try:
        joined = api().post(api_path(present.cause_id(cause), f"/roles/{role_id}/volunteers"), body,
                            headers={"Idempotency-Key": key})
    except ApiProblem as problem:
        message, errors = present.join_problem(problem, index, cause)
        fresh = api().get(api_path(present.cause_id(cause)))
        return show(fresh, message=message, errors=errors, typed=typed,
                    status=problem.status if problem.status in SHOWN_AS else 400)
    if joined.get("status") == "waitlisted":
        flash(_("This role is full, so you are on its waitlist: number %(n)s. If a place frees up, volunteers "
                "move up in waitlist order and we email you.", n=joined.get("position")), "success")
    elif cause.get("kind") == "collection":
        flash(_("Thank you: your pledge is noted. We email you what to do next."), "success")
    else:
        flash(_("You have joined. We email you what you need to know."), "success")
    return redirect(url_for("causes.detail", cause_id=present.cause_id(cause)))


@blp.post("/causes/<cause_id>/roles/<role_id>/leave")
@signed_in
@with_cause
def leave(cause: dict, role_id: str):
    role_index(cause, role_id)
    was = present.mine(cause).get(role_id) or {}
    try:
        api().call("DELETE", api_path(present.cause_id(cause), f"/roles/{role_id}/volunteers/me"))
    except ApiProblem as problem:
        return show(api().get(api_path(present.cause_id(cause))), message=present.leave_problem(problem),
                    status=problem.status if problem.status in SHOWN_AS else 400)
    flash(_("You have left the waitlist.") if was.get("status") == "waitlisted" else
          _("You have left this role. Your place goes to the next person waiting."), "success")
    return redirect(url_for("causes.detail", cause_id=present.cause_id(cause)))
