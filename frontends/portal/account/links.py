"""The pages the members API's emails link to: ``/confirm-email``, ``/confirm-email-change``
and ``/undo-email-change``, each with ``?token=``.

Opening a link changes nothing: mail scanners and previews follow links, and would use the
one-time token up. The page shows a button whose form POSTs the token to the API; after it,
a clear next step (log in, or set a password).
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext

from frontends.portal import problems
from frontends.portal.account import blp
from frontends.portal.account.forms import LINK_PROBLEMS, LinkForm, page_status, password_hint, submit_password_link
from frontends.portal.gateway import ApiProblem, api, forget_login

CONFIRM_PROBLEMS = {**LINK_PROBLEMS, "validation": lazy_gettext("Please choose another password.")}


def _token() -> str:
    return (request.values.get("token") or "").strip()


def _invalid_link(title):
    return render_template("account/invalid_link.html", title=title), 400


@blp.route("/confirm-email", methods=["GET", "POST"])
def confirm_email():
    title = lazy_gettext("Confirm your email address")
    token = _token()
    if not token:
        return _invalid_link(title)
    result = LinkForm()
    if request.method == "POST":
        result = submit_password_link("password", "password_again", lambda password: api().post(
            "/api/v1/members/auth/confirm-email", {"token": token, "password": password}, anonymous=True),
            CONFIRM_PROBLEMS)
        if result.done:
            verified = (result.answer or {}).get("membership") == "verified"
            return render_template("account/email_confirmed.html", verified=verified)
    return render_template("account/confirm_email.html", token=token, form=result,
                           password_hint=password_hint()), result.status


# The two email-change links: the same page, a button and the API's answer.
EMAIL_CHANGE_LINKS = {
    "confirm_email_change": {
        "path": "/confirm-email-change",
        "api": "/api/v1/members/auth/confirm-email-change",
        "title": lazy_gettext("Confirm your new email address"),
        "explain": lazy_gettext("Press the button to make this your new address. You will be logged out "
                                "everywhere and log in again with the new address."),
        "button": lazy_gettext("Change my address"),
    },
    "undo_email_change": {
        "path": "/undo-email-change",
        "api": "/api/v1/members/auth/undo-email-change",
        "title": lazy_gettext("Undo the change of your email address"),
        "explain": lazy_gettext("If you did not change your address, press the button: your previous address "
                                "comes back, every session is logged out and your password is removed, "
                                "because whoever changed the address may know it."),
        "button": lazy_gettext("Undo the change"),
    },
}


def _email_change_page(name: str):
    link = EMAIL_CHANGE_LINKS[name]
    token = _token()
    if not token:
        return _invalid_link(link["title"])
    message, status = None, 200
    if request.method == "POST":
        try:
            api().post(link["api"], {"token": token}, anonymous=True)
        except ApiProblem as problem:
            message, status = problems.summary(problem, LINK_PROBLEMS), page_status(problem)
        else:
            forget_login()  # every session of the member ended with the change
            return render_template("account/email_change_done.html", undone=name == "undo_email_change")
    return render_template("account/email_change.html", link=link, endpoint=f"account.{name}", token=token,
                           message=message), status


@blp.route("/confirm-email-change", methods=["GET", "POST"])
def confirm_email_change():
    return _email_change_page("confirm_email_change")


@blp.route("/undo-email-change", methods=["GET", "POST"])
def undo_email_change():
    return _email_change_page("undo_email_change")
