"""The home page (``/``): a welcome for visitors; for a member, what fits them: upcoming
events of their class and faculty, their registrations, open calls, and a nudge to complete
the profile or a word on their pending membership.

A part whose API does not answer is left out with a note: the rest of the page still helps.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import render_template

from frontends.portal.auth import viewer
from frontends.portal.gateway import ApiDown, ApiProblem, api
from frontends.portal.home import blp, calls, show
from frontends.portal.profile import form as profile_form

log = logging.getLogger("alumnet.portal.home")
EVENTS_SHOWN = 5
EVENTS_FETCHED = 20  # the open calls look a little further ahead than the list shows
ACTIVE = ("confirmed", "waitlisted")


def _fetch(path: str, params: dict) -> list[dict] | None:
    """A list's items, or None when the API cannot give it now."""
    try:
        return api().get(path, params=params)["items"]
    except (ApiProblem, ApiDown) as exc:
        log.warning("home: a part is missing", extra={"path": path, "error": str(exc)})
        return None


def _upcoming(registration: dict, now: datetime) -> bool:
    event = registration.get("event") or {}
    starts = event.get("starts_at")
    return (registration.get("status") in ACTIVE and event.get("status") != "cancelled"
            and bool(starts) and datetime.fromisoformat(starts) >= now)


@blp.route("/")
def index():
    me = viewer()
    if me is None:
        return render_template("home/welcome.html")
    member = api().get(f"/api/v1/members/{me.member_id}")
    # Events fit only verified members: others are shown the events open to everyone.
    verified = member.get("status") == "verified" or me.is_admin
    events = _fetch("/api/v1/events", {**({"fits_me": "true"} if verified else {}), "when": "upcoming",
                                       "per_page": EVENTS_FETCHED})
    registrations = _fetch("/api/v1/events/registrations/mine", {"per_page": 50})
    now = datetime.now(timezone.utc)
    mine = [r for r in registrations or [] if _upcoming(r, now)]
    mine.sort(key=lambda r: r["event"]["starts_at"])
    # Surveys are for verified members only (the API answers others 403).
    surveys = _fetch("/api/v1/members/me/surveys", {}) if verified else None
    fetched = calls.Fetched(member, events or [], registrations or [], surveys or [])
    return render_template("home/index.html", member=member, events=(events or [])[:EVENTS_SHOWN],
                           events_missing=events is None, registrations=mine,
                           registrations_missing=registrations is None, open_calls=calls.open_calls(fetched),
                           missing=profile_form.missing_key_fields(member), verified=verified, show=show)
