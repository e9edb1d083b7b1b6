"""The office's causes pages (admins): the list, the builder of a cause (new, and edit while
a draft; every change of its roles a server round trip), the cause's page with its roles,
progress and volunteers, publishing, closing, confirming the hours a volunteer gave, and a
campaign's progress.

A cause's owner who is no admin (a member the office named) runs it from the same pages: its
page, closing, hours and progress (``runs_cause``), as the causes API lets them; the list,
the builder and publishing stay the office's.

The portal checks nothing the causes API checks: it sends what was typed and shows the API's
problems beside the fields they name (``builder.error_places``)."""
from __future__ import annotations

import functools
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.auth import login_url, viewer, with_role
from frontends.portal.causes import present, wording
from frontends.portal.causes.views import ID
from frontends.portal.console_causes import blp, builder, labels
from frontends.portal.console_events.views import segment_name, segment_options
from frontends.portal.console_members.common import form_status, has_next, page_number
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.i18n import DEFAULT_TIMEZONE

CAUSES = "/api/v1/events/causes"
PER_PAGE = 20
VOLUNTEERS_PER_PAGE = 50
# The causes API's 409 kinds (services/events/causes/api.py CONFLICTS), per form.
SAVE_PROBLEMS = {
    "conflict": _l("This cause is no longer a draft: it cannot be changed."),
    "roles-fixed": _l("The roles of a published cause are fixed: its volunteers hold their places."),
    "cause-closed": _l("This cause is closed: it can no longer be changed."),
    "idempotency-in-progress": _l("This cause is being saved already. Look for it among the drafts in a moment."),
    "idempotency-mismatch": _l("This form has already created a cause. Open a new form to create another."),
}
PUBLISH_PROBLEMS = {"conflict": _l("Only a draft can be published."),
                    "cause-closed": _l("Only a draft can be published."),
                    "deadline-passed": _l("The deadline has passed: edit the draft and set a later one.")}
CLOSE_PROBLEMS = {"conflict": _l("This cause is closed already."), "cause-closed": _l("This cause is closed already."),
                  "not-published": _l("A draft cannot be closed: it was never published.")}
PROGRESS_PROBLEMS = {"conflict": _l("Only a published campaign's progress can be updated."),
                     "not-campaign": _l("Only a campaign's progress is set by hand; the others count their "
                                        "volunteers."),
                     "cause-closed": _l("This cause is closed: its progress stays as it was.")}
HOURS_PROBLEMS = {"hours-already-confirmed": _l("Hours for this volunteer on this day are confirmed already."),
                  "not-joined": _l("Only a volunteer who is in (not waiting, not gone) gets hours confirmed."),
                  "not-volunteering": _l("Hours are confirmed for volunteering calls only."),
                  "volunteer-erased": _l("This volunteer's data was erased.")}


def _path(cause_id: str, rest: str = "") -> str:
    if not ID.match(cause_id):
        abort(404)
    return f"{CAUSES}/{cause_id}{rest}"


def _cause(cause_id: str) -> dict:
    return api().get(_path(cause_id))


def runs_cause(view):
    """Admins, and the cause's owner: the causes API lets its owner see its volunteers, close
    it, confirm hours and set a campaign's progress, and checks that again on every call; the
    portal only keeps the page from other members (a 403 page, as ``with_role``'s)."""
    @functools.wraps(view)
    def wrapped(cause_id: str, **kwargs):
        who = viewer()
        if who is None:
            return redirect(login_url())
        if not who.is_admin and _cause(cause_id).get("owner_id") != who.member_id:
            abort(403)
        return view(cause_id, **kwargs)
    return wrapped


def cause_title(cause: dict) -> str:
    """The title in the page's language, else in the other one."""
    title = cause.get("title") or {}
    return title.get(g.get("locale", "bg")) or title.get("bg") or title.get("en") or ""


def volunteer_name(volunteer: dict) -> str:
    """The name the events member read model gives, as one string ("" after an erasure)."""
    return volunteer.get("name") or " ".join(
        p for p in (volunteer.get("given_name"), volunteer.get("family_name")) if p)


