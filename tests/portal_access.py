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
    ("GET", "/office/announcements"): ADMIN,
    ("GET", "/office"): ADMIN,
    ("POST", "/me"): SIGNED_IN,
    ("GET", "/me/email"): SIGNED_IN,
    ("POST", "/me/email"): SIGNED_IN,
    ("GET", "/members/<member_id>"): PUBLIC,  # what the API shows the visitor: public fields to anyone
    ("GET", "/office/approvals"): ADMIN,
    ("GET", "/office/members/<member_id>"): ADMIN,
    ("POST", "/office/members/<member_id>"): ADMIN,
    ("POST", "/office/members/<member_id>/approve"): ADMIN,
    ("POST", "/office/members/<member_id>/reject"): ADMIN,
    ("POST", "/office/roster"): ADMIN,
    ("GET", "/office/roster/imports/<import_id>"): ADMIN,
    ("GET", "/office/segments"): ADMIN,
    ("GET", "/office/segments/<segment_id>"): ADMIN,
    ("POST", "/office/segments/<segment_id>"): ADMIN,
    ("GET", "/office/segments/<segment_id>/delete"): ADMIN,
    ("POST", "/office/segments/<segment_id>/delete"): ADMIN,
    ("POST", "/office/segments/count"): ADMIN,
    ("GET", "/office/segments/new"): ADMIN,
    ("POST", "/office/segments/new"): ADMIN,
    ("GET", "/office/announcements/new"): ADMIN,
    ("POST", "/office/announcements/new"): ADMIN,
    ("GET", "/office/announcements/<announcement_id>"): ADMIN,
    ("GET", "/office/announcements/<announcement_id>/progress"): ADMIN,
    ("GET", "/office/announcements/<announcement_id>/cancel"): ADMIN,
    ("POST", "/office/announcements/<announcement_id>/cancel"): ADMIN,
    ("GET", "/office/deliveries"): ADMIN,
}
