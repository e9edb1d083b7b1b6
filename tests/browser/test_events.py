"""The events pages in a real browser, through the gateway over the real services: a member
of the class of 2012 (the demo's Maria Ivanova, verified by the roster) finds the class-of-2012
reunion, registers with a guest, opens her ticket (its QR code loads from the portal) and
cancels, in Bulgarian and in English, with the keyboard alone; every page passes axe-core and
fits a 360-px-wide screen."""
from __future__ import annotations

import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from alumnet import demo
from tests.browser.conftest import next_address
from tests.browser.helpers import check_axe, check_fits, submit, tab_to, wait_for

REUNION = demo.EVENTS[0]  # "Class of 2012 reunion": 80 seats, one guest each, for the class of 2012
WORDS = {
    "bg": {"title": REUNION["title"]["bg"], "guests": "Гости, които идват с вас", "register": "Запишете се",
           "registered": "Записани сте. Билетът ви е готов.", "ticket": "Покажи билета ми",
           "cancel": "Откажи записването ми", "confirm": "Да, откажете записването ми",
           "cancelled": "Записването ви е отказано.", "for_you": "За вас: Випуск 2012"},
    "en": {"title": REUNION["title"]["en"], "guests": "Guests coming with you", "register": "Register",
           "registered": "You are registered. Your ticket is ready.", "ticket": "Show my ticket",
           "cancel": "Cancel my registration", "confirm": "Yes, cancel my registration",
           "cancelled": "Your registration is cancelled.", "for_you": "For you: The class of 2012"},
}


def client(header: dict) -> dict:
    """API calls to set data up, each from an address of its own (the gateway's per-client limits)."""
    return {**header, "X-Forwarded-For": next_address()}


@pytest.fixture(scope="module")
def office(site, admin) -> dict:
    return site.bearer(*admin)


@pytest.fixture(scope="module")
def reunion(site, office) -> str:
    """The demo's class-of-2012 reunion, created and published by the office through the API."""
    created = requests.post(f"{site.url}/api/v1/events", json=REUNION, timeout=10,
                            headers={**client(office), "Idempotency-Key": f"browser-reunion-{uuid.uuid4().hex}"})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    published = requests.post(f"{site.url}/api/v1/events/{event_id}/publish", headers=client(office), timeout=10)
    assert published.status_code == 200, published.text
    return event_id


def maria(site, office, lang: str) -> dict:
    """Maria Ivanova of the class of 2012, on the office's roster with her own address, so her
    sign-up is verified by the roster match (the demo's roster row, its address and number made unique)."""
    email = f"maria.ivanova.{uuid.uuid4().hex[:8]}@example.bg"
    header, row = demo.ROSTER_CSV.splitlines()[:2]
    row = row.replace("maria.ivanova@example.bg", email).replace("MF0812", f"MF{uuid.uuid4().int % 10**6:06d}")
    headers = {**client(office), "Content-Type": "text/csv", "Idempotency-Key": uuid.uuid4().hex}
    imported = requests.post(f"{site.url}/api/v1/members/roster/imports?filename=maria.csv",
                             data=f"{header}\n{row}\n".encode(), headers=headers, timeout=30)
    assert imported.status_code in (200, 201), imported.text
    return site.join(lang, given_name="Мария", family_name="Иванова", email=email)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_classmate_registers_with_a_guest_opens_her_ticket_and_cancels(site, browser, office, reunion, lang):
    words = WORDS[lang]
    member = maria(site, office, lang)
    # The events service learns of her verification from the members service's events.
    own = site.bearer(member["email"], member["password"])
    wait_for(lambda: requests.get(f"{site.url}/api/v1/events/{reunion}", headers=client(own), timeout=10)
             .status_code == 200,
             timeout_s=30, message="the events service to know Maria as a verified member of the class of 2012")

    site.log_in(browser, member["email"], member["password"], lang=lang, next_path="/events?mine=1")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert words["for_you"] in browser.find_element(By.TAG_NAME, "main").text
    check_axe(browser)
    check_fits(browser, 360)

    submit(browser, tab_to(browser, words["title"]), key=Keys.ENTER)
    assert browser.find_element(By.TAG_NAME, "h1").text == words["title"]
    check_axe(browser)
    check_fits(browser, 360)
    guests = tab_to(browser, words["guests"])
    guests.send_keys(Keys.BACKSPACE, "1")
    submit(browser, tab_to(browser, words["register"]), key=Keys.ENTER)
    assert words["registered"] in browser.find_element(By.CSS_SELECTOR, "main .notice.success").text
    check_axe(browser)
    check_fits(browser, 360)

    submit(browser, tab_to(browser, words["ticket"]), key=Keys.ENTER)
    qr = browser.find_element(By.CSS_SELECTOR, "figure.qr img")
    assert qr.get_attribute("src").startswith(f"{site.url}/events/{reunion}/ticket.svg")  # the portal's, no token
    wait_for(lambda: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr),
             message="the QR code image to load")
    code = browser.find_element(By.CSS_SELECTOR, "code.ticket-code").text
    assert len(code) >= 16
    check_axe(browser)
    check_fits(browser, 360)

    site.open(browser, f"/events/{reunion}")
    submit(browser, tab_to(browser, words["cancel"]), key=Keys.ENTER)
    check_axe(browser)
    check_fits(browser, 360)
    submit(browser, tab_to(browser, words["confirm"]), key=Keys.ENTER)
    assert words["cancelled"] in browser.find_element(By.CSS_SELECTOR, "main .notice.success").text
    check_axe(browser)
    mine = requests.get(f"{site.url}/api/v1/events/{reunion}/registrations/mine", headers=client(own), timeout=10)
    assert mine.json()["status"] == "cancelled" and mine.json()["guests"] == 1
