"""``/me/data``: the member's own data.

- The export is the members API's JSON (``GET /api/v1/members/{id}/export``), handed to the
  browser as a file download, never shown in a page.
- Erasing the account (``DELETE /api/v1/members/{id}``) cannot be undone, so it sits behind
  a page that says what is lost and asks to type a word; then the member is logged out.
"""
from __future__ import annotations

import re
from datetime import date

from flask import Response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.auth import signed_in, viewer
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.preferences import blp

# The word to type: the page's language's, though either language's is accepted (a member may
# switch the page's language while reading the warning).
CONFIRMATION_WORD = lazy_gettext("ERASE")
ACCEPTED_WORDS = {"erase", "изтрий"}
ERASE_PROBLEMS = {
    "not-found": lazy_gettext("This account no longer exists: it may already be erased."),
}
_SAFE_FILENAME = re.compile(r'filename="([A-Za-z0-9._-]{1,120})"')


def _member_path() -> str:
    return f"/api/v1/members/{viewer().member_id}"


@blp.get("/me/data")
@signed_in
def my_data():
    return render_template("preferences/my_data.html")


@blp.get("/me/data/export")
@signed_in
def export():
    result = api().call("GET", f"{_member_path()}/export")
    # The API names the file; only a plain name is passed on (a header is no place for surprises).
    named = _SAFE_FILENAME.search(result.headers.get("Content-Disposition", ""))
    filename = named.group(1) if named else f"alumnet-my-data-{date.today().isoformat()}.json"
    return Response(result.content, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


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
