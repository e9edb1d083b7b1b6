"""The office's ambassador pages (admins): the applications waiting and the roster on one page
(``/office/ambassadors``), one application's page with the appoint form (regions with their
cities, languages, the term: proposed from the application, the API's defaults otherwise) and
the decline form (the reason is emailed to the applicant), ending a term, and assigning a
contact to an ambassador (``/office/ambassadors/<member_id>/contacts/new``).

The portal computes nothing: it shows the members API's lists and sends the office's forms;
the API's problems land beside the fields.
"""
from __future__ import annotations

import functools
import re
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.ambassadors import present
from frontends.portal.auth import with_role
from frontends.portal.console_ambassadors import blp
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.mentoring.views import checked
from frontends.portal.profile import labels

ROSTER = f"{present.API}/ambassadors"
PAGES_SEARCHED = 5
LISTED = {"per_page": 100}
# Empty region rows the appoint form offers beyond the application's countries.
SPARE_REGIONS = 1


@blp.context_processor
def _helpers():
    return {"present": present, "labels": labels}


def _listing(path: str, params: dict) -> list[dict]:
    return api().get(path, params={**params, **LISTED}).get("items") or []


def roster_filters() -> dict[str, str]:
    country = request.args.get("country", "").strip().upper()
    active = request.args.get("active", "true")
    return {**({"country": country} if re.fullmatch(r"[A-Z]{2}", country) else {}),
            "active": "false" if active == "false" else "true"}


@blp.get("/office/ambassadors")
@with_role("admin")
def index():
    wanted = roster_filters()
    # "All" is the API's filter left out; "active" its default.
    params = {key: value for key, value in wanted.items() if not (key == "active" and value == "false")}
    return render_template("console_ambassadors/index.html",
                           applications=_listing(present.APPLICATIONS, {"status": "pending"}),
                           roster=_listing(ROSTER, params), wanted=wanted,
                           countries=labels.country_options(_("Any country")))


def find(path: str, params: dict, key: str, wanted_id: str) -> dict | None:
    """The item whose ``key`` is ``wanted_id`` in a paginated list, or None."""
    checked(wanted_id)
    for page in range(1, PAGES_SEARCHED + 1):
        found = api().get(path, params={**params, "page": page, **LISTED})
        item = next((i for i in found.get("items") or () if i.get(key) == wanted_id), None)
        if item is not None or page * LISTED["per_page"] >= (found.get("total") or 0):
            return item
    return None


def _application_or_back(application_id: str):
    application = find(present.APPLICATIONS, {"status": "pending"}, "application_id", application_id)
    if application is None:
        flash(_("This application is no longer waiting: it has been answered."), "error")
    return application


def a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # the 29th of February
        return day.replace(year=day.year + 1, day=28)


def appointment_proposed(application: dict) -> dict:
    """The appoint form as first shown: the application's countries (its cities beside the one
    country when there is only one), languages, and a term of a year from today."""
    countries = application.get("countries") or []
    cities = ", ".join(application.get("cities") or []) if len(countries) == 1 else ""
    starts = date.fromisoformat(present.today())
    typed = {"languages": application.get("languages") or [], "term_starts": starts.isoformat(),
             "term_ends": a_year_after(starts).isoformat()}
    for index, country in enumerate(countries):
        typed[f"regions.{index}.country"] = country
        typed[f"regions.{index}.cities"] = cities
    typed["rows"] = len(countries) + SPARE_REGIONS
    return typed


def appointment_from_form() -> tuple[dict, dict, dict[str, list[str]]]:
    """What the form typed, the appointment's body, and what is wrong before sending."""
    rows = min(int(request.form.get("rows", "1")) if request.form.get("rows", "").isdigit() else 1, 20)
    typed: dict = {"rows": rows, "languages": present.languages_from_form(),
                   "term_starts": present.words("term_starts"), "term_ends": present.words("term_ends")}
    regions = []
    for index in range(rows):
        country = present.words(f"regions.{index}.country").upper()
        cities = present.words(f"regions.{index}.cities")
        typed[f"regions.{index}.country"], typed[f"regions.{index}.cities"] = country, cities
        if country:
            regions.append({"country": country, "cities": [c.strip() for c in cities.split(",") if c.strip()]})
    errors = {} if regions else {"regions.0.country": [_("Choose at least one country.")]}
    if not typed["languages"]:
        errors["languages"] = [_("Choose at least one language.")]
    body = {"regions": regions, "languages": typed["languages"],
            **{name: typed[name] for name in ("term_starts", "term_ends") if typed[name]}}
    return typed, body, errors