@blp.context_processor
def _helpers():
    return {"cause_title": cause_title, "causes_labels": labels, "present": present,
            "volunteer_name": volunteer_name}


# --- the list ----------------------------------------------------------------------------

@blp.get("/office/causes")
@with_role("admin")
def index():
    status = request.args.get("status", "")
    status = status if status in labels.STATUSES else ""
    kind = request.args.get("kind", "")
    kind = kind if kind in labels.KINDS else ""
    page = page_number()
    params = {"page": page, "per_page": PER_PAGE, **({"status": status} if status else {}),
              **({"kind": kind} if kind else {})}
    listing = api().get(CAUSES, params=params)
    return render_template("console_causes/index.html", causes=listing.get("items", []), status=status, kind=kind,
                           page=page, has_next=has_next(listing))


# --- the builder -------------------------------------------------------------------------

def _builder_page(model: dict, *, cause: dict | None, errors=None, message=None, status=200,
                  idempotency_key: str | None = None):
    return render_template("console_causes/builder.html", model=model, cause=cause, errors=errors or {},
                           message=message, segments=segment_options(), idempotency_key=idempotency_key), status


def _build(cause: dict | None):
    """The builder's POST: a button's change of the roles or the kind, or saving the draft."""
    model = builder.from_form(request.form)
    if cause is not None:  # a draft keeps its kind (the API's edit takes no kind)
        model["kind"] = cause.get("kind") or model["kind"]
    action = request.form.get("action", "save")
    key = request.form.get("idempotency_key") or None
    if action != "save":
        builder.apply(model, action)
        return _builder_page(model, cause=cause, idempotency_key=key)
    try:
        sent = builder.body(model)  # a time the clocks skip is refused here, as the API would
        if cause is None:
            saved = api().post(CAUSES, sent, headers={"Idempotency-Key": (key or uuid.uuid4().hex)[:255]})
        else:
            saved = api().patch(_path(present.cause_id(cause)), {k: v for k, v in sent.items() if k != "kind"})
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        errors = builder.error_places(wording.field_errors(problem))
        message = problems.summary(problem) if problem.errors else problems.summary(problem, SAVE_PROBLEMS)
        return _builder_page(model, cause=cause, errors=errors, message=message, status=form_status(problem),
                             idempotency_key=uuid.uuid4().hex if cause is None else None)
    flash(_("The cause is saved as a draft. Publish it when it is ready."), "success")
    return redirect(url_for("console_causes.cause", cause_id=present.cause_id(saved)))


@blp.route("/office/causes/new", methods=["GET", "POST"])
@with_role("admin")
def create():
    if request.method == "GET":
        return _builder_page(builder.blank(), cause=None, idempotency_key=uuid.uuid4().hex)
    return _build(None)


@blp.route("/office/causes/<cause_id>/edit", methods=["GET", "POST"])
@with_role("admin")
def edit(cause_id: str):
    shown = _cause(cause_id)
    if shown.get("status") != "draft":
        flash(_("This cause is no longer a draft: it cannot be changed."), "info")
        return redirect(url_for("console_causes.cause", cause_id=cause_id))
    if request.method == "GET":
        return _builder_page(builder.of_cause(shown), cause=shown)
    return _build(shown)


# --- one cause ---------------------------------------------------------------------------

def _cause_page(cause_id: str, *, errors=None, typed=None, message=None, status=200):
    """The cause's page with a page of its volunteers (joined, then waiting in queue order);
    ``typed``: a form the API refused (``{"form": "hours", "volunteer_id": ..., ...}``) shown
    again with its errors beside its fields."""
    shown = _cause(cause_id)
    page = page_number()
    listing = {}
    if shown.get("status") != "draft" and shown.get("roles"):
        listing = api().get(_path(cause_id, "/volunteers"), params={"page": page, "per_page": VOLUNTEERS_PER_PAGE})
    roles = {role.get("role_id"): role for role in shown.get("roles") or []}
    return render_template("console_causes/cause.html", cause=shown, volunteers=listing.get("items", []),
                           roles=roles, page=page, has_next=has_next(listing) if listing else False,
                           segment_name=segment_name(shown.get("audience")), errors=errors or {},
                           typed=typed or {}, message=message,
                           today=datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date().isoformat()), status  # the API's club day


