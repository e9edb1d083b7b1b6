"""The account pages: join, confirm the address, reset the password, the email change links.
Each against the members API's answers, every problem it can give included."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import csrf_token, log_in

SIGNUP = "/api/v1/members"
CONFIRM = "/api/v1/members/auth/confirm-email"
RESET = "/api/v1/members/auth/password-reset"
RESET_CONFIRM = "/api/v1/members/auth/password-reset/confirm"
CHANGE = "/api/v1/members/auth/confirm-email-change"
UNDO = "/api/v1/members/auth/undo-email-change"
ACCEPTED = {"status": "accepted", "detail": "Check your email."}


def _join(client, **fields):
    data = {"given_name": "Мария", "family_name": "Иванова", "email": "maria@example.bg",
            "preferred_language": "bg", "csrf_token": csrf_token(client, "/join"), **fields}
    return client.post("/join", data=data)


# ----------------------------------------------------------------------------- join

def test_the_join_page_explains_the_roster_match_and_asks_for_consents(client):
    page = client.get("/join").get_data(as_text=True)
    assert "roster of graduates" in page and "your faculty number and your family name" in page
    for name in ("given_name", "family_name", "email", "student_number", "consent.email", "consent.sms",
                 "preferred_language", "graduation_year", "faculty", "is_student"):
        assert f'name="{name}"' in page
    assert 'name="password"' not in page  # chosen when the address is confirmed


def test_joining_sends_what_was_typed_and_always_says_check_your_email(client, gateway):
    gateway.on("POST", SIGNUP, 202, ACCEPTED)
    response = _join(client, student_number="12345", graduation_year="2010", faculty="dental_medicine",
                     **{"consent.email": "on"})
    assert response.status_code == 302 and response.headers["Location"] == "/join/check-email"
    [call] = gateway.sent("POST", SIGNUP)
    assert call.json == {"given_name": "Мария", "family_name": "Иванова", "email": "maria@example.bg",
                         "student_number": "12345", "graduation_year": 2010, "faculty": "dental_medicine",
                         "preferred_language": "bg", "is_student": False,
                         "consent": {"email": True, "sms": False}}
    assert "Authorization" not in call.headers
    page = client.get("/join/check-email").get_data(as_text=True)
    assert "Check your email" in page


def test_join_leaves_out_empty_optional_fields_and_sends_a_student(client, gateway):
    gateway.on("POST", SIGNUP, 202, ACCEPTED)
    _join(client, is_student="on", phone="", faculty="", preferred_language="xx")
    body = gateway.sent("POST", SIGNUP)[0].json
    assert "phone" not in body and "faculty" not in body
    assert body["is_student"] is True and body["preferred_language"] == "en"  # the page's language


def test_join_field_errors_are_shown_at_their_fields_with_what_was_typed(client, gateway):
    gateway.problem("POST", SIGNUP, 422, "validation", "Invalid input.", errors={
        "email": ["The email address is not valid. It must have exactly one @-sign."],
        "student_number": ["3 to 20 letters, digits, / or -."],
        "consent": {"sms": ["Not a valid boolean."]}})
    response = _join(client, email="maria.example.bg", student_number="!")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="maria.example.bg"' in page and 'value="Мария"' in page
    assert "Enter a valid email address." in page and "-sign" not in page
    assert "as on your student book" in page
    assert 'href="#f-email"' in page and 'href="#f-student_number"' in page and 'href="#f-consent-sms"' in page
    assert page.count('aria-invalid="true"') == 2


def test_join_field_errors_in_bulgarian(client, gateway):
    gateway.problem("POST", SIGNUP, 422, "validation", "Invalid input.",
                    errors={"given_name": ["Missing data for required field."]})
    client.get("/language/bg")
    page = _join(client, given_name="").get_data(as_text=True)
    assert '<html lang="bg">' in page and "Missing data" not in page and "Това поле е задължително." in page


def test_too_many_sign_ups_is_said_plainly(client, gateway):
    gateway.problem("POST", SIGNUP, 429, "too-many-requests", "Too many requests. Try again later.")
    response = _join(client)
    assert response.status_code == 429 and "Please wait a few minutes" in response.get_data(as_text=True)


def test_join_when_the_api_is_down_is_the_friendly_page(client, gateway):
    gateway.down = True
    response = _join(client)
    assert response.status_code == 503


def test_a_signed_in_member_is_sent_home_from_join(client, gateway):
    log_in(client, gateway)
    assert client.get("/join").headers["Location"] == "/"


def test_the_join_form_needs_its_csrf_token(client, gateway):
    assert client.post("/join", data={"email": "a@example.bg"}).status_code == 400
    assert gateway.sent("POST", SIGNUP) == []


# ----------------------------------------------------------------------------- confirm email

def _form_token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def _confirm(client, token="tok-1", password="a long password", again=None):
    return client.post("/confirm-email", data={
        "token": token, "password": password, "password_again": password if again is None else again,
        "csrf_token": csrf_token(client, f"/confirm-email?token={token}")})


def test_opening_the_confirmation_link_changes_nothing(client, gateway):
    response = client.get("/confirm-email?token=tok-1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _form_token(page) == "tok-1" and 'method="post"' in page and 'name="password_again"' in page
    assert gateway.calls == []


@pytest.mark.parametrize("membership, verified", [("verified", True), ("pending_verification", False)])
def test_confirming_sets_the_password_and_says_what_comes_next(client, gateway, membership, verified):
    gateway.on("POST", CONFIRM, 200, {"status": "confirmed", "membership": membership, "detail": "Confirmed."})
    response = _confirm(client)
    assert response.status_code == 200
    assert [c.json for c in gateway.sent("POST", CONFIRM)] == [{"token": "tok-1", "password": "a long password"}]
    page = response.get_data(as_text=True)
    assert 'href="/login"' in page and "Next step" in page
    assert ("membership is verified" in page) is verified
    assert ("check your membership against its records" in page) is not verified


def test_two_different_passwords_are_caught_before_the_api(client, gateway):
    response = _confirm(client, password="a long password", again="a long passwort")
    assert response.status_code == 400 and gateway.sent("POST", CONFIRM) == []
    page = response.get_data(as_text=True)
    assert "not the same" in page and 'href="#f-password_again"' in page


def test_a_missing_password_is_asked_for(client, gateway):
    response = _confirm(client, password="")
    assert response.status_code == 400 and gateway.sent("POST", CONFIRM) == []
    assert "Choose a password." in response.get_data(as_text=True)


def test_a_password_the_api_refuses_is_explained_at_the_field(client, gateway):
    gateway.problem("POST", CONFIRM, 422, "validation", "The request has invalid fields.",
                    errors={"password": ["Must not be your email address."]})
    response = _confirm(client, password="maria@example.bg")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not your email address" in page and 'href="#f-password"' in page
    assert _form_token(page) == "tok-1"  # she can try again with the same link


def test_a_used_or_expired_confirmation_link_offers_a_new_one(client, gateway):
    gateway.problem("POST", CONFIRM, 400, "invalid-token", "The confirmation link is not valid.",
                    errors={"token": ["Unknown, used or expired."]})
    response = _confirm(client, "old")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not valid any more" in page and 'href="/reset-password"' in page
    assert "#f-token" not in page and 'name="password"' not in page


def test_too_many_confirmations_and_a_missing_token(client, gateway):
    gateway.problem("POST", CONFIRM, 429, "too-many-requests", "Too many requests.")
    response = _confirm(client, "t")
    assert response.status_code == 429 and "wait a minute" in response.get_data(as_text=True)
    response = client.get("/confirm-email")
    assert response.status_code == 400 and "link is incomplete" in response.get_data(as_text=True)


def test_confirming_while_the_api_is_down(client, gateway):
    token = csrf_token(client, "/confirm-email?token=t")
    gateway.down = True
    response = client.post("/confirm-email", data={"token": "t", "password": "a long password",
                                                   "password_again": "a long password", "csrf_token": token})
    assert response.status_code == 503


def test_the_confirmation_page_in_bulgarian(client):
    client.get("/language/bg")
    page = client.get("/confirm-email?token=t").get_data(as_text=True)
    assert "Потвърдете имейл адреса си" in page


# ----------------------------------------------------------------------------- password reset

def test_asking_for_a_reset_link_always_says_check_your_email(client, gateway):
    gateway.on("POST", RESET, 202, ACCEPTED)
    response = client.post("/reset-password", data={"email": " maria@example.bg ",
                                                     "csrf_token": csrf_token(client, "/reset-password")})
    assert response.status_code == 302 and response.headers["Location"] == "/reset-password/sent"
    assert [c.json for c in gateway.sent("POST", RESET)] == [{"email": "maria@example.bg"}]
    assert "If this address belongs to a member" in client.get("/reset-password/sent").get_data(as_text=True)


@pytest.mark.parametrize("status, kind, errors, says", [
    (422, "validation", {"email": ["Missing data for required field."]}, "This field is required."),
    (429, "too-many-requests", None, "Too many reset requests"),
])
def test_reset_request_problems(client, gateway, status, kind, errors, says):
    gateway.problem("POST", RESET, status, kind, "no", errors=errors)
    response = client.post("/reset-password", data={"email": "", "csrf_token": csrf_token(client, "/reset-password")})
    assert response.status_code == (429 if status == 429 else 400)
    assert says in response.get_data(as_text=True)


def test_reset_request_when_the_api_is_down(client, gateway):
    token = csrf_token(client, "/reset-password")
    gateway.down = True
    assert client.post("/reset-password", data={"email": "a@example.bg", "csrf_token": token}).status_code == 503


def test_the_reset_link_shows_a_form_and_sends_the_new_password(client, gateway):
    page = client.get("/reset-password?token=r-1").get_data(as_text=True)
    assert _form_token(page) == "r-1" and 'name="new_password_again"' in page and gateway.calls == []
    gateway.on("POST", RESET_CONFIRM, 204)
    response = client.post("/reset-password", data={"token": "r-1", "new_password": "a new long one",
                                                    "new_password_again": "a new long one",
                                                    "csrf_token": csrf_token(client, "/reset-password?token=r-1")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert [c.json for c in gateway.sent("POST", RESET_CONFIRM)] == [{"token": "r-1", "new_password": "a new long one"}]
    assert "Your new password is set" in client.get("/login").get_data(as_text=True)


def test_a_reset_signs_this_browser_out(client, gateway):
    log_in(client, gateway)
    gateway.on("POST", RESET_CONFIRM, 204)
    client.post("/reset-password", data={"token": "r-1", "new_password": "a new long one",
                                         "new_password_again": "a new long one",
                                         "csrf_token": csrf_token(client, "/reset-password?token=r-1")})
    assert b'action="/logout"' not in client.get("/login").data


@pytest.mark.parametrize("status, kind, errors, says", [
    (400, "invalid-token", {"token": ["Unknown, used or expired."]}, "not valid any more"),
    (422, "validation", {"new_password": ["Must be 10 to 128 characters."]}, "Enter between 10 and 128 characters."),
    (429, "too-many-requests", None, "wait a minute"),
])
def test_reset_link_problems(client, gateway, status, kind, errors, says):
    gateway.problem("POST", RESET_CONFIRM, status, kind, "no", errors=errors)
    response = client.post("/reset-password", data={"token": "r-1", "new_password": "shortish12",
                                                    "new_password_again": "shortish12",
                                                    "csrf_token": csrf_token(client, "/reset-password?token=r-1")})
    assert response.status_code == (429 if status == 429 else 400)
    page = response.get_data(as_text=True)
    assert says in page and "#f-token" not in page
    assert ('name="new_password"' in page) is (kind != "invalid-token")


def test_different_new_passwords_are_caught_before_the_api(client, gateway):
    response = client.post("/reset-password", data={"token": "r-1", "new_password": "a new long one",
                                                    "new_password_again": "another one",
                                                    "csrf_token": csrf_token(client, "/reset-password?token=r-1")})
    assert response.status_code == 400 and gateway.sent("POST", RESET_CONFIRM) == []


# ----------------------------------------------------------------------------- email change links

@pytest.mark.parametrize("path, api, next_link", [
    ("/confirm-email-change", CHANGE, 'href="/login"'),
    ("/undo-email-change", UNDO, 'href="/reset-password"'),
])
def test_an_email_change_link_is_a_button_that_posts(client, gateway, path, api, next_link):
    page = client.get(f"{path}?token=c-1").get_data(as_text=True)
    assert _form_token(page) == "c-1" and gateway.calls == []
    gateway.on("POST", api, 200, {"status": "confirmed", "detail": "done"})
    log_in(client, gateway)
    response = client.post(path, data={"token": "c-1", "csrf_token": csrf_token(client, f"{path}?token=c-1")})
    assert response.status_code == 200
    assert [c.json for c in gateway.sent("POST", api)] == [{"token": "c-1"}]
    assert "Authorization" not in gateway.sent("POST", api)[0].headers
    assert next_link in response.get_data(as_text=True)
    assert b'action="/logout"' not in client.get("/login").data  # the API ended every session


@pytest.mark.parametrize("path, api", [("/confirm-email-change", CHANGE), ("/undo-email-change", UNDO)])
@pytest.mark.parametrize("status, kind, says", [
    (400, "invalid-token", "not valid any more"),
    (409, "conflict", "belongs to another account"),
    (429, "too-many-requests", "wait a minute"),
])
def test_email_change_link_problems(client, gateway, path, api, status, kind, says):
    gateway.problem("POST", api, status, kind, "no", errors={"token": ["x"]} if status != 429 else None)
    response = client.post(path, data={"token": "c-1", "csrf_token": csrf_token(client, f"{path}?token=c-1")})
    assert response.status_code == (status if status in (409, 429) else 400)
    assert says in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/confirm-email-change", "/undo-email-change"])
def test_email_change_links_without_a_token_or_with_the_api_down(client, gateway, path):
    assert client.get(path).status_code == 400
    token = csrf_token(client, f"{path}?token=c-1")
    gateway.down = True
    assert client.post(path, data={"token": "c-1", "csrf_token": token}).status_code == 503


def test_the_login_page_links_to_the_password_reset(client):
    assert 'href="/reset-password"' in client.get("/login").get_data(as_text=True)
