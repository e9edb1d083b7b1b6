"""``/join``: sign up through ``POST /api/v1/members``.

The answer is always the same "check your email" page, whether the address is new, already
registered or on the alumni roster: the API tells no one who is a member, and neither does
this page. The password is chosen on the confirmation page (``links.confirm_email``): a
password given before the address is proven is revoked by the confirmation anyway.
"""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from frontends.portal import problems
from frontends.portal.account import blp
from frontends.portal.account.forms import LANGUAGE_CHOICES, field_errors, language_or_default, page_status
from frontends.portal.auth import viewer
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.vocabulary import FACULTIES as FACULTY_NAMES

FACULTIES = tuple(FACULTY_NAMES.items())  # the sign-up form's choices, in this order

TEXT_FIELDS = ("given_name", "family_name", "given_name_latin", "family_name_latin", "email", "phone",
               "graduation_year", "faculty", "student_number")
SIGNUP_PROBLEMS = {
    "too-many-requests": lazy_gettext("Too many sign-ups from your connection or for this address. "
                                      "Please wait a few minutes and try again."),
}


def _typed() -> dict:
    form = {name: request.form.get(name, "").strip() for name in TEXT_FIELDS}
    form["preferred_language"] = language_or_default(request.form.get("preferred_language"), g.locale)
    for flag in ("is_student", "consent.email", "consent.sms"):
        form[flag] = request.form.get(flag) == "on"
    return form


def _body(form: dict) -> dict:
    """What the API takes: empty optional fields are left out rather than sent empty."""
    body = {name: form[name] for name in TEXT_FIELDS if form[name]}
    if "graduation_year" in body:
        # A year that is not a number is sent as typed: the API names the field in its answer.
        body["graduation_year"] = int(body["graduation_year"]) if body["graduation_year"].isdigit() \
            else body["graduation_year"]
    body["preferred_language"] = form["preferred_language"]
    body["is_student"] = form["is_student"]
    body["consent"] = {"email": form["consent.email"], "sms": form["consent.sms"]}
    return body


@blp.route("/join", methods=["GET", "POST"])
def signup():
    if viewer() is not None:
        return redirect(url_for("home.index"))
    form = _typed() if request.method == "POST" else {"preferred_language": g.locale}
    message, errors, status = None, {}, 200
    if request.method == "POST":
        try:
            api().call("POST", "/api/v1/members", json=_body(form), anonymous=True)
        except ApiProblem as problem:
            message, errors = problems.summary(problem, SIGNUP_PROBLEMS), field_errors(problem)
            status = page_status(problem)
        else:
            return redirect(url_for("account.check_email"))
    return render_template("account/join.html", form=form, errors=errors, message=message,
                           faculties=FACULTIES, languages=LANGUAGE_CHOICES), status


@blp.get("/join/check-email")
def check_email():
    return render_template("account/check_email.html")
