"""The public side, without a login: the finder, one ambassador's question form, "check your
email", and the asker's confirmation page of the email's link.

- ``/ambassadors``: country and language filters (a GET form: the address can be shared) and
  the cards the members API's finder returns. A card shows what the API returned and nothing
  else: the API sends only the fields each ambassador made public.
- ``/ambassadors/<public_id>/ask``: name, email, language, country, message and the privacy
  notice. The portal checks only what it must (the notice ticked, nothing blank); the API's
  problems are shown beside the fields, its rate limit (three questions a day per address)
  in words. Sending always leads to "check your email": the API answers the same whether or
  not the question was kept, so the page cannot tell either.
- ``/ambassadors/questions/<question_id>/confirm?t=<token>``: a GET shows a button (mail
  scanners open links; nothing is confirmed on a GET); the button posts the token, sent to
  the API as ``X-Question-Token`` and never kept in the session. A second use says the same
  as the first (the API's 200), an expired link says so (410), a refused one that the link
  does not work.

These pages speak English to a browser that asks for neither Bulgarian nor English.
"""
from __future__ import annotations

import re

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.ambassadors import blp, present
from frontends.portal.gateway import ApiDown, ApiProblem, api
from frontends.portal.i18n import for_visitors_from_abroad
from frontends.portal.mentoring import link
from frontends.portal.mentoring.views import checked
from frontends.portal.profile import labels

HEADER = "X-Question-Token"  # shared.decisionlink.ASKER_CONFIRMATION.header
MESSAGE_LIMIT = 2000
PAGES_SEARCHED = 3
_COUNTRY, _LANGUAGE = re.compile(r"[A-Z]{2}\Z"), re.compile(r"[a-z]{2}\Z")


def filters() -> dict[str, str]:
    """The finder's filters of this request, only when shaped like the API's codes."""
    country = request.args.get("country", "").strip().upper()
    language = request.args.get("language", "").strip().lower()
    return {**({"country": country} if _COUNTRY.match(country) else {}),
            **({"language": language} if _LANGUAGE.match(language) else {})}


def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and 0 < int(page) < 1000 else 1


def _find(wanted: dict, page: int) -> dict:
    return api().get(present.FINDER, params={**wanted, "page": page, "per_page": present.PER_PAGE},
                     anonymous=True)


@blp.route("/ambassadors")
@for_visitors_from_abroad
def index():
    wanted, page = filters(), _page_number()
    found = _find(wanted, page)
    items = found.get("items") or []
    has_next = page * (found.get("per_page") or present.PER_PAGE) < (found.get("total") or 0)
    return render_template("ambassadors/finder.html", items=items, wanted=wanted, page=page, has_next=has_next,
                           total=found.get("total", len(items)),
                           countries=labels.country_options(_("Any country")),
                           languages=labels.language_options(_("Any language")))


def _card(public_id: str, wanted: dict) -> dict | None:
    """The ambassador's card as the finder shows it (the filters the visitor came with narrow
    the search), or None when it cannot be found now: the form works without it."""
    try:
        for page in range(1, PAGES_SEARCHED + 1):
            found = _find(wanted, page)
            card = next((item for item in found.get("items") or () if item.get("public_id") == public_id), None)
            if card is not None or page * (found.get("per_page") or present.PER_PAGE) >= (found.get("total") or 0):
                return card
    except (ApiProblem, ApiDown):
        return None
    return None


def question_from_form() -> tuple[dict, dict[str, list[str]]]:
    typed = {name: present.words(name) for name in ("name", "email", "language", "country", "message")}
    errors = present.blank_errors(typed, ("name", "email", "country", "message"))
    if typed["email"] and "@" not in typed["email"]:
        errors["email"] = [_("Enter a valid email address.")]
    if len(typed["message"]) > MESSAGE_LIMIT:
        errors["message"] = [_("Enter at most %(n)s characters.", n=MESSAGE_LIMIT)]
    if typed["language"] not in present.ASKER_LANGUAGES:
        errors["language"] = [_("Choose English or Bulgarian.")]
    typed["privacy_accepted"] = request.form.get("privacy_accepted") == "on"
    if not typed["privacy_accepted"]:
        errors["privacy_accepted"] = [_("Please accept the privacy notice to send your question.")]
    return typed, errors


@blp.route("/ambassadors/<public_id>/ask", methods=["GET", "POST"])
@for_visitors_from_abroad
def ask(public_id: str):
    checked(public_id)
    wanted = filters()
    card = _card(public_id, wanted)
    if request.method == "GET":
        language = present.language() if present.language() in present.ASKER_LANGUAGES else "en"
        return _ask_page(public_id, card, {"language": language, "country": wanted.get("country", "")})
    typed, errors = question_from_form()
    if errors:
        return _ask_page(public_id, card, typed, errors=errors, message=_("Please correct the fields marked below."),
                         status=400)
    try:
        api().post(f"{present.FINDER}/{public_id}/questions", {**typed, "country": typed["country"].upper()},
                   anonymous=True)
    except ApiProblem as problem:
        if problem.status == 404:
            return render_template("ambassadors/not_listed.html"), 404
        if problem.status == 429:
            return _ask_page(public_id, card, typed, status=429, message=_(
                "You have sent as many questions as we accept from one address in a day. Please try again "
                "tomorrow."))
        if problem.status not in (400, 422):
            raise
        return _ask_page(public_id, card, typed, errors=present.field_errors(problem),
                         message=present.refusal(problem), status=400)
    return redirect(url_for("ambassadors.asked"))


def _ask_page(public_id: str, card: dict | None, typed: dict, *, errors=None, message=None, status=200):
    return render_template("ambassadors/ask.html", public_id=public_id, card=card, typed=typed, errors=errors or {},
                           message=message, wanted=filters(), limit=MESSAGE_LIMIT,
                           countries=labels.country_options(_("Choose your country")),
                           asker_languages=list(present.ASKER_LANGUAGES.items())), status


@blp.get("/ambassadors/asked")
@for_visitors_from_abroad
def asked():
    return render_template("ambassadors/asked.html")


@blp.route("/ambassadors/questions/<question_id>/confirm", methods=["GET", "POST"])
@for_visitors_from_abroad
def confirm(question_id: str):
    checked(question_id)
    token = link.token()
    if not token:
        return render_template("ambassadors/bad_link.html"), 400
    if request.method == "GET":
        return render_template("ambassadors/confirm.html", question_id=question_id, token=token,
                               deadline=link.deadline(token))
    try:
        api().post(f"{present.API}/ambassadors/questions/{question_id}/confirm", {},
                   headers={HEADER: token}, anonymous=True)
    except ApiProblem as problem:
        if problem.status == 410:
            return render_template("ambassadors/link_expired.html"), 410
        if problem.status in (400, 403, 404):
            return render_template("ambassadors/bad_link.html"), problem.status
        raise
    return render_template("ambassadors/confirmed.html")
