"""The account and settings pages in a real browser, through the gateway over the real
services, in Bulgarian and in English: a graduate signs up, confirms from the email in the dev
outbox and logs in; a member resets her password, changes and restores her address, sets her
notifications and consents, unsubscribes from a link, downloads and erases her data. Every
page is checked with axe-core, at 360 px, and the forms are sent with the keyboard."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from shared import unsubscribe
from tests.browser.conftest import PASSWORD, next_address
from tests.browser.helpers import check_axe, check_fits, submit, tab_to, wait_for

WORDS = {
    "bg": {"sign_up": "Регистрирайте ме", "consent_email": "Да, изпращайте ми по имейл",
           "check_email": "Проверете имейла си", "confirm": "Потвърждавам адреса си",
           "confirmed": "Имейл адресът ви е потвърден", "log_in": "Вход",
           "send_link": "Изпратете ми връзка", "set_password": "Запазване на новата парола",
           "password_set": "Новата ви парола е зададена", "change": "Смени адреса ми",
           "changed": "Имейл адресът ви е променен", "undo": "Отмени промяната",
           "restored": "Предишният ви адрес е възстановен", "save_preferences": "Запазване на настройките",
           "saved": "Настройките ви за известия са запазени.", "save_consents": "Запазване на съгласията",
           "history": "История на съгласията ми", "unsubscribe": "Отписване", "unsubscribed": "Отписахте се",
           "word": "ИЗТРИЙ", "erase": "Изтрий профила ми завинаги", "erased": "Профилът ви е изтрит"},
    "en": {"sign_up": "Sign me up", "consent_email": "Yes, email me", "check_email": "Check your email",
           "confirm": "Confirm my address", "confirmed": "Your email address is confirmed", "log_in": "Log in",
           "send_link": "Send me a link", "set_password": "Set the new password",
           "password_set": "Your new password is set", "change": "Change my address",
           "changed": "Your email address is changed", "undo": "Undo the change",
           "restored": "Your previous address is back", "save_preferences": "Save my preferences",
           "saved": "Your notification preferences are saved.", "save_consents": "Save my consents",
           "history": "History of my consents", "unsubscribe": "Unsubscribe", "unsubscribed": "You are unsubscribed",
           "word": "ERASE", "erase": "Erase my account for good", "erased": "Your account is erased"},
}


def _checked(browser) -> None:
    """What every page of these journeys passes."""
    check_axe(browser)
    check_fits(browser, 360)


def _h1(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "main h1").text


def _type(browser, field_id: str, text: str) -> None:
    element = browser.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(text)


def _link(site, email: str, path: str, after: set[str] = frozenset()) -> str:
    """The newest ``path`` link mailed to ``email`` that is not one of ``after``, waited for."""
    def found():
        return next((link for link in site.read_dev_email(email) if path + "?token=" in link
                     and link not in after), None)
    return wait_for(found, 30, f"a {path} link mailed to {email}")


def _logged_in(site, email: str, password: str) -> requests.Response:
    return requests.post(f"{site.url}/api/v1/members/auth/login", json={"email": email, "password": password},
                         headers={"X-Forwarded-For": next_address()}, timeout=10)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_graduate_signs_up_confirms_from_the_email_and_logs_in(site, browser, lang):
    words, email = WORDS[lang], f"join.{lang}.{uuid.uuid4().hex[:8]}@example.bg"
    site.open(browser, "/join", lang=lang)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    _checked(browser)

    # A problem first: no names. The page says so at the fields, keeping what was typed.
    _type(browser, "f-email", email)
    submit(browser, tab_to(browser, words["sign_up"]), key=Keys.ENTER)
    assert browser.find_element(By.ID, "f-given_name").get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "f-email").get_attribute("value") == email
    _checked(browser)

    _type(browser, "f-given_name", "Радост" if lang == "bg" else "Radost")
    _type(browser, "f-family_name", "Петрова" if lang == "bg" else "Petrova")
    _type(browser, "f-student_number", "0912345")
    tab_to(browser, words["consent_email"]).send_keys(Keys.SPACE)
    submit(browser, tab_to(browser, words["sign_up"]), key=Keys.ENTER)
    assert _h1(browser) == words["check_email"]
    _checked(browser)

    browser.get(_link(site, email, "/confirm-email"))
    _checked(browser)
    _type(browser, "f-password", PASSWORD)
    _type(browser, "f-password_again", PASSWORD)
    submit(browser, tab_to(browser, words["confirm"]), key=Keys.ENTER)
    assert _h1(browser) == words["confirmed"]
    _checked(browser)

    submit(browser, browser.find_element(By.CSS_SELECTOR, "main a[href='/login']"))
    _type(browser, "f-email", email)
    _type(browser, "f-password", PASSWORD)
    submit(browser, tab_to(browser, words["log_in"]), key=Keys.ENTER)
    assert browser.find_elements(By.CSS_SELECTOR, "form[action='/logout']"), "not signed in after confirming"
    member = requests.get(f"{site.url}/api/v1/members/{_logged_in(site, email, PASSWORD).json()['member_id']}",
                          headers=site.bearer(email), timeout=10).json()
    assert member["consent"] == {"email": True, "sms": False} and member["preferred_language"] == lang


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_member_resets_her_password_and_changes_and_restores_her_address(site, browser, lang):
    words = WORDS[lang]
    member = site.join(lang)
    email = member["email"]
    site.open(browser, "/reset-password", lang=lang)
    _checked(browser)
    _type(browser, "f-email", email)
    submit(browser, tab_to(browser, words["send_link"]), key=Keys.ENTER)
    _checked(browser)

    browser.get(_link(site, email, "/reset-password"))
    _checked(browser)
    new_password = PASSWORD + "-new"
    _type(browser, "f-new_password", new_password)
    _type(browser, "f-new_password_again", new_password)
    submit(browser, tab_to(browser, words["set_password"]), key=Keys.ENTER)
    assert words["password_set"] in browser.find_element(By.CSS_SELECTOR, "main .notice").text
    assert _logged_in(site, email, new_password).status_code == 200

    # The address changes only from the link sent to the new one; the old one may undo it.
    new_email = "new." + email
    asked = requests.post(f"{site.url}/api/v1/members/{_logged_in(site, email, new_password).json()['member_id']}"
                          "/email-change", json={"new_email": new_email, "current_password": new_password},
                          headers=site.bearer(email, new_password), timeout=10)
    assert asked.status_code == 202, asked.text
    browser.get(_link(site, new_email, "/confirm-email-change"))
    _checked(browser)
    submit(browser, tab_to(browser, words["change"]), key=Keys.ENTER)
    assert _h1(browser) == words["changed"]
    _checked(browser)

    browser.get(_link(site, email, "/undo-email-change"))
    _checked(browser)
    submit(browser, tab_to(browser, words["undo"]), key=Keys.ENTER)
    assert _h1(browser) == words["restored"]
    _checked(browser)
    assert _logged_in(site, email, new_password).status_code == 401  # the undo removed the password


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_member_sets_her_notifications_unsubscribes_and_erases_her_account(site, browser, lang):
    words = WORDS[lang]
    member = site.join(lang)
    member_id = _logged_in(site, member["email"], PASSWORD).json()["member_id"]
    site.log_in(browser, member["email"], lang=lang, next_path="/me/notifications")
    _checked(browser)

    browser.find_element(By.ID, "f-channels-news").send_keys(Keys.END)  # the last choice: do not send
    submit(browser, tab_to(browser, words["save_preferences"]), key=Keys.ENTER)
    assert words["saved"] in browser.find_element(By.CSS_SELECTOR, "main .notice").text
    preferences = requests.get(f"{site.url}/api/v1/notifications/preferences/me", headers=site.bearer(member["email"]),
                               timeout=10).json()
    assert preferences["channels"]["news"] == "none"

    sms_events = browser.find_element(By.ID, "f-consent-sms-events")
    assert not sms_events.is_selected()
    sms_events.send_keys(Keys.SPACE)
    submit(browser, tab_to(browser, words["save_consents"]), key=Keys.ENTER)
    assert browser.find_element(By.ID, "f-consent-sms-events").is_selected()
    submit(browser, tab_to(browser, words["history"]), key=Keys.ENTER)
    _checked(browser)
    assert len(browser.find_elements(By.CSS_SELECTOR, "main tbody tr")) >= 1

    # An unsubscribe link, as a marketing email carries it.
    token = unsubscribe.make_token(site.platform.env["LINK_SIGNING_KEY"], member_id, "email", "news",
                                   datetime.now(timezone.utc))
    site.open(browser, f"/unsubscribe?token={token}")
    _checked(browser)
    submit(browser, tab_to(browser, words["unsubscribe"]), key=Keys.ENTER)
    assert _h1(browser) == words["unsubscribed"]
    _checked(browser)
    site.open(browser, "/me/notifications")
    assert not browser.find_element(By.ID, "f-consent-email-news").is_selected()

    site.open(browser, "/me/data")
    _checked(browser)
    exported = requests.get(f"{site.url}/me/data/export", cookies={c["name"]: c["value"] for c in browser.get_cookies()},
                            timeout=10)
    assert exported.status_code == 200 and exported.json()["members"]["member"]["email"] == member["email"]
    # One file of every service's part: each answered (none named missing).
    assert {part: exported.json()[part]["service"] for part in ("events", "awards", "notifications")} == {
        "events": "events", "awards": "awards", "notifications": "notifications"}
    assert exported.json()["missing"] == {}
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="')

    site.open(browser, "/me/data/erase")
    _checked(browser)
    _type(browser, "f-confirmation", words["word"])
    submit(browser, tab_to(browser, words["erase"]), key=Keys.ENTER)
    assert _h1(browser) == words["erased"]
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action='/logout']")
    _checked(browser)
    assert _logged_in(site, member["email"], PASSWORD).status_code == 401
