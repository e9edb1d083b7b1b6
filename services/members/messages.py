"""Events the members service publishes and the schemas of their ``data``."""
from marshmallow import Schema, fields, validate

from shared.auth import ROLES
from services.members.ambassadors import rules as ambassador_rules
from shared.bus.envelope import EventCatalog

CATALOG = EventCatalog("members")
LANGUAGE = validate.OneOf(["bg", "en"])
CHANNELS = ["email", "sms"]
CATEGORIES = ["news", "events", "mentoring", "awards", "surveys", "causes"]


class ConsentData(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class ProfileFieldsData(Schema):
    """The profile fields other services keep copies of (``profiles.SHARED_FIELDS``): contact
    details, and what the member filter language reads (segments, audiences)."""

    given_name = fields.String()
    family_name = fields.String()
    given_name_latin = fields.String(allow_none=True)
    family_name_latin = fields.String(allow_none=True)
    email = fields.Email()
    phone = fields.String(allow_none=True)
    preferred_language = fields.String(validate=LANGUAGE)
    graduation_year = fields.Integer(allow_none=True)
    faculty = fields.String(allow_none=True)
    programme = fields.String(allow_none=True)
    specialty = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    languages = fields.List(fields.String(), allow_none=True)
    interests = fields.List(fields.String(), allow_none=True)
    open_to_mentoring = fields.Boolean(allow_none=True)
    open_to_ambassador = fields.Boolean(allow_none=True)
    open_to_volunteer = fields.Boolean(allow_none=True)
    international_graduate = fields.Boolean(allow_none=True)


class MemberProfileData(ProfileFieldsData):
    """A member with every profile field other services keep (``ProfileFieldsData``), their
    sign-up consent flags and when they signed up: what a sign-up and a snapshot both carry."""

    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(required=True, validate=LANGUAGE)
    graduation_year = fields.Integer(allow_none=True, load_default=None)
    faculty = fields.String(allow_none=True, load_default=None)
    programme = fields.String(allow_none=True, load_default=None)
    consent = fields.Nested(ConsentData, required=True)
    registered_at = fields.AwareDateTime(required=True)


class MemberRegisteredData(MemberProfileData):
    """The new member (``MemberProfileData``), the status and roles they start with."""

    status = fields.String(load_default="pending_verification",
                           validate=validate.OneOf(["pending_verification", "verified"]),
                           metadata={"description": "verified by an operator; a roster match is verified "
                                                    "when the member confirms the email"})
    encrypted_confirmation_token = fields.String(
        allow_none=True, load_default=None,
        metadata={"description": "Fernet-encrypted one-time email confirmation token (members and "
                                 "notifications share the key): the welcome email's confirmation link"})
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), allow_none=True, load_default=None,
                        metadata={"description": "the roles the member signed up with (alumnus or student); "
                                                 "later changes: members.member.roles_changed"})


MEMBER_REGISTERED = CATALOG.register("members.member.registered", MemberRegisteredData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "given_name": "Мария",
    "family_name": "Иванова",
    "email": "maria.ivanova@example.bg",
    "phone": "+359888123456",
    "preferred_language": "bg",
    "graduation_year": 2015,
    "faculty": "medicine",
    "programme": "Medicine (Bulgarian-taught)",
    "consent": {"email": True, "sms": False},
    "registered_at": "2026-11-28T10:15:00+00:00",
    "status": "pending_verification",
    "encrypted_confirmation_token": "gAAAAABn...",
    "roles": ["alumnus"],
    "given_name_latin": "Maria",
    "family_name_latin": "Ivanova",
    "specialty": "кардиология",
    "employer": None,
    "city": "Пловдив",
    "country": "BG",
    "languages": ["bg", "en"],
    "interests": [],
    "open_to_mentoring": True,
    "open_to_ambassador": False,
    "open_to_volunteer": False,
    "international_graduate": False,
})


class MemberSignedUpAgainData(Schema):
    """Someone signed up with the member's address: the sign-up answered as for any address
    and created nothing; the owner is told to log in or reset the password."""

    member_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


MEMBER_SIGNED_UP_AGAIN = CATALOG.register("members.member.signed_up_again", MemberSignedUpAgainData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "at": "2026-11-28T10:20:00+00:00",
})


class MemberErasedData(Schema):
    """Only the id: every other service removes or anonymises what it holds about it."""

    member_id = fields.String(required=True)
    erased_at = fields.AwareDateTime(required=True)


