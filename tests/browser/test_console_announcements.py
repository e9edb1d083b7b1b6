"""The office sends an announcement and watches it go out: from the console's front page to
the announcement's live progress and its delivery log, through the gateway over the real
services and workers, in Bulgarian and in English, with the keyboard alone; every page
passes axe-core and fits a 360-px-wide screen."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import check_axe, check_fits, submit, tab_to, wait_for
from tests.browser.test_alumni_pages import verified_member

# A class of its own for each language's run, so the announcement reaches only this test's member.
CLASS = {"bg": 1951, "en": 1952}

WORDS = {
    "bg": {"office": "Офисът на алумни клуба", "announcements": "Съобщения", "new": "Ново съобщение",
           "audience": "Аудитория", "a_class": "Випуск", "year": "година на завършване",
           "subject_bg": "Тема на български", "body_bg": "Текст на български", "subject_en": "Тема на английски",
           "body_en": "Текст на английски", "send": "Изпращане на съобщението", "done": "Готово",
           "log": "Всички изпращания на това съобщение", "log_title": "Дневник на изпращанията",
           "charts": "Потвърдени членове по випуски"},
    "en": {"office": "The alumni office", "announcements": "Announcements", "new": "New announcement",
           "audience": "Audience", "a_class": "A class", "year": "year of graduation",
           "subject_bg": "Subject in Bulgarian", "body_bg": "Message in Bulgarian", "subject_en": "Subject in English",
           "body_en": "Message in English", "send": "Send the announcement", "done": "Done",
           "log": "Every delivery of this announcement", "log_title": "Delivery log",
           "charts": "Verified members by class"},
}


def checked(browser) -> None:
    check_axe(browser)
    check_fits(browser, 360)


def type_into(browser, label: str, text: str) -> None:
    """Reach the field labelled ``label`` with TAB and type ``text`` into it."""
    tab_to(browser, label).send_keys(text)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_an_admin_sends_an_announcement_and_watches_its_progress_reach_done(site, browser, admin, lang):
    words = WORDS[lang]
    classmate = verified_member(site, admin, lang, graduation_year=CLASS[lang], faculty="pharmacy")
    site.log_in(browser, *admin, lang=lang, next_path="/office")
    site.open(browser, "/office", lang=lang)  # the login chose the admin's own language

    # The console's front page: its charts are images with their names, the figures in tables.
    assert browser.find_element(By.TAG_NAME, "h1").text == words["office"]
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart img")
    assert words["charts"] in [chart.get_attribute("alt") for chart in charts]
    assert all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", chart)
               for chart in charts)  # every SVG drew
    checked(browser)

    submit(browser, tab_to(browser, words["announcements"]), key=Keys.ENTER)
    assert browser.find_element(By.TAG_NAME, "h1").text == words["announcements"]
    checked(browser)
    submit(browser, tab_to(browser, words["new"]), key=Keys.ENTER)
    checked(browser)

    subject = f"{words['new']} {uuid.uuid4().hex[:6]}"
    type_into(browser, words["subject_bg"], f"Среща {subject}")
    type_into(browser, words["body_bg"], "Здравейте,\n\nочакваме ви на срещата.")
    type_into(browser, words["subject_en"], f"Reunion {subject}")
    type_into(browser, words["body_en"], "Hello,\n\nsee you at the reunion.")
    tab_to(browser, words["audience"]).send_keys(words["a_class"])  # a select chooses by typing
    assert browser.find_element(By.ID, "f-audience").get_attribute("value") == "graduation_years"
    type_into(browser, words["year"], str(CLASS[lang]))
    submit(browser, tab_to(browser, words["send"]), key=Keys.ENTER)

    # Its page: the progress refreshes itself until nothing waits.
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert subject in heading and heading.startswith("Среща" if lang == "bg" else "Reunion")
    checked(browser)
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".live [data-done]"), timeout_s=60,
             message="the announcement's progress to reach done")
    live = browser.find_element(By.CSS_SELECTOR, ".live")
    assert words["done"] in live.text
    bar = live.find_element(By.TAG_NAME, "progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    label = browser.find_element(By.ID, bar.get_attribute("aria-labelledby"))
    assert "100%" in label.text
    checked(browser)

    # Its deliveries, each with its status and reason, in the delivery log.
    submit(browser, tab_to(browser, words["log"]), key=Keys.ENTER)
    assert browser.find_element(By.TAG_NAME, "h1").text == words["log_title"]
    rows = browser.find_elements(By.CSS_SELECTOR, ".table-wrap tbody tr")
    assert len(rows) == 1 and classmate["id"] in rows[0].text  # the class's one member, by email
    checked(browser)