def _application_page(application: dict, *, typed=None, errors=None, message=None, status=200):
    if "rows" not in (typed or {}):  # the decline form's problem: the appoint form as first shown
        typed = {**appointment_proposed(application), **(typed or {})}
    return render_template("console_ambassadors/application.html", application=application, typed=typed,
                           errors=errors or {}, message=message,
                           countries=labels.country_options(_("Choose a country")),
                           language_choices=present.language_choices(typed.get("languages")),
                           language_options=labels.language_options(_("Another language…"))), status


@blp.get("/office/ambassadors/applications/<application_id>")
@with_role("admin")
def application(application_id: str):
    found = _application_or_back(application_id)
    return _application_page(found) if found else redirect(url_for("console_ambassadors.index"))


def _answer_application(application_id: str, action: str, typed: dict, body: dict, errors: dict, done: str):
    found = _application_or_back(application_id)
    if found is None:
        return redirect(url_for("console_ambassadors.index"))
    refused = present.submitted(f"{present.APPLICATIONS}/{application_id}/{action}", body, errors,
                                functools.partial(_application_page, found, typed=typed))
    if refused:
        return refused
    flash(done % {"name": present.person(found.get("member") or found) or _("the applicant")}, "success")
    return redirect(url_for("console_ambassadors.index"))


@blp.post("/office/ambassadors/applications/<application_id>/appoint")
@with_role("admin")
def appoint(application_id: str):
    typed, body, errors = appointment_from_form()
    return _answer_application(application_id, "appoint", typed, body, errors,
                               _("%(name)s is appointed. We email them the news."))


@blp.post("/office/ambassadors/applications/<application_id>/decline")
@with_role("admin")
def decline(application_id: str):
    reason = present.words("reason")
    typed = {"reason": reason}
    errors = {} if reason else {"reason": [_("Say why: the applicant reads it.")]}
    return _answer_application(application_id, "decline", typed, {"reason": reason}, errors,
                               _("The application of %(name)s is declined. We email them your reason."))


@blp.post("/office/ambassadors/<member_id>/end")
@with_role("admin")
def end_term(member_id: str):
    try:
        api().post(f"{ROSTER}/{checked(member_id)}/end", {})
    except ApiProblem as problem:
        if problem.status not in (404, 409):
            raise
        flash(present.refusal(problem), "error")
    else:
        flash(_("The term is ended today. The ambassador is no longer listed in the finder."), "success")
    return redirect(url_for("console_ambassadors.index"))


def contact_from_form() -> tuple[dict, dict, dict[str, list[str]]]:
    typed = {name: present.words(name) for name in (
        "name", "email", "kind", "country", "language", "note", "reply_target_h")}
    errors = present.blank_errors(typed, ("name", "kind", "country", "language", "note"))
    if typed["reply_target_h"] and not re.fullmatch(r"\d{1,4}", typed["reply_target_h"]):
        errors["reply_target_h"] = [_("Enter a whole number.")]
    body = {**{name: typed[name] or None for name in ("name", "email", "kind", "language", "note")},
            "country": typed["country"].upper()}
    if typed["reply_target_h"] and "reply_target_h" not in errors:
        body["reply_target_h"] = int(typed["reply_target_h"])
    return typed, body, errors


def _contact_page(ambassador: dict, *, typed=None, errors=None, message=None, status=200):
    member_id = ambassador["member_id"]
    open_contacts = _listing(f"{ROSTER}/{member_id}/contacts", {"state": "open"})
    return render_template("console_ambassadors/assign.html", ambassador=ambassador, contacts=open_contacts,
                           typed=typed or {"language": "en"}, errors=errors or {}, message=message,
                           kinds=present.options({k: v for k, v in present.CONTACT_KINDS.items()
                                                  if k != "finder_question"}, _("Choose who they are")),
                           countries=labels.country_options(_("Choose a country")),
                           languages=labels.language_options(_("Choose a language"))), status


@blp.route("/office/ambassadors/<member_id>/contacts/new", methods=["GET", "POST"])
@with_role("admin")
def assign(member_id: str):
    ambassador = find(ROSTER, {}, "member_id", member_id)
    if ambassador is None:
        flash(_("This member is not an ambassador."), "error")
        return redirect(url_for("console_ambassadors.index"))
    if request.method == "GET":
        return _contact_page(ambassador)
    typed, body, errors = contact_from_form()
    refused = present.submitted(f"{ROSTER}/{member_id}/contacts", body, errors,
                                functools.partial(_contact_page, ambassador, typed=typed))
    if refused:
        return refused
    flash(_("The contact is assigned. We email %(name)s the note and the time to answer.",
            name=present.person(ambassador.get("member") or ambassador) or _("the ambassador")), "success")
    return redirect(url_for("console_ambassadors.index"))