MEMBER_ERASED = CATALOG.register("members.member.erased", MemberErasedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "erased_at": "2026-11-28T12:00:00+00:00",
})


class ConsentDecisionData(Schema):
    """One decision for one channel and category (a snapshot carries the latest of each; a sign-up's
    flags count as the first)."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    granted = fields.Boolean(required=True)
    source = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(allow_none=True, load_default=None)


class ConsentChangedData(ConsentDecisionData):
    member_id = fields.String(required=True)


CONSENT_CHANGED = CATALOG.register("members.consent.changed", ConsentChangedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "channel": "email",
    "category": "events",
    "granted": False,
    "source": "unsubscribe_link",
    "at": "2026-11-28T12:00:00+00:00",
    "expires_at": None,
})


class AccountEmailData(Schema):
    """What an email about the member's own account needs besides its address and link."""

    member_id = fields.String(required=True)
    preferred_language = fields.String(required=True, validate=LANGUAGE)
    given_name = fields.String(required=True)


class PasswordResetRequestedData(AccountEmailData):
    """The reset token travels encrypted (Fernet, key shared by members and notifications
    only): it is never published or logged in clear."""

    email = fields.Email(required=True)
    encrypted_token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


PASSWORD_RESET_REQUESTED = CATALOG.register(
    "members.password_reset.requested", PasswordResetRequestedData(), example={
        "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
        "email": "maria.ivanova@example.bg",
        "preferred_language": "bg",
        "given_name": "Мария",
        "encrypted_token": "gAAAAABn...",
        "expires_at": "2026-11-28T13:00:00+00:00",
    })


class EmailChangeRequestedData(AccountEmailData):
    """A member asked to change their address: the email goes to the NEW address (not yet the
    member's), with the one-time link that applies the change. The token travels encrypted,
    as the password reset's does."""

    new_email = fields.Email(required=True)
    encrypted_token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


EMAIL_CHANGE_REQUESTED = CATALOG.register(
    "members.email_change.requested", EmailChangeRequestedData(), example={
        "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
        "new_email": "maria.ivanova@example.com",
        "preferred_language": "bg",
        "given_name": "Мария",
        "encrypted_token": "gAAAAABn...",
        "expires_at": "2026-11-29T12:00:00+00:00",
    })


class EmailChangedData(AccountEmailData):
    """The new address confirmed the change (``members.member.updated`` carries it too): the
    email goes to the OLD address, with a link that undoes the change until
    ``undo_expires_at`` (the undo token, encrypted)."""

    old_email = fields.Email(required=True)
    new_email = fields.Email(required=True)
    encrypted_undo_token = fields.String(required=True)
    undo_expires_at = fields.AwareDateTime(required=True)
    changed_at = fields.AwareDateTime(required=True)


EMAIL_CHANGED = CATALOG.register("members.email_change.confirmed", EmailChangedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "old_email": "maria.ivanova@example.bg",
    "new_email": "maria.ivanova@example.com",
    "preferred_language": "bg",
    "given_name": "Мария",
    "encrypted_undo_token": "gAAAAABn...",
    "undo_expires_at": "2026-12-05T12:00:00+00:00",
    "changed_at": "2026-11-28T12:00:00+00:00",
})


class MemberUpdatedData(Schema):
    """Only the fields that changed, with their new values (``None``: cleared)."""

    member_id = fields.String(required=True)
    changed = fields.Nested(ProfileFieldsData, required=True)
    updated_at = fields.AwareDateTime(required=True)


MEMBER_UPDATED = CATALOG.register("members.member.updated", MemberUpdatedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "changed": {"city": "Пловдив", "country": "BG", "open_to_mentoring": True},
    "updated_at": "2026-11-28T12:30:00+00:00",
})


class MemberVerifiedData(Schema):
    """A member's identity was confirmed after sign-up: by an admin, or by confirming the
    email of a sign-up the roster matched. They now see the directory."""

    member_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(["admin", "roster_email", "roster_student_number"]),
                           metadata={"description": "roster_*: the roster matched and the member confirmed "
                                                    "their email"})
    verified_at = fields.AwareDateTime(required=True)
    graduation_year = fields.Integer(allow_none=True, load_default=None)
    faculty = fields.String(allow_none=True, load_default=None)


MEMBER_VERIFIED = CATALOG.register("members.member.verified", MemberVerifiedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "method": "admin",
    "verified_at": "2026-11-28T12:30:00+00:00",
    "graduation_year": 2015,
    "faculty": "medicine",
})


