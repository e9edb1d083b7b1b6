"""My ticket (its code and QR code) and an event's calendar file.

The API serves the QR code and the .ics only with the member's token, which the browser
never holds: the portal fetches them server-side and serves them from its own origin."""
from __future__ import annotations

from flask import Response, abort, render_template

from frontends.portal.auth import signed_in
from frontends.portal.events import blp, present
from frontends.portal.events.detail import api_path, my_registration, not_for_you, with_event
from frontends.portal.gateway import ApiProblem, api

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
# The ticket code is a bearer secret: no cache keeps it, and an SVG served here runs nothing.
NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@blp.route("/events/<event_id>/ticket")
@signed_in
@with_event
def ticket(event: dict):
    event_id = event["id"]
    try:
        mine = api().get(api_path(event_id, "/registrations/mine/ticket"))
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        # No ticket: waitlisted, cancelled or never registered; the page says which.
        return render_template("events/no_ticket.html", event=event, registration=my_registration(event_id),
                               present=present), 404
    response = Response(render_template("events/ticket.html", event=event, ticket=mine, present=present))
    response.headers.update(NO_STORE)
    return response


@blp.route("/events/<event_id>/ticket.svg", defaults={"fmt": "svg"})
@blp.route("/events/<event_id>/ticket.png", defaults={"fmt": "png"})
@signed_in
def ticket_image(event_id: str, fmt: str):
    try:
        result = api().call("GET", api_path(event_id, f"/registrations/mine/ticket.{fmt}"))
    except ApiProblem as problem:
        abort(404 if problem.status == 404 else 400)
    response = Response(result.content, mimetype=IMAGE_TYPES[fmt], headers=NO_STORE)
    if fmt == "svg":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    else:
        response.headers["Content-Disposition"] = f'inline; filename="ticket-{event_id}.png"'
    return response


@blp.route("/events/<event_id>.ics")
def calendar_file(event_id: str):
    """The event for a calendar app, in the page's language (an audience's event needs the token)."""
    try:
        result = api().call("GET", api_path(event_id, ".ics"), params={"lang": present.language()})
    except ApiProblem as problem:
        if problem.status == 404:
            return not_for_you()
        raise
    return Response(result.content, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{event_id}.ics"',
        "Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"})
