"""The browser suite's fixtures: the real platform behind the real nginx gateway, with the
portal at its ``/``, and a headless Debian Chromium driven by Selenium.

    site       (all browser tests) the running platform: ``site.url`` is the gateway, ``site.open(...)``,
               ``site.join(...)``, ``site.log_in(...)``, ``site.bearer(...)``,
               ``site.create_admin(...)``, ``site.outbox``
    browser    (each test) a fresh Chromium with its own client address; on failure its
               screenshot and HTML are saved to .test-artifacts/browser/
    read_dev_email(to, subject_contains) -> links in that mail (waited for)
    admin      (all browser tests) an office admin's (email, password), for logging in in the browser

Without Chromium, chromedriver, nginx or RabbitMQ the suite is skipped, except under
CI=true, where that is a failure.
"""
from __future__ import annotations

import itertools
import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from cryptography.fernet import Fernet

from alumnet.localstore import free_port
from tests.browser.helpers import AXE, read_dev_email as _read_dev_email
from tests.conftest import IN_CI, own_vhost
from tests.deploy.nginx_harness import Gateway, find_nginx
from tests.processes import ALUMNET, Platform, platform_env

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SERVICES = ("members", "events", "notifications", "awards")
PASSWORD = "browser-suite-2026"
# Each browser (and each site.join) is a client of its own: the gateway believes the
# X-Forwarded-For a browser sends, as from a load balancer, so the per-client limits on logins
# and sign-ups do not add the whole suite up as one address (documentation range, RFC 5737).
_addresses = (f"198.51.{block}.{host}" for block in (100, 101) for host in range(1, 255))
_counter = itertools.count(1)


def _needed(problem: str | None) -> None:
    if problem:
        if IN_CI:
            pytest.fail(f"{problem}; under CI=true this is a failure", pytrace=False)
        pytest.skip(problem)


def next_address() -> str:
    return next(_addresses)