class MemberRejectedData(Schema):
    member_id = fields.String(required=True)
    reason = fields.String(required=True)
    rejected_at = fields.AwareDateTime(required=True)


MEMBER_REJECTED = CATALOG.register("members.member.rejected", MemberRejectedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "reason": "Not found in the graduate records of 2010-2020; please send your diploma number.",
    "rejected_at": "2026-11-28T12:30:00+00:00",
})


class SegmentSavedData(Schema):
    """A segment's whole definition, so services can evaluate it on their own read model
    (``shared.memberfilter.matches``) or ask for its members by id."""

    segment_id = fields.String(required=True)
    name = fields.String(required=True)
    filter = fields.Dict(required=True, metadata={"description": "shared.memberfilter language"})
    version = fields.Integer(required=True)
    saved_at = fields.AwareDateTime(required=True)


SEGMENT_SAVED = CATALOG.register("members.segment.saved", SegmentSavedData(), example={
    "segment_id": "3d6f0a8e2b7c4d19a5e1f0b2c3d4e5f6",
    "name": "Plovdiv mentors, classes of 2000-2010",
    "filter": {"city": "Пловдив", "graduation_year_from": 2000, "graduation_year_to": 2010,
               "open_to_mentoring": True},
    "version": 1,
    "saved_at": "2026-11-28T12:30:00+00:00",
})


class SegmentDeletedData(Schema):
    segment_id = fields.String(required=True)
    deleted_at = fields.AwareDateTime(required=True)


SEGMENT_DELETED = CATALOG.register("members.segment.deleted", SegmentDeletedData(), example={
    "segment_id": "3d6f0a8e2b7c4d19a5e1f0b2c3d4e5f6",
    "deleted_at": "2026-11-28T13:00:00+00:00",
})


class AccessRevokedData(Schema):
    """Every access and refresh token of the member issued before ``not_before`` is void, in
    every service (``shared.revocations``): after an erasure, a role change, a password reset
    and an email change or its undo (each its own ``reason``). A token issued at or
    after ``not_before`` (a fresh login) is valid. Consumers need only the id and the time;
    the newest ``not_before`` of a member wins."""

    member_id = fields.String(required=True)
    not_before = fields.AwareDateTime(required=True, metadata={"description": "UTC, millisecond precision"})
    reason = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z_]{0,39}\Z"),
                           metadata={"description": "erased, roles_changed, password_reset, email_changed, "
                                                    "email_change_undone (more may come: consumers must not "
                                                    "depend on it)"})


ACCESS_REVOKED = CATALOG.register("members.access.revoked", AccessRevokedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "not_before": "2026-11-28T12:30:00.123000+00:00",
    "reason": "roles_changed",
})


class BilingualData(Schema):
    bg = fields.String(required=True)
    en = fields.String(required=True)


class SurveyOpenedData(Schema):
    """An admin opened a survey: notifications invites its audience (consent category
    ``surveys``, each invitation with the member's personal link, ``shared.surveylink``) and
    reminds, once before ``closes_at``, those who have not completed it. The audience is given
    as a member filter (``shared.memberfilter``; ``{}`` is every verified member) or, for a
    saved segment, its id (whose filter the consumer holds from ``members.segment.saved``)."""

    survey_id = fields.String(required=True)
    title = fields.Nested(BilingualData, required=True)
    description = fields.Nested(BilingualData, allow_none=True, load_default=None)
    opens_at = fields.AwareDateTime(required=True, metadata={"description": "invitations go out from then"})
    closes_at = fields.AwareDateTime(required=True)
    anonymous = fields.Boolean(required=True)
    questions = fields.Integer(required=True, metadata={"description": "how many questions (the email says so)"})
    filter = fields.Dict(allow_none=True, load_default=None,
                         metadata={"description": "shared.memberfilter language; null for a segment audience"})
    segment_id = fields.String(allow_none=True, load_default=None)
    opened_at = fields.AwareDateTime(required=True)


SURVEY_OPENED = CATALOG.register("members.survey.opened", SurveyOpenedData(), example={
    "survey_id": "9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b",
    "title": {"bg": "Къде сте днес?", "en": "Where are you today?"},
    "description": {"bg": "Пет минути за профила на випуска.", "en": "Five minutes for your class's profile."},
    "opens_at": "2026-12-07T08:00:00+00:00",
    "closes_at": "2026-12-21T22:00:00+00:00",
    "anonymous": False,
    "questions": 12,
    "filter": None,
    "segment_id": "3d6f0a8e2b7c4d19a5e1f0b2c3d4e5f6",
    "opened_at": "2026-12-05T10:00:00+00:00",
})


