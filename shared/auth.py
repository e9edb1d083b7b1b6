"""JWT access tokens: Ed25519 keys, issuing (members service only), verification (every
service, with the public key only) and a route decorator that checks roles.

No service trusts identity headers: the principal of a request is what a valid bearer token
says, nothing else.
"""
from __future__ import annotations

import functools
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# admin: the alumni office, every right. staff: the door of any event (check-in, attendee
# lists), no other right of admins. alumnus, student: members (what a member may do is decided
# on their verified membership, not the role). judge: scores nominations in the awards service.
# Only ``admin`` grants an admin-only route; every other role grants what names it explicitly.
ROLES = ("admin", "staff", "alumnus", "student", "judge")
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    claims: dict

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class InvalidToken(Exception):
    pass


class RevocationsUnavailable(Exception):
    """The process cannot tell whether a token was revoked (``shared.revocations``)."""


def generate_keypair(directory: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``jwt-private.pem`` (mode 600) and ``jwt-public.pem`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_path, public_path = directory / "jwt-private.pem", directory / "jwt-public.pem"
    private_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, issuer: str, audience: str, ttl_s: int):
        self.key = serialization.load_pem_private_key(private_key_pem, password=None)
        self.issuer, self.audience, self.ttl_s = issuer, audience, ttl_s

    @classmethod
    def from_file(cls, path: str, issuer: str, audience: str, ttl_s: int) -> "TokenIssuer":
        return cls(Path(path).read_bytes(), issuer, audience, ttl_s)

    def issue(self, subject: str, roles: Iterable[str], *, issued_at: float | None = None, **claims) -> str:
        """A signed access token. ``issued_at`` (seconds since the epoch, wall clock; default
        now): a caller that read the roles from the store dates the token from before that
        read, so a revocation committed meanwhile covers it (``shared.revocations``)."""
        moment = time.time() if issued_at is None else issued_at
        # iat to the millisecond: a revocation (shared.revocations) must tell a token issued
        # just before it from a fresh login just after it. exp counts from now.
        payload = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": int(moment * 1000) / 1000,
                   "exp": int(time.time()) + self.ttl_s, "jti": uuid.uuid4().hex, "roles": sorted(roles), **claims}
        return jwt.encode(payload, self.key, algorithm=ALGORITHM)


LEEWAY_S = 5  # clocks of hosts differ a little


class TokenVerifier:
    """Checks access tokens with the public key. A token that passed the full check is kept
    (``cache_size`` of them, per process) until it expires: a client sends the same token
    with every request, and its signature, issuer, audience and roles cannot change, so a
    repeat only needs the checks that depend on the moment, expiry and revocation."""

    # Whose tokens are refused before their expiry (a ``shared.revocations.Revocations``; the
    # apis set it): anything with ``revoked(subject, issued_at) -> bool``.
    revocations = None

    def __init__(self, public_key_pem: bytes, issuer: str, audience: str, *, cache_size: int = 10_000):
        self.key = serialization.load_pem_public_key(public_key_pem)
        self.issuer, self.audience = issuer, audience
        self.cache_size = cache_size
        self._verified: dict[str, Principal] = {}

    @classmethod
    def from_file(cls, path: str, issuer: str, audience: str) -> "TokenVerifier":
        return cls(Path(path).read_bytes(), issuer, audience)

    def verify(self, token: str) -> Principal:
        principal = self._verified.get(token)
        if principal is None:
            principal = self._check(token)
            if len(self._verified) >= self.cache_size:
                self._verified.clear()  # simpler than an LRU; refilled by the next requests
            self._verified[token] = principal
        elif principal.claims["exp"] + LEEWAY_S <= time.time():
            self._verified.pop(token, None)
            raise InvalidToken("Signature has expired")  # PyJWT's words, as a first check says
        claims = principal.claims
        if self.revocations is not None and self.revocations.revoked(claims["sub"], claims.get("iat")):
            raise InvalidToken("it was revoked; sign in again")
        return principal

    def _check(self, token: str) -> Principal:
        """Everything about a token that does not depend on when it is presented again."""
        try:
            claims = jwt.decode(token, self.key, algorithms=[ALGORITHM], issuer=self.issuer,
                                audience=self.audience, options={"require": ["exp", "sub", "iss", "aud"]},
                                leeway=LEEWAY_S)
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(r in ROLES for r in roles):
            raise InvalidToken("unknown role in token")
        return Principal(claims["sub"], frozenset(roles), claims)


def optional_principal() -> Principal | None:
    """The request's principal, or ``None`` without an ``Authorization`` header (for routes
    anyone may call that show more to signed-in callers). A header with a bad token is a 401:
    a caller who meant to sign in must learn that it did not work."""
    from flask import request

    from shared.web.app import current_service
    from shared.web.problems import Problem

    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="alumnet"'}
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "A bearer access token is required.", kind="unauthenticated", headers=challenge)
    try:
        return current_service().verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Problem(401, f"The access token is not valid: {exc}.", kind="unauthenticated",
                      headers=challenge) from None
    except RevocationsUnavailable:
        raise Problem(503, "Access tokens cannot be checked right now.", kind="unavailable",
                      headers={"Retry-After": "5"}) from None


def require_auth(*roles: str):
    """Route decorator: a valid bearer token, and one of ``roles`` if any are given.

    The principal is then ``flask.g.principal``. Answers 401 or 403 problems otherwise.
    """
    from flask import g

    from shared.web.problems import Problem

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = optional_principal()
            if principal is None:
                raise Problem(401, "A bearer access token is required.", kind="unauthenticated",
                              headers={"WWW-Authenticate": 'Bearer realm="alumnet"'})
            if roles and not principal.has_any(roles):
                raise Problem(403, f"This needs one of the roles: {', '.join(roles)}.", kind="forbidden")
            g.principal = principal
            return view(*args, **kwargs)

        # Document the requirement in OpenAPI (flask-smorest reads _apidoc).
        doc = getattr(wrapper, "_apidoc", {})
        wrapper._apidoc = {**doc, "manual_doc": {**doc.get("manual_doc", {}),
                                                  "security": [{"bearerAuth": []}]}}
        return wrapper

    return decorator
