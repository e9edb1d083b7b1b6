"""``/reset-password``: ask for a reset link by email, and, from that link
(``/reset-password?token=``), choose a new password.

Asking always answers "check your email", whether or not the address is a member's (the API
tells no one). Setting the password logs the member out everywhere and confirms the address;
next, the login page.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.account import blp
from frontends.portal.account.forms import LINK_PROBLEMS, field_errors, page_status, password_hint, repeated_password
from frontends.portal.gateway import ApiProblem, api, forget_login

REQUEST_PROBLEMS = {
    "too-many-requests": lazy_gettext("Too many reset requests from your connection or for this address. "
                                      "Please wait a few minutes; a link may already be in your inbox."),
}


@blp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    token = (request.values.get("token") or "").strip()
    if token:
        return _choose_password(token)
    form, message, errors, status = {"email": request.form.get("email", "").strip()}, None, {}, 200
    if request.method == "POST":
        try:
            api().post("/api/v1/members/auth/password-reset", {"email": form["email"]}, anonymous=True)
        except ApiProblem as problem:
            message, errors, status = problems.summary(problem, REQUEST_PROBLEMS), field_errors(problem), \
                page_status(problem)
        else:
            return redirect(url_for("account.reset_sent"))
    return render_template("account/reset_request.html", form=form, message=message, errors=errors), status


@blp.get("/reset-password/sent")
def reset_sent():
    return render_template("account/reset_sent.html")


def _choose_password(token: str):
    message, errors, status, link_dead = None, {}, 200, False
    if request.method == "POST":
        errors = repeated_password(request.form, "new_password", "new_password_again")
        if errors:
            message, status = problems.summary(ApiProblem(422, {"errors": errors})), 400
        else:
            try:
                api().call("POST", "/api/v1/members/auth/password-reset/confirm",
                           json={"token": token, "new_password": request.form["new_password"]}, anonymous=True)
            except ApiProblem as problem:
                message, errors, status = problems.summary(problem, LINK_PROBLEMS), field_errors(problem), \
                    page_status(problem)
                link_dead = errors.pop("token", None) is not None or problem.kind == "invalid-token"
            else:
                forget_login()  # every session of the member was revoked, this one's too
                flash(_("Your new password is set and your address is confirmed. Log in with it now."), "success")
                return redirect(url_for("account.login"))
    return render_template("account/reset_password.html", token=token, message=message, errors=errors,
                           password_hint=password_hint(), link_dead=link_dead), status