class SurveyCompletedData(Schema):
    """A member submitted their response (the first time; later edits publish nothing). For an
    anonymous survey nothing of the answers is inside: only that this member took part."""

    survey_id = fields.String(required=True)
    member_id = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    completed_at = fields.AwareDateTime(required=True, metadata={
        "description": "for an anonymous survey, the day only (midnight UTC): it must not tie the member "
                       "to a response by its time"})


SURVEY_COMPLETED = CATALOG.register("members.survey.completed", SurveyCompletedData(), example={
    "survey_id": "9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b",
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d",
    "anonymous": False,
    "completed_at": "2026-12-08T19:42:10+00:00",
})


class SurveyClosedData(Schema):
    """An admin closed the survey before its ``closes_at``: no more answers, no reminder. (A
    survey that reaches its ``closes_at`` publishes nothing: every consumer knows the time.)"""

    survey_id = fields.String(required=True)
    closed_at = fields.AwareDateTime(required=True)


SURVEY_CLOSED = CATALOG.register("members.survey.closed", SurveyClosedData(), example={
    "survey_id": "9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b",
    "closed_at": "2026-12-21T22:00:00+00:00",
})


# --- mentoring (services/members/mentoring) -------------------------------------------------
# Each event names the pair by id (what the awards service credits) and carries each side's
# name and language (what notifications needs to write to them), and ``notify``: the members
# to be told this time. Names are null for a member erased since.

class MentoringPartyData(Schema):
    member_id = fields.String(required=True)
    given_name = fields.String(allow_none=True, load_default=None)
    family_name = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(allow_none=True, load_default=None, validate=LANGUAGE)


class MentoringData(Schema):
    mentor_id = fields.String(required=True)
    mentee_id = fields.String(required=True)
    mentor = fields.Nested(MentoringPartyData, required=True)
    mentee = fields.Nested(MentoringPartyData, required=True)
    notify = fields.List(fields.String(), required=True, metadata={"description": "member ids to tell"})


class MentorshipRequestedData(MentoringData):
    """A mentor is asked (the first choice of a new request, or the next after a decline or an
    expiry): notifications writes to the mentor with the mentee's message and two one-click
    links (``shared.mentoringlink``, made from ``request_id``, ``mentor_id`` and ``deadline``)."""

    request_id = fields.String(required=True)
    choice = fields.Integer(required=True, metadata={"description": "1 is the mentee's first choice"})
    of = fields.Integer(required=True, metadata={"description": "how many mentors the mentee named"})
    message = fields.String(required=True)
    deadline = fields.AwareDateTime(required=True, metadata={"description": "the links work until then"})
    requested_at = fields.AwareDateTime(required=True)


class MentorshipAcceptedData(MentoringData):
    """The mentor said yes: a mentorship starts (told to the mentee)."""

    request_id = fields.String(required=True)
    mentorship_id = fields.String(required=True)
    choice = fields.Integer(required=True)
    asked_at = fields.AwareDateTime(required=True)
    accepted_at = fields.AwareDateTime(required=True)


class MentorshipMovedOnData(MentoringData):
    """An ask ended without a mentorship; ``next_mentor_id`` is asked now (its own
    ``requested`` follows), or ``exhausted``: none is left and the mentee is told to look
    for new recommendations."""

    request_id = fields.String(required=True)
    choice = fields.Integer(required=True)
    next_mentor_id = fields.String(allow_none=True, required=True)
    exhausted = fields.Boolean(required=True)
    asked_at = fields.AwareDateTime(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "when it was declined or expired"})


class MentorshipMeetingLoggedData(MentoringData):
    """One of the pair logged a meeting (told to the other; the notes never leave the pair)."""

    mentorship_id = fields.String(required=True)
    meeting_id = fields.String(required=True)
    logged_by = fields.String(required=True)
    on = fields.Date(required=True)
    minutes = fields.Integer(required=True)
    logged_at = fields.AwareDateTime(required=True)


class MentorshipEndedData(MentoringData):
    """One of the pair ended the mentorship, or it ended with an erasure (``reason``); told to
    the other. No feedback is inside: each side's stays theirs."""

    mentorship_id = fields.String(required=True)
    ended_by = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["ended", "erased"]))
    meetings = fields.Integer(required=True)
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)


