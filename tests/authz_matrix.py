"""The authorisation matrix: for every route of every service's OpenAPI and every kind of
caller, the answer a careful security review expects. ``tests/unit/test_authz_matrix.py``
plays the whole table over HTTP against the real apps; a route without a row fails it, and
so does a row without a route.

Callers (columns):

- ``anon``     no token at all
- ``unconf``   a member who signed up and has not confirmed their email (pending_verification)
- ``pending``  a member who confirmed their email, waiting for the office (pending_verification)
- ``alumnus``  a verified alumnus: *the* member of the path (``<member_id>`` is theirs, they hold
               the registration, the ticket, the calendar feed): "self"
- ``student``  a verified student (role ``student``), not the member of the path
- ``staff``    a verified member with the role ``staff`` (the door of events)
- ``judge``    a verified member with the role ``judge``
- ``admin``    the alumni office (role ``admin``)
- ``other``    another verified alumnus: the member of the path is not them

The path's ids are real: ``<member_id>`` the alumnus, ``<event_id>`` a published event for
everyone (happening today, so its door is open) the alumnus registered for, ``<segment_id>``,
``<announcement_id>``, ``<import_id>``, ``<student_number>`` objects the office made;
``<public_id>`` the alumnus's listing as an ambassador, ``<contact_id>`` a contact the office
assigned them, ``<question_id>`` (on the confirmation route) a question asked of them. Rows that
change what the next cell would see (erasure, rejection, cancellations, registering) are
played on fresh objects per cell (``SCENES`` of the test).

A ``[variant]`` row plays its route again on another object: ``[draft]`` an unpublished
event, ``[audience]`` a published event for the faculty of medicine (the alumnus's, and the
unconfirmed and pending members' too: they are of it but not verified), ``[pending]`` the
pending member's own record (there ``pending`` is the member of the path).

Cells: ``ok`` is the route's 2xx; otherwise the status expected. A trailing ``# ...`` is a
note: why an answer is what it is when that is a judgment call.

``REQUESTS``: what each route is sent besides the token, so that the answer is the
authorisation decision and not a 422 for a missing body (a dict of test-client arguments, or
a function of the world and the caller giving one).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CALLERS = ("anon", "unconf", "pending", "alumnus", "student", "staff", "judge", "admin", "other")

MATRIX = """
# method route                                                       [variant]  anon unconf pending alumnus student staff judge admin other
# ---- members: sign-up, profiles, verification
GET    /api/v1/members/openapi.json                                             ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/members/docs                                                     ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/members/docs/assets/<filename>                                   ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/members/docs/platform                                            ok   ok     ok      ok      ok      ok    ok    ok    ok   # the gateway's /docs: every service's document in one Swagger UI
GET    /api/v1/members                                                          401  403    403     403     403     403   403   ok    403
POST   /api/v1/members                                                          ok   ok     ok      ok      ok      ok    ok    ok    ok   # no token needed
GET    /api/v1/members/<member_id>                                              404  404    404     ok      ok      ok    ok    ok    ok   # nothing public: 404 to those who see public fields only
GET    /api/v1/members/<member_id>                                   [pending]  404  404    ok      404     404     404   404   ok    404  # the path names the pending member
PATCH  /api/v1/members/<member_id>                                              401  403    403     ok      403     403   403   ok    403
POST   /api/v1/members/<member_id>/email-change                                 401  403    403     ok      403     403   403   403   403  # the member alone: the office does not move an account's address
POST   /api/v1/members/<member_id>/approve                                      401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/<member_id>/reject                                       401  403    403     403     403     403   403   ok    403
PUT    /api/v1/members/<member_id>/roles                                        401  403    403     403     403     403   403   ok    403
DELETE /api/v1/members/<member_id>                                              401  403    403     ok      403     403   403   ok    403
GET    /api/v1/members/<member_id>/export                                       401  403    403     ok      403     403   403   ok    403
GET    /api/v1/members/<member_id>/export                            [pending]  401  403    ok      403     403     403   403   ok    403
GET    /api/v1/members/<member_id>/consents                                     401  403    403     ok      403     403   403   ok    403
POST   /api/v1/members/<member_id>/consents                                     401  403    403     ok      403     403   403   ok    403
GET    /api/v1/members/<member_id>/consents/history                             401  403    403     ok      403     403   403   ok    403
GET    /api/v1/members/directory                                                401  403    403     ok      ok      ok    ok    ok    ok
# ---- members: accounts (the credential is in the body; a bearer token changes nothing)
POST   /api/v1/members/auth/login                                               ok   ok     ok      ok      ok      ok    ok    ok    ok
POST   /api/v1/members/auth/refresh                                             ok   ok     ok      ok      ok      ok    ok    ok    ok
POST   /api/v1/members/auth/logout                                              ok   ok     ok      ok      ok      ok    ok    ok    ok
POST   /api/v1/members/auth/password-reset                                      ok   ok     ok      ok      ok      ok    ok    ok    ok   # 202 whatever the email
POST   /api/v1/members/auth/password-reset/confirm                              ok   ok     ok      ok      ok      ok    ok    ok    ok
POST   /api/v1/members/auth/confirm-email                                       ok   ok     ok      ok      ok      ok    ok    ok    ok
POST   /api/v1/members/auth/confirm-email-change                                ok   ok     ok      ok      ok      ok    ok    ok    ok   # the link's token is the credential
POST   /api/v1/members/auth/undo-email-change                                   ok   ok     ok      ok      ok      ok    ok    ok    ok   # the link's token is the credential
GET    /api/v1/members/unsubscribe                                              ok   ok     ok      ok      ok      ok    ok    ok    ok   # the signed link is the credential
POST   /api/v1/members/unsubscribe                                              ok   ok     ok      ok      ok      ok    ok    ok    ok
# ---- members: the office's roster and segments
GET    /api/v1/members/roster/imports                                           401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/roster/imports                                           401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/roster/imports/<import_id>                               401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/roster/entries/<student_number>                          401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/segments                                                 401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/segments                                                 401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/segments/preview                                         401  403    403     403     403     403   403   ok    403  # names members on all fields: the office alone
GET    /api/v1/members/segments/<segment_id>                                    401  403    403     403     403     403   403   ok    403
PUT    /api/v1/members/segments/<segment_id>                                    401  403    403     403     403     403   403   ok    403
DELETE /api/v1/members/segments/<segment_id>                                    401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/segments/<segment_id>/members                            401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/stats                                                    401  403    403     403     403     403   403   ok    403  # the office's dashboard
# ---- members: surveys (<survey_id>: open, for everyone; [draft] a draft; the office's own member record is verified)
GET    /api/v1/members/surveys                                                  401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/surveys                                                  401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/surveys/<survey_id>                                      401  403    403     ok      ok      ok    ok    ok    ok   # its audience: every verified member
GET    /api/v1/members/surveys/<survey_id>                           [draft]    401  403    403     404     404     404   404   ok    404  # a draft is the office's alone
PUT    /api/v1/members/surveys/<survey_id>                                      401  403    403     403     403     403   403   409   403  # an open survey does not change
PUT    /api/v1/members/surveys/<survey_id>                           [draft]    401  403    403     403     403     403   403   ok    403
DELETE /api/v1/members/surveys/<survey_id>                                      401  403    403     403     403     403   403   409   403
DELETE /api/v1/members/surveys/<survey_id>                           [draft]    401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/surveys/<survey_id>/open                                 401  403    403     403     403     403   403   409   403
POST   /api/v1/members/surveys/<survey_id>/open                      [draft]    401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/surveys/<survey_id>/close                                401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/me/surveys                                               401  403    403     ok      ok      ok    ok    ok    ok   # verified members: the open surveys for them
GET    /api/v1/members/surveys/<survey_id>/response                             401  403    403     ok      ok      ok    ok    ok    ok   # each their own; or the personal link's token (unit tests)
GET    /api/v1/members/surveys/<survey_id>/response                  [draft]    401  403    403     404     404     404   404   404   404
PUT    /api/v1/members/surveys/<survey_id>/response                             401  403    403     ok      ok      ok    ok    ok    ok
POST   /api/v1/members/surveys/<survey_id>/response/submit                      401  403    403     ok      ok      ok    ok    ok    ok
POST   /api/v1/members/surveys/<survey_id>/response/submit           [draft]    401  403    403     404     404     404   404   404   404
GET    /api/v1/members/surveys/<survey_id>/proposals                            401  403    403     ok      ok      ok    ok    ok    ok
POST   /api/v1/members/surveys/<survey_id>/proposals                            401  403    403     ok      ok      ok    ok    ok    ok   # decides on their own response's proposals only
GET    /api/v1/members/surveys/<survey_id>/results                              401  403    403     403     403     403   403   ok    403  # the office's alone
GET    /api/v1/members/surveys/<survey_id>/results/texts/<question_id>          401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/surveys/<survey_id>/export.csv                           401  403    403     403     403     403   403   ok    403
# ---- members: mentoring (issue 14; the signed one-click link on accept/decline is played in tests/unit/mentoring)
GET    /api/v1/members/me/mentoring/offer                                       401  404    404     ok      404     404   404   404   404  # the alumnus mentors; others offer nothing
PUT    /api/v1/members/me/mentoring/offer                                       401  403    403     ok      403     403   403   403   ok   # verified alumni only
DELETE /api/v1/members/me/mentoring/offer                                       401  ok     ok      ok      ok      ok    ok    ok    ok   # withdrawing none is fine
GET    /api/v1/members/mentoring/mentors/<member_id>                            401  403    403     ok      ok      ok    ok    ok    ok   # verified members see a mentor's card
GET    /api/v1/members/me/mentoring/recommendations                             401  403    403     403     ok      403   403   403   403  # students and recent graduates only
POST   /api/v1/members/me/mentoring/requests                                    401  403    403     403     ok      403   403   403   403
GET    /api/v1/members/me/mentoring/requests                                    401  ok     ok      ok      ok      ok    ok    ok    ok   # each caller's own
GET    /api/v1/members/me/mentoring/asks                                        401  ok     ok      ok      ok      ok    ok    ok    ok   # each caller's own
POST   /api/v1/members/mentoring/requests/<request_id>/accept                   401  403    403     ok      403     403   403   403   403  # the asked mentor alone: not the mentee, not the office
POST   /api/v1/members/mentoring/requests/<request_id>/decline                  401  403    403     ok      403     403   403   403   403
POST   /api/v1/members/mentoring/requests/<request_id>/withdraw                 401  403    403     ok      403     403   403   403   403  # the path's member is the mentee
GET    /api/v1/members/me/mentoring/mentorships                                 401  ok     ok      ok      ok      ok    ok    ok    ok   # each caller's own
GET    /api/v1/members/mentoring/mentorships/<mentorship_id>/meetings           401  403    403     ok      ok      403   403   403   403  # the pair alone (the student is the mentee): notes are private
POST   /api/v1/members/mentoring/mentorships/<mentorship_id>/meetings           401  403    403     ok      ok      403   403   403   403
POST   /api/v1/members/mentoring/mentorships/<mentorship_id>/end                401  403    403     ok      403     403   403   403   403  # a fresh pair: the path's member is its mentor
POST   /api/v1/members/mentoring/mentorships/<mentorship_id>/feedback           401  403    403     ok      403     403   403   403   403  # a fresh pair its mentee ended: the path's member is its mentor
GET    /api/v1/members/mentoring/dashboard                                      401  403    403     403     403     403   403   ok    403  # the office's alone
GET    /api/v1/members/mentoring/dashboard/export.csv                           401  403    403     403     403     403   403   ok    403
# ---- members: ambassadors (issue 15; the alumnus is an ambassador; the finder, its questions and the asker's confirmation are anonymous)
POST   /api/v1/members/ambassadors/applications                                 401  403    403     ok      ok      403   403   403   ok   # verified alumni and students (a fresh alumnus per cell)
GET    /api/v1/members/ambassadors/applications                                 401  403    403     403     403     403   403   ok    403
POST   /api/v1/members/ambassadors/applications/<application_id>/appoint        401  403    403     403     403     403   403   ok    403  # a fresh application per cell
POST   /api/v1/members/ambassadors/applications/<application_id>/decline        401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/me/ambassador                                            401  403    403     ok      ok      ok    ok    ok    ok   # verified members: their own (nulls when none)
PATCH  /api/v1/members/me/ambassador                                            401  403    403     ok      404     404   404   404   404  # the ambassador's own listing; no record: 404
GET    /api/v1/members/ambassadors                                              401  403    403     403     403     403   403   ok    403
PATCH  /api/v1/members/ambassadors/<member_id>                                  401  403    403     403     403     403   403   ok    403  # the office sets regions and terms, not the ambassador
POST   /api/v1/members/ambassadors/<member_id>/end                              401  403    403     403     403     403   403   ok    403  # a fresh ambassador per cell
GET    /api/v1/members/ambassadors/finder                                       ok   ok     ok      ok      ok      ok    ok    ok    ok   # public: only what each ambassador made public
POST   /api/v1/members/ambassadors/finder/<public_id>/questions                 ok   ok     ok      ok      ok      ok    ok    ok    ok   # 202 alike for anyone; rate-limited per address (a new one per cell)
POST   /api/v1/members/ambassadors/questions/<question_id>/confirm              ok   ok     ok      ok      ok      ok    ok    ok    ok   # the link's token is the credential; a second confirmation is 200
POST   /api/v1/members/ambassadors/<member_id>/contacts                         401  403    403     403     403     403   403   ok    403  # the office assigns
GET    /api/v1/members/ambassadors/<member_id>/contacts                         401  403    403     ok      403     403   403   ok    403
POST   /api/v1/members/ambassadors/<member_id>/contacts/<contact_id>/reply      401  403    403     ok      403     403   403   403   403  # the ambassador alone: the office assigns, it does not answer
POST   /api/v1/members/ambassadors/<member_id>/contacts/<contact_id>/log        401  403    403     ok      403     403   403   403   403
POST   /api/v1/members/ambassadors/<member_id>/activities                       401  403    403     ok      403     403   403   ok    403
GET    /api/v1/members/ambassadors/<member_id>/activities                       401  403    403     ok      403     403   403   ok    403
GET    /api/v1/members/ambassadors/report                                       401  403    403     403     403     403   403   ok    403
GET    /api/v1/members/ambassadors/report.csv                                   401  403    403     403     403     403   403   ok    403
# ---- events
GET    /api/v1/events/openapi.json                                              ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events/docs                                                      ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events/docs/assets/<filename>                                    ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events/docs/platform                                             ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events                                                           ok   ok     ok      ok      ok      ok    ok    ok    ok
POST   /api/v1/events                                                           401  403    403     403     403     403   403   ok    403
GET    /api/v1/events/<event_id>                                                ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events/<event_id>                                     [draft]    404  404    404     404     404     404   404   ok    404
GET    /api/v1/events/<event_id>                                     [audience] 404  404    404     ok      404     ok    404   ok    404  # for medicine: unconf and pending are of it, not verified
GET    /api/v1/events/<event_id>.ics                                            ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events/<event_id>.ics                                 [draft]    404  404    404     404     404     404   404   ok    404
GET    /api/v1/events/<event_id>.ics                                 [audience] 404  404    404     ok      404     ok    404   ok    404
PATCH  /api/v1/events/<event_id>                                                401  403    403     403     403     403   403   ok    403
POST   /api/v1/events/<event_id>/publish                                        401  403    403     403     403     403   403   ok    403
POST   /api/v1/events/<event_id>/cancel                                         401  403    403     403     403     403   403   ok    403
GET    /api/v1/events/<event_id>/registrations                                  401  403    403     403     403     ok    403   ok    403  # the door
GET    /api/v1/events/<event_id>/registrations                       [draft]    401  403    403     403     403     404   403   ok    403
POST   /api/v1/events/<event_id>/registrations                                  401  403    403     ok      ok      ok    ok    ok    ok   # verified members only
POST   /api/v1/events/<event_id>/registrations                       [draft]    401  404    404     404     404     404   404   409   404
POST   /api/v1/events/<event_id>/registrations                       [audience] 401  404    404     ok      404     403   404   ok    404  # staff see it, but are not of its audience
GET    /api/v1/events/<event_id>/registrations/mine                             401  404    404     ok      404     404   404   404   404
DELETE /api/v1/events/<event_id>/registrations/mine                             401  404    404     ok      404     404   404   404   404
GET    /api/v1/events/<event_id>/registrations/<member_id>                      401  403    403     403     403     403   403   ok    403
DELETE /api/v1/events/<event_id>/registrations/<member_id>                      401  403    403     403     403     403   403   ok    403
GET    /api/v1/events/registrations/mine                                        401  ok     ok      ok      ok      ok    ok    ok    ok   # each caller's own (empty but the alumnus's)
GET    /api/v1/events/<event_id>/registrations/mine/ticket                      401  404    404     ok      404     404   404   404   404
GET    /api/v1/events/<event_id>/registrations/mine/ticket.<fmt>                401  404    404     ok      404     404   404   404   404
GET    /api/v1/events/<event_id>/registrations/<member_id>/ticket               401  403    403     403     403     403   403   ok    403  # the code is a bearer secret: not even staff
GET    /api/v1/events/<event_id>/registrations/<member_id>/ticket.<fmt>         401  403    403     403     403     403   403   ok    403
POST   /api/v1/events/<event_id>/check-ins                                      401  403    403     403     403     ok    403   ok    403
POST   /api/v1/events/<event_id>/check-ins                           [draft]    401  403    403     403     403     404   403   409   403
GET    /api/v1/events/<event_id>/attendance.csv                                 401  403    403     403     403     ok    403   ok    403
GET    /api/v1/events/<event_id>/attendance.csv                      [draft]    401  403    403     403     403     404   403   ok    403
POST   /api/v1/events/calendar-feed                                             401  ok     ok      ok      ok      ok    ok    ok    ok   # judgment: any signed-in caller; it lists only their own registrations
DELETE /api/v1/events/calendar-feed                                             401  ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/events/calendar-feeds/<secret>.ics                               ok   ok     ok      ok      ok      ok    ok    ok    ok   # the secret URL is the credential
GET    /api/v1/events/stats                                                     401  403    403     403     403     403   403   ok    403  # the office's dashboard; staff run the door only
GET    /api/v1/events/members/<member_id>/export                               401  403    403     ok      403     403   403   ok    403  # GDPR: the member and the office, as the members export
GET    /api/v1/events/members/<member_id>/export                    [pending]  401  403    ok      403     403     403   403   ok    403  # not yet verified members have their data too
# ---- events: causes (issue 15; <cause_id>: published, for everyone, the alumnus owns it; [draft] their draft; [audience] the office's, for medicine)
GET    /api/v1/events/causes                                                    401  ok     ok      ok      ok      ok    ok    ok    ok   # each caller's: the published causes of their audience and those they own
POST   /api/v1/events/causes                                                    401  403    403     403     403     403   403   ok    403
GET    /api/v1/events/causes/<cause_id>                                         401  404    404     ok      ok      ok    ok    ok    ok   # verified members of its audience; to others it does not exist
GET    /api/v1/events/causes/<cause_id>                              [draft]    401  404    404     ok      404     404   404   ok    404  # the owner sees their draft
GET    /api/v1/events/causes/<cause_id>                              [audience] 401  404    404     ok      404     404   404   ok    404  # staff have no door here: a cause is no event
PATCH  /api/v1/events/causes/<cause_id>                                         401  404    404     403     403     403   403   ok    403  # published: the office alone
PATCH  /api/v1/events/causes/<cause_id>                              [draft]    401  404    404     ok      404     404   404   ok    404  # the owner edits their draft
POST   /api/v1/events/causes/<cause_id>/publish                                 401  403    403     403     403     403   403   ok    403  # the office alone, not the owner
POST   /api/v1/events/causes/<cause_id>/close                                   401  404    404     ok      403     403   403   ok    403  # a fresh cause the alumnus owns
POST   /api/v1/events/causes/<cause_id>/progress                                401  404    404     ok      403     403   403   ok    403  # a fresh campaign the alumnus owns
POST   /api/v1/events/causes/<cause_id>/roles/<role_id>/volunteers              401  404    404     ok      ok      ok    ok    ok    ok   # a fresh cause: verified members of its audience; admins always
POST   /api/v1/events/causes/<cause_id>/roles/<role_id>/volunteers   [audience] 401  404    404     ok      404     404   404   ok    404
DELETE /api/v1/events/causes/<cause_id>/roles/<role_id>/volunteers/me           401  404    404     ok      404     404   404   404   404  # a fresh cause the alumnus joined; the others never did
GET    /api/v1/events/causes/<cause_id>/volunteers                              401  404    404     ok      403     403   403   ok    403  # names: the owner and the office only
POST   /api/v1/events/causes/<cause_id>/volunteers/<volunteer_id>/hours         401  404    404     ok      403     403   403   ok    403  # a fresh cause the alumnus owns, the student volunteering
# ---- notifications
GET    /api/v1/notifications/openapi.json                                       ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/notifications/docs                                               ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/notifications/docs/assets/<filename>                             ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/notifications/docs/platform                                      ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/notifications/deliveries                                         401  ok     ok      ok      ok      ok    ok    ok    ok   # a member's own only; admins all
GET    /api/v1/notifications/preferences/me                                     401  ok     ok      ok      ok      ok    ok    ok    ok
PUT    /api/v1/notifications/preferences/me                                     401  ok     ok      ok      ok      ok    ok    ok    ok   # judgment: not yet verified members choose too
GET    /api/v1/notifications/announcements                                      401  403    403     403     403     403   403   ok    403
POST   /api/v1/notifications/announcements                                      401  403    403     403     403     403   403   ok    403
GET    /api/v1/notifications/announcements/<announcement_id>                    401  403    403     403     403     403   403   ok    403
POST   /api/v1/notifications/announcements/<announcement_id>/cancel             401  403    403     403     403     403   403   ok    403
GET    /api/v1/notifications/stats                                              401  403    403     403     403     403   403   ok    403  # the office's dashboard
GET    /api/v1/notifications/members/<member_id>/export                        401  403    403     ok      403     403   403   ok    403  # GDPR: the member and the office, as the members export
GET    /api/v1/notifications/members/<member_id>/export             [pending]  401  403    ok      403     403     403   403   ok    403
# ---- awards (a skeleton so far)
GET    /api/v1/awards/openapi.json                                              ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/awards/docs                                                      ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/awards/docs/assets/<filename>                                    ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/awards/docs/platform                                             ok   ok     ok      ok      ok      ok    ok    ok    ok
GET    /api/v1/awards/members/<member_id>/export                               401  403    403     ok      403     403   403   ok    403  # GDPR: the member and the office, verified or not
GET    /api/v1/awards/members/<member_id>/export                    [pending]  401  403    ok      403     403     403   403   ok    403
# ---- awards: engagement ledger
GET    /api/v1/awards/me/engagement                                             401  403    403     ok      ok      ok    ok    ok    ok   # verified members (as the awards members view says) and the office
GET    /api/v1/awards/cycles/<cycle_id>/standings                               401  403    403     403     403     403   403   ok    403  # the office's: names of everyone in the cycle
GET    /api/v1/awards/cycles/<cycle_id>/members/<member_id>/engagement          401  403    403     ok      403     403   403   ok    403  # the member (self) and the office
# ---- awards: cycles, nominations, judging (issue 16; <cycle_id> a cycle taking nominations, [draft] a draft, the
#      judge assigned to the cycle in judging; the nominee's one-click link is played in tests/unit/awards)
POST   /api/v1/awards/cycles                                                    401  403    403     403     403     403   403   ok    403
GET    /api/v1/awards/cycles                                                    401  403    403     ok      ok      ok    ok    ok    ok   # verified members: the opened cycles
GET    /api/v1/awards/cycles/<cycle_id>                                         401  403    403     ok      ok      ok    ok    ok    ok
GET    /api/v1/awards/cycles/<cycle_id>                              [draft]    401  403    403     404     404     404   404   ok    404  # a draft is the office's alone
PATCH  /api/v1/awards/cycles/<cycle_id>                                         401  403    403     403     403     403   403   409   403  # an opened cycle does not change
PATCH  /api/v1/awards/cycles/<cycle_id>                              [draft]    401  403    403     403     403     403   403   ok    403
POST   /api/v1/awards/cycles/<cycle_id>/open                                    401  403    403     403     403     403   403   409   403
POST   /api/v1/awards/cycles/<cycle_id>/open                         [draft]    401  403    403     403     403     403   403   ok    403  # a fresh draft per cell
POST   /api/v1/awards/cycles/<cycle_id>/advance                                 401  403    403     403     403     403   403   ok    403  # a fresh cycle per cell
POST   /api/v1/awards/cycles/<cycle_id>/categories/<category_id>/nominations    401  403    403     ok      ok      ok    ok    ok    ok   # verified members (the second nominator on is merged)
GET    /api/v1/awards/nominations/<nomination_id>                               401  403    403     ok      403     403   403   ok    403  # the nominee (the alumnus) and the office; or the email link's X-Nomination-Token alone (tests/unit/awards)
POST   /api/v1/awards/nominations/<nomination_id>/confirm                       401  403    403     ok      403     403   403   403   403  # the nominee alone, not the office; a fresh nomination per cell
POST   /api/v1/awards/nominations/<nomination_id>/decline                       401  403    403     ok      403     403   403   403   403
GET    /api/v1/awards/me/nominations                                            401  ok     ok      ok      ok      ok    ok    ok    ok   # each caller's own
GET    /api/v1/awards/cycles/<cycle_id>/nominations                             401  403    403     403     403     403   403   ok    403  # names every nominator: the office's alone
PATCH  /api/v1/awards/nominations/<nomination_id>/statements/<index>            401  403    403     403     403     403   403   ok    403  # the office redacts before judging
POST   /api/v1/awards/cycles/<cycle_id>/categories/<category_id>/shortlist      401  403    403     403     403     403   403   ok    403
GET    /api/v1/awards/cycles/<cycle_id>/judging                                 401  403    403     403     403     403   ok    403   403  # the cycle's judges alone, not even the office: blind ballots
PUT    /api/v1/awards/cycles/<cycle_id>/judging/<ballot_id>                     401  403    403     403     403     403   ok    403   403
POST   /api/v1/awards/cycles/<cycle_id>/judging/<ballot_id>/conflict            401  403    403     403     403     403   ok    403   403  # another ballot than the score's
GET    /api/v1/awards/cycles/<cycle_id>/results                                 401  403    403     403     403     403   403   ok    403  # the cycle in judging
POST   /api/v1/awards/cycles/<cycle_id>/categories/<category_id>/winners        401  403    403     403     403     403   403   ok    403  # a cycle in results
POST   /api/v1/awards/cycles/<cycle_id>/announce                                401  403    403     403     403     403   403   ok    403  # a cycle with every category decided
GET    /api/v1/awards/cycles/<cycle_id>/winners                                 401  403    403     ok      ok      ok    ok    ok    ok   # an announced cycle: verified members
"""


def table() -> dict[tuple[str, str, str], dict[str, str]]:
    """The matrix as ``{(method, route, variant): {caller: cell}}`` (variant ``""`` for the
    route's main row); a malformed row raises."""
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for number, line in enumerate(MATRIX.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        method, route, *cells = text.split()
        variant = cells.pop(0)[1:-1] if cells and cells[0].startswith("[") else ""
        if len(cells) != len(CALLERS) or any(c != "ok" and not c.isdigit() for c in cells):
            raise ValueError(f"matrix line {number}: {len(CALLERS)} cells of ok or a status wanted: {line!r}")
        if (method, route, variant) in rows:
            raise ValueError(f"matrix line {number}: a second row for {method} {route} {variant}")
        rows[method, route, variant] = dict(zip(CALLERS, cells))
    return rows


ROSTER_STUDENT = "MX9001"
ROSTER_CSV = "student_number,given_name,family_name,email,graduation_year,faculty\r\n" \
             f"{ROSTER_STUDENT},Петър,Петров,petar.petrov@example.bg,2001,medicine\r\n"
EVENT = {"title": {"bg": "Лекция", "en": "Lecture"}, "kind": "lecture", "starts_at": "2031-05-01T18:00",
         "ends_at": "2031-05-01T20:00", "place": {"name": "Аула", "city": "Пловдив"}, "capacity": 50}
SURVEY = {"title": {"bg": "Къде сте днес?", "en": "Where are you today?"}, "anonymous": False,
          "audience": {"kind": "everyone"},
          "sections": [{"id": "now", "title": {"bg": "Днес", "en": "Today"}, "questions": [
              {"id": "town", "kind": "text", "text": {"bg": "Град", "en": "City"}, "maps_to": "city"}]}]}
MENTOR_OFFER = {"topics": ["specialty_choice"], "specialties": ["Кардиология"], "languages": ["bg"],
                "formats": ["online"], "capacity": 10}
ANNOUNCEMENT = {"subject": {"bg": "Новини", "en": "News"}, "body": {"bg": "Здравейте.", "en": "Hello."}}
AMBASSADOR_APPLICATION = {"motivation": "I studied in English here and live in Pune.", "countries": ["IN"],
                          "cities": ["Pune"], "languages": ["en"], "faculty": "medicine"}
AMBASSADOR_QUESTION = {"name": "Arjun Mehta", "language": "en", "country": "IN",
                       "message": "How hard is the entrance exam?", "privacy_accepted": True}
AMBASSADOR_CONTACT = {"name": "Ravi Kumar", "kind": "prospective_student", "country": "IN", "language": "en",
                      "note": "Wants to hear about student life."}
CAUSE = {"kind": "volunteering", "title": {"bg": "Ден на отворените врати", "en": "Open day"},
         "deadline": "2031-06-01T18:00", "roles": [{"role_id": "guide", "title": {"bg": "Водач", "en": "Guide"},
                                                     "slots": 10}]}
CAMPAIGN = {"kind": "campaign", "title": {"bg": "Нова библиотека", "en": "A new library"}, "deadline": "2031-06-01T18:00",
            "goal": {"target": 5000, "unit": {"bg": "лв.", "en": "BGN"}}}


def _consent(world, caller: str) -> dict:
    # The member records their own choice; the office records one asked for on the phone.
    if caller == "admin":
        return {"json": {"channel": "email", "category": "news", "granted": True, "source": "admin_on_request",
                         "reason": "Asked on the phone."}}
    return {"json": {"channel": "email", "category": "news", "granted": True, "source": "profile_page"}}


M, E, N = "/api/v1/members", "/api/v1/events", "/api/v1/notifications"
REQUESTS = {
    ("POST", M): lambda world, caller: {"json": world.sign_up_body()},
    ("PATCH", f"{M}/<member_id>"): {"json": {"city": "Пловдив"}},
    ("POST", f"{M}/<member_id>/approve"): {"json": {}},
    ("POST", f"{M}/<member_id>/reject"): {"json": {"reason": "Not in the university's records."}},
    ("PUT", f"{M}/<member_id>/roles"): {"json": {"roles": ["alumnus"]}},
    ("DELETE", f"{M}/<member_id>"): {"query_string": {"reason": "Asked in writing."}},
    ("POST", f"{M}/<member_id>/consents"): _consent,
    ("POST", f"{M}/auth/login"): lambda world, caller: {"json": world.credentials()},
    ("POST", f"{M}/auth/refresh"): lambda world, caller: {"json": {"refresh_token": world.refresh_token()}},
    ("POST", f"{M}/auth/logout"): lambda world, caller: {"json": {"refresh_token": world.refresh_token()}},
    # Any address is answered alike; a new one per cell keeps clear of the per-email rate limit.
    ("POST", f"{M}/auth/password-reset"): lambda world, caller: {"json": {"email": world.new_email()}},
    ("POST", f"{M}/auth/password-reset/confirm"): lambda world, caller: {
        "json": {"token": world.reset_token(), "new_password": "another long passphrase 7"}},
    ("POST", f"{M}/auth/confirm-email"): lambda world, caller: {"json": {"token": world.confirmation_token()}},
    # A new address per cell (the per-address link limit); the alumnus proves it with the password.
    ("POST", f"{M}/<member_id>/email-change"): lambda world, caller: {
        "json": {"new_email": world.new_email(), "current_password": world.credentials()["password"]}},
    # Their own client address each: the confirmations share one per-address rate limit.
    ("POST", f"{M}/auth/confirm-email-change"): lambda world, caller: {
        "json": {"token": world.email_change_token()}, "environ_base": {"REMOTE_ADDR": "192.0.2.61"}},
    ("POST", f"{M}/auth/undo-email-change"): lambda world, caller: {
        "json": {"token": world.undo_token()}, "environ_base": {"REMOTE_ADDR": "192.0.2.62"}},
    ("POST", f"{M}/roster/imports"): {"query_string": {"dry_run": "true"}, "data": ROSTER_CSV,
                                      "content_type": "text/csv; charset=utf-8"},
    ("POST", f"{M}/segments"): {"json": {"name": "Пловдив", "filter": {}}},
    ("PUT", f"{M}/segments/<segment_id>"): {"json": {"name": "Всички", "filter": {}}},
    ("POST", f"{M}/segments/preview"): {"json": {"filter": {"faculty": ["medicine"]}}},
    ("GET", f"{M}/unsubscribe"): lambda world, caller: {"query_string": {"token": world.unsubscribe_token()}},
    ("POST", f"{M}/unsubscribe"): lambda world, caller: {"query_string": {"token": world.unsubscribe_token()}},
    ("POST", f"{M}/surveys"): lambda world, caller: {"json": world.survey_body()},
    ("PUT", f"{M}/surveys/<survey_id>"): lambda world, caller: {"json": world.survey_body()},
    ("PUT", f"{M}/surveys/<survey_id>/response"): {"json": {"answers": {"town": "Варна"}}},
    ("POST", f"{M}/surveys/<survey_id>/response/submit"): {"json": {"answers": {"town": "Варна"}}},
    # The caller's response proposes their city (submitted first), which they decline.
    ("POST", f"{M}/surveys/<survey_id>/proposals"): lambda world, caller: {
        "json": {"decisions": {"city": "decline"}}, **world.submitted_for(caller)},
    # ---- mentoring (issue 14)
    ("PUT", f"{M}/me/mentoring/offer"): {"json": MENTOR_OFFER},
    ("POST", f"{M}/me/mentoring/requests"): lambda world, caller: {
        "json": {"mentors": [world.mentor()], "message": "Здравейте!"}},
    ("POST", f"{M}/mentoring/requests/<request_id>/accept"): {"json": {}},
    ("POST", f"{M}/mentoring/requests/<request_id>/decline"): {"json": {}},
    ("POST", f"{M}/mentoring/mentorships/<mentorship_id>/meetings"): lambda world, caller: {"json": {
        "on": datetime.now(ZoneInfo("Europe/Sofia")).date().isoformat(), "minutes": 30, "topic": "Специалност"}},
    ("POST", f"{M}/mentoring/mentorships/<mentorship_id>/end"): {"json": {}},
    ("POST", f"{M}/mentoring/mentorships/<mentorship_id>/feedback"): {"json": {"rating": 4}},
    # ---- ambassadors (issue 15)
    ("POST", f"{M}/ambassadors/applications"): {"json": AMBASSADOR_APPLICATION},
    ("POST", f"{M}/ambassadors/applications/<application_id>/appoint"): {"json": {}},
    ("POST", f"{M}/ambassadors/applications/<application_id>/decline"): {"json": {"reason": "Not this year."}},
    ("PATCH", f"{M}/me/ambassador"): {"json": {"listed": True, "public_fields": ["given_name"]}},
    ("PATCH", f"{M}/ambassadors/<member_id>"): {"json": {"languages": ["en", "hi"]}},
    # A new address per cell: the questions of one address are rate-limited.
    ("POST", f"{M}/ambassadors/finder/<public_id>/questions"): lambda world, caller: {"json": {
        **AMBASSADOR_QUESTION, "email": world.new_email()}},
    ("POST", f"{M}/ambassadors/questions/<question_id>/confirm"): lambda world, caller: {
        "json": {"token": world.question_token()}},
    ("POST", f"{M}/ambassadors/<member_id>/contacts"): {"json": AMBASSADOR_CONTACT},
    ("POST", f"{M}/ambassadors/<member_id>/contacts/<contact_id>/reply"): {"json": {"message": "Здравейте!"}},
    ("POST", f"{M}/ambassadors/<member_id>/contacts/<contact_id>/log"): lambda world, caller: {"json": {
        "channel": "phone", "on": datetime.now(ZoneInfo("Europe/Sofia")).date().isoformat()}},
    ("POST", f"{M}/ambassadors/<member_id>/activities"): lambda world, caller: {"json": {
        "kind": "school_talk", "on": datetime.now(ZoneInfo("Europe/Sofia")).date().isoformat(),
        "place": {"name": "Delhi Public School", "city": "Pune", "country": "IN"}, "people_reached": 40}},
    # ---- events
    ("POST", E): {"json": EVENT},
    ("PATCH", f"{E}/<event_id>"): {"json": {"capacity": 100}},
    ("POST", f"{E}/<event_id>/publish"): {"json": {}},
    ("POST", f"{E}/<event_id>/cancel"): {"json": {"reason": "The hall is closed."}},
    ("POST", f"{E}/<event_id>/registrations"): {"json": {}},
    ("POST", f"{E}/<event_id>/check-ins"): lambda world, caller: {"json": {"code": world.ticket_code}},
    ("POST", f"{E}/calendar-feed"): {"json": {}},
    # ---- events: causes (issue 15)
    ("POST", f"{E}/causes"): {"json": CAUSE},
    ("PATCH", f"{E}/causes/<cause_id>"): {"json": {"title": {"bg": "Ден на отворените врати", "en": "Open day"}}},
    ("POST", f"{E}/causes/<cause_id>/progress"): {"json": {"current": 1200}},
    ("POST", f"{E}/causes/<cause_id>/roles/<role_id>/volunteers"): {"json": {}},
    ("POST", f"{E}/causes/<cause_id>/volunteers/<volunteer_id>/hours"): lambda world, caller: {"json": {
        "hours": 3, "on": datetime.now(ZoneInfo("Europe/Sofia")).date().isoformat()}},
    ("PUT", f"{N}/preferences/me"): {"json": {"digest_hour": 7}},
    ("POST", f"{N}/announcements"): {"json": ANNOUNCEMENT},
    ("POST", f"{N}/announcements/<announcement_id>/cancel"): {"json": {}},
}


# ---- awards: cycles, nominations, judging (issue 16)
AW = "/api/v1/awards"
AWARD_RUBRIC = [{"key": "impact", "title": {"bg": "Въздействие", "en": "Impact"}, "weight": 2},
                {"key": "dedication", "title": {"bg": "Отдаденост", "en": "Dedication"}, "weight": 1}]
AWARD_CATEGORY = "mentor-of-the-year"
AWARD_STATEMENT = "Наставлява студенти през цялата година и винаги намира време за тях."


def award_cycle_body(judges=()) -> dict:
    """A cycle whose nominations run from an hour ago for ten days, with one category."""
    now = datetime.now(ZoneInfo("UTC"))
    days = [now + timedelta(days=d) for d in (10, 20, 30, 40)]
    return {"year": now.year, "title": {"bg": "Алумни награди", "en": "Alumni Awards"},
            "phases": {"nominations_from": (now - timedelta(hours=1)).isoformat(),
                       "nominations_until": days[0].isoformat(), "confirmation_until": days[1].isoformat(),
                       "judging_until": days[2].isoformat(), "results_at": days[3].isoformat()},
            "judges": list(judges),
            "categories": [{"category_id": AWARD_CATEGORY, "title": {"bg": "Ментор на годината", "en": "Mentor"},
                            "description": {"bg": "За наставничество.", "en": "For mentoring."},
                            "rubric": AWARD_RUBRIC}]}


REQUESTS.update({
    ("POST", f"{AW}/cycles"): lambda world, caller: {"json": award_cycle_body()},
    ("PATCH", f"{AW}/cycles/<cycle_id>"): {"json": {"title": {"bg": "Награди", "en": "Awards"}}},
    ("POST", f"{AW}/cycles/<cycle_id>/categories/<category_id>/nominations"): lambda world, caller: {
        "json": {"nominee_id": world.awards["nominee"], "statement": AWARD_STATEMENT}},
    ("POST", f"{AW}/nominations/<nomination_id>/confirm"): {"json": {"details": "Водя и летен курс."}},
    ("POST", f"{AW}/nominations/<nomination_id>/decline"): {"json": {}},
    ("PATCH", f"{AW}/nominations/<nomination_id>/statements/<index>"): {"json": {"statement": "Наставлява студенти."}},
    ("POST", f"{AW}/cycles/<cycle_id>/categories/<category_id>/shortlist"): {"json": {"top": 5}},
    ("PUT", f"{AW}/cycles/<cycle_id>/judging/<ballot_id>"): {"json": {"scores": {"impact": 8, "dedication": 6}}},
    ("POST", f"{AW}/cycles/<cycle_id>/judging/<ballot_id>/conflict"): {"json": {"reason": "Работим заедно."}},
    ("POST", f"{AW}/cycles/<cycle_id>/categories/<category_id>/winners"): lambda world, caller: {
        "json": {"nomination_ids": [world.awards["results_nomination"]]}},
})
