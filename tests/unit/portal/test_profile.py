"""My profile (/me) and changing my email address (/me/email): what is shown, what is sent
to the members API, and how each of its problems reads."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import MEMBER_ID, csrf_token, log_in

ME = f"/api/v1/members/{MEMBER_ID}"
VISIBILITY = {"names": "members", "email": "private", "phone": "private", "graduation_year": "members",
              "faculty": "members", "programme": "members", "specialty": "members", "position": "members",
              "employer": "members", "city": "members", "country": "members", "languages": "members",
              "interests": "members", "open_to_mentoring": "members", "open_to_ambassador": "members",
              "open_to_volunteer": "members", "international_graduate": "members"}


def record(**changes) -> dict:
    """The member's own view of her record, as GET /api/v1/members/{id} gives it."""
    return {"id": MEMBER_ID, "given_name": "Мария", "family_name": "Иванова", "given_name_latin": "Maria",
            "family_name_latin": "Ivanova", "email": "maria@example.bg", "phone": None, "preferred_language": "en",
            "graduation_year": 2006, "faculty": "medicine", "programme": None, "specialty": "кардиология",
            "position": None, "employer": None, "city": "Пловдив", "country": "BG", "languages": ["bg", "en"],
            "interests": ["hiking"], "open_to_mentoring": False, "status": "pending_verification",
            "visibility": dict(VISIBILITY), "in_directory": True, **changes}


@pytest.fixture
def me(client, gateway):
    log_in(client, gateway)
    gateway.on("GET", ME, 200, record())
    return client


def form_of(member: dict) -> dict:
    """What the browser posts when the member saves her form unchanged."""
    data = {name: "" if member.get(name) is None else str(member[name])
            for name in ("given_name", "family_name", "given_name_latin", "family_name_latin", "phone",
                         "preferred_language", "graduation_year", "faculty", "programme", "specialty", "position",
                         "employer", "city", "country")}
    data["languages"] = ", ".join(member["languages"])
    data["interests"] = ", ".join(member["interests"])
    data["in_directory"] = "on"
    data.update({f"visibility.{group}": level for group, level in member["visibility"].items()})
    return data


def save(client, changes: dict, member: dict | None = None, *, drop=()):
    data = {**form_of(member or record()), **changes, "csrf_token": csrf_token(client, "/me")}
    for name in drop:
        data.pop(name, None)
    return client.post("/me", data=data)