_MENTOR = {"member_id": "5a1b2c3d4e5f60718293a4b5c6d7e8f9", "given_name": "Георги", "family_name": "Петров",
           "preferred_language": "bg"}
_MENTEE = {"member_id": "0f9e8d7c6b5a49382716a5b4c3d2e1f0", "given_name": "Anna", "family_name": "Müller",
           "preferred_language": "en"}
_PAIR = {"mentor_id": _MENTOR["member_id"], "mentee_id": _MENTEE["member_id"], "mentor": _MENTOR, "mentee": _MENTEE}

MENTORSHIP_REQUESTED = CATALOG.register("members.mentorship.requested", MentorshipRequestedData(), example={
    **_PAIR, "notify": [_MENTOR["member_id"]], "request_id": "7c3e9a1b5d2f4e6a8b0c1d2e3f4a5b6c",
    "choice": 1, "of": 2, "message": "Здравейте! Мисля за кардиология и бих искала съвет.",
    "deadline": "2026-12-08T10:00:00+00:00", "requested_at": "2026-12-05T10:00:00+00:00",
})
MENTORSHIP_ACCEPTED = CATALOG.register("members.mentorship.accepted", MentorshipAcceptedData(), example={
    **_PAIR, "notify": [_MENTEE["member_id"]], "request_id": "7c3e9a1b5d2f4e6a8b0c1d2e3f4a5b6c",
    "mentorship_id": "2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e1b", "choice": 1,
    "asked_at": "2026-12-05T10:00:00+00:00", "accepted_at": "2026-12-06T08:30:00+00:00",
})
MENTORSHIP_DECLINED = CATALOG.register("members.mentorship.declined", MentorshipMovedOnData(), example={
    **_PAIR, "notify": [_MENTEE["member_id"]], "request_id": "7c3e9a1b5d2f4e6a8b0c1d2e3f4a5b6c", "choice": 1,
    "next_mentor_id": "9d8c7b6a5f4e43d2c1b0a9f8e7d6c5b4", "exhausted": False,
    "asked_at": "2026-12-05T10:00:00+00:00", "at": "2026-12-05T18:00:00+00:00",
})
MENTORSHIP_EXPIRED = CATALOG.register("members.mentorship.expired", MentorshipMovedOnData(), example={
    **_PAIR, "notify": [_MENTEE["member_id"], _MENTOR["member_id"]], "request_id": "7c3e9a1b5d2f4e6a8b0c1d2e3f4a5b6c",
    "choice": 2, "next_mentor_id": None, "exhausted": True,
    "asked_at": "2026-12-05T10:00:00+00:00", "at": "2026-12-08T10:00:00+00:00",
})
MENTORSHIP_MEETING_LOGGED = CATALOG.register("members.mentorship.meeting_logged", MentorshipMeetingLoggedData(), example={
    **_PAIR, "notify": [_MENTEE["member_id"]], "mentorship_id": "2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e1b",
    "meeting_id": "4e6a8c0e2b4d6f8a1c3e5a7c9e1b3d5f", "logged_by": _MENTOR["member_id"], "on": "2026-12-10",
    "minutes": 45, "logged_at": "2026-12-10T19:00:00+00:00",
})
MENTORSHIP_ENDED = CATALOG.register("members.mentorship.ended", MentorshipEndedData(), example={
    **_PAIR, "notify": [_MENTOR["member_id"]], "mentorship_id": "2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e1b",
    "ended_by": _MENTEE["member_id"], "reason": "ended", "meetings": 6,
    "started_at": "2026-12-06T08:30:00+00:00", "ended_at": "2027-06-30T12:00:00+00:00",
})


# ---- roles (issue 16): the views other services keep of members know their roles (the awards
# service assigns judges and applies "not staff" eligibility from its own view).

