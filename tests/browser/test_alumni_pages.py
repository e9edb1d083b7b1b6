"""The alumni's own pages in a real browser, over the real platform, in Bulgarian and English,
each page checked with axe-core, at 360 px, and reached with the keyboard:

- a verified member logs in, completes her profile from the home page's nudge, finds a
  classmate in the directory by a Cyrillic and by a Latin query, and opens her page;
- a visitor is welcomed; a member not yet verified is told her membership awaits the office
  and why the directory is closed, and changes her email address (the link goes to the new
  one).
"""
from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import next_address
from tests.browser.helpers import check_axe, check_fits, submit, tab_to, wait_for

# Per language: the classmate's names (unique to the run) and a query in each alphabet.
CLASSMATES = {"bg": ("Калина", "Ковачева", "ковач", "kovach"),
              "en": ("Жана", "Стефанова", "стефан", "stefan")}
WORDS = {
    "bg": {"complete": "Попълнете профила си", "save": "Запазване на профила", "saved": "Профилът ви е запазен.",
           "found": "Намерен е 1 член", "join": "Присъединете се към алумни клуба", "awaits": "очаква одобрение",
           "closed": "само за потвърдени членове", "change": "Смяна на имейл адреса",
           "send": "Изпращане на връзката", "wrong": "Паролата не е вярна.", "sent": "Изпратихме връзка на",
           "not found": "Членът не е намерен"},
    "en": {"complete": "Complete my profile", "save": "Save my profile", "saved": "Your profile is saved.",
           "found": "1 member found", "join": "Join the alumni club", "awaits": "awaits the alumni office",
           "closed": "open to verified members only", "change": "Change my email address",
           "send": "Send the link", "wrong": "The password is not correct.", "sent": "We have sent a link to",
           "not found": "Member not found"},
}


def verified_member(site, admin: tuple[str, str], lang: str, **profile) -> dict:
    """A member who joined and confirmed her address, then was approved by the office."""
    body = site.join(lang, **profile)
    login = requests.post(f"{site.url}/api/v1/members/auth/login", timeout=10,
                          json={"email": body["email"], "password": body["password"]},
                          headers={"X-Forwarded-For": next_address()})
    assert login.status_code == 200, login.text
    member_id = login.json()["member_id"]
    approved = requests.post(f"{site.url}/api/v1/members/{member_id}/approve", json={}, timeout=10,
                             headers={**site.bearer(*admin), "X-Forwarded-For": next_address()})
    assert approved.status_code == 200, approved.text
    return {**body, "id": member_id}


def checked(browser) -> None:
    check_axe(browser)
    check_fits(browser, 360)


def search(browser, words: dict, query: str) -> None:
    box = browser.find_element(By.ID, "f-q")
    box.clear()
    box.send_keys(query)
    submit(browser, box, key=Keys.ENTER)
    wait_for(lambda: words["found"] in browser.find_element(By.TAG_NAME, "main").text,
             message=f"one member found for {query!r}")


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_member_completes_her_profile_and_finds_a_classmate(site, browser, admin, lang):
    words = WORDS[lang]
    given, family, cyrillic, latin = CLASSMATES[lang]
    classmate = verified_member(site, admin, lang, given_name=given, family_name=family,
                                graduation_year=2012, faculty="medicine")
    me = verified_member(site, admin, lang, graduation_year=2012, faculty="medicine")

    site.log_in(browser, me["email"], me["password"], lang=lang, next_path="/")
    wait_for(lambda: me["given_name"] in browser.find_element(By.CSS_SELECTOR, "main h1").text, message="home")
    checked(browser)

    # The home page's nudge leads to the profile; fields are filled and saved with the keyboard.
    submit(browser, tab_to(browser, words["complete"]), key=Keys.ENTER)
    wait_for(lambda: browser.find_elements(By.ID, "f-city"), message="the profile form")
    checked(browser)
    browser.find_element(By.ID, "f-city").send_keys("Пловдив")
    browser.find_element(By.ID, "f-specialty").send_keys("кардиология")
    browser.find_element(By.ID, "f-position").send_keys("лекар")
    Select(browser.find_element(By.ID, "f-country")).select_by_value("BG")
    Select(browser.find_element(By.ID, "f-visibility-city")).select_by_value("public")
    submit(browser, tab_to(browser, words["save"]), key=Keys.ENTER)
    wait_for(lambda: words["saved"] in browser.find_element(By.TAG_NAME, "main").text, message="saved")
    assert browser.find_element(By.ID, "f-city").get_attribute("value") == "Пловдив"
    assert Select(browser.find_element(By.ID, "f-visibility-city")).first_selected_option.get_attribute(
        "value") == "public"

    # The directory finds the classmate in either alphabet; her names are shown as she entered them.
    site.open(browser, "/directory", lang=lang)
    checked(browser)
    search(browser, words, cyrillic)
    search(browser, words, latin)
    checked(browser)
    submit(browser, tab_to(browser, f"{given} {family}"), key=Keys.ENTER)
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "main h1").text == f"{given} {family}",
             message="the classmate's page")
    assert browser.current_url.endswith(f"/members/{classmate['id']}")
    checked(browser)


def main_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_visitor_is_welcomed_and_a_member_not_yet_verified_is_told_where_she_stands(site, browser, lang):
    words = WORDS[lang]
    site.open(browser, "/", lang=lang)
    checked(browser)
    assert tab_to(browser, words["join"]).get_attribute("href").endswith("/join")

    member = site.join(lang)
    site.log_in(browser, member["email"], member["password"], lang=lang, next_path="/")
    wait_for(lambda: words["awaits"] in main_text(browser), message="the pending membership's note")
    checked(browser)

    site.open(browser, "/directory", lang=lang)
    assert words["closed"] in main_text(browser)
    checked(browser)

    # The email change, from the profile by keyboard: a wrong password is shown at its field,
    # then the link goes to the new address.
    site.open(browser, "/me", lang=lang)
    submit(browser, tab_to(browser, words["change"]), key=Keys.ENTER)
    checked(browser)
    new_address = "new." + member["email"]
    browser.find_element(By.ID, "f-new_email").send_keys(new_address)
    browser.find_element(By.ID, "f-current_password").send_keys("not the password")
    submit(browser, tab_to(browser, words["send"]), key=Keys.ENTER)
    password = browser.find_element(By.ID, "f-current_password")
    assert password.get_attribute("aria-invalid") == "true" and words["wrong"] in main_text(browser)
    checked(browser)
    password.send_keys(member["password"])
    submit(browser, tab_to(browser, words["send"]), key=Keys.ENTER)
    wait_for(lambda: f"{words['sent']} {new_address}" in main_text(browser), message="the link's note")
    links = site.read_dev_email(new_address)
    assert any("/confirm-email-change?token=" in link for link in links), links

    site.open(browser, "/members/no-such-member", lang=lang)
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == words["not found"]
    checked(browser)
