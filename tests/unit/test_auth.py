"""JWT access tokens (``shared.auth``): Ed25519 keys, issuing and verification.

A token is accepted only if it is signed by our private key with EdDSA, names our issuer and
audience, has not expired and carries only known roles; everything else is ``InvalidToken``.
(The HTTP side, 401/403 problems, is covered in ``test_problems_and_web``.)
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from shared import auth
from shared.auth import ROLES, InvalidToken, TokenIssuer, TokenVerifier, generate_keypair


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return generate_keypair(tmp_path_factory.mktemp("auth-keys"))


@pytest.fixture(scope="module")
def issuer(keys):
    return TokenIssuer.from_file(str(keys[0]), "alumnet", "alumnet", 900)


@pytest.fixture(scope="module")
def verifier(keys):
    return TokenVerifier.from_file(str(keys[1]), "alumnet", "alumnet")


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unb64(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_generate_keypair_writes_a_private_key_only_the_owner_reads(keys):
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes()
    assert b"PUBLIC KEY" in public.read_bytes() and b"PRIVATE" not in public.read_bytes()
    serialization.load_pem_public_key(public.read_bytes())


def test_issue_and_verify_round_trip(issuer, verifier):
    before = int(time.time())
    token = issuer.issue("member-1", ["alumnus", "judge"], name="Мария")
    principal = verifier.verify(token)
    assert principal.subject == "member-1"
    assert principal.roles == frozenset({"alumnus", "judge"})
    assert principal.has_any(["judge"]) and not principal.has_any(["admin"])
    assert not principal.is_admin
    claims = principal.claims
    assert claims["iss"] == "alumnet" and claims["aud"] == "alumnet"
    assert claims["name"] == "Мария"
    assert before <= claims["iat"] <= before + 2
    assert claims["exp"] - int(claims["iat"]) == 900  # iat to the millisecond (revocations)
    assert _unb64(_segments(token)[0])["alg"] == "EdDSA"


def test_every_issued_token_is_unique(issuer):
    assert len({jwt.decode(issuer.issue("m", ["alumnus"]), options={"verify_signature": False})["jti"]
                for _ in range(20)}) == 20


def test_admin_and_every_known_role_verify(issuer, verifier):
    assert verifier.verify(issuer.issue("staff-1", ["admin"])).is_admin
    door = verifier.verify(issuer.issue("door-1", ["staff"]))  # the door of events, nothing else
    assert door.roles == frozenset({"staff"}) and not door.is_admin
    assert verifier.verify(issuer.issue("x", ROLES)).roles == frozenset(ROLES)
    assert verifier.verify(issuer.issue("x", [])).roles == frozenset()


@pytest.mark.parametrize("kwargs", [{"issuer": "someone-else"}, {"audience": "another-app"}])
def test_wrong_issuer_or_audience_is_rejected(keys, verifier, kwargs):
    args = {"issuer": "alumnet", "audience": "alumnet", **kwargs}
    other = TokenIssuer.from_file(str(keys[0]), args["issuer"], args["audience"], 900)
    with pytest.raises(InvalidToken):
        verifier.verify(other.issue("member-1", ["alumnus"]))


def test_verifier_for_another_audience_rejects_our_tokens(keys, issuer):
    strict = TokenVerifier.from_file(str(keys[1]), "alumnet", "awards-only")
    with pytest.raises(InvalidToken, match="(?i)audience"):
        strict.verify(issuer.issue("member-1", ["alumnus"]))


@pytest.mark.parametrize("roles", [["superuser"], ["alumnus", "root"], ["Admin"]])
def test_unknown_role_is_rejected(issuer, verifier, roles):
    with pytest.raises(InvalidToken, match="unknown role"):
        verifier.verify(issuer.issue("member-1", roles))


def _signed(keys, **claims) -> str:
    private = serialization.load_pem_private_key(keys[0].read_bytes(), password=None)
    base = {"iss": "alumnet", "aud": "alumnet", "sub": "x", "exp": int(time.time()) + 60, "roles": []}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, private, algorithm="EdDSA")


@pytest.mark.parametrize("roles", ["admin", {"admin": True}, [["admin"]]])
def test_roles_that_are_not_a_list_of_names_are_rejected(keys, verifier, roles):
    with pytest.raises(InvalidToken):
        verifier.verify(_signed(keys, roles=roles))


def test_tampered_payload_is_rejected(issuer, verifier):
    header, payload, signature = _segments(issuer.issue("member-1", ["alumnus"]))
    claims = _unb64(payload)
    claims["roles"] = ["admin"]
    with pytest.raises(InvalidToken):
        verifier.verify(".".join([header, _b64(claims), signature]))


def test_tampered_signature_is_rejected(issuer, verifier):
    header, payload, signature = _segments(issuer.issue("member-1", ["alumnus"]))
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(InvalidToken):
        verifier.verify(".".join([header, payload, flipped]))


def test_token_signed_by_another_key_is_rejected(tmp_path, verifier):
    other_private, _ = generate_keypair(tmp_path)
    other = TokenIssuer.from_file(str(other_private), "alumnet", "alumnet", 900)
    with pytest.raises(InvalidToken):
        verifier.verify(other.issue("member-1", ["admin"]))


def test_expired_token_is_rejected(keys, verifier):
    expired = TokenIssuer.from_file(str(keys[0]), "alumnet", "alumnet", -60)
    with pytest.raises(InvalidToken, match="(?i)expired"):
        verifier.verify(expired.issue("member-1", ["alumnus"]))


def test_a_token_checked_before_is_refused_once_it_expires(keys, issuer, monkeypatch):
    """A repeat is answered from the process's verified tokens, but expiry is checked again."""
    verifier = TokenVerifier.from_file(str(keys[1]), "alumnet", "alumnet")
    token = issuer.issue("member-1", ["alumnus"])
    assert verifier.verify(token).subject == "member-1"
    assert verifier.verify(token).subject == "member-1"  # the repeat
    later = time.time() + 900 + auth.LEEWAY_S + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="(?i)expired"):
        verifier.verify(token)