@blp.get("/office/causes/<cause_id>")
@runs_cause
def cause(cause_id: str):
    return _cause_page(cause_id)


@blp.post("/office/causes/<cause_id>/publish")
@with_role("admin")
def publish(cause_id: str):
    try:
        api().post(_path(cause_id, "/publish"))
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        said = problems.summary(problem, PUBLISH_PROBLEMS)
        fields = builder.error_places(wording.field_errors(problem))
        flash(" ".join([said, *(m for ms in fields.values() for m in ms)]), "error")
        return redirect(url_for("console_causes.cause", cause_id=cause_id))
    flash(_("The cause is published: its audience can see it and join, and those who chose to hear about "
            "causes are told by email."), "success")
    return redirect(url_for("console_causes.cause", cause_id=cause_id))


@blp.route("/office/causes/<cause_id>/close", methods=["GET", "POST"])
@runs_cause
def close(cause_id: str):
    """A confirmation page first: closing ends joining, and those still waiting are told."""
    shown = _cause(cause_id)
    if shown.get("status") == "closed":
        flash(_("This cause is closed already."), "info")
        return redirect(url_for("console_causes.cause", cause_id=cause_id))
    message, status = None, 200
    if request.method == "POST":
        try:
            api().post(_path(cause_id, "/close"))
        except ApiProblem as problem:
            if problem.status in (403, 404):
                raise
            message, status = problems.summary(problem, CLOSE_PROBLEMS), form_status(problem)
        else:
            flash(_("The cause is closed. Those still on a waitlist are told."), "success")
            return redirect(url_for("console_causes.cause", cause_id=cause_id))
    return render_template("console_causes/close.html", cause=shown, message=message), status


@blp.post("/office/causes/<cause_id>/volunteers/<volunteer_id>/hours")
@runs_cause
def hours(cause_id: str, volunteer_id: str):
    if not ID.match(volunteer_id):
        abort(404)
    # Fields are named by the volunteer (``volunteers.<id>.hours``): one form per volunteer.
    prefix = f"volunteers.{volunteer_id}"
    typed = {"form": "hours", "volunteer_id": volunteer_id,
             **{name: request.form.get(f"{prefix}.{name}", "").strip() for name in ("hours", "on", "note")}}
    sent = {"hours": builder.decimal(typed["hours"]), "on": typed["on"] or None,
            **({"note": typed["note"]} if typed["note"] else {})}
    try:
        api().post(_path(cause_id, f"/volunteers/{volunteer_id}/hours"), sent)
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        errors = {(f"{prefix}.hours" if name == "_schema" else f"{prefix}.{name}"): messages
                  for name, messages in wording.field_errors(problem).items()}
        message = problems.summary(problem, HOURS_PROBLEMS)
        if problem.kind == "hours-already-confirmed":  # one confirmation per volunteer and day
            errors.setdefault(f"{prefix}.on", []).append(message)
        elif problem.status == 409:
            errors.setdefault(f"{prefix}.hours", []).append(message)
        return _cause_page(cause_id, errors=errors, typed=typed, message=message, status=form_status(problem))
    flash(_("The hours are confirmed. The volunteer gets a thank-you email."), "success")
    return redirect(url_for("console_causes.cause", cause_id=cause_id) + "#volunteers")


@blp.post("/office/causes/<cause_id>/progress")
@runs_cause
def progress(cause_id: str):
    typed = {"form": "progress", "current": request.form.get("current", "").strip()}
    try:
        api().post(_path(cause_id, "/progress"), {"current": builder.decimal(typed["current"])})
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        errors = {("current" if name == "_schema" else name): messages
                  for name, messages in wording.field_errors(problem).items()}
        return _cause_page(cause_id, errors=errors, typed=typed, status=form_status(problem),
                           message=problems.summary(problem) if problem.errors else
                           problems.summary(problem, PROGRESS_PROBLEMS))
    flash(_("The campaign's progress is updated."), "success")
    return redirect(url_for("console_causes.cause", cause_id=cause_id))
