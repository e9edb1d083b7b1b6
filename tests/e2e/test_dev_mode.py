"""`alumnet dev` (what `make dev` runs): one process, demo data, docs, a readable outbox,
and a clean stop on Ctrl-C or SIGTERM, even while the demo is still loading (the store server
it started is stopped with it). It needs no RabbitMQ: the embedded broker carries the events."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests

from alumnet.localstore import die_with_parent, free_port
from tests.support import wait_until


def start_dev_mode(port: int, data_dir: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "AMQP_URL"}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "alumnet"), "dev", "--port", str(port), "--data-dir", str(data_dir)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=die_with_parent)


def test_dev_mode_runs_the_platform_with_demo_data_and_stops_on_ctrl_c(tmp_path):
    port = free_port()  # probed free: dev mode is told its port, and writes it into its links
    process = start_dev_mode(port, tmp_path)
    try:
        banner = ""
        while True:  # the banner is an indented JSON object, closed by "}" alone on a line
            line = process.stdout.readline()
            assert line, f"dev mode exited early with {process.poll()}"
            if line.startswith("{") or banner:
                banner += line
            if line.rstrip() == "}":
                break
        info = json.loads(banner)
        base = f"http://127.0.0.1:{port}"
        assert info["gateway"] == base
        assert info["broker"] == "memory://"
        assert info["demo_members_created"] == 6

        outbox = Path(info["dev_outbox"]) / "email"
        # Seven welcomes (six members and the office's admin), and "membership verified" for the
        # three whose email is on the roster (Nikolay's student number only puts his roster
        # entry beside him in the office's queue).
        emails = wait_until(lambda: sorted(outbox.glob("*.eml")) if len(list(outbox.glob("*.eml"))) >= 10 else None,
                            timeout_s=30, message="ten emails in the dev outbox")
        subjects = [message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"] for p in emails]
        assert len(emails) == 10
        assert sum(s.startswith(("Добре дошли", "Welcome")) for s in subjects) == 7
        assert "Добре дошли в Алумни клуба, Офис!" in subjects
        assert subjects.count("Членството Ви в Алумни клуба е потвърдено") == 3
        assert "Добре дошли в Алумни клуба, Мария!" in subjects
        assert "Welcome to the Alumni Club, Georgi!" in subjects
        # Every link in them opens this gateway, on the port it was started on (not the default).
        links = {link for path in emails for link in re.findall(
            r"https?://[^\s\"'<>]+", message_from_bytes(path.read_bytes(), policy=policy.default)
            .get_body(("plain",)).get_content())}
        assert links and all(link.startswith(f"{base}/") for link in links), sorted(links)

        for service in ("members", "events", "awards", "notifications"):
            spec = requests.get(f"{base}/api/v1/{service}/openapi.json", timeout=5)
            assert spec.status_code == 200 and spec.json()["info"]["title"] == f"Alumnet {service} API"
            docs = requests.get(f"{base}/api/v1/{service}/docs", timeout=5)
            assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert requests.get(f"{base}/api/nowhere", timeout=5).headers["Content-Type"] == "application/problem+json"
        docs = requests.get(f"{base}/docs", timeout=5)  # every service's document in one Swagger UI
        assert docs.status_code == 200 and "/api/v1/awards/openapi.json" in docs.text
        index = requests.get(f"{base}/dev", timeout=5)
        assert index.status_code == 200 and "/api/v1/members/docs" in index.text

        # The portal is at /: a newcomer's first click is one of its pages, in Bulgarian by
        # default, leading to its login page, where the demo's logins work (the portal calls the
        # apis through this same gateway).
        browser = requests.Session()
        first = browser.get(f"{base}/", timeout=10)
        assert first.status_code == 200 and '<html lang="bg">' in first.text
        assert "script-src 'self'" in first.headers["Content-Security-Policy"]  # the portal's own
        assert 'href="/login' in first.text
        login = browser.get(f"{base}/login", timeout=10)
        assert 'name="password"' in login.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        for email, is_admin in (("maria.ivanova@example.bg", False), (info["demo_logins"]["admin"], True)):
            page = browser.post(f"{base}/login", timeout=10, data={
                "csrf_token": csrf, "email": email, "password": info["demo_logins"]["password"], "next": "/"})
            assert page.status_code == 200 and page.url == f"{base}/", (email, page.status_code, page.url)
            assert 'action="/logout"' in page.text, email  # signed in
            assert ('href="/office"' in page.text) == is_admin, email
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            browser.post(f"{base}/logout", data={"csrf_token": csrf}, timeout=10)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{base}/login", timeout=10).text).group(1)

        # The demo is usable as printed: a member on the roster logs in and searches the
        # directory; members off the roster wait in the office's approval queue.
        login = requests.post(f"{base}/api/v1/members/auth/login", timeout=5, json={
            "email": "maria.ivanova@example.bg", "password": info["demo_logins"]["password"]})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        found = requests.get(f"{base}/api/v1/members/directory", params={"q": "dimitrova"}, headers=headers,
                             timeout=5).json()
        assert [m["family_name"] for m in found["items"]] == ["Димитрова"]
        queue = requests.get(f"{base}/api/v1/members", params={"status": "pending_verification"}, timeout=5,
                             headers={"Authorization": f"Bearer {info['demo_admin_token']}"}).json()
        assert sorted(m["family_name"] for m in queue["items"]) == ["Petrov", "Sharma", "Стоянов"]
        assert {m["family_name"]: (m["roster_match"] or {}).get("student_number") for m in queue["items"]} == {
            "Petrov": None, "Sharma": None, "Стоянов": "MF0507"}
        assert info["demo_events_published"] == 2
        # The events service learns of Maria (class of 2012) from the bus: the reunion is hers.
        wait_until(lambda: {e["kind"]: e["fits_me"] for e in requests.get(
            f"{base}/api/v1/events", headers=headers, timeout=5).json()["items"]} == {"webinar": True, "reunion": True},
            timeout_s=30, message="the demo reunion fits its class")

        # The operator commands work beside it as the README shows them, with no settings: the
        # first admin (the password piped, no warning), then a token for her from the CLI.
        cli = str(Path(sys.executable).parent / "alumnet")
        bare = {k: v for k, v in os.environ.items() if k not in ("MONGO_URL", "AMQP_URL", "JWT_PRIVATE_KEY_FILE")}
        made = subprocess.run([cli, "members", "create-admin", "--email", "dean@example.bg", "--given-name", "Деан",
                               "--family-name", "Деканов", "--data-dir", str(tmp_path)], env=bare, timeout=60,
                              input="a long and private pass phrase\n", capture_output=True, text=True)
        assert made.returncode == 0 and made.stderr == "", made.stderr
        admin_id = made.stdout.strip()
        dean = requests.post(f"{base}/api/v1/members/auth/login", timeout=5, json={
            "email": "dean@example.bg", "password": "a long and private pass phrase"})
        assert dean.status_code == 200 and dean.json()["roles"] == ["admin"], dean.text
        minted = subprocess.run([cli, "token", "--member", admin_id, "--data-dir", str(tmp_path)], env=bare,
                                timeout=60, capture_output=True, text=True)
        assert minted.returncode == 0, minted.stderr
        listed = requests.get(f"{base}/api/v1/members", timeout=5,
                              headers={"Authorization": f"Bearer {minted.stdout.strip()}"})
        assert listed.status_code == 200, listed.text

        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        assert not (tmp_path / "running.json").exists()
        stopped = subprocess.run([cli, "token", "--member", admin_id, "--data-dir", str(tmp_path)], env=bare,
                                 timeout=60, capture_output=True, text=True)
        assert stopped.returncode == 1 and "make dev" in stopped.stderr, stopped.stderr
    finally:
        if process.poll() is None:  # Ctrl-C first, so dev mode stops its store server too
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``, with their command lines (Linux ``/proc``)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found[int(entry.name)] = (entry / "cmdline").read_text().replace("\0", " ")
        except (OSError, ValueError, IndexError):
            continue
    return found


def gateway_answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=1).status_code < 500
    except requests.RequestException:
        return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_while_the_demo_loads_stops_dev_mode_and_its_store_server(tmp_path, stop):
    port = free_port()
    process = start_dev_mode(port, tmp_path)
    try:
        store_pid = wait_until(lambda: next((pid for pid, command in children(process.pid).items()
                                             if "secantusd" in command), None),
                               timeout_s=30, message="dev mode's store server")
        # The gateway starts serving just before the demo is loaded through it.
        wait_until(lambda: gateway_answers(f"http://127.0.0.1:{port}"), timeout_s=60, message="the gateway")
        process.send_signal(stop)
        assert process.wait(30) == 0
        assert "dev mode is running" not in process.stdout.read()  # stopped before the demo was in
        # Gone, not even a zombie: dev mode stopped the server and reaped it before exiting.
        wait_until(lambda: not Path(f"/proc/{store_pid}").exists(), timeout_s=15, message="the store server gone")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
