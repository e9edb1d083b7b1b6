"""The preferences pages: notifications and consents, my data (export and erasure) and the
unsubscribe page, against the notifications and members APIs' answers and problems."""
from __future__ import annotations

import json
import re

import pytest

from tests.unit.portal.conftest import csrf_token

PREFERENCES = "/api/v1/notifications/preferences/me"
CONSENTS = "/api/v1/members/m-1/consents"
HISTORY = "/api/v1/members/m-1/consents/history"
EXPORT = "/api/v1/members/m-1/export"
MEMBER = "/api/v1/members/m-1"
UNSUBSCRIBE = "/api/v1/members/unsubscribe"

DEFAULTS = {"channels": {"news": "digest"}, "quiet_hours": {"start": "22:00", "end": "08:00"},
            "timezone": "Europe/Sofia", "digest_hour": 8}
CATEGORIES = ("news", "events", "mentoring", "awards", "surveys", "causes")


def _consents(granted=("email", "news")):
    return {"member_id": "m-1", "consents": [
        {"channel": channel, "category": category, "granted": (channel, category) == granted, "expired": False,
         "source": "signup", "at": "2026-01-02T10:00:00+00:00", "expires_at": None}
        for channel in ("email", "sms") for category in CATEGORIES]}


@pytest.fixture
def settings(member, gateway):
    gateway.on("GET", PREFERENCES, 200, DEFAULTS)
    gateway.on("GET", CONSENTS, 200, _consents())
    return member


def _preferences_form(client, **changes):
    data = {f"channels.{c}": "email" for c in ("account", *CATEGORIES)}
    data.update({"quiet": "on", "quiet_hours.start": "23:00", "quiet_hours.end": "07:30",
                 "timezone": "America/Toronto", "digest_hour": "9",
                 "csrf_token": csrf_token(client, "/me/notifications")})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# ----------------------------------------------------------------------------- notifications

