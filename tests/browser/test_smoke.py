"""The harness itself, on the login page: through the gateway to the portal and the real
members service, in Bulgarian and in English."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import check_axe, check_fits, submit, tab_to

WORDS = {
    "bg": {"title": "Вход", "other": "English", "other_lang": "en",
           "wrong": "Имейлът или паролата не са верни"},
    "en": {"title": "Log in", "other": "Български", "other_lang": "bg",
           "wrong": "The email or the password is not right"},
}


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_the_login_page_is_accessible_fits_a_phone_and_switches_language_by_keyboard(site, browser, lang):
    site.open(browser, "/login", lang=lang)
    words = WORDS[lang]
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert browser.find_element(By.TAG_NAME, "h1").text == words["title"]
    check_axe(browser)
    check_fits(browser, 360)

    switch = tab_to(browser, words["other"])
    submit(browser, switch, key=Keys.ENTER)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == words["other_lang"]
    assert browser.current_url.endswith("/login")  # the same page, in the other language


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_wrong_password_is_told_next_to_the_form(site, browser, lang):
    member = site.join(lang)
    site.open(browser, "/login", lang=lang)
    browser.find_element(By.ID, "f-email").send_keys(member["email"])
    browser.find_element(By.ID, "f-password").send_keys(member["password"] + "-wrong")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))

    problem = browser.find_element(By.CSS_SELECTOR, "main .problem[role=alert]")
    assert WORDS[lang]["wrong"] in problem.text
    # Right above the form it is about, and the address typed is kept.
    assert browser.execute_script("return arguments[0].nextElementSibling.tagName", problem) == "FORM"
    assert browser.find_element(By.ID, "f-email").get_attribute("value") == member["email"]
    assert browser.find_element(By.ID, "f-password").get_attribute("value") == ""
    check_axe(browser)
    check_fits(browser, 360)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_member_and_an_admin_log_in_through_the_gateway(site, browser, admin, lang):
    member = site.join(lang)
    site.log_in(browser, member["email"], member["password"], lang=lang)
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href='/office']")  # not the office's
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
    assert browser.find_elements(By.ID, "f-email")  # back on the login page, signed out

    site.log_in(browser, *admin, lang=lang)
    assert browser.find_elements(By.CSS_SELECTOR, "a[href='/office']")
    check_axe(browser)
    check_fits(browser, 360)
