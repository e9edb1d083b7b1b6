"""Who the portal lets reach each of its pages: one row per route and method.

The portal decides only what to show (every API call it makes is authorised again by the
service, see tests/authz_matrix.py); this table pins its own gate, so an office page that
forgot ``@with_role("admin")`` fails ``tests/unit/portal/test_access_matrix.py``, and a new
page fails it until it has its row.

- ``PUBLIC``: anyone, signed in or not (sign up, log in, the links in emails);
- ``SIGNED_IN``: any member who is logged in; a visitor is sent to the login page;
- ``STAFF``: the door (admins and the ``staff`` role); other members get a 403 page;
- ``ADMIN``: the office; staff and members get a 403 page.
"""
from __future__ import annotations

PUBLIC, SIGNED_IN, STAFF, ADMIN = "public", "signed in", "staff", "admin"

# (method, rule as Flask writes it) -> who may reach it.
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/language/<code>"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/join"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/me"): SIGNED_IN,
    ("GET", "/directory"): SIGNED_IN,
    ("GET", "/events"): SIGNED_IN,
    ("GET", "/me/notifications"): SIGNED_IN,
    ("GET", "/office/roster"): ADMIN,
    ("GET", "/office/events"): STAFF,
    ("GET", "/office/events/today"): STAFF,
    ("GET", "/office/events/<event_id>/check-in"): STAFF,
    ("POST", "/office/events/<event_id>/check-in"): STAFF,
    ("GET", "/office/events/new"): ADMIN,
    ("POST", "/office/events/new"): ADMIN,
    ("GET", "/office/events/<event_id>"): ADMIN,
    ("GET", "/office/events/<event_id>/edit"): ADMIN,
    ("POST", "/office/events/<event_id>/edit"): ADMIN,
    ("POST", "/office/events/<event_id>/publish"): ADMIN,
    ("GET", "/office/events/<event_id>/cancel"): ADMIN,
    ("POST", "/office/events/<event_id>/cancel"): ADMIN,
    ("GET", "/office/events/<event_id>/registrations"): ADMIN,
    ("GET", "/office/events/<event_id>/attendance.csv"): ADMIN,
    ("GET", "/office/announcements"): ADMIN,
    ("GET", "/office"): ADMIN,
}