def test_a_token_checked_before_is_refused_once_revoked(issuer, keys):
    class Revoked:
        subjects: set[str] = set()

        def revoked(self, subject, issued_at):
            return subject in self.subjects

    verifier = TokenVerifier.from_file(str(keys[1]), "alumnet", "alumnet")
    verifier.revocations = Revoked()
    token = issuer.issue("member-1", ["alumnus"])
    assert verifier.verify(token).subject == "member-1"
    Revoked.subjects.add("member-1")
    with pytest.raises(InvalidToken, match="revoked"):
        verifier.verify(token)


def test_a_full_cache_of_verified_tokens_starts_again(issuer, keys):
    verifier = TokenVerifier(keys[1].read_bytes(), "alumnet", "alumnet", cache_size=2)
    tokens = [issuer.issue(f"member-{i}", ["alumnus"]) for i in range(5)]
    assert [verifier.verify(t).subject for t in tokens] == [f"member-{i}" for i in range(5)]
    assert len(verifier._verified) <= 2


def test_unsigned_token_is_rejected(verifier):
    token = jwt.encode({"iss": "alumnet", "aud": "alumnet", "sub": "x", "exp": int(time.time()) + 60,
                        "roles": ["admin"]}, None, algorithm="none")
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_hmac_token_keyed_with_the_public_key_is_rejected(keys, verifier):
    """Algorithm confusion: an HS256 token whose secret is our (public) PEM must not pass."""
    forged = _b64({"alg": "HS256", "typ": "JWT"}) + "." + _b64(
        {"iss": "alumnet", "aud": "alumnet", "sub": "x", "exp": int(time.time()) + 60, "roles": ["admin"]})
    mac = hmac.new(keys[1].read_bytes(), forged.encode(), hashlib.sha256).digest()
    token = forged + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("missing", ["exp", "sub", "iss", "aud"])
def test_token_missing_a_required_claim_is_rejected(keys, verifier, missing):
    assert verifier.verify(_signed(keys)).subject == "x"  # complete, it would pass
    with pytest.raises(InvalidToken):
        verifier.verify(_signed(keys, **{missing: None}))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_rejected(verifier, garbage):
    with pytest.raises(InvalidToken):
        verifier.verify(garbage)
