"""One-click unsubscribe: the signed tokens and RFC 8058 headers (``shared.unsubscribe``) and
the members routes (``/api/v1/members/unsubscribe``) on the real members app against the
session's local store (``AMQP_URL=memory://``: events stay in the outbox).

Checked: tokens round-trip and refuse tampering, another key, expiry and garbage; the headers;
a one-click POST withdraws exactly that channel and category through the consent ledger with
its event, once; GET only shows a page; bad tokens are 400 problems naming ``token``; an
unknown member learns nothing; the routes are documented.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet

from services.members import app as members_app
from services.members.unsubscribe import api as unsubscribe_api
from shared import unsubscribe
from tests.conftest import LINK_KEY
from tests.support import assert_problem, outbox_events

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
KEY = Fernet.generate_key().decode()
URL = "/api/v1/members/unsubscribe"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
CHANGED = "members.consent.changed"


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


# --------------------------------------------------------------------------- tokens

def test_a_token_round_trips():
    token = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    wanted = unsubscribe.read_token(KEY, token, NOW + timedelta(days=30))
    assert wanted == unsubscribe.UnsubscribeRequest("m1", "email", "news", NOW)
    assert wanted.issued_at.tzinfo is not None
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 200


def test_a_changed_payload_or_signature_is_refused():
    token = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    payload, signature = token.split(".")
    for i in range(len(payload)):
        with pytest.raises(unsubscribe.BadUnsubscribeToken):
            unsubscribe.read_token(KEY, flip(payload, i) + "." + signature, NOW)
    for i in range(len(signature)):
        with pytest.raises(unsubscribe.BadUnsubscribeToken):
            unsubscribe.read_token(KEY, payload + "." + flip(signature, i), NOW)


def test_a_payload_swapped_under_another_signature_is_refused():
    mine = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    other = unsubscribe.make_token(KEY, "m2", "email", "events", NOW)
    with pytest.raises(unsubscribe.BadUnsubscribeToken):
        unsubscribe.read_token(KEY, other.split(".")[0] + "." + mine.split(".")[1], NOW)


def test_a_token_signed_with_another_key_is_refused():
    token = unsubscribe.make_token(Fernet.generate_key().decode(), "m1", "email", "news", NOW)
    with pytest.raises(unsubscribe.BadUnsubscribeToken):
        unsubscribe.read_token(KEY, token, NOW)


def test_the_signing_key_is_derived_for_this_purpose_only():
    import base64
    import hashlib
    import hmac
    token = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    payload, signature = token.split(".")
    raw = hmac.new(KEY.encode(), payload.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != signature


def test_a_token_expires():
    token = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    assert unsubscribe.read_token(KEY, token, NOW + timedelta(days=365))
    with pytest.raises(unsubscribe.BadUnsubscribeToken):
        unsubscribe.read_token(KEY, token, NOW + timedelta(days=365, seconds=1))
    with pytest.raises(unsubscribe.BadUnsubscribeToken):
        unsubscribe.read_token(KEY, token, NOW + timedelta(days=2), max_age=timedelta(days=1))


def test_a_token_from_the_future_is_refused_beyond_clock_skew():
    token = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    assert unsubscribe.read_token(KEY, token, NOW - timedelta(minutes=1))
    with pytest.raises(unsubscribe.BadUnsubscribeToken):
        unsubscribe.read_token(KEY, token, NOW - timedelta(hours=1))


@pytest.mark.parametrize("garbage", [
    "", ".", "abc", "abc.def", "a.b.c", "!!!.???", "é.é", "x" * 5000,
    "é.AAAA",  # a mangled link: a non-ASCII payload with an ASCII signature (was a UnicodeEncodeError)
    unsubscribe.make_token(KEY, "m1", "email", "news", NOW) + "=",
    unsubscribe.make_token(KEY, "m1", "email", "news", NOW) + ".x",
])
def test_garbage_is_refused(garbage):
    with pytest.raises(unsubscribe.BadUnsubscribeToken):
        unsubscribe.read_token(KEY, garbage, NOW)


def test_a_signed_payload_of_the_wrong_shape_is_refused():
    import base64
    import hashlib
    import hmac
    derived = hmac.new(KEY.encode(), unsubscribe.PURPOSE, hashlib.sha256).digest()

    def signed(payload: bytes) -> str:
        part = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        sig = hmac.new(derived, part.encode(), hashlib.sha256).digest()
        return part + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()

    good = b'{"v":1,"m":"m1","ch":"email","ca":"news","iat":%d}' % int(NOW.timestamp())
    assert unsubscribe.read_token(KEY, signed(good), NOW).member_id == "m1"
    for bad in (b"[1]", b"not json", b'{"v":2,"m":"m1","ch":"email","ca":"news","iat":1}',
                b'{"v":1,"m":"","ch":"email","ca":"news","iat":1}',
                b'{"v":1,"m":"m1","ch":"email","ca":"news","iat":"1"}',
                b'{"v":1,"m":"m1","ch":"email","ca":"news","iat":true}',
                b'{"v":1,"m":"m1","ch":"email","ca":"news","iat":99999999999999999}'):
        with pytest.raises(unsubscribe.BadUnsubscribeToken):
            unsubscribe.read_token(KEY, signed(bad), NOW)


def test_making_a_token_needs_a_key_and_an_aware_time():
    with pytest.raises(ValueError):
        unsubscribe.make_token("", "m1", "email", "news", NOW)
    with pytest.raises(ValueError):
        unsubscribe.make_token(KEY, "m1", "email", "news", NOW.replace(tzinfo=None))


def test_the_link_and_the_rfc_8058_headers():
    token = unsubscribe.make_token(KEY, "m1", "email", "news", NOW)
    url = unsubscribe.link("https://alumni.example.bg/", token)
    assert url == f"https://alumni.example.bg/api/v1/members/unsubscribe?token={token}"
    assert unsubscribe.headers(url) == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    for bad in ("https://x.example/a>\r\nBcc: victim@example.org", "mailto:x@example.org", "https://x/a b"):
        with pytest.raises(ValueError):
            unsubscribe.headers(bad)


# --------------------------------------------------------------------------- the routes

def token_for(member_id: str, channel: str = "email", category: str = "news", key: str = LINK_KEY,
              issued_at: datetime | None = None) -> str:
    return unsubscribe.make_token(key, member_id, channel, category, issued_at or datetime.now(timezone.utc))


def consents(client, member) -> dict[tuple[str, str], dict]:
    response = client.get(f"/api/v1/members/{member['id']}/consents", headers=member["headers"])
    assert response.status_code == 200, response.get_json()
    return {(c["channel"], c["category"]): c for c in response.get_json()["consents"]}


def stored(db, member) -> list[dict]:
    return list(db.consents.find({"member_id": member["id"]}))


def test_one_click_post_withdraws_that_consent_with_its_event(client, db, people):
    member = people.sign_up(consent={"email": True, "sms": False})
    response = client.post(f"{URL}?token={token_for(member['id'])}", data=ONE_CLICK)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": "unsubscribed", "channel": "email", "category": "news"}

    [entry] = stored(db, member)
    assert (entry["channel"], entry["category"], entry["granted"], entry["source"]) == (
        "email", "news", False, "unsubscribe_link")
    [event] = outbox_events(db, CHANGED)
    assert event["data"]["member_id"] == member["id"]
    assert (event["data"]["channel"], event["data"]["category"], event["data"]["granted"],
            event["data"]["source"]) == ("email", "news", False, "unsubscribe_link")
    state = consents(client, member)
    assert state[("email", "news")]["granted"] is False
    assert state[("email", "news")]["source"] == "unsubscribe_link"


def test_unsubscribing_twice_records_once(client, db, people):
    member = people.verified()
    token = token_for(member["id"])
    for _ in range(2):
        response = client.post(f"{URL}?token={token}", data=ONE_CLICK)
        assert response.status_code == 200
        assert response.get_json()["status"] == "unsubscribed"
    assert len(stored(db, member)) == 1
    assert len(outbox_events(db, CHANGED)) == 1


def test_a_consent_never_granted_records_nothing(client, db, people):
    member = people.sign_up(consent={"email": True, "sms": False})
    response = client.post(f"{URL}?token={token_for(member['id'], 'sms', 'events')}", data=ONE_CLICK)
    assert response.status_code == 200
    assert stored(db, member) == [] and outbox_events(db, CHANGED) == []


def test_other_categories_and_channels_stay_granted(client, people):
    member = people.sign_up(consent={"email": True, "sms": True})
    response = client.post(f"{URL}?token={token_for(member['id'], 'email', 'events')}", data=ONE_CLICK)
    assert response.status_code == 200
    state = consents(client, member)
    assert state[("email", "events")]["granted"] is False
    others = [v for k, v in state.items() if k != ("email", "events")]
    assert others and all(v["granted"] for v in others)


@pytest.mark.parametrize("how", ["empty", "json", "multipart"])
def test_an_empty_body_or_json_token_or_multipart_also_works(client, db, people, how):
    member = people.verified()
    token = token_for(member["id"])
    if how == "empty":
        response = client.post(f"{URL}?token={token}")
    elif how == "json":
        response = client.post(URL, json={"token": token})
    else:
        response = client.post(f"{URL}?token={token}", data=ONE_CLICK, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(outbox_events(db, CHANGED)) == 1


def test_parameters_a_mail_provider_adds_to_the_link_do_not_stop_the_unsubscribe(client, db, people):
    member = people.verified()
    response = client.post(f"{URL}?token={token_for(member['id'])}&utm_source=newsletter&utm_medium=email",
                           data=ONE_CLICK)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(outbox_events(db, CHANGED)) == 1


def test_get_shows_a_bilingual_page_whose_button_posts_and_changes_nothing(client, db, people):
    member = people.verified()
    token = token_for(member["id"], "email", "surveys")
    response = client.get(f"{URL}?token={token}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<form method="post"' in page and f"?token={token}" in page
    assert 'name="List-Unsubscribe" value="One-Click"' in page
    assert page.index("Отписване") < page.index("Unsubscribe")
    assert "анкети" in page and "surveys" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert stored(db, member) == [] and outbox_events(db, CHANGED) == []
    assert consents(client, member)[("email", "surveys")]["granted"] is True


@pytest.mark.parametrize("token", [
    None, "", "garbage", "a.b",
    "EXPIRED", "OTHER_KEY", "TAMPERED", "UNKNOWN_CATEGORY", "TRANSACTIONAL",
])
def test_a_bad_token_is_a_400_naming_token_and_records_nothing(client, db, people, token):
    member = people.verified()
    made = {
        "EXPIRED": lambda: token_for(member["id"], issued_at=datetime.now(timezone.utc) - timedelta(days=400)),
        "OTHER_KEY": lambda: token_for(member["id"], key=Fernet.generate_key().decode()),
        "TAMPERED": lambda: flip(token_for(member["id"]), 3),
        "UNKNOWN_CATEGORY": lambda: token_for(member["id"], "email", "gossip"),
        "TRANSACTIONAL": lambda: token_for(member["id"], "email", "transactional"),
    }
    token = made[token]() if token in made else token
    url = URL if token is None else f"{URL}?token={token}"
    body = assert_problem(client.post(url, data=ONE_CLICK), 400)
    assert "token" in body["errors"]
    body = assert_problem(client.get(url, headers={"Accept": "application/json"}), 400)
    assert "token" in body["errors"]
    assert stored(db, member) == [] and outbox_events(db, CHANGED) == []


def test_a_browser_with_a_bad_link_gets_a_page(client):
    response = client.get(f"{URL}?token=garbage", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Връзката не е валидна" in page and "not valid" in page and "<form" not in page


def test_an_unknown_or_erased_member_gets_the_same_answer_and_nothing_is_recorded(client, db):
    response = client.post(f"{URL}?token={token_for('f' * 32)}", data=ONE_CLICK)
    assert response.status_code == 200
    assert response.get_json() == {"status": "unsubscribed", "channel": "email", "category": "news"}
    assert db.consents.count_documents({}) == 0 and outbox_events(db, CHANGED) == []


def test_the_page_escapes_what_it_shows():
    page = unsubscribe_api.PAGE.render(ok=True, token='"><script>alert(1)</script>',
                                       channel=("<b>", "<b>"), category=("<i>", "<i>"))
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;" in page and "&#34;&gt;" in page


def test_without_a_key_it_is_503(make_config):
    client = members_app.create_app(make_config(AMQP_URL="memory://", LINK_SIGNING_KEY="")).test_client()
    assert_problem(client.post(f"{URL}?token={token_for('m1')}", data=ONE_CLICK), 503)
    assert_problem(client.get(f"{URL}?token={token_for('m1')}"), 503)


def test_the_routes_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/members/openapi.json").get_json()
    operations = spec["paths"][URL]
    assert set(operations) >= {"get", "post"}
    assert "text/html" in operations["get"]["responses"]["200"]["content"]
    assert "application/x-www-form-urlencoded" in operations["post"]["requestBody"]["content"]
    assert {"400", "503"} <= set(operations["post"]["responses"])
    assert operations["post"].get("security") == []
