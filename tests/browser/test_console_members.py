"""The alumni office's member pages in a real browser, through the gateway over the real
members service: an admin checks a roster file (the dry run's report), imports it, reads the
stored report, and approves a pending sign-up shown beside its roster entry; segments count
members live as the filters change. In Bulgarian and in English; every page passes axe-core,
fits 360 px, and the actions are taken with the keyboard."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import check_axe, check_fits, submit, tab_to, wait_for

WORDS = {
    "bg": {"check": "Проверка без записване", "import": "Импортиране на този файл", "checked": "нищо не е записано",
           "report": "Отчет за импортирането", "imported": "Импортирано: създадени 2", "approve": "Одобряване на",
           "verified": "е потвърден", "differs": "различава се", "count": "Указателят намира", "save": "Записване на сегмента",
           "saved": "е записан"},
    "en": {"check": "Check without saving", "import": "Import this file", "checked": "nothing has been saved",
           "report": "Roster import report", "imported": "Imported: 2 created", "approve": "Approve",
           "verified": "is verified", "differs": "differs", "count": "The directory finds", "save": "Save segment",
           "saved": "is saved"},
}


def log_in(site, browser, admin, path: str, lang: str) -> None:
    site.open(browser, f"/login?next={path}", lang=lang)
    browser.find_element(By.ID, "f-email").send_keys(admin[0])
    browser.find_element(By.ID, "f-password").send_keys(admin[1])
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.current_url.endswith(path), browser.current_url
    # Logging in chose the admin's own language (Bulgarian); the switch chooses this test's.
    site.open(browser, path, lang=lang)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang


def checked(browser) -> None:
    check_axe(browser)
    check_fits(browser, 360)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_an_admin_imports_a_roster_and_approves_a_pending_member(site, browser, admin, lang, tmp_path):
    words = WORDS[lang]
    tag = uuid.uuid4().hex[:6].upper()
    number, family = f"МФ{int(tag, 16) % 10**7:07d}", f"Петрова{tag}"
    roster = tmp_path / f"vipusk-{lang}.csv"
    roster.write_text(
        "Факултетен номер;Име;Фамилия;Випуск;Факултет;Бележка\r\n"
        f"{number};Петя;{family};2004;Медицински факултет;\r\n"
        f"{number}Б;Иван;Иванов{tag};2005;Фармация;\r\n"
        f"{number};Петя;{family};2004;Медицински факултет;повторен\r\n", encoding="utf-8")

    log_in(site, browser, admin, "/office/roster", lang)
    checked(browser)
    browser.find_element(By.ID, "f-file").send_keys(str(roster))
    submit(browser, tab_to(browser, words["check"]), key=Keys.ENTER)
    assert words["checked"] in browser.find_element(By.TAG_NAME, "main").text
    rows = browser.find_elements(By.CSS_SELECTOR, "table.report tbody tr")
    assert [r.get_attribute("class") for r in rows] == ["row-rejected", "row-created", "row-created"]
    checked(browser)

    submit(browser, tab_to(browser, words["import"]), key=Keys.ENTER)
    assert "/office/roster/imports/" in browser.current_url
    main = browser.find_element(By.TAG_NAME, "main").text
    assert words["report"] in main and words["imported"] in main
    checked(browser)

    site.join(lang, family_name=family, given_name="Петя", student_number=number.lower(),
                       graduation_year=2005, faculty="medicine")
    site.open(browser, "/office/approvals", lang=lang)
    card = wait_for(lambda: [c for c in browser.find_elements(By.CSS_SELECTOR, ".queue > li") if family in c.text],
                    message="the sign-up in the queue")[0]
    assert number in card.text and words["differs"] in card.get_attribute("textContent")  # 2005 beside 2004
    checked(browser)
    submit(browser, tab_to(browser, f"{words['approve']} Петя {family}"), key=Keys.ENTER)
    notice = browser.find_element(By.CSS_SELECTOR, "main .notice.success").text
    assert family in notice and words["verified"] in notice
    assert not [c for c in browser.find_elements(By.CSS_SELECTOR, ".queue > li") if family in c.text]
    checked(browser)


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_a_segment_counts_members_live_and_is_saved_by_keyboard(site, browser, admin, lang):
    words = WORDS[lang]
    log_in(site, browser, admin, "/office/segments/new", lang)
    checked(browser)
    box = browser.find_element(By.ID, "segment-count")
    before = box.text
    browser.find_element(By.ID, "f-name").send_keys(f"Випуск 2005 {uuid.uuid4().hex[:4]}")
    browser.find_element(By.ID, "f-graduation_year_from").send_keys("2005")
    wait_for(lambda: words["count"] in box.text and box.text != before, message="the live count")
    browser.find_element(By.ID, "f-faculty-medicine").send_keys(Keys.SPACE)  # a checkbox, by keyboard
    checked(browser)
    submit(browser, tab_to(browser, words["save"]), key=Keys.ENTER)
    assert "/office/segments/" in browser.current_url
    assert words["saved"] in browser.find_element(By.CSS_SELECTOR, "main .notice.success").text
    checked(browser)