class MemberRolesChangedData(Schema):
    """The office set a member's roles (``PUT /members/<id>/roles``): the whole new set."""

    member_id = fields.String(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    changed_at = fields.AwareDateTime(required=True)


MEMBER_ROLES_CHANGED = CATALOG.register("members.member.roles_changed", MemberRolesChangedData(), example={
    "member_id": "6f1c2b9e4d8a4e5f9a0b1c2d", "roles": ["alumnus", "judge"],
    "changed_at": "2027-01-12T09:30:00+00:00",
})


# ---- snapshots (services/members/snapshots): ``alumnet members republish`` rebuilds other
# services' views of members (after a view's database was restored or dropped).

class MemberSnapshotData(MemberProfileData):
    """A member as they are now, for views to merge as they merge a sign-up: the shared profile
    fields, status, roles, the sign-up consent flags and the latest consent decision per channel
    and category. ``as_of`` is the time of the member's last change that the snapshot includes,
    so a view keeps any field a newer change has set. Erased members are never snapshotted."""

    status = fields.String(required=True, validate=validate.OneOf(["pending_verification", "verified", "rejected"]))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    consents = fields.List(fields.Nested(ConsentDecisionData), required=True)
    as_of = fields.AwareDateTime(required=True)


MEMBER_SNAPSHOT = CATALOG.register("members.member.snapshot", MemberSnapshotData(), example={
    **{k: v for k, v in CATALOG.examples[MEMBER_REGISTERED].items() if k != "encrypted_confirmation_token"},
    "status": "verified",
    "roles": ["alumnus", "judge"],
    "consents": [
        {"channel": "email", "category": "news", "granted": True, "source": "signup",
         "at": "2026-11-28T10:15:00+00:00", "expires_at": None},
        {"channel": "email", "category": "events", "granted": False, "source": "unsubscribe_link",
         "at": "2027-02-03T18:40:00+00:00", "expires_at": None},
        {"channel": "sms", "category": "events", "granted": True, "source": "profile_page",
         "at": "2027-01-05T09:00:00+00:00", "expires_at": "2028-01-05T09:00:00+00:00"},
    ],
    "as_of": "2027-03-14T08:05:00+00:00",
})


# --- ambassadors (services/members/ambassadors) ---------------------------------------------
# Each event names the ambassador by id (what the awards service credits) and, where
# notifications writes to them, carries their name and language (``member``/``ambassador``,
# the mentoring party's shape; names null for a member erased since). An asker of the public
# finder is no member: their name, address and language travel only in the events that
# notifications needs to write to them, and ``asker_erased`` tells it to forget them.

class RegionData(Schema):
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2"})
    cities = fields.List(fields.String(), required=True)


class AmbassadorAppliedData(Schema):
    application_id = fields.String(required=True)
    member_id = fields.String(required=True)
    member = fields.Nested(MentoringPartyData, required=True)
    countries = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    applied_at = fields.AwareDateTime(required=True)


class AmbassadorAppointedData(Schema):
    """The member is an ambassador for the term (told to them)."""

    member_id = fields.String(required=True)
    member = fields.Nested(MentoringPartyData, required=True)
    public_id = fields.String(required=True, metadata={"description": "the finder's id of them (not the member id)"})
    regions = fields.List(fields.Nested(RegionData), required=True)
    languages = fields.List(fields.String(), required=True)
    term_starts = fields.Date(required=True)
    term_ends = fields.Date(required=True, metadata={"description": "the last day"})
    appointed_at = fields.AwareDateTime(required=True)
    application_id = fields.String(allow_none=True, load_default=None)


class AmbassadorDeclinedData(Schema):
    application_id = fields.String(required=True)
    member_id = fields.String(required=True)
    member = fields.Nested(MentoringPartyData, required=True)
    reason = fields.String(required=True)
    declined_at = fields.AwareDateTime(required=True)


class AskerData(Schema):
    name = fields.String(required=True)
    email = fields.Email(required=True)
    language = fields.String(required=True, validate=LANGUAGE)


class AmbassadorQuestionAskedData(Schema):
    """Someone asked an ambassador a question through the public finder: notifications emails
    the asker the confirmation link (``shared.decisionlink.ASKER_CONFIRMATION``, person "",
    object ``question_id``, until ``confirm_until``). Nothing of the ambassador is inside."""

    question_id = fields.String(required=True)
    asker = fields.Nested(AskerData, required=True)
    country = fields.String(required=True)
    confirm_until = fields.AwareDateTime(required=True)
    asked_at = fields.AwareDateTime(required=True)


class ContactInData(Schema):
    name = fields.String(allow_none=True, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ambassador_rules.CONTACT_KINDS))
    country = fields.String(required=True)
    language = fields.String(required=True)


