"""HTTP schemas of the members API."""
from __future__ import annotations

from datetime import date

import email_validator
import phonenumbers
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

LANGUAGES = ("bg", "en")
# The faculties and college of the Medical University - Plovdiv.
FACULTIES = ("medicine", "dental_medicine", "pharmacy", "public_health", "medical_college")
NAME = [validate.Length(min=1, max=100),
        # No control characters: names end up in email headers and SMS bodies.
        validate.Regexp(r"^[^\x00-\x1f\x7f]*\Z", error="Must not contain control characters or line breaks.")]


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
    status = fields.String(metadata={"description": "pending_verification, verified"})
    registered_at = fields.AwareDateTime()
