"""The approval queue: sign-ups waiting for the office, each beside the roster entry its
student number and family name match (the members API gives it as ``roster_match``); approve,
or reject with a reason the member is told. A member's office page shows the same and sets
their roles (e.g. staff, who check people in at the door)."""
from __future__ import annotations

from urllib.parse import quote

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.auth import safe_next, viewer, with_role
from frontends.portal.console_members import blp, labels
from frontends.portal.console_members.common import collapse, form_status, has_next, page_number
from frontends.portal.gateway import ApiProblem, api

MEMBERS = "/api/v1/members"
ROLE_CHOICES = tuple(labels.ROLES)

DECISION_PROBLEMS = {
    "not-found": lazy_gettext("This member is no longer there: the account may have been erased."),
}
ROLE_PROBLEMS = {
    "conflict": lazy_gettext("You cannot remove your own administrator role: you would lose access to the office."),
}


def _path(member_id: str, action: str = "") -> str:
    return f"{MEMBERS}/{quote(member_id, safe='')}" + (f"/{action}" if action else "")


def _name(member: dict) -> str:
    return " ".join(p for p in (member.get("given_name"), member.get("family_name")) if p) or member.get("id", "")


def _summary_errors(errors: dict) -> dict[str, list[str]]:
    """The problem summary's links: a decision's reason is the field of that member's form."""
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        if isinstance(value, dict):  # member id -> that member's form's field errors
            flat.update({f"reason-{key}" if name == "reason" else name: messages for name, messages in value.items()})
        else:
            flat[key] = value
    return flat


def _queue(*, message=None, errors=None, typed=None, status=200):
    queue = api().get(MEMBERS, params={"status": "pending_verification", "page": page_number(), "per_page": 20})
    return render_template("console_members/approvals.html", queue=queue, page=page_number(), has_next=has_next,
                           message=message, errors=errors or {}, summary_errors=_summary_errors(errors or {}),
                           typed=typed or {}), status


def _member_page(member_id: str, *, message=None, errors=None, typed=None, status=200):
    member = api().get(_path(member_id))
    return render_template("console_members/member.html", member=member, message=message, errors=errors or {},
                           summary_errors=_summary_errors(errors or {}), typed=typed or {},
                           role_choices=ROLE_CHOICES), status


def _back(member_id: str):
    """Where a decision's form came from: the queue (its page) or the member's office page."""
    return safe_next(request.form.get("back"), url_for("console_members.approvals"))


def _again(member_id: str, **kwargs):
    """The page the form came from, shown again with the problem."""
    if request.form.get("back", "").startswith(url_for("console_members.member", member_id=member_id)):
        return _member_page(member_id, **kwargs)
    return _queue(**kwargs)


@blp.get("/office/approvals")
@with_role("admin")
def approvals():
    return _queue()


@blp.post("/office/members/<member_id>/approve")
@with_role("admin")
def approve(member_id: str):
    reason = request.form.get("reason", "").strip()
    try:
        member = api().post(_path(member_id, "approve"), {"reason": reason} if reason else {})
    except ApiProblem as problem:
        errors = {member_id: problems.field_errors(problem)}
        return _again(member_id, message=problems.summary(problem, DECISION_PROBLEMS), errors=errors,
                      status=form_status(problem))
    flash(_("%(name)s is verified and can now use the directory.", name=_name(member)), "success")
    return redirect(_back(member_id))


@blp.post("/office/members/<member_id>/reject")
@with_role("admin")
def reject(member_id: str):
    reason = request.form.get("reason", "").strip()
    typed = {member_id: reason}
    if not reason:
        errors = {member_id: {"reason": [_("Write the reason: the member is told it.")]}}
        return _again(member_id, message=_("Please correct the fields marked below."), errors=errors, typed=typed,
                      status=400)
    try:
        member = api().post(_path(member_id, "reject"), {"reason": reason})
    except ApiProblem as problem:
        errors = {member_id: problems.field_errors(problem)}
        return _again(member_id, message=problems.summary(problem, DECISION_PROBLEMS), errors=errors, typed=typed,
                      status=form_status(problem))
    flash(_("%(name)s is rejected; they have been told why.", name=_name(member)), "success")
    return redirect(_back(member_id))


@blp.route("/office/members/<member_id>", methods=["GET", "POST"])
@with_role("admin")
def member(member_id: str):
    """A member as the office sees them, with the decision forms and the roles."""
    if request.method == "GET":
        return _member_page(member_id)
    roles = [r for r in request.form.getlist("roles") if r in ROLE_CHOICES]
    if not roles:
        errors = {"roles": [_("Choose at least one role.")]}
        return _member_page(member_id, message=_("Please correct the fields marked below."), errors=errors,
                            typed={"roles": roles}, status=400)
    try:
        changed = api().put(_path(member_id, "roles"), {"roles": roles})
    except ApiProblem as problem:
        return _member_page(member_id, message=problems.summary(problem, ROLE_PROBLEMS),
                            errors=collapse(problems.field_errors(problem)), typed={"roles": roles},
                            status=form_status(problem))
    who = viewer()
    if who is not None and who.member_id == member_id:
        flash(_("Your roles are changed. Log in again to use them."), "success")
    else:
        flash(_("The roles of %(name)s are changed. They take effect when the member logs in again.",
                name=_name(changed)), "success")
    return redirect(url_for("console_members.member", member_id=member_id))