def test_signed_out_visitors_are_sent_to_log_in(client, gateway):
    for path in ("/me/notifications", "/me/notifications/history", "/me/data", "/me/data/export", "/me/data/erase"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert gateway.calls == []


def test_the_page_shows_the_preferences_and_the_consents(settings, gateway):
    page = settings.get("/me/notifications").get_data(as_text=True)
    assert '<option value="digest" selected>' in page  # news
    assert 'value="Europe/Sofia"' in page and 'id="f-quiet" name="quiet" type="checkbox" value="on" checked' in page
    assert 'name="consent.email.news" type="checkbox" value="on" checked' in page
    assert 'name="consent.sms.news" type="checkbox" value="on">' in page
    # Account messages cannot be switched off or held for a digest.
    account = page.split('id="f-channels-account"')[1].split("</select>")[0]
    assert 'value="none"' not in account and 'value="digest"' not in account


def test_saving_preferences_sends_them_all(settings, gateway):
    gateway.on("PUT", PREFERENCES, 200, DEFAULTS)
    response = settings.post("/me/notifications", data=_preferences_form(settings, **{"channels.news": "none"}))
    assert response.status_code == 302 and response.headers["Location"] == "/me/notifications"
    [call] = gateway.sent("PUT", PREFERENCES)
    assert call.json == {"channels": {"account": "email", "news": "none", "events": "email", "mentoring": "email",
                                      "awards": "email", "surveys": "email", "causes": "email"},
                         "quiet_hours": {"start": "23:00", "end": "07:30"}, "timezone": "America/Toronto",
                         "digest_hour": 9}
    assert call.headers["Authorization"] == "Bearer access-m-1"
    assert "preferences are saved" in settings.get("/me/notifications").get_data(as_text=True)


def test_no_quiet_hours_is_sent_as_null(settings, gateway):
    gateway.on("PUT", PREFERENCES, 200, DEFAULTS)
    settings.post("/me/notifications", data=_preferences_form(settings, quiet=None))
    assert gateway.sent("PUT", PREFERENCES)[0].json["quiet_hours"] is None


def test_preference_problems_are_shown_at_their_fields(settings, gateway):
    gateway.problem("PUT", PREFERENCES, 422, "validation", "Invalid input.", errors={
        "timezone": ["Not an IANA time zone, e.g. Europe/Sofia."],
        "quiet_hours": {"start": ["HH:MM, 00:00-23:59."]},
        "channels": {"news": {"value": ["Must be one of: email, sms."]}}})
    response = settings.post("/me/notifications", data=_preferences_form(settings, timezone="Mars/Olympus"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for anchor in ("#f-timezone", "#f-quiet_hours-start", "#f-channels-news"):
        assert f'href="{anchor}"' in page
    assert 'value="Mars/Olympus"' in page and page.count('aria-invalid="true"') == 3


def test_an_erased_member_gets_the_not_found_page(member, gateway):
    gateway.problem("GET", PREFERENCES, 404, "not_found", "No such member.")
    assert member.get("/me/notifications").status_code == 404


def test_the_notifications_page_when_the_api_is_down(settings, gateway):
    gateway.down = True
    assert settings.get("/me/notifications").status_code == 503


def test_only_changed_consents_are_recorded(settings, gateway):
    gateway.on("POST", CONSENTS, 201, {})
    form = {"consent.sms.events": "on", "csrf_token": csrf_token(settings, "/me/notifications")}
    response = settings.post("/me/notifications/consents", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/me/notifications#consents"
    assert sorted((c.json["channel"], c.json["category"], c.json["granted"]) for c in gateway.sent("POST", CONSENTS)) \
        == [("email", "news", False), ("sms", "events", True)]
    assert {c.json["source"] for c in gateway.sent("POST", CONSENTS)} == {"profile_page"}


def test_unchanged_consents_send_nothing(settings, gateway):
    form = {"consent.email.news": "on", "csrf_token": csrf_token(settings, "/me/notifications")}
    settings.post("/me/notifications/consents", data=form)
    assert gateway.sent("POST", CONSENTS) == []
    assert "Nothing was changed." in settings.get("/me/notifications").get_data(as_text=True)


@pytest.mark.parametrize("status, kind, code", [(422, "validation", 400), (429, "too-many-requests", 429)])
def test_consent_problems_are_shown(settings, gateway, status, kind, code):
    gateway.problem("POST", CONSENTS, status, kind, "no", errors={"source": ["x"]} if status == 422 else None)
    response = settings.post("/me/notifications/consents",
                             data={"csrf_token": csrf_token(settings, "/me/notifications")})
    assert response.status_code == code and 'role="alert"' in response.get_data(as_text=True)


def test_a_consent_the_api_forbids_is_the_403_page(settings, gateway):
    gateway.problem("POST", CONSENTS, 403, "forbidden", "You may only change your own account.")
    response = settings.post("/me/notifications/consents",
                             data={"csrf_token": csrf_token(settings, "/me/notifications")})
    assert response.status_code == 403


def test_the_consent_history_is_paged(member, gateway):
    gateway.on("GET", HISTORY, 200, {"page": 2, "per_page": 20, "total": 45, "items": [
        {"id": "e1", "channel": "sms", "category": "events", "granted": False, "source": "unsubscribe_link",
         "at": "2026-03-04T09:15:00+00:00", "expires_at": None, "reason": None, "implicit": False}]})
    page = member.get("/me/notifications/history?page=2").get_data(as_text=True)
    assert gateway.sent("GET", HISTORY)[0].params == {"page": 2, "per_page": 20}
    assert "Events and reunions, SMS" in page and "with an unsubscribe link" in page and "Declined" in page
    assert "Mar 4, 2026" in page
    assert 'href="/me/notifications/history?page=3"' in page and 'href="/me/notifications/history?page=1"' in page
    assert member.get("/me/notifications/history?page=x").status_code == 404


# ----------------------------------------------------------------------------- my data

def _download(member) -> dict:
    response = member.get("/me/data/export")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json" and response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r'attachment; filename="alumnet-my-data-\d{4}-\d{2}-\d{2}\.json"',
                        response.headers["Content-Disposition"])
    return json.loads(response.get_data(as_text=True))


def test_the_export_is_one_download_of_every_services_part(member, gateway):
    gateway.exports("m-1", members={"service": "members", "member": {"given_name": "Мария"}},
                    events={"service": "events", "registrations": [{"status": "confirmed"}]})
    bundle = _download(member)
    assert bundle["members"]["member"] == {"given_name": "Мария"}
    assert bundle["events"]["registrations"] == [{"status": "confirmed"}]
    assert (bundle["awards"], bundle["notifications"]) == ({"service": "awards"}, {"service": "notifications"})
    assert bundle["missing"] == {} and bundle["member_id"] == "m-1" and bundle["exported_at"]
    # Each part is asked of its service through the gateway, with the member's token.
    for path in (EXPORT, *(f"/api/v1/{s}/members/m-1/export" for s in ("events", "awards", "notifications"))):
        [call] = gateway.sent("GET", path)
        assert call.headers["Authorization"].startswith("Bearer ")


def test_a_service_that_fails_leaves_its_part_out_and_the_file_says_which(member, gateway):
    gateway.exports("m-1", awards=404)
    gateway.on("GET", "/api/v1/notifications/members/m-1/export", 503)
    bundle = _download(member)
    assert bundle["members"] == {"service": "members"} and bundle["events"] == {"service": "events"}
    assert (bundle["awards"], bundle["notifications"]) == (None, None)
    assert set(bundle["missing"]) == {"awards", "notifications"}
    assert "404" in bundle["missing"]["awards"] and "again later" in bundle["missing"]["notifications"]


def test_the_missing_parts_are_explained_in_the_members_language(member, gateway):
    member.get("/language/bg")
    gateway.exports("m-1", events=404)
    assert "по-късно" in _download(member)["missing"]["events"]


@pytest.mark.parametrize("status, kind", [(403, "forbidden"), (404, "not-found")])
def test_export_problems(member, gateway, status, kind):
    """The members part is the account itself: without it there is nothing to download."""
    gateway.exports("m-1")
    gateway.problem("GET", EXPORT, status, kind, "no")
    assert member.get("/me/data/export").status_code == status


def test_the_my_data_page_links_to_export_and_erase(member):
    page = member.get("/me/data").get_data(as_text=True)
    assert 'href="/me/data/export"' in page and 'href="/me/data/erase"' in page
    assert all(f"<li>{part}:" in page for part in ("members", "events", "awards", "notifications"))


def test_erasing_needs_the_typed_word(member, gateway):
    page = member.get("/me/data/erase").get_data(as_text=True)
    assert "cannot be undone" in page and "ERASE" in page
    response = member.post("/me/data/erase", data={"confirmation": "yes", "csrf_token": csrf_token(member, "/me/data/erase")})
    assert response.status_code == 400 and gateway.sent("DELETE", MEMBER) == []
    assert 'href="#f-confirmation"' in response.get_data(as_text=True)


@pytest.mark.parametrize("word", ["ERASE", " erase ", "ИЗТРИЙ"])
def test_erasing_deletes_the_account_and_logs_out(member, gateway, word):
    gateway.on("DELETE", MEMBER, 202, {"member_id": "m-1", "status": "erased"})
    gateway.on("POST", "/api/v1/members/auth/logout", 204)
    response = member.post("/me/data/erase", data={"confirmation": word, "csrf_token": csrf_token(member, "/me/data/erase")})
    assert response.status_code == 302 and response.headers["Location"] == "/me/data/erased"
    [call] = gateway.sent("DELETE", MEMBER)
    assert call.headers["Authorization"] == "Bearer access-m-1"
    page = member.get("/me/data/erased").get_data(as_text=True)
    assert "Your account is erased" in page and 'action="/logout"' not in page
    assert member.get("/me/data").status_code == 302


@pytest.mark.parametrize("status, kind, says", [(403, "forbidden", "not allowed"), (404, "not-found", "already be erased"),
                                                (429, "too-many-requests", "Too many attempts")])
def test_erase_problems_keep_the_member_on_the_page(member, gateway, status, kind, says):
    gateway.problem("DELETE", MEMBER, status, kind, "no")
    response = member.post("/me/data/erase", data={"confirmation": "erase", "csrf_token": csrf_token(member, "/me/data/erase")})
    assert response.status_code == status and says in response.get_data(as_text=True)
    assert 'action="/logout"' in response.get_data(as_text=True)  # still logged in


def test_erasing_while_the_api_is_down(member, gateway):
    token = csrf_token(member, "/me/data/erase")
    gateway.down = True
    assert member.post("/me/data/erase", data={"confirmation": "erase", "csrf_token": token}).status_code == 503


def test_the_erase_page_in_bulgarian(member):
    member.get("/language/bg")
    page = member.get("/me/data/erase").get_data(as_text=True)
    assert "ИЗТРИЙ" in page and "Това не може да бъде отменено." in page


# ----------------------------------------------------------------------------- unsubscribe

def test_the_unsubscribe_link_changes_nothing_until_the_button(client, gateway):
    response = client.get("/unsubscribe?token=u.sig")
    assert response.status_code == 200 and gateway.calls == []
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert 'name="token" value="u.sig"' in response.get_data(as_text=True)


def test_unsubscribing_posts_the_token_and_says_what_stopped(client, gateway):
    gateway.on("POST", UNSUBSCRIBE, 200, {"status": "unsubscribed", "channel": "sms", "category": "events"})
    response = client.post("/unsubscribe", data={"token": "u.sig", "csrf_token": csrf_token(client, "/unsubscribe?token=u.sig")})
    assert response.status_code == 200
    [call] = gateway.sent("POST", UNSUBSCRIBE)
    assert call.json == {"token": "u.sig"} and "Authorization" not in call.headers
    assert "Events and reunions, by SMS" in response.get_data(as_text=True)


def test_unsubscribing_in_bulgarian(client, gateway):
    gateway.on("POST", UNSUBSCRIBE, 200, {"status": "unsubscribed", "channel": "email", "category": "news"})
    client.get("/language/bg")
    page = client.post("/unsubscribe", data={"token": "u.sig", "csrf_token": csrf_token(client, "/unsubscribe?token=u.sig")}
                       ).get_data(as_text=True)
    assert "Отписахте се" in page and "Новини" in page


@pytest.mark.parametrize("status, kind, code, says", [
    (400, "invalid-token", 400, "not valid"), (429, "too-many-requests", 429, "Too many attempts")])
def test_unsubscribe_problems(client, gateway, status, kind, code, says):
    gateway.problem("POST", UNSUBSCRIBE, status, kind, "no", errors={"token": ["Altered."]} if status == 400 else None)
    response = client.post("/unsubscribe", data={"token": "bad", "csrf_token": csrf_token(client, "/unsubscribe?token=bad")})
    assert response.status_code == code and says in response.get_data(as_text=True)
    assert "#f-token" not in response.get_data(as_text=True)


def test_unsubscribe_without_a_token_or_with_the_api_down(client, gateway):
    assert client.get("/unsubscribe").status_code == 400
    token = csrf_token(client, "/unsubscribe?token=u.sig")
    gateway.down = True
    assert client.post("/unsubscribe", data={"token": "u.sig", "csrf_token": token}).status_code == 503
