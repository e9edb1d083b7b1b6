"""A member's side of the programme: applying (``/ambassadors/apply``: why, countries, cities,
languages, faculty) and my programme page (``/me/ambassador``: my application's state, and as
an ambassador my term, regions and languages, and the listing settings of my public card:
whether I am listed in the finder, which fields it shows, my bio in Bulgarian and English).

The API decides who may apply (verified graduates and students) and answers the rest; its
refusals are said in words, its field problems beside the fields.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.ambassadors import blp, present
from frontends.portal.auth import signed_in
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.profile import labels

# The application's country selects: one per country, up to this many.
COUNTRY_FIELDS = 3


def mine() -> dict | None:
    """``{application, ambassador}`` of the signed-in member (each may be None); None when the
    API refuses, which it does only to a member not verified yet."""
    try:
        return api().get(present.ME) or {}
    except ApiProblem as problem:
        if problem.status != 403:
            raise
        return None


def _no_form_for(found: dict) -> str | None:
    """Why the member has nothing to apply for now (None: they may apply)."""
    ambassador = found.get("ambassador")
    if ambassador and not present.term_over(ambassador):
        return str(present.ALREADY_AMBASSADOR)
    if (found.get("application") or {}).get("status") == "pending":
        return str(present.ALREADY_APPLIED)
    return None


def application_from_form() -> tuple[dict, dict[str, list[str]]]:
    countries = [c.upper() for c in (present.words(f"countries.{i}") for i in range(COUNTRY_FIELDS)) if c]
    cities = [c.strip() for c in present.words("cities").split(",") if c.strip()]
    wanted = {"motivation": present.words("motivation"), "countries": list(dict.fromkeys(countries)),
              "cities": cities, "languages": present.languages_from_form(), "faculty": present.words("faculty")}
    errors = present.blank_errors(wanted, ("motivation",))
    if not wanted["countries"]:
        errors["countries.0"] = [_("Choose at least one country.")]
    if not wanted["languages"]:
        errors["languages"] = [_("Choose at least one language.")]
    return wanted, errors


def _apply_page(wanted: dict, *, errors=None, message=None, refused=None, closed=None, status=200):
    """The form, or only why there is none (``closed``: not verified yet, an ambassador, an
    application waiting)."""
    countries = list(wanted.get("countries") or [])
    return render_template(
        "ambassadors/apply.html", wanted=wanted, errors=errors or {}, message=message, refused=refused, closed=closed,
        country_values=countries + [""] * (COUNTRY_FIELDS - len(countries)),
        countries=labels.country_options(_("Choose a country")),
        faculties=labels.faculty_options(_("Choose your faculty")),
        language_choices=present.language_choices(wanted.get("languages")),
        language_options=labels.language_options(_("Another language…"))), status


@blp.route("/ambassadors/apply", methods=["GET", "POST"])
@signed_in
def apply():
    if request.method == "GET":
        found = mine()
        if found is None:
            return _apply_page({}, closed=str(present.NOT_VERIFIED), status=403)
        return _apply_page({"countries": [], "languages": [], "cities": []}, closed=_no_form_for(found))
    wanted, errors = application_from_form()
    if errors:
        return _apply_page(wanted, errors=errors, message=_("Please correct the fields marked below."), status=400)
    # An empty faculty is left to the API (which takes the profile's).
    body = {**wanted, "faculty": wanted["faculty"] or None}
    try:
        api().post(present.APPLICATIONS, body)
    except ApiProblem as problem:
        if problem.status in (403, 409):
            return _apply_page(wanted, refused=present.refusal(problem), status=problem.status)
        if problem.status not in (400, 422):
            raise
        return _apply_page(wanted, errors=present.field_errors(problem, {"countries": "countries.0"}),
                           message=present.refusal(problem), status=400)
    flash(_("Thank you for applying. The alumni office will answer you by email."), "success")
    return redirect(url_for("ambassadors.mine_page"))


def listing_from_form() -> dict:
    return {"listed": request.form.get("listed") == "on",
            "public_fields": [code for code in request.form.getlist("public_fields") if code in present.PUBLIC_FIELDS],
            "bio": {"bg": present.words("bio.bg"), "en": present.words("bio.en")}}


def _mine_page(found: dict | None, *, listing=None, errors=None, message=None, status=200):
    if found is None:  # not verified yet: the programme is not open to them
        return render_template("ambassadors/mine.html", application=None, ambassador=None, listing={}, errors={},
                               message=None, refused=str(present.NOT_VERIFIED)), 403
    ambassador = found.get("ambassador")
    return render_template("ambassadors/mine.html", application=found.get("application"), ambassador=ambassador,
                           listing=listing or ambassador or {}, errors=errors or {}, message=message), status


@blp.route("/me/ambassador", methods=["GET", "POST"])
@signed_in
def mine_page():
    found = mine()
    if request.method == "GET" or found is None:
        return _mine_page(found)
    listing = listing_from_form()
    try:
        api().patch(present.ME, listing)
    except ApiProblem as problem:
        if problem.status in (403, 404):  # no ambassador (any more): the page as it is now
            return _mine_page(mine(), listing=listing, message=present.refusal(problem), status=problem.status)
        if problem.status not in (400, 409, 422):
            raise
        return _mine_page(found, listing=listing, errors=present.field_errors(problem),
                          message=present.refusal(problem), status=problem.status)
    flash(_("Your listing is saved.") if listing["listed"] else
          _("Your listing is saved. You are not shown in the finder."), "success")
    return redirect(url_for("ambassadors.mine_page"))
