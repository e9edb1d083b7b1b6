"""HTTP schemas of member records: sign-up, profiles and their visibility, the office's
member list and its verification decisions."""
from __future__ import annotations

import phonenumbers
from flask import has_app_context
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from services.members.accounts import rules as accounts
from services.members.accounts.schemas import PASSWORD_LENGTH, normalise_email, valid_email
from services.members.profiles import rules as profiles
from services.members.schemas import FACULTIES, LANGUAGES, MAX_INTEREST, NAME, PROFILE_LIST_LIMITS, SHORT_TEXT
from shared import clock, memberfilter
from shared.auth import ROLES
from shared.web.app import current_service
from shared.web.pagination import page_query_schema, page_schema

STUDENT_NUMBER = validate.Regexp(r"^[0-9A-Za-zА-Яа-яЁё/ -]{3,24}\Z", error="3 to 20 letters, digits, / or -.")


def _club_year() -> int:
    """The club's year by the service clock in a request; by the process clock outside one (a
    test storing members without the routes)."""
    return clock.club_date(current_service().clock() if has_app_context() else clock.now()).year


class ConsentSchema(Schema):
    email = fields.Boolean(required=True, metadata={"description": "may we email you news"})
    sms = fields.Boolean(required=True, metadata={"description": "may we text you"})


def _text(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=SHORT_TEXT, **kwargs)


class ProfileFieldsSchema(Schema):
    """The profile fields, as a member writes them (sign-up and profile edits)."""

    given_name = fields.String(validate=NAME, metadata={"description": "as in Bulgarian documents (Cyrillic)"})
    family_name = fields.String(validate=NAME)
    given_name_latin = fields.String(allow_none=True, validate=NAME, metadata={"description": "as in the passport"})
    family_name_latin = fields.String(allow_none=True, validate=NAME)
    phone = fields.String(allow_none=True, metadata={"description": "international format, e.g. +359888123456"})
    preferred_language = fields.String(validate=validate.OneOf(LANGUAGES),
                                       metadata={"description": "language of our messages to you"})
    graduation_year = fields.Integer(allow_none=True)
    faculty = fields.String(allow_none=True, validate=validate.OneOf(FACULTIES))
    programme = _text(metadata={"description": "degree programme, e.g. Medicine (English-taught)"})
    specialty = _text(metadata={"description": "medical specialty, e.g. кардиология"})
    position = _text(metadata={"description": "current position"})
    employer = _text()
    city = fields.String(allow_none=True, validate=NAME)
    country = memberfilter.CountryCode(allow_none=True, metadata={"description": "ISO 3166 code, e.g. BG"})
    languages = fields.List(fields.String(validate=validate.Regexp(
        r"^[a-z]{2}\Z", error="Must be an ISO 639-1 code, e.g. de.")), allow_none=True,
        validate=validate.Length(max=PROFILE_LIST_LIMITS["languages"]),
        metadata={"description": "languages spoken, ISO 639-1 codes"})
    interests = fields.List(fields.String(validate=[validate.Length(min=1, max=MAX_INTEREST), NAME[1]]),
                            allow_none=True, validate=validate.Length(max=PROFILE_LIST_LIMITS["interests"]))
    open_to_mentoring = fields.Boolean(metadata={"description": "would mentor students and new graduates"})
    open_to_ambassador = fields.Boolean(metadata={"description": "would represent the university"})
    open_to_volunteer = fields.Boolean(metadata={"description": "would volunteer for the university's causes"})
    international_graduate = fields.Boolean(metadata={"description": "graduated from an English-taught programme"})

    @validates("phone")
    def _phone(self, value: str | None, **_) -> None:
        if value is None:
            return
        try:
            number = phonenumbers.parse(value, "BG")
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(f"Not a phone number: {exc}.") from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError("Not a valid phone number.")

    @validates("graduation_year")
    def _graduation_year(self, value: int | None, **_) -> None:
        # The university was founded in 1945; students may sign up up to six years ahead of
        # the club's year by the service clock.
        first, last = memberfilter.FIRST_GRADUATION_YEAR, _club_year() + 6
        if value is not None and not first <= value <= last:
            raise ValidationError(f"Must be between {first} and {last}.")

    @post_load
    def _normalise_profile(self, data: dict, **_) -> dict:
        if data.get("phone"):
            data["phone"] = phonenumbers.format_number(
                phonenumbers.parse(data["phone"], "BG"), phonenumbers.PhoneNumberFormat.E164)
        for name, value in data.items():
            if isinstance(value, str) and name != "phone":
                data[name] = " ".join(value.split())
        if data.get("languages"):
            data["languages"] = list(dict.fromkeys(data["languages"]))
        if data.get("interests"):
            data["interests"] = list(dict.fromkeys(" ".join(i.split()) for i in data["interests"]))
        return data


