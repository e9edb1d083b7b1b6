"""My calendar feed: a secret address a calendar app subscribes to (Google, Apple, Outlook),
with the events I am registered for. Making a new one stops the old one; so does stopping it.

The API shows the address only when it makes it, so the portal shows it once, after a
post/redirect/get, keeping it in the (encrypted) session until that page is shown."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.auth import signed_in
from frontends.portal.events import blp, present
from frontends.portal.gateway import ApiProblem, api

SHOWN_ONCE = "events.calendar_feed"


def absolute(path: str) -> str:
    """The feed's address as a calendar app reaches it: the gateway serves /api/ on this site's host."""
    return f"{request.host_url.rstrip('/')}{path}?lang={present.language()}"


@blp.route("/events/calendar-feed", methods=["GET", "POST"])
@signed_in
def calendar_feed():
    message, status = None, 200
    if request.method == "POST":
        try:
            if request.form.get("action") == "stop":
                api().call("DELETE", "/api/v1/events/calendar-feed")
                flash(_("Your calendar feed is stopped: its address no longer works."), "success")
            else:
                feed = api().post("/api/v1/events/calendar-feed")
                session[SHOWN_ONCE] = absolute(feed["url"])
            return redirect(url_for("events.calendar_feed"))
        except ApiProblem as problem:
            message, status = problems.summary(problem), (problem.status if problem.status in (403, 429) else 400)
    url = session.pop(SHOWN_ONCE, None)
    webcal = "webcal://" + url.split("://", 1)[1] if url else None
    return render_template("events/calendar_feed.html", url=url, webcal=webcal, message=message), status
