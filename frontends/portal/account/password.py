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
from frontends.portal.account.forms import (LINK_PROBLEMS, LinkForm, field_errors, page_status, password_hint,
                                            submit_password_link)
from frontends.portal.gateway import ApiProblem, api

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
    result = LinkForm()
    if request.method == "POST":
        result = submit_password_link("new_password", "new_password_again", lambda password: api().call(
            "POST", "/api/v1/members/auth/password-reset/confirm", json={"token": token, "new_password": password},
            anonymous=True), LINK_PROBLEMS)
        if result.done:
            flash(_("Your new password is set and your address is confirmed. Log in with it now."), "success")
            return redirect(url_for("account.login"))
    return render_template("account/reset_password.html", token=token, form=result,
                           password_hint=password_hint()), result.status
