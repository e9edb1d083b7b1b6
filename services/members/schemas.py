"""HTTP schemas of the members API."""
from __future__ import annotations

from datetime import date

import email_validator
import phonenumbers
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from services.members import accounts

LANGUAGES = ("bg", "en")
# The faculties and college of the Medical University - Plovdiv.
FACULTIES = ("medicine", "dental_medicine", "pharmacy", "public_health", "medical_college")
NAME = [validate.Length(min=1, max=100),
        # No control characters: names end up in email headers and SMS bodies.
        validate.Regexp(r"^[^\x00-\x1f\x7f]*\Z", error="Must not contain control characters or line breaks.")]

PASSWORD_LENGTH = validate.Length(min=accounts.PASSWORD_MIN_LENGTH, max=accounts.PASSWORD_MAX_LENGTH,
                                  error="Must be {min} to {max} characters.")


class ConsentSchema(Schema):
    email = fields.Boolean(required=True, metadata={"description": "may we email you news"})
    sms = fields.Boolean(required=True, metadata={"description": "may we text you"})


class SignUpSchema(Schema):
    given_name = fields.String(required=True, validate=NAME)
    family_name = fields.String(required=True, validate=NAME)
    email = fields.String(required=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True,
                          metadata={"description": "international format, e.g. +359888123456"})
    preferred_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    graduation_year = fields.Integer(load_default=None, allow_none=True)
    faculty = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FACULTIES))
    programme = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
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

    @validates_schema
    def _password_is_not_the_email(self, data: dict, **_) -> None:
        password, email = data.get("password"), data.get("email")
        if password and email and password.strip().lower() == email.strip().lower():
            raise ValidationError("Must not be your email address.", "password")

    @validates("email")
    def _email(self, value: str, **_) -> None:
        try:
            email_validator.validate_email(value, check_deliverability=False)
        except email_validator.EmailNotValidError as exc:
            raise ValidationError(str(exc)) from None

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
        # The university was founded in 1945; students may sign up up to six years ahead.
        if value is not None and not 1945 <= value <= date.today().year + 6:
            raise ValidationError(f"Must be between 1945 and {date.today().year + 6}.")

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["email"] = email_validator.validate_email(data["email"], check_deliverability=False).normalized.lower()
        if data.get("phone"):
            data["phone"] = phonenumbers.format_number(
                phonenumbers.parse(data["phone"], "BG"), phonenumbers.PhoneNumberFormat.E164)
        data["given_name"] = data["given_name"].strip()
        data["family_name"] = data["family_name"].strip()
        return data


class MemberSchema(Schema):
    id = fields.String(required=True)
    given_name = fields.String()
    family_name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    preferred_language = fields.String()
    graduation_year = fields.Integer(allow_none=True)
    faculty = fields.String(allow_none=True)
    programme = fields.String(allow_none=True)
    consent = fields.Nested(ConsentSchema)
    status = fields.String(metadata={"description": "pending_verification, verified, rejected, erased"})
    roles = fields.List(fields.String(), metadata={"description": "admin, alumnus, student, judge"})
    registered_at = fields.AwareDateTime()


def normalise_email(value: str) -> str:
    """The form sign-up stores an email in; anything unparsable is only trimmed and lowered
    (it matches no member, and saying so would tell who is registered)."""
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized.lower()
    except email_validator.EmailNotValidError:
        return value.strip().lower()


class _EmailLookup(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["email"] = normalise_email(data["email"])
        return data


class LoginSchema(_EmailLookup):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024),
                             metadata={"format": "password"})


class TokenPairSchema(Schema):
    access_token = fields.String(required=True, metadata={"description": "a JWT; send it as `Authorization: Bearer ...`"})
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "lifetime of the access token in seconds"})
    refresh_token = fields.String(required=True, metadata={
        "description": "opaque, single use: exchange it at /auth/refresh for a new pair (valid 30 days)"})
    member_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=512))


class PasswordResetRequestSchema(_EmailLookup):
    pass


class PasswordResetConfirmSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512),
                          metadata={"description": "the one-time token from the reset email"})
    new_password = fields.String(
        required=True, load_only=True,
        validate=PASSWORD_LENGTH,
        metadata={"format": "password", "description": f"{accounts.PASSWORD_MIN_LENGTH} to "
                  f"{accounts.PASSWORD_MAX_LENGTH} characters, not the email address"})


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"example": "accepted"})
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details (``application/problem+json``), as every error is answered."""

    type = fields.String(required=True, metadata={"example": "https://alumnet.dev/problems/validation"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), metadata={"description": "field name -> messages"})
    request_id = fields.String()
