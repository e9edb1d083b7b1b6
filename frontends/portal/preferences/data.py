"""``/me/data``: the member's own data.

- The export is one JSON file bundling what each service holds about the member, as its API
  exports it (``GET /api/v1/members/{id}/export``, ``/api/v1/{events,awards,notifications}/
  members/{id}/export``): ``{"members": ..., "events": ..., "awards": ..., "notifications": ...,
  "missing": {...}}``, handed to the browser as a download, never shown in a page. The members
  part is the account itself: if it fails, the download fails as that problem does. Another
  service that fails (down, or a problem) does not spoil the rest: its part is ``null`` and
  ``missing`` names it and why, so the member sees what to download again later.
- Erasing the account (``DELETE /api/v1/members/{id}``) cannot be undone, so it sits behind
  a page that says what is lost and asks to type a word; then the member is logged out.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from flask import Response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.auth import signed_in, viewer
from frontends.portal.gateway import ApiDown, ApiProblem, api
from frontends.portal.preferences import blp

# The word to type: the page's language's, though either language's is accepted (a member may
# switch the page's language while reading the warning).
CONFIRMATION_WORD = lazy_gettext("ERASE")
ACCEPTED_WORDS = {"erase", "изтрий"}
ERASE_PROBLEMS = {
    "not-found": lazy_gettext("This account no longer exists: it may already be erased."),
}
# The services besides members whose exports join the download, by the part's name.
OTHER_PARTS = {service: f"/api/v1/{service}/members/{{member_id}}/export"
               for service in ("events", "awards", "notifications")}


def _member_path() -> str:
    return f"/api/v1/members/{viewer().member_id}"


@blp.get("/me/data")
@signed_in
def my_data():
    return render_template("preferences/my_data.html")


@blp.get("/me/data/export")
@signed_in
def export():
    member_id = viewer().member_id
    bundle = {"exported_at": datetime.now(timezone.utc).isoformat(), "member_id": member_id,
              "members": api().get(f"{_member_path()}/export")}
    missing = {}
    for service, path in OTHER_PARTS.items():
        try:
            bundle[service] = api().get(path.format(member_id=member_id))
        except (ApiProblem, ApiDown, ValueError) as failure:
            bundle[service], missing[service] = None, _why_missing(failure)
    body = json.dumps({**bundle, "missing": missing}, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="alumnet-my-data-{date.today().isoformat()}.json"',
        "Cache-Control": "no-store"})


def _why_missing(failure: Exception) -> str:
    """What the file says of a part it lacks, in the page's language."""
    if isinstance(failure, ApiProblem):
        return _("This part could not be exported (%(status)s: %(detail)s). Download your data again later.",
                 status=failure.status, detail=failure.detail)
    return _("This service did not answer. Download your data again later.")


@blp.route("/me/data/erase", methods=["GET", "POST"])
@signed_in
def erase():
    message, errors, status = None, {}, 200
    if request.method == "POST":
        if request.form.get("confirmation", "").strip().lower() not in ACCEPTED_WORDS:
            errors = {"confirmation": [_("Type %(word)s to erase your account.", word=CONFIRMATION_WORD)]}
            message, status = _("Your account was not erased."), 400
        else:
            try:
                api().delete(_member_path())
            except ApiProblem as problem:
                message, status = problems.summary(problem, ERASE_PROBLEMS), problem.status \
                    if problem.status in (403, 404, 409, 429) else 400
            else:
                _log_out()
                return redirect(url_for("preferences.erased"))
    return render_template("preferences/erase.html", message=message, errors=errors,
                           word=CONFIRMATION_WORD), status


def _log_out() -> None:
    """The erasure revoked every token of the member; the session goes too, the language stays."""
    auth = session.get("auth") or {}
    try:
        api().call("POST", "/api/v1/members/auth/logout", json={"refresh_token": auth.get("refresh_token", "")},
                   anonymous=True)
    except ApiProblem:
        pass  # revoked already by the erasure
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


@blp.get("/me/data/erased")
def erased():
    return render_template("preferences/erased.html")
