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
    # Events: visitors see those open to all (as the events API shows them); the rest is a member's.
    ("GET", "/events"): PUBLIC,
    ("GET", "/events/<event_id>"): PUBLIC,
    ("GET", "/events/<event_id>.ics"): PUBLIC,
    ("GET", "/events/mine"): SIGNED_IN,
    ("POST", "/events/<event_id>/register"): SIGNED_IN,
    ("GET", "/events/<event_id>/cancel"): SIGNED_IN,
    ("POST", "/events/<event_id>/cancel"): SIGNED_IN,
    ("GET", "/events/<event_id>/ticket"): SIGNED_IN,
    ("GET", "/events/<event_id>/ticket.svg"): SIGNED_IN,
    ("GET", "/events/<event_id>/ticket.png"): SIGNED_IN,
    ("GET", "/events/calendar-feed"): SIGNED_IN,
    ("POST", "/events/calendar-feed"): SIGNED_IN,
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
    ("GET", "/confirm-email"): PUBLIC,
    ("POST", "/confirm-email"): PUBLIC,
    ("GET", "/confirm-email-change"): PUBLIC,
    ("POST", "/confirm-email-change"): PUBLIC,
    ("POST", "/join"): PUBLIC,
    ("GET", "/join/check-email"): PUBLIC,
    ("GET", "/reset-password"): PUBLIC,
    ("POST", "/reset-password"): PUBLIC,
    ("GET", "/reset-password/sent"): PUBLIC,
    ("GET", "/undo-email-change"): PUBLIC,
    ("POST", "/undo-email-change"): PUBLIC,
    ("GET", "/unsubscribe"): PUBLIC,  # the token in the link is the credential
    ("POST", "/unsubscribe"): PUBLIC,
    ("GET", "/me/data"): SIGNED_IN,
    ("GET", "/me/data/erase"): SIGNED_IN,
    ("POST", "/me/data/erase"): SIGNED_IN,
    ("GET", "/me/data/erased"): PUBLIC,  # shown after the erasure, which signs the member out
    ("GET", "/me/data/export"): SIGNED_IN,
    ("POST", "/me/notifications"): SIGNED_IN,
    ("POST", "/me/notifications/consents"): SIGNED_IN,
    ("GET", "/me/notifications/history"): SIGNED_IN,
    # The office's surveys (frontends/portal/console_surveys).
    ("GET", "/office/surveys"): ADMIN,
    ("GET", "/office/surveys/new"): ADMIN,
    ("POST", "/office/surveys/new"): ADMIN,
    ("GET", "/office/surveys/<survey_id>"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/edit"): ADMIN,
    ("POST", "/office/surveys/<survey_id>/edit"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/preview"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/open"): ADMIN,
    ("POST", "/office/surveys/<survey_id>/open"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/close"): ADMIN,
    ("POST", "/office/surveys/<survey_id>/close"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/delete"): ADMIN,
    ("POST", "/office/surveys/<survey_id>/delete"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/results"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/results/texts/<question_id>"): ADMIN,
    ("GET", "/office/surveys/<survey_id>/export.csv"): ADMIN,
    # The office's mentoring dashboard (frontends/portal/console_mentoring).
    ("GET", "/office/mentoring"): ADMIN,
    ("GET", "/office/mentoring/export.csv"): ADMIN,
    # Surveys. Answering and the profile review also work WITHOUT login from the invitation's
    # personal link (?t=<token>, sent to the API as X-Survey-Token; tests/unit/portal/test_surveys.py):
    # a visitor without the link is sent to the login page, as for any signed-in page.
    ("GET", "/surveys"): SIGNED_IN,
    ("GET", "/surveys/<survey_id>/answer"): SIGNED_IN,
    ("POST", "/surveys/<survey_id>/answer"): SIGNED_IN,
    ("GET", "/surveys/<survey_id>/review"): SIGNED_IN,
    ("POST", "/surveys/<survey_id>/review"): SIGNED_IN,
    ("GET", "/surveys/<survey_id>/thanks"): SIGNED_IN,
    # Mentoring (frontends/portal/mentoring). The decision page also works WITHOUT login from the
    # email's one-click link (?t=<token>, posted to the API as X-Mentoring-Token;
    # tests/unit/portal/test_mentoring.py): a visitor without the link is sent to the login page.
    ("GET", "/mentoring"): SIGNED_IN,
    ("GET", "/mentoring/offer"): SIGNED_IN,
    ("POST", "/mentoring/offer"): SIGNED_IN,
    ("POST", "/mentoring/offer/withdraw"): SIGNED_IN,
    ("GET", "/mentoring/recommendations"): SIGNED_IN,
    ("POST", "/mentoring/recommendations"): SIGNED_IN,
    ("GET", "/mentoring/requests"): SIGNED_IN,
    ("POST", "/mentoring/requests/<request_id>/withdraw"): SIGNED_IN,
    ("GET", "/mentoring/requests/<request_id>/decide"): SIGNED_IN,
    ("POST", "/mentoring/requests/<request_id>/decide"): SIGNED_IN,
    ("GET", "/mentoring/asks"): SIGNED_IN,
    ("POST", "/mentoring/asks/<request_id>"): SIGNED_IN,
    ("GET", "/mentoring/mentorships/<mentorship_id>"): SIGNED_IN,
    ("POST", "/mentoring/mentorships/<mentorship_id>/meetings"): SIGNED_IN,
    ("POST", "/mentoring/mentorships/<mentorship_id>/end"): SIGNED_IN,
    ("POST", "/mentoring/mentorships/<mentorship_id>/feedback"): SIGNED_IN,
    # The ambassador programme (frontends/portal/ambassadors). The finder, an ambassador's question
    # form and the asker's confirmation link work without login (the link's ?t=<token> is posted
    # to the API as X-Question-Token; tests/unit/portal/test_ambassadors.py). Contacts and
    # activities are an ambassador's: the members API answers others 403, which the page says.
    ("GET", "/ambassadors"): PUBLIC,
    ("GET", "/ambassadors/<public_id>/ask"): PUBLIC,
    ("POST", "/ambassadors/<public_id>/ask"): PUBLIC,
    ("GET", "/ambassadors/asked"): PUBLIC,
    ("GET", "/ambassadors/questions/<question_id>/confirm"): PUBLIC,
    ("POST", "/ambassadors/questions/<question_id>/confirm"): PUBLIC,
    ("GET", "/ambassadors/apply"): SIGNED_IN,
    ("POST", "/ambassadors/apply"): SIGNED_IN,
    ("GET", "/me/ambassador"): SIGNED_IN,
    ("POST", "/me/ambassador"): SIGNED_IN,
    ("GET", "/ambassadors/contacts"): SIGNED_IN,
    ("GET", "/ambassadors/contacts/<contact_id>"): SIGNED_IN,
    ("POST", "/ambassadors/contacts/<contact_id>/reply"): SIGNED_IN,
    ("POST", "/ambassadors/contacts/<contact_id>/log"): SIGNED_IN,
    ("GET", "/ambassadors/activities"): SIGNED_IN,
    ("POST", "/ambassadors/activities"): SIGNED_IN,
    # The office's ambassador programme (frontends/portal/console_ambassadors).
    ("GET", "/office/ambassadors"): ADMIN,
    ("GET", "/office/ambassadors/applications/<application_id>"): ADMIN,
    ("POST", "/office/ambassadors/applications/<application_id>/appoint"): ADMIN,
    ("POST", "/office/ambassadors/applications/<application_id>/decline"): ADMIN,
    ("POST", "/office/ambassadors/<member_id>/end"): ADMIN,
    ("GET", "/office/ambassadors/<member_id>/contacts/new"): ADMIN,
    ("POST", "/office/ambassadors/<member_id>/contacts/new"): ADMIN,
    ("GET", "/office/ambassadors/report"): ADMIN,
    ("GET", "/office/ambassadors/report.csv"): ADMIN,
}
