"""The portal's foundation: sessions that hide the tokens, CSRF, languages, problems shown
next to their fields, and friendly pages when the API is down."""
from __future__ import annotations

import time

from frontends.portal import catalogues
from tests.unit.portal.conftest import csrf_token, log_in


def test_every_string_has_its_bulgarian_translation_and_compiled_catalogue():
    found = [line for area in catalogues.areas() for line in catalogues.problems(area)]
    assert found == []


def test_no_two_areas_translate_one_string_differently():
    # The catalogues are merged at run time: a second wording would replace the first everywhere.
    assert catalogues.disagreements(catalogues.areas()) == []


def test_the_session_cookie_hides_the_tokens_and_is_locked_down(client, gateway):
    log_in(client, gateway)
    cookie = client.get_cookie("alumnet_session")
    assert cookie is not None
    assert "access-m-1" not in cookie.value and "refresh-m-1" not in cookie.value
    assert cookie.http_only and cookie.secure and cookie.same_site == "Lax"


def test_a_tampered_session_cookie_is_no_session(client, gateway, portal):
    log_in(client, gateway)
    value = client.get_cookie("alumnet_session").value
    client.set_cookie("alumnet_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    gateway.on("GET", "/api/v1/members/m-1", 200, {"id": "m-1"})
    response = client.get("/login")
    assert response.status_code == 200 and b'action="/logout"' not in response.data


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_sent(client, gateway):
    response = client.post("/login", data={"email": "a@example.bg", "password": "x"})
    assert response.status_code == 400
    assert gateway.sent("POST", "/api/v1/members/auth/login") == []


def test_wrong_password_is_explained_next_to_the_form_in_bulgarian(client, gateway):
    gateway.problem("POST", "/api/v1/members/auth/login", 401, "invalid-credentials", "Invalid email or password.")
    client.get("/language/bg")
    response = client.post("/login", data={"email": "a@example.bg", "password": "x", "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'lang="bg"' in page and 'role="alert"' in page
    assert "Invalid email or password." not in page  # the portal's own words, in the page's language
    assert 'value="a@example.bg"' in page  # what was typed is kept


def test_field_errors_from_the_api_are_shown_at_their_fields(client, gateway):
    gateway.problem("POST", "/api/v1/members/auth/login", 422, "validation", "Invalid input.",
                    errors={"email": ["Not a valid email address."]})
    response = client.post("/login", data={"email": "nope", "password": "x", "csrf_token": csrf_token(client)})
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "Enter a valid email address." in page
    assert 'href="#f-email"' in page


def test_the_language_follows_the_member_then_the_switch(client, gateway):
    log_in(client, gateway, language="bg")
    page = client.get("/no-such-page").get_data(as_text=True)
    assert '<html lang="bg">' in page
    client.get("/language/en?next=/")
    assert '<html lang="en">' in client.get("/no-such-page").get_data(as_text=True)


def test_a_language_picked_before_logging_in_wins_over_the_profile(client, gateway):
    client.get("/language/en")
    log_in(client, gateway, language="bg")
    assert '<html lang="en">' in client.get("/no-such-page").get_data(as_text=True)


def test_accept_language_chooses_for_visitors(client):
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="bg">' in client.get("/login", headers={"Accept-Language": "bg,en;q=0.5"}).get_data(as_text=True)


def test_the_language_switch_never_redirects_off_the_site(client):
    response = client.get("/language/en?next=//evil.example/x")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_gateway_that_is_down_gives_a_friendly_page(client, gateway):
    gateway.down = True
    response = client.post("/login", data={"email": "a@example.bg", "password": "x", "csrf_token": csrf_token(client)})
    assert response.status_code == 503
    assert b"Traceback" not in response.data and b"try again" in response.data.lower()


def _probe(portal):
    """A page that reads the member through the API, as every signed-in page does."""
    from frontends.portal.gateway import api
    portal.add_url_rule("/probe", "probe", lambda: api().get("/api/v1/members/m-1"))


def test_the_access_token_is_refreshed_before_it_expires(portal, client, gateway):
    _probe(portal)
    log_in(client, gateway)
    gateway.on("POST", "/api/v1/members/auth/refresh", 200, {
        "access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 900, "member_id": "m-1",
        "roles": ["alumnus"]})
    with client.session_transaction() as session:
        session["auth"] = {**session["auth"], "expires_at": time.time() + 5}
    assert client.get("/probe").status_code == 200
    assert [c.json for c in gateway.sent("POST", "/api/v1/members/auth/refresh")] == [{"refresh_token": "refresh-m-1"}]
    assert gateway.sent("GET", "/api/v1/members/m-1")[-1].headers["Authorization"] == "Bearer access-2"


def test_a_session_the_api_no_longer_accepts_goes_back_to_the_login_page(portal, client, gateway):
    _probe(portal)
    log_in(client, gateway)
    gateway.problem("GET", "/api/v1/members/m-1", 401, "invalid-token", "revoked")
    gateway.problem("POST", "/api/v1/members/auth/refresh", 401, "invalid-refresh-token", "used")
    response = client.get("/probe")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/probe")
    assert client.get_cookie("alumnet_session") is None or b'action="/logout"' not in client.get("/login").data


def test_too_many_attempts_says_how_long_to_wait(client, gateway):
    gateway.on("POST", "/api/v1/members/auth/login", 429, {
        "type": "https://alumnet.dev/problems/too-many-requests", "status": 429, "detail": "Slow down."},
        headers={"Retry-After": "150"})
    client.get("/language/bg")
    page = client.post("/login", data={"email": "a@example.bg", "password": "x", "csrf_token": csrf_token(client)})
    assert "3 минути" in page.get_data(as_text=True)