class SignUpSchema(ProfileFieldsSchema):
    given_name = fields.String(required=True, validate=NAME)
    family_name = fields.String(required=True, validate=NAME)
    email = fields.String(required=True, validate=[validate.Length(max=254), valid_email])
    preferred_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    consent = fields.Nested(ConsentSchema, required=True)
    password = fields.String(
        load_only=True, load_default=None, allow_none=True,
        validate=PASSWORD_LENGTH,
        metadata={"description": f"{accounts.PASSWORD_MIN_LENGTH} to {accounts.PASSWORD_MAX_LENGTH} "
                                 "characters, not the email address. Optional: without it, the member "
                                 "sets a password through the password-reset flow before logging in.",
                  "format": "password"})
    is_student = fields.Boolean(load_only=True, load_default=False,
                                metadata={"description": "a current student (role `student`) rather "
                                                         "than a graduate (role `alumnus`)"})
    student_number = fields.String(load_only=True, load_default=None, allow_none=True, validate=STUDENT_NUMBER,
                                   metadata={"description": "your faculty number: with your family name "
                                                            "it verifies you against the alumni roster"})

    @validates_schema
    def _password_is_not_the_email(self, data: dict, **_) -> None:
        password, email = data.get("password"), data.get("email")
        if password and email and password.strip().lower() == email.strip().lower():
            raise ValidationError("Must not be your email address.", "password")

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["email"] = normalise_email(data["email"])
        for name in ("phone", "graduation_year", "faculty", "programme"):
            data.setdefault(name, None)
        return data


# Who sees each field: `private` (the member and the alumni office), `members` (verified
# members), `public` (anyone). Names are at least `members`.
VisibilitySchema = Schema.from_dict({
    field: fields.String(validate=validate.OneOf(profiles.LEVELS[1:] if field == "names" else profiles.LEVELS))
    for field in profiles.VISIBILITY_FIELDS
}, name="Visibility")


EMAIL_CHANGE_ROUTE = "POST /api/v1/members/{member_id}/email-change"


class ProfileUpdateSchema(ProfileFieldsSchema):
    """A partial update: only the fields sent change; `null` clears an optional field. The
    email address is not changed here: its new value must be proven first."""

    email = fields.Raw(load_only=True, metadata={
        "description": f"refused (422): the address changes through `{EMAIL_CHANGE_ROUTE}`, once the new "
                       "address confirms it"})
    visibility = fields.Nested(VisibilitySchema, metadata={"description": "only the fields sent change"})
    in_directory = fields.Boolean(metadata={"description": "listed in the members' directory"})

    @validates_schema
    def _something(self, data: dict, **_) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")

    @validates("email")
    def _email_elsewhere(self, value, **_) -> None:
        raise ValidationError(f"The address is not changed here: use {EMAIL_CHANGE_ROUTE}; the new address "
                              "must confirm it.")


class VerificationSchema(Schema):
    status = fields.String(metadata={"description": "verified or rejected"})
    method = fields.String(metadata={"description": "roster_email, roster_student_number or admin"})
    at = fields.AwareDateTime()
    by = fields.String(allow_none=True, metadata={"description": "the admin who decided"})
    reason = fields.String(allow_none=True)
    roster_entry = fields.String(allow_none=True, metadata={"description": "student number matched"})


class MemberSchema(ProfileFieldsSchema):
    """A member as the viewer may see them: the member themselves and admins see everything;
    other verified members see the fields marked `members` or `public`; anyone else only
    `public` ones. Fields the viewer may not see are absent."""

    id = fields.String(required=True)
    email = fields.String()
    consent = fields.Nested(ConsentSchema)
    visibility = fields.Nested(VisibilitySchema)
    in_directory = fields.Boolean()
    status = fields.String(metadata={"description": "pending_verification, verified, rejected, erased"})
    verification = fields.Nested(VerificationSchema, allow_none=True)
    roles = fields.List(fields.String(), metadata={"description": ", ".join(ROLES)})
    registered_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    email_confirmed_at = fields.AwareDateTime(allow_none=True)
    roster_match = fields.Nested("RosterEntrySchema", allow_none=True, metadata={
        "description": "admins only: the roster entry the sign-up's student number and family name match"})


class DecisionSchema(Schema):
    reason = fields.String(validate=[validate.Length(min=1, max=1000)],
                           metadata={"description": "told to the member; required to reject"})


class RejectionSchema(DecisionSchema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=1000)],
                           metadata={"description": "told to the member"})


class RolesSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))


class MemberListQuerySchema(page_query_schema()):
    status = fields.String(validate=validate.OneOf(["pending_verification", "verified", "rejected"]))


MemberPageSchema = page_schema(MemberSchema, "MemberPage")
