"""A survey answered in a real browser from the invitation's personal link, over the real
platform (the office opens it through the API, the notifications worker sends the invitation
into the dev outbox), in Bulgarian and English, at 360 px, with the keyboard only, each page
checked with axe-core:

- the member opens the link without logging in, answers the first section, sees her progress,
  saves and leaves; opens the link again and resumes where she stopped; submits too soon and is
  shown the required question; submits; accepts the employer her answer proposes on the review
  page; her profile then has it.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import next_address
from tests.browser.helpers import check_axe, check_fits, submit, tab_to, wait_for, wait_for_dev_email
from tests.browser.test_alumni_pages import verified_member

# A class of its own per language: the survey's audience is this test's member alone.
CLASS = {"bg": 1961, "en": 1962}
WORDS = {
    "bg": {"yes": "Да", "works": "Работите ли в момента?", "employer": "Къде работите?",
           "mentor": "Бихте ли били ментор на студент?", "notes": "Какво да подобри клубът?",
           "next": "Следващ раздел", "later": "Запазете и довършете по-късно", "send": "Изпратете отговорите",
           "first": "Раздел 1 от 2", "second": "Раздел 2 от 2", "none answered": "Отговорени въпроси: 0 от 4",
           "two answered": "Отговорени въпроси: 2 от 4", "saved": "Черновата ви е запазена",
           "welcome back": "Добре дошли отново", "review": "Обновете профила си от отговорите",
           "accept": "Приемам", "choose": "Запазете избора си", "done": "Изборът ви е запазен",
           "employer now": "Профилът ви вече показва:"},
    "en": {"yes": "Yes", "works": "Are you working at present?", "employer": "Where do you work?",
           "mentor": "Would you mentor a student?", "notes": "What should the club do better?",
           "next": "Next section", "later": "Save and finish later", "send": "Submit my answers",
           "first": "Section 1 of 2", "second": "Section 2 of 2", "none answered": "0 of 4 questions answered",
           "two answered": "2 of 4 questions answered", "saved": "Your draft is saved",
           "welcome back": "Welcome back", "review": "Update my profile from my answers",
           "accept": "Accept", "choose": "Save my choices", "done": "Your choices are saved",
           "employer now": "Your profile now shows:"},
}
EMPLOYER = "Клиника „Здраве“"


def both(words: str) -> dict:
    return {lang: WORDS[lang][words] for lang in WORDS}


def question(qid: str, kind: str, **more) -> dict:
    return {"id": qid, "kind": kind, "text": both(qid), **more}


def opened_survey(site, admin: tuple[str, str], year: int) -> dict:
    """A named survey of two sections for the class of ``year``, open since a minute ago."""
    office = {**site.bearer(*admin), "X-Forwarded-For": next_address()}
    now = datetime.now(timezone.utc)
    tag = uuid.uuid4().hex[:6]
    made = requests.post(f"{site.url}/api/v1/members/surveys", timeout=10, headers=office, json={
        "title": {"bg": f"Кариерата на випуска {tag}", "en": f"Careers of the class {tag}"}, "anonymous": False,
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=14)).isoformat(),
        "audience": {"kind": "class", "graduation_year": year, "faculty": "pharmacy"},
        "sections": [
            {"id": "work", "title": {"bg": "Работа", "en": "Work"}, "questions": [
                question("works", "yes_no", required=True),
                question("employer", "text", required=True, maps_to="employer")]},
            {"id": "club", "title": {"bg": "Клубът", "en": "The club"}, "questions": [
                question("mentor", "yes_no", required=True), question("notes", "text")]}]})
    assert made.status_code == 201, made.text
    survey = made.json()
    opened = requests.post(f"{site.url}/api/v1/members/surveys/{survey['id']}/open", headers=office, timeout=10)
    assert opened.status_code == 200, opened.text
    return survey


def main_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def checked(browser) -> None:
    check_axe(browser)
    check_fits(browser, 360)


def choose_yes(browser, words: dict, name: str) -> None:
    """TAB to the question's Yes and tick it with the space bar (a radio group's own key)."""
    yes = tab_to(browser, words["yes"])
    assert yes.get_attribute("name") == name, f"TAB reached {yes.get_attribute('name')}'s Yes before {name}'s"
    yes.send_keys(Keys.SPACE)
    assert yes.is_selected()


def progress(browser) -> tuple[str, str]:
    bar = browser.find_element(By.CSS_SELECTOR, "main progress")
    return bar.get_attribute("value"), bar.get_attribute("max")


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_member_answers_from_the_invitation_link_resumes_and_takes_the_proposed_employer(
        site, browser, admin, lang):
    words = WORDS[lang]
    member = verified_member(site, admin, lang, graduation_year=CLASS[lang], faculty="pharmacy")
    # The invitation goes to whom notifications knows as verified: its own mail says it does.
    wait_for_dev_email(site.outbox, member["email"], {"bg": "Членството Ви", "en": "membership is verified"}[lang])
    survey = opened_survey(site, admin, CLASS[lang])
    links = site.read_dev_email(member["email"], survey["title"][lang])
    link = next(link for link in links if f"/surveys/{survey['id']}/answer?t=" in link)
    assert link.startswith(site.url + "/"), f"the invitation links to {link}, not to the portal at {site.url}"

    browser.set_window_size(360, 800)
    site.open(browser, "/", lang=lang)
    browser.get(link)
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action='/logout']"), "the link must not log in"
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == survey["title"][lang]
    assert words["first"] in main_text(browser) and words["none answered"] in main_text(browser)
    assert progress(browser) == ("0", "4")
    checked(browser)

    # The first section by keyboard; the next one shows how far she is.
    choose_yes(browser, words, "a.works")
    tab_to(browser, words["employer"]).send_keys(EMPLOYER)
    submit(browser, tab_to(browser, words["next"]), key=Keys.ENTER)
    wait_for(lambda: words["second"] in main_text(browser), message="the second section")
    assert words["two answered"] in main_text(browser) and progress(browser) == ("2", "4")
    checked(browser)
    submit(browser, tab_to(browser, words["later"]), key=Keys.ENTER)
    wait_for(lambda: words["saved"] in main_text(browser), message="the draft's note")
    checked(browser)

    # Back through the same link: her draft, at the section she had not answered yet.
    browser.get(link)
    wait_for(lambda: words["welcome back"] in main_text(browser), message="the draft resumed")
    assert words["second"] in main_text(browser) and progress(browser) == ("2", "4")
    checked(browser)
    # Submitted too soon: the required question is named at the top and marked where it is.
    submit(browser, tab_to(browser, words["send"]), key=Keys.ENTER)
    summary = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "main .problem[role=alert] a[href='#q-mentor']"),
                       message="the summary naming the unanswered question")
    assert words["mentor"] in summary[0].text
    assert browser.find_element(By.ID, "q-mentor").get_attribute("aria-invalid") == "true"
    checked(browser)
    choose_yes(browser, words, "a.mentor")
    tab_to(browser, words["notes"]).send_keys("Повече срещи на випуска.")
    submit(browser, tab_to(browser, words["send"]), key=Keys.ENTER)

    # Her answer proposes an employer: accept is preselected, one button saves the choice.
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "main h1").text == words["review"],
             message="the review of the proposed changes")
    assert EMPLOYER in main_text(browser)
    checked(browser)
    accept = tab_to(browser, words["accept"])
    assert accept.get_attribute("name") == "d.employer" and accept.is_selected()
    submit(browser, tab_to(browser, words["choose"]), key=Keys.ENTER)
    wait_for(lambda: words["done"] in main_text(browser), message="the choices saved")
    assert words["employer now"] in main_text(browser) and EMPLOYER in main_text(browser)
    checked(browser)

    profile = requests.get(f"{site.url}/api/v1/members/{member['id']}", timeout=10,
                           headers={**site.bearer(member["email"], member["password"]), "X-Forwarded-For": next_address()})
    assert profile.status_code == 200, profile.text
    assert profile.json()["employer"] == EMPLOYER
