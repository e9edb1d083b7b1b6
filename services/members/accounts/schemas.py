"""HTTP schemas of accounts: login, tokens, password reset, the sign-up's email confirmation;
and the email rules the sign-up and the email change share (``normalise_email``, ``valid_email``)."""
from __future__ import annotations

import email_validator
from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.members.accounts import rules as accounts
from services.members.schemas import AcceptedSchema

PASSWORD_LENGTH = validate.Length(min=accounts.PASSWORD_MIN_LENGTH, max=accounts.PASSWORD_MAX_LENGTH,
                                  error="Must be {min} to {max} characters.")


def valid_email(value: str) -> None:
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValidationError(str(exc)) from None


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


class EmailConfirmationSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512),
                          metadata={"description": "the one-time token from the welcome email's link"})
    password = fields.String(
        load_only=True, load_default=None, allow_none=True, validate=PASSWORD_LENGTH,
        metadata={"format": "password", "description": "the password to log in with from now on (the one "
                  "chosen at sign-up, or a new one); without it, set one through the password reset"})


class EmailConfirmedSchema(AcceptedSchema):
    membership = fields.String(required=True, metadata={
        "description": "`verified` (the roster lists the address) or `pending_verification` "
                       "(the alumni office decides)", "example": "verified"})