def test_signed_out_visitors_are_sent_to_log_in(client, gateway):
    for path in ("/me", "/me/email"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert gateway.calls == []


def test_my_profile_shows_each_field_with_who_sees_it(me):
    page = me.get("/me").get_data(as_text=True)
    assert 'value="Мария"' in page and 'value="Maria"' in page and "maria@example.bg" in page
    assert 'value="bg, en"' in page and 'value="hiking"' in page
    # One "who sees this" select per visibility field, set to the member's choice.
    selects = re.findall(r'<select id="f-visibility-(\w+)"', page)
    assert sorted(selects) == sorted(VISIBILITY)
    email_select = re.search(r'id="f-visibility-email".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="private" selected>Only me and the alumni office</option>', email_select)
    names_select = re.search(r'id="f-visibility-names".*?</select>', page, re.S).group(0)
    assert 'value="private"' not in names_select  # names are never private: the API refuses it


def test_a_pending_member_is_told_her_membership_awaits_the_office(me):
    assert "awaits the alumni office" in me.get("/me").get_data(as_text=True)


def test_a_rejected_member_reads_the_office_s_reason(client, gateway):
    log_in(client, gateway)
    gateway.on("GET", ME, 200, record(status="rejected", verification={"status": "rejected",
                                                                       "reason": "Not on the roster of 2006."}))
    page = client.get("/me").get_data(as_text=True)
    assert "could not verify" in page and "Not on the roster of 2006." in page


def test_saving_sends_only_what_changed(me, gateway):
    gateway.on("PATCH", ME, 200, record(city="Sofia"))
    response = save(me, {"city": "София", "position": "Лекар", "visibility.email": "members",
                         "languages": "bg, en, DE", "open_to_mentoring": "on"})
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    [call] = gateway.sent("PATCH", ME)
    assert call.json == {"city": "София", "position": "Лекар", "languages": ["bg", "en", "de"],
                         "open_to_mentoring": True, "visibility": {"email": "members"}}
    assert "Your profile is saved." in me.get("/me").get_data(as_text=True)


def test_willingness_to_volunteer_is_shown_beside_the_other_flags_and_saved(client, gateway):
    log_in(client, gateway)
    gateway.on("GET", ME, 200, record(open_to_volunteer=True, visibility={**VISIBILITY, "open_to_volunteer": "private"}))
    page = client.get("/me").get_data(as_text=True)
    assert re.search(r'<input id="f-open_to_volunteer" name="open_to_volunteer" type="checkbox"[^>]* checked', page)
    assert "I am open to volunteering for the university's causes" in page
    assert page.index('id="f-open_to_ambassador"') < page.index('id="f-open_to_volunteer"')
    who = re.search(r'id="f-visibility-open_to_volunteer".*?</select>', page, re.S).group(0)
    assert '<option value="private" selected>' in who
    gateway.on("PATCH", ME, 200, record())
    save(client, {"visibility.open_to_volunteer": "public"}, drop=("open_to_volunteer",))  # unticked
    gateway.on("GET", ME, 200, record())
    save(client, {"open_to_volunteer": "on"})
    assert [c.json for c in gateway.sent("PATCH", ME)] == [
        {"open_to_volunteer": False, "visibility": {"open_to_volunteer": "public"}}, {"open_to_volunteer": True}]
    client.get("/language/bg")
    assert "Готов(а) съм да помагам като доброволец" in client.get("/me").get_data(as_text=True)


def test_emptying_an_optional_field_clears_it_and_unticking_turns_it_off(client, gateway):
    log_in(client, gateway)
    gateway.on("GET", ME, 200, record(open_to_mentoring=True))
    gateway.on("PATCH", ME, 200, record())
    save(client, {"specialty": "", "interests": ""}, record(open_to_mentoring=True), drop=("in_directory",))
    [call] = gateway.sent("PATCH", ME)
    assert call.json == {"specialty": None, "interests": None, "open_to_mentoring": False, "in_directory": False}


def test_saving_an_unchanged_form_sends_nothing(me, gateway):
    response = save(me, {})
    assert response.status_code == 302
    assert gateway.sent("PATCH", ME) == []
    assert "Nothing changed" in me.get("/me").get_data(as_text=True)


def test_a_verified_member_sees_her_verified_facts_but_cannot_send_them(client, gateway):
    log_in(client, gateway)
    verified = record(status="verified")
    gateway.on("GET", ME, 200, verified)
    page = client.get("/me").get_data(as_text=True)
    assert 'name="graduation_year"' not in page and 'name="faculty"' not in page
    assert "Faculty of Medicine" in page and "2006" in page
    gateway.on("PATCH", ME, 200, verified)
    save(client, {"graduation_year": "1999", "faculty": "pharmacy", "city": "Варна"}, verified)
    assert gateway.sent("PATCH", ME)[0].json == {"city": "Варна"}


def test_field_errors_from_the_api_appear_at_their_fields_with_what_was_typed(me, gateway):
    gateway.problem("PATCH", ME, 422, "validation", "The request has invalid fields.",
                    errors={"phone": ["Not a valid phone number."], "graduation_year": ["Not a valid integer."],
                            "visibility": {"email": ["Must be one of: private, members, public."]}})
    response = save(me, {"phone": "12", "graduation_year": "two thousand"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert gateway.sent("PATCH", ME)[0].json["graduation_year"] == "two thousand"
    assert 'role="alert"' in page and "Please correct the fields marked below." in page
    assert 'href="#f-phone"' in page and 'href="#f-visibility-email"' in page
    assert re.search(r'id="f-phone" name="phone" type="tel" value="12"[^>]*aria-invalid="true"', page)
    assert "Enter a valid phone number" in page and "Enter a whole number." in page
    assert 'value="two thousand"' in page


def test_the_members_api_s_own_messages_are_translated_and_list_items_go_to_their_field(me, gateway):
    gateway.problem("PATCH", ME, 422, "validation", "The request has invalid fields.",
                    errors={"languages": {"1": ["Must be an ISO 639-1 code, e.g. de."]},
                            "graduation_year": ["Must be between 1945 and 2032."]})
    me.get("/language/bg")
    response = save(me, {"languages": "bg, xyz", "graduation_year": "1800"})
    page = response.get_data(as_text=True)
    assert 'href="#f-languages"' in page and "languages-1" not in page
    assert re.search(r'id="f-languages" name="languages" type="text" value="bg, xyz"[^>]*aria-invalid="true"', page)
    assert "Въведете двубуквени кодове на езици" in page and "ISO 639-1" not in page
    assert "Въведете година от 1945 до 2032." in page


def test_a_locked_fact_changed_meanwhile_is_explained(me, gateway):
    gateway.problem("PATCH", ME, 409, "conflict", "Verified against the university's records.",
                    errors={"faculty": ["Ask the alumni office to correct it."]})
    response = save(me, {"faculty": "pharmacy"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "the alumni office corrects them" in page and "Ask the alumni office to correct it." in page


@pytest.mark.parametrize("status, kind, words", [
    (403, "forbidden", "Only you and the alumni office may change this profile."),
    (404, "not-found", "We could not find your profile."),
    (429, "too-many-requests", "Too many attempts."),
])
def test_other_problems_of_saving_are_said_in_words(me, gateway, status, kind, words):
    gateway.problem("PATCH", ME, status, kind, "whatever the API says")
    response = save(me, {"city": "Варна"})
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert words in page and 'value="Варна"' in page


def test_a_profile_that_cannot_be_read_gives_the_problem_page(client, gateway):
    log_in(client, gateway)
    gateway.problem("GET", ME, 404, "not-found", "No such member.")
    assert client.get("/me").status_code == 404


def test_the_api_down_gives_the_friendly_page(me, gateway):
    gateway.down = True
    response = me.get("/me")
    assert response.status_code == 503


def test_the_profile_reads_in_bulgarian(me):
    me.get("/language/bg")
    page = me.get("/me").get_data(as_text=True)
    assert '<html lang="bg">' in page and "Моят профил" in page and "Само аз и офисът" in page
    assert "Who sees this" not in page


# ----------------------------------------------------------------------------- email change

def change_email(client, new_email="maria.new@example.bg", password="correct horse"):
    return client.post("/me/email", data={"new_email": new_email, "current_password": password,
                                          "csrf_token": csrf_token(client, "/me/email")})


def test_the_email_page_explains_the_link_goes_to_the_new_address(me):
    page = me.get("/me/email").get_data(as_text=True)
    assert "maria@example.bg" in page and "link to the new address" in page
    assert 'name="current_password"' in page and 'autocomplete="current-password"' in page


def test_changing_the_email_sends_the_new_address_and_password(me, gateway):
    gateway.on("POST", f"{ME}/email-change", 202, {"status": "accepted", "detail": "We have sent a link."})
    response = change_email(me)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    [call] = gateway.sent("POST", f"{ME}/email-change")
    assert call.json == {"new_email": "maria.new@example.bg", "current_password": "correct horse"}
    page = me.get("/me").get_data(as_text=True)
    assert "We have sent a link to maria.new@example.bg" in page


def test_a_wrong_password_is_shown_at_the_password_field(me, gateway):
    gateway.problem("POST", f"{ME}/email-change", 403, "reauthentication-required",
                    "The current password is not correct.", errors={"current_password": ["Not correct."]})
    response = change_email(me, password="wrong")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Confirm it is you" in page and 'href="#f-current_password"' in page
    assert "The password is not correct." in page
    assert 'value="maria.new@example.bg"' in page and 'value="wrong"' not in page


def test_the_same_or_a_bad_address_is_shown_at_the_address_field(me, gateway):
    gateway.problem("POST", f"{ME}/email-change", 422, "validation", "The request has invalid fields.",
                    errors={"new_email": ["This is already your address."]})
    response = change_email(me, new_email="maria@example.bg")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This is already your address." in page and 'aria-invalid="true"' in page


def test_an_empty_password_is_sent_as_none_so_a_recent_login_suffices(me, gateway):
    gateway.on("POST", f"{ME}/email-change", 202, {"status": "accepted", "detail": ""})
    change_email(me, password="")
    assert gateway.sent("POST", f"{ME}/email-change")[0].json["current_password"] is None


@pytest.mark.parametrize("status, kind, words", [
    (403, "forbidden", "Only you may change your email address."),
    (429, "too-many-requests", "Too many attempts."),
])
def test_other_problems_of_the_email_change_are_said_in_words(me, gateway, status, kind, words):
    gateway.problem("POST", f"{ME}/email-change", status, kind, "whatever")
    response = change_email(me)
    assert response.status_code == status and words in response.get_data(as_text=True)


def test_an_email_change_that_is_not_configured_gives_the_friendly_page(me, gateway):
    gateway.problem("POST", f"{ME}/email-change", 503, "not-configured", "Changing the email address is not "
                                                                         "configured.")
    assert change_email(me).status_code == 503


def test_the_email_change_form_needs_its_csrf_token(me, gateway):
    response = me.post("/me/email", data={"new_email": "x@example.bg"})
    assert response.status_code == 400 and gateway.sent("POST", f"{ME}/email-change") == []
