"""The office's events in a real browser, through the gateway over the real services: an admin
creates an event in both languages and publishes it, a member registers through the API, and
at the door the admin checks her in twice with a scanner that types the ticket code and Enter
(the second scan says when and by whom). In Bulgarian and in English, each page checked with
axe-core, at 360 px and with the keyboard."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import next_address
from tests.browser.helpers import check_axe, check_fits, submit, tab_to
from tests.support import wait_until

SOFIA = ZoneInfo("Europe/Sofia")
WORDS = {
    "en": {"create": "Create as a draft", "publish": "Publish", "door": "Check-in at the door",
           "draft": "Draft", "published": "Published", "registrations": "Registrations",
           "checked_in": "Checked in: {name} (+1 guest)", "again": r"Already checked in at \d{1,2}:\d\d\s?[AP]M by you\.",
           "not_a_ticket": "Not a ticket for this event."},
    "bg": {"create": "Създаване като чернова", "publish": "Публикуване", "door": "Регистрация на входа",
           "draft": "Чернова", "published": "Публикувано", "registrations": "Записвания",
           "checked_in": "Влезе: {name} (+1 гост)", "again": r"Билетът е отбелязан в \d{1,2}:\d\d от вас\.",
           "not_a_ticket": "Това не е билет за това събитие."},
}


def verified_member(site, admin, lang: str) -> tuple[dict, dict]:
    """A member who joined and whom the office approved: her sign-up and her API header."""
    member = site.join(lang)
    login = requests.post(f"{site.url}/api/v1/members/auth/login", timeout=10,
                          json={"email": member["email"], "password": member["password"]},
                          headers={"X-Forwarded-For": next_address()})
    assert login.status_code == 200, login.text
    member_id = login.json()["member_id"]
    approved = requests.post(f"{site.url}/api/v1/members/{member_id}/approve", json={}, timeout=10,
                             headers=site.bearer(*admin))
    assert approved.status_code == 200, approved.text
    return member, {"Authorization": f"Bearer {login.json()['access_token']}"}


def register(site, event_id: str, headers: dict) -> str:
    """Register with one guest, once the events service has heard she is verified; her ticket code."""
    answers = []

    def registered():
        answers.append(requests.post(f"{site.url}/api/v1/events/{event_id}/registrations", json={"guests": 1},
                                     headers=headers, timeout=10))
        assert answers[-1].status_code in (200, 201, 403), answers[-1].text  # 403: not verified yet, for events
        return answers[-1].status_code != 403
    try:
        wait_until(registered, timeout_s=30, interval_s=0.2,
                   message="the member's registration (the events service learns she is verified)")
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}; the last answer: {answers[-1].status_code} {answers[-1].text}") from None
    ticket = requests.get(f"{site.url}/api/v1/events/{event_id}/registrations/mine/ticket", headers=headers,
                          timeout=10)
    assert ticket.status_code == 200, ticket.text
    return ticket.json()["code"]


def set_value(browser, element_id: str, value: str) -> None:
    """A datetime-local field's value (typing one depends on the browser's locale)."""
    browser.execute_script("document.getElementById(arguments[0]).value = arguments[1];", element_id, value)


def scan(browser, code: str) -> str:
    """What a handheld scanner does: type into the focused field, then Enter; the answer shown."""
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "f-code", "the code field is not focused for the scanner"
    assert focused.get_attribute("value") == ""
    focused.send_keys(code)
    submit(browser, focused, key=Keys.ENTER)
    return browser.find_element(By.ID, "scan-result").text


def checked(browser) -> None:
    check_axe(browser)
    check_fits(browser, 360)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_the_office_creates_and_publishes_an_event_and_checks_a_member_in_twice(site, browser, admin, lang):
    words = WORDS[lang]
    site.log_in(browser, *admin, lang=lang)
    site.open(browser, "/office/events/new", lang=lang)  # the admin's own language is Bulgarian
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    checked(browser)

    # Both languages side by side; the event starts within the hour, so its door is open.
    starts = datetime.now(SOFIA).replace(second=0, microsecond=0) + timedelta(hours=1)
    fields = {"f-title-bg": "Среща на випуск 2006", "f-title-en": "Class of 2006 reunion",
              "f-description-bg": "Двадесет години по-късно.", "f-description-en": "Twenty years on.",
              "f-place-name": "Аула Магна", "f-place-city": "Пловдив", "f-capacity": "50"}
    for element_id, value in fields.items():
        browser.find_element(By.ID, element_id).send_keys(value)
    guests = browser.find_element(By.ID, "f-guests_allowed")
    guests.clear()
    guests.send_keys("1")
    set_value(browser, "f-starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    set_value(browser, "f-ends_at", (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    submit(browser, tab_to(browser, words["create"]), key=Keys.ENTER)
    event_id = re.search(r"/office/events/([0-9a-f]{32})$", browser.current_url).group(1)
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == (
        "Среща на випуск 2006" if lang == "bg" else "Class of 2006 reunion")
    assert words["draft"] in browser.find_element(By.CSS_SELECTOR, "main .status").text
    checked(browser)

    submit(browser, tab_to(browser, words["publish"]), key=Keys.ENTER)
    assert words["published"] in browser.find_element(By.CSS_SELECTOR, "main .status").text
    checked(browser)

    member, headers = verified_member(site, admin, lang)
    code = register(site, event_id, headers)
    name = f"{member['given_name']} {member['family_name']}"

    submit(browser, tab_to(browser, words["registrations"]), key=Keys.ENTER)
    assert name in browser.find_element(By.CSS_SELECTOR, "main table").text
    checked(browser)

    site.open(browser, f"/office/events/{event_id}")
    submit(browser, tab_to(browser, words["door"]), key=Keys.ENTER)
    checked(browser)
    assert scan(browser, "not-a-ticket-code-at-all") == words["not_a_ticket"]
    assert scan(browser, f"alumnet:ticket:{code}") == words["checked_in"].format(name=name)
    checked(browser)
    again = scan(browser, code)
    assert re.search(words["again"], again.replace("\u202f", " ")), again
    checked(browser)


DOOR_WORDS = {"en": {"nav": "Check-in", "pick": "Check in guests"},
              "bg": {"nav": "Регистрация на входа", "pick": "Към регистрацията на входа"}}


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_staff_pick_today_s_event_and_check_a_member_in_but_see_no_office_page(site, browser, admin, lang):
    office = site.bearer(*admin)
    # An event that began a minute ago (so it is today's in Sofia), registration open until its end.
    starts = datetime.now(SOFIA).replace(second=0, microsecond=0) - timedelta(minutes=1)
    # Unique: the bg and en runs may make their events in the same minute, on the same site.
    tag = uuid.uuid4().hex[:4]
    title = {"bg": f"Клубна среща {starts:%H%M} {tag}", "en": f"Club meeting {starts:%H%M} {tag}"}
    made = requests.post(f"{site.url}/api/v1/events", headers=office, timeout=10, json={
        "title": title, "kind": "club_meeting", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "registration_closes_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "guests_allowed": 1, "place": {"name": "Клуб", "city": "Пловдив"}})
    assert made.status_code == 201, made.text
    event_id = made.json()["id"]
    assert requests.post(f"{site.url}/api/v1/events/{event_id}/publish", headers=office, timeout=10).ok
    member, headers = verified_member(site, admin, lang)
    code = register(site, event_id, headers)

    door, _ = verified_member(site, admin, lang)
    door_id = requests.post(f"{site.url}/api/v1/members/auth/login", timeout=10,
                            json={"email": door["email"], "password": door["password"]},
                            headers={"X-Forwarded-For": next_address()}).json()["member_id"]
    roles = requests.put(f"{site.url}/api/v1/members/{door_id}/roles", json={"roles": ["alumnus", "staff"]},
                         headers=office, timeout=10)
    assert roles.status_code == 200, roles.text
    site.log_in(browser, door["email"], door["password"], lang=lang)

    submit(browser, tab_to(browser, DOOR_WORDS[lang]["nav"]), key=Keys.ENTER)
    assert browser.current_url.endswith("/office/events")
    checked(browser)
    link = tab_to(browser, title[lang])  # the link's text names its event for screen readers
    assert DOOR_WORDS[lang]["pick"] in link.text
    submit(browser, link, key=Keys.ENTER)
    assert browser.current_url.endswith(f"/office/events/{event_id}/check-in")
    checked(browser)
    name = f"{member['given_name']} {member['family_name']}"
    assert scan(browser, code) == WORDS[lang]["checked_in"].format(name=name)
    assert re.search(WORDS[lang]["again"], scan(browser, code).replace("\u202f", " "))

    site.open(browser, f"/office/events/{event_id}")  # the office's page of the event: not the door's
    assert browser.title.startswith("403 ")  # the 403 page, whose title is its status