@dataclass
class Site:
    url: str          # the gateway: the portal at /, the apis at /api/
    outbox: Path      # the platform's dev outbox (EMAIL_BACKEND=file)
    platform: Platform

    def open(self, driver, path: str = "/", lang: str | None = None) -> None:
        """Load ``path`` in ``driver``, first choosing ``lang`` (bg or en) with the switch."""
        if lang:
            driver.get(f"{self.url}/language/{lang}?next={quote(path, safe='')}")
        else:
            driver.get(self.url + path)

    def join(self, lang: str = "bg", **profile) -> dict:
        """A confirmed member made through the API as a person would (sign up, the welcome
        mail's link): returns the sign-up body, its ``email`` and ``password`` included."""
        n = next(_counter)
        body = {"given_name": "Ива" if lang == "bg" else "Iva", "family_name": f"Тестова{n}" if lang == "bg"
                else f"Testova{n}", "email": f"browser{n}.{uuid.uuid4().hex[:6]}@example.bg",
                "password": PASSWORD, "preferred_language": lang, "consent": {"email": True, "sms": False},
                **profile}
        client = {"X-Forwarded-For": next_address()}
        answer = requests.post(f"{self.url}/api/v1/members", json=body, headers=client, timeout=10)
        assert answer.status_code == 202, answer.text
        link = next(link for link in self.read_dev_email(body["email"]) if "/confirm-email?token=" in link)
        token = link.split("token=", 1)[1]
        confirmed = requests.post(f"{self.url}/api/v1/members/auth/confirm-email", headers=client, timeout=10,
                                  json={"token": token, "password": body["password"]})
        assert confirmed.status_code == 200, confirmed.text
        return body

    def log_in(self, driver, email: str, password: str = PASSWORD, lang: str = "bg", next_path: str = "/") -> None:
        """Log ``driver`` in through the portal's login page, as a person does; then on ``next_path``."""
        from selenium.webdriver.common.by import By
        from tests.browser.helpers import submit
        self.open(driver, f"/login?next={quote(next_path, safe='')}", lang=lang)
        driver.find_element(By.ID, "f-email").send_keys(email)
        driver.find_element(By.ID, "f-password").send_keys(password)
        submit(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        assert driver.find_elements(By.CSS_SELECTOR, "form[action='/logout']"), (
            f"{email} is not signed in on {driver.current_url}")

    def bearer(self, email: str, password: str = PASSWORD) -> dict:
        """An ``Authorization`` header for ``email``, for setting data up through the API."""
        answer = requests.post(f"{self.url}/api/v1/members/auth/login", json={"email": email, "password": password},
                               headers={"X-Forwarded-For": next_address()}, timeout=10)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def create_admin(self, email: str, password: str = PASSWORD, given_name: str = "Офис",
                     family_name: str = "Алумни", language: str = "bg") -> str:
        """An office admin, made as an operator does (``alumnet members create-admin``); their id."""
        made = subprocess.run(
            [ALUMNET, "members", "create-admin", "--email", email, "--given-name", given_name,
             "--family-name", family_name, "--language", language],
            input=f"{password}\n{password}\n", env=self.platform.env, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip().splitlines()[-1]

    def read_dev_email(self, to: str, subject_contains: str = "", timeout_s: float = 30.0) -> list[str]:
        return _read_dev_email(self.outbox, to, subject_contains, timeout_s)


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    _needed(None if os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK) else
            f"{CHROMIUM} or {CHROMEDRIVER} is missing (Debian: apt-get install chromium chromium-driver)")
    _needed(None if AXE.exists() else f"{AXE} is missing (npm ci --prefix tests/browser; make test does it)")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture(scope="package")
def amqp_url(amqp_url):
    """The broker's URL with this layer's own vhost (as tests/e2e has its own): no message a
    previous run or another layer left reaches this platform, and no other platform's workers
    compete with these for the fixed queue names; it goes, with all in it, after the layer."""
    with own_vhost(amqp_url, "browser", timeout_s=30) as vhost:
        yield vhost.url


# "package": the platform stops when the last browser test is done, before the vhost goes.
@pytest.fixture(scope="package")
def site(chromium, amqp_url, local_store, jwt_keys, tmp_path_factory):
    nginx = find_nginx()
    _needed(None if nginx else "nginx is not installed (Debian: apt-get install nginx-light)")
    work = tmp_path_factory.mktemp("site")
    outbox = work / "outbox"
    # Probed free, not port 0: nginx and gunicorn are told their ports, each the other's.
    gateway_port, portal_port = free_port(), free_port()
    url = f"http://127.0.0.1:{gateway_port}"
    env = platform_env(amqp_url, local_store.url, jwt_keys, EMAIL_BACKEND="file", SMS_BACKEND="file",
                       DEV_OUTBOX_DIR=str(outbox), PUBLIC_BASE_URL=url,
                       # The portal's own; one key for all its gunicorn workers.
                       PORTAL_SESSION_KEY=Fernet.generate_key().decode())
    running = Platform(env, work)
    gateway = None
    try:
        running.start_services(SERVICES)
        upstreams = {s: running.urls[s].removeprefix("http://") for s in SERVICES}
        upstreams["portal"] = f"127.0.0.1:{portal_port}"
        # The browsers (as if behind a load balancer) and the portal both call from 127.0.0.1.
        gateway = Gateway(nginx, work, upstreams, real_ip_from="127.0.0.1", portal_real_ip_from="127.0.0.1",
                          port=gateway_port).start()
        running.start_portal(url, port=portal_port)
        yield Site(url=url, outbox=outbox, platform=running)
    finally:
        if gateway is not None:
            gateway.stop()
        running.stop()


@pytest.fixture
def read_dev_email(site):
    return site.read_dev_email


@pytest.fixture(scope="package")
def admin(site) -> tuple[str, str]:
    email = f"office.{uuid.uuid4().hex[:6]}@mu-plovdiv.bg"
    site.create_admin(email)
    return email, PASSWORD


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the browser fixture knows it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def browser(chromium, request):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--lang=bg", "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "bg,en"})
    driver = webdriver.Chrome(service=Service(chromium[1]), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Forwarded-For": next_address()}})
    try:
        yield driver
    finally:
        failed = any(getattr(request.node, f"report_{when}", None) is not None
                     and getattr(request.node, f"report_{when}").failed for when in ("setup", "call"))
        if failed:
            _save_artifacts(driver, request.node.nodeid)
        driver.quit()


def _save_artifacts(driver, nodeid: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-150:]
    try:
        driver.save_screenshot(str(ARTIFACTS / f"{stem}.png"))
        (ARTIFACTS / f"{stem}.html").write_text(
            f"<!-- {driver.current_url} -->\n{driver.page_source}", encoding="utf-8")
    except Exception as exc:  # a crashed browser: say so rather than hide the test's own failure
        (ARTIFACTS / f"{stem}.txt").write_text(f"could not save the page: {exc}\n", encoding="utf-8")
