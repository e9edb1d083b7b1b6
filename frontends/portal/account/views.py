"""The account pages. Each calls the members API's auth routes through the gateway."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.account import blp
from frontends.portal.auth import safe_next, viewer
from frontends.portal.gateway import ApiProblem, api, forget_login, remember_login
from frontends.portal.settings import LANGUAGES

LOGIN_PROBLEMS = {
    "invalid-credentials": lazy_gettext("The email or the password is not right, or the address is not confirmed yet."),
    "too-many-attempts": lazy_gettext("Too many failed attempts. Wait a little, or reset your password."),
}


@blp.route("/login", methods=["GET", "POST"])
def login():
    next_page = safe_next(request.values.get("next"), url_for("home.index"))
    if viewer() is not None and request.method == "GET":
        return redirect(next_page)
    form, errors, message = {"email": request.form.get("email", "")}, {}, None
    if request.method == "POST":
        try:
            pair = api().post("/api/v1/members/auth/login", {"email": request.form.get("email", ""),
                                                              "password": request.form.get("password", "")},
                              anonymous=True)
        except ApiProblem as problem:
            message, errors = problems.summary(problem, LOGIN_PROBLEMS), problems.field_errors(problem)
        else:
            chosen_language = session.get("lang")
            session.clear()  # a new session for the new login, none of the anonymous one's state
            remember_login(pair)
            member = api().get(f"/api/v1/members/{pair['member_id']}")
            session["auth"] = {**session["auth"], "name": member.get("given_name", "")}
            preferred = member.get("preferred_language")
            session["lang"] = preferred if preferred in LANGUAGES else chosen_language
            return redirect(next_page)
    return render_template("account/login.html", form=form, errors=errors, message=message,
                           next_page=next_page), (400 if message else 200)


@blp.post("/logout")
def logout():
    auth = session.get("auth")
    if auth:
        try:
            api().call("POST", "/api/v1/members/auth/logout", json={"refresh_token": auth["refresh_token"]},
                       anonymous=True)
        except ApiProblem:
            pass  # the token is gone either way
    language = session.get("lang")
    session.clear()
    forget_login()
    if language:
        session["lang"] = language
    flash(_("You are logged out."), "success")
    return redirect(url_for("account.login"))
