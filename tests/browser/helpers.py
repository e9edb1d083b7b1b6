"""What a browser test checks on every page, and how it waits and reads mail.

    check_axe(driver)              axe-core in the page: no serious or critical violation
    check_fits(driver, width=360)  no horizontal scrolling on a phone-wide screen
    tab_to(driver, text)           reach a link or control with the TAB key only
    read_dev_email(outbox, to, subject_contains)  the links of a mail in the dev outbox
    wait_for_dev_email(outbox, to, subject_contains)  until such a mail (with links or none) is there
    wait_for(condition)            poll with a deadline (never a sleep)
    submit(driver, element)        click, press or submit, and wait for the next page
"""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Callable, TypeVar

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.support import wait_until

T = TypeVar("T")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
LINK = re.compile(r"https?://[^\s\"'<>]+")


def wait_for(condition: Callable[[], T], timeout_s: float = 10.0, message: str = "condition") -> T:
    """``condition()`` once it is truthy; an AssertionError naming ``message`` after ``timeout_s``."""
    return wait_until(condition, timeout_s=timeout_s, interval_s=0.05, message=message)


def submit(driver, element: WebElement | None = None, key: str | None = None, timeout_s: float = 15.0) -> None:
    """Click ``element`` (or press ``key`` on it, e.g. Keys.ENTER) and wait until the browser
    has loaded the page that follows."""
    old_page = driver.find_element(By.TAG_NAME, "html")
    if key:
        (element or driver.switch_to.active_element).send_keys(key)
    else:
        element.click()

    def loaded():
        try:
            old_page.tag_name  # raises once the old document is gone
            return False
        except Exception:
            return driver.execute_script("return document.readyState") == "complete"
    wait_for(loaded, timeout_s, "the next page to load")


def check_axe(driver, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict]:
    """Run axe-core on the current page; fail listing every violation of ``impacts``.
    Returns all violations (the minor ones too), for a test that wants to look closer."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --prefix tests/browser` (make test does)"
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
           .then(r => done({violations: r.violations}), e => done({error: String(e)}));
    """)
    assert "error" not in result, f"axe-core failed: {result.get('error')}"
    violations = result["violations"]
    blocking = [v for v in violations if v.get("impact") in impacts]
    assert not blocking, f"axe-core on {driver.current_url}:\n" + "\n".join(
        f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n    at "
        + "; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                    for node in v["nodes"][:5])
        for v in blocking)
    return violations


def check_fits(driver, width: int = 360, height: int = 740) -> None:
    """The page, laid out for a ``width``-px-wide phone screen, has no horizontal scrolling.
    The failure names the elements sticking out."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
    try:
        measured = driver.execute_script("""
            const root = document.documentElement;
            const wide = [];
            for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.right > root.clientWidth + 0.5 && wide.length < 8) {
                    wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                              + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                              + ' (right edge ' + Math.round(box.right) + ' px)');
                }
            }
            return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide};
        """)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert measured["client"] <= width, f"the viewport is {measured['client']} px wide, not {width}"
    assert measured["scroll"] <= measured["client"], (
        f"{driver.current_url} scrolls sideways at {width} px: {measured['scroll']} px of content in "
        f"{measured['client']} px; sticking out: {', '.join(measured['wide']) or '?'}")


def _describe(driver, element: WebElement) -> str:
    return driver.execute_script(
        "const e = arguments[0];"
        "return [e.innerText, e.value, e.getAttribute('aria-label'), e.getAttribute('title'),"
        "        e.labels && e.labels.length ? e.labels[0].innerText : ''].filter(Boolean).join(' ');",
        element) or ""


def tab_to(driver, text: str, max_presses: int = 80) -> WebElement:
    """Press TAB from the top of the page until the focused element shows ``text`` (its text,
    value, aria-label, title or label); return it. Fails if TAB never gets there: the
    control cannot be reached with the keyboard."""
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    seen = []
    for _ in range(max_presses):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.switch_to.active_element
        described = " ".join(_describe(driver, focused).split())
        if text.lower() in described.lower():
            return focused
        seen.append(described[:40])
    raise AssertionError(f"TAB never reached {text!r} on {driver.current_url}; focus went through: {seen}")


def _dev_emails(outbox: Path, to: str, subject_contains: str):
    """The mails in ``outbox`` to ``to`` whose subject contains ``subject_contains``, oldest first."""
    for path in sorted((Path(outbox) / "email").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if to.lower() in str(message["To"]).lower() and subject_contains in str(message["Subject"]):
            yield message


def read_dev_email(outbox: Path, to: str, subject_contains: str = "", timeout_s: float = 30.0) -> list[str]:
    """The links (http/https) in the newest .eml in ``outbox`` (the platform's dev outbox,
    EMAIL_BACKEND=file) sent to ``to`` whose subject contains ``subject_contains``; waited for."""
    def links():
        found = None
        for message in _dev_emails(outbox, to, subject_contains):
            body = message.get_body(("plain", "html"))
            found = list(dict.fromkeys(link.rstrip(".,;)") for link in LINK.findall(body.get_content()))) \
                if body else []
        return found
    return wait_for(links, timeout_s, f"a mail to {to} about {subject_contains!r} in {outbox}")


def wait_for_dev_email(outbox: Path, to: str, subject_contains: str = "", timeout_s: float = 30.0) -> None:
    """Until a mail to ``to`` whose subject contains ``subject_contains`` is in ``outbox``, links
    or none (``read_dev_email`` waits for links)."""
    wait_for(lambda: next(_dev_emails(outbox, to, subject_contains), None) is not None, timeout_s,
             f"a mail to {to} about {subject_contains!r} in {outbox}")