class AmbassadorContactAssignedData(Schema):
    """A contact for the ambassador to answer by ``due_at``: a confirmed finder question
    (``source: finder``, ``message`` the question) or one the office assigned (``office``,
    ``message`` its note). Told to the ambassador; the contact's address is not inside."""

    contact_id = fields.String(required=True)
    question_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the finder question the contact came from (null for the office's): what an "
                       "asker's erasure (asker_erased) reaches"})
    member_id = fields.String(required=True)
    ambassador = fields.Nested(MentoringPartyData, required=True)
    contact = fields.Nested(ContactInData, required=True)
    source = fields.String(required=True, validate=validate.OneOf(["finder", "office"]))
    message = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)
    assigned_at = fields.AwareDateTime(required=True)


class RecipientData(Schema):
    name = fields.String(required=True)
    email = fields.Email(required=True)
    language = fields.String(required=True)


class AmbassadorContactRepliedData(Schema):
    """The ambassador replied (``via: reply``: notifications emails ``message`` to the
    ``recipient`` in their language, without the ambassador's address) or logged a reply given
    elsewhere (``via: logged``: nothing is sent). ``first``: the reply that counts, with its
    ``reply_seconds`` since the assignment and ``within_target`` (what the awards service credits)."""

    contact_id = fields.String(required=True)
    question_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the finder question the contact came from (null for the office's): what an "
                       "asker's erasure (asker_erased) reaches"})
    member_id = fields.String(required=True)
    ambassador = fields.Nested(MentoringPartyData, required=True)
    via = fields.String(required=True, validate=validate.OneOf(["reply", "logged"]))
    first = fields.Boolean(required=True)
    message = fields.String(allow_none=True, required=True, metadata={"description": "null when logged"})
    recipient = fields.Nested(RecipientData, allow_none=True, required=True,
                              metadata={"description": "null when logged or the contact has no email"})
    within_target = fields.Boolean(required=True)
    reply_seconds = fields.Integer(required=True)
    replied_at = fields.AwareDateTime(required=True)


class OverdueContactData(Schema):
    name = fields.String(allow_none=True, required=True)
    kind = fields.String(required=True)
    country = fields.String(required=True)


class AmbassadorReplyOverdueData(Schema):
    """A contact is unanswered past its target: ``stage: ambassador`` (once, the nudge to the
    ambassador), then ``stage: office`` (once, ``AMBASSADOR_ESCALATE_AFTER_S`` later: to the
    office's ``OFFICE_EMAIL``)."""

    contact_id = fields.String(required=True)
    question_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the finder question the contact came from (null for the office's): what an "
                       "asker's erasure (asker_erased) reaches"})
    member_id = fields.String(required=True)
    ambassador = fields.Nested(MentoringPartyData, required=True)
    contact = fields.Nested(OverdueContactData, required=True)
    stage = fields.String(required=True, validate=validate.OneOf(["ambassador", "office"]))
    due_at = fields.AwareDateTime(required=True)
    overdue_at = fields.AwareDateTime(required=True, metadata={"description": "when the timer found it"})


class ActivityPlaceData(Schema):
    name = fields.String(required=True)
    city = fields.String(allow_none=True, required=True)
    country = fields.String(required=True)


class AmbassadorActivityLoggedData(Schema):
    """An ambassador logged what they did (the awards service credits it); no note inside."""

    activity_id = fields.String(required=True)
    member_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ambassador_rules.ACTIVITY_KINDS))
    on = fields.Date(required=True)
    place = fields.Nested(ActivityPlaceData, required=True)
    people_reached = fields.Integer(required=True)
    logged_at = fields.AwareDateTime(required=True)


class AmbassadorAskerErasedData(Schema):
    """A finder question's asker data is gone (retention, or the ambassador's erasure):
    notifications forgets what it kept of that asker."""

    question_id = fields.String(required=True)
    erased_at = fields.AwareDateTime(required=True)


_AMBASSADOR = {"member_id": "3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e", "given_name": "Priya", "family_name": "Sharma",
               "preferred_language": "en"}

