"""My profile (``/me``): every field with who sees it, edited in one form; and changing my
email address (``/me/email``), which the new address has to confirm."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.auth import signed_in, viewer
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.profile import api_messages, blp, form, labels

PROFILE_PROBLEMS = {
    "conflict": _l("Your graduation year and faculty were verified against the university's records: "
                   "the alumni office corrects them."),
    "forbidden": _l("Only you and the alumni office may change this profile."),
    "not-found": _l("We could not find your profile. It may have been erased."),
}
EMAIL_PROBLEMS = {
    "reauthentication-required": _l("Confirm it is you: enter your current password."),
    "forbidden": _l("Only you may change your email address."),
}


@blp.context_processor
def _labels():
    return {"labels": labels}


def _member_path() -> str:
    return f"/api/v1/members/{viewer().member_id}"


def _locked(member: dict) -> tuple[str, ...]:
    """What this viewer may not change: verified facts, unless the viewer is the office."""
    if member.get("status") == "verified" and not viewer().is_admin:
        return form.LOCKED_WHEN_VERIFIED
    return ()


def _page(member: dict, shown: dict, errors: dict, message: str | None, status: int = 200):
    return render_template("profile/mine.html", member=member, form=shown, errors=errors, message=message,
                           locked=_locked(member), groups=form.GROUPS), status


@blp.route("/me", methods=["GET", "POST"])
@signed_in
def mine():
    member = api().get(_member_path())
    if request.method == "GET":
        return _page(member, form.values(member), {}, None)
    shown = form.posted(request.form)
    changes = form.patch(member, shown, locked=_locked(member))
    if not changes:
        flash(_("Nothing changed: your profile is as it was."), "success")
        return redirect(url_for("profile.mine"))
    try:
        api().patch(_member_path(), changes)
    except ApiProblem as problem:
        status = problem.status if problem.status in (403, 404, 409, 429) else 400
        return _page(member, shown, api_messages.field_errors(problem), problems.summary(problem, PROFILE_PROBLEMS),
                     status)
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("profile.mine"))


@blp.route("/me/email", methods=["GET", "POST"])
@signed_in
def email():
    member = api().get(_member_path())
    typed, errors, message = {"new_email": request.form.get("new_email", "").strip()}, {}, None
    if request.method == "POST":
        body = {"new_email": typed["new_email"], "current_password": request.form.get("current_password") or None}
        try:
            api().post(f"{_member_path()}/email-change", body)
        except ApiProblem as problem:
            message, errors = problems.summary(problem, EMAIL_PROBLEMS), api_messages.field_errors(problem)
            status = problem.status if problem.status in (403, 404, 409, 429) else 400
            return render_template("profile/email.html", member=member, form=typed, errors=errors,
                                   message=message), status
        flash(_("We have sent a link to %(address)s. Your address changes only when you follow that link; "
                "until then, log in with your current address.", address=typed["new_email"]), "success")
        return redirect(url_for("profile.mine"))
    return render_template("profile/email.html", member=member, form=typed, errors=errors, message=message)