AMBASSADOR_APPLIED = CATALOG.register("members.ambassador.applied", AmbassadorAppliedData(), example={
    "application_id": "8a6c4e2f0b1d3f5a7c9e1b3d5f7a9c1e", "member_id": _AMBASSADOR["member_id"],
    "member": _AMBASSADOR, "countries": ["IN"], "languages": ["en", "hi"], "applied_at": "2027-01-11T09:30:00+00:00",
})
AMBASSADOR_APPOINTED = CATALOG.register("members.ambassador.appointed", AmbassadorAppointedData(), example={
    "member_id": _AMBASSADOR["member_id"], "member": _AMBASSADOR, "public_id": "q7Rk2mX9vB4nT1sW",
    "regions": [{"country": "IN", "cities": ["Mumbai", "Pune"]}], "languages": ["en", "hi"],
    "term_starts": "2027-01-15", "term_ends": "2028-01-14", "appointed_at": "2027-01-15T10:00:00+00:00",
    "application_id": "8a6c4e2f0b1d3f5a7c9e1b3d5f7a9c1e",
})
AMBASSADOR_DECLINED = CATALOG.register("members.ambassador.declined", AmbassadorDeclinedData(), example={
    "application_id": "8a6c4e2f0b1d3f5a7c9e1b3d5f7a9c1e", "member_id": _AMBASSADOR["member_id"],
    "member": _AMBASSADOR, "reason": "We have enough ambassadors for India this year; please apply again in autumn.",
    "declined_at": "2027-01-15T10:00:00+00:00",
})
AMBASSADOR_QUESTION_ASKED = CATALOG.register("members.ambassador.question_asked", AmbassadorQuestionAskedData(),
                                             example={
    "question_id": "c1e3a5c7e9b1d3f5a7c9e1b3d5f7a9c1",
    "asker": {"name": "Arjun Mehta", "email": "arjun.mehta@example.in", "language": "en"},
    "country": "IN", "confirm_until": "2027-02-04T08:00:00+00:00", "asked_at": "2027-02-01T08:00:00+00:00",
})
AMBASSADOR_CONTACT_ASSIGNED = CATALOG.register("members.ambassador.contact_assigned",
                                               AmbassadorContactAssignedData(), example={
    "contact_id": "5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e", "question_id": "c1e3a5c7e9b1d3f5a7c9e1b3d5f7a9c1",
    "member_id": _AMBASSADOR["member_id"],
    "ambassador": _AMBASSADOR,
    "contact": {"name": "Arjun Mehta", "kind": "finder_question", "country": "IN", "language": "en"},
    "source": "finder", "message": "How hard is the entrance exam in biology, and can I take it online?",
    "due_at": "2027-02-03T09:00:00+00:00", "assigned_at": "2027-02-01T09:00:00+00:00",
})
AMBASSADOR_CONTACT_REPLIED = CATALOG.register("members.ambassador.contact_replied", AmbassadorContactRepliedData(),
                                              example={
    "contact_id": "5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e", "question_id": "c1e3a5c7e9b1d3f5a7c9e1b3d5f7a9c1",
    "member_id": _AMBASSADOR["member_id"],
    "ambassador": _AMBASSADOR, "via": "reply", "first": True,
    "message": "Hi Arjun! The biology test is on site in Plovdiv, but there is a preparatory course online.",
    "recipient": {"name": "Arjun Mehta", "email": "arjun.mehta@example.in", "language": "en"},
    "within_target": True, "reply_seconds": 30600, "replied_at": "2027-02-01T17:30:00+00:00",
})
AMBASSADOR_REPLY_OVERDUE = CATALOG.register("members.ambassador.reply_overdue", AmbassadorReplyOverdueData(),
                                            example={
    "contact_id": "5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e", "question_id": "c1e3a5c7e9b1d3f5a7c9e1b3d5f7a9c1",
    "member_id": _AMBASSADOR["member_id"],
    "ambassador": _AMBASSADOR, "contact": {"name": "Arjun Mehta", "kind": "finder_question", "country": "IN"},
    "stage": "ambassador", "due_at": "2027-02-03T09:00:00+00:00", "overdue_at": "2027-02-03T09:01:00+00:00",
})
AMBASSADOR_ACTIVITY_LOGGED = CATALOG.register("members.ambassador.activity_logged", AmbassadorActivityLoggedData(),
                                              example={
    "activity_id": "9c1e3b5d7f9a1c3e5b7d9f1a3c5e7a9c", "member_id": _AMBASSADOR["member_id"],
    "kind": "school_talk", "on": "2027-02-10",
    "place": {"name": "Delhi Public School", "city": "Pune", "country": "IN"},
    "people_reached": 120, "logged_at": "2027-02-11T07:45:00+00:00",
})
AMBASSADOR_ASKER_ERASED = CATALOG.register("members.ambassador.asker_erased", AmbassadorAskerErasedData(), example={
    "question_id": "c1e3a5c7e9b1d3f5a7c9e1b3d5f7a9c1", "erased_at": "2028-02-01T08:00:00+00:00",
})
