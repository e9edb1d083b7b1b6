"""The platform run as production runs it, on one machine: RabbitMQ (a virtual host of this
test's own), the nginx gateway, two api processes of each service under gunicorn behind the
gateway's upstreams and one worker per service, the SMTP and SMS sinks.

A year of the office goes through the gateway: the roster is imported, five people sign up
(four on the roster, verified by their confirmation link; one approved by the office), a
segment is saved, an event takes one member and waitlists another, the first erases her
account and the second is promoted, checked in at the door, told when the office moves the
event to the next hour, and reminded; a survey is answered
from its personal link; a new graduate finds a mentor who accepts from the email; a cause takes
two volunteers and one's hours are confirmed; an award cycle runs from its opening to the
announcement of the winner; an announcement goes out by email and SMS. Every email and SMS of
the year arrives once (counted per recipient and subject, per number and text).

Then every api and worker is replaced one process at a time (SIGTERM, its graceful exit, a new
copy on the same address, ready) while a thread sends traffic through the gateway: segments
(members), announcements by email and SMS (notifications), events created and published (to
notifications through the bus), volunteer hours confirmed (to awards and notifications through
the bus), standings read (awards). Each POST carries an Idempotency-Key and is retried with the
same key until acknowledged. While each process is down the traffic reaching its service must
be acknowledged (the race the test is about happens, it is not left to chance); afterwards every
acknowledged request's effect is there exactly once and every email and SMS it causes has
arrived exactly once.

Sign-ups, address confirmations and logins go to the first members api directly: the gateway
limits them to 10 a minute per client address (burst 5), and all of this test's people come
from one address. Everything else goes through the gateway.
"""
from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from kombu import Connection

from services.awards.ledger.store import SETTLE_AFTER_S
from tests.conftest import IN_CI
from tests.deploy.nginx_harness import http_session
from tests.e2e.conftest import SERVICES, e2e_env, gateway_to
from tests.e2e.office import (award_cycle, award_cycle_to_announcement, check_in, club_today, join_role, mail,
                              make_judge, member, mentoring_accept_link, offer_mentoring, publish_cause, register,
                              survey, survey_link, text)
from tests.processes import Platform, private_vhost
from tests.support import bearer, wait_until

SOFIA = ZoneInfo("Europe/Sofia")
LOCAL = "%Y-%m-%dT%H:%M"  # an event's local time, in its time zone
REMINDER_AFTER = timedelta(seconds=50)  # the event's 60-minute reminder is due this long after it is moved
PACE_S = 0.3                            # between two requests of the traffic: two cores run all of it
RETRIED = {429, 502, 503, 504}          # the gateway's answers while an api copy is going away
HOURS = "events.volunteer.hours_confirmed"
# Which traffic needs which process of a service: its api answers it, its worker carries it on.
API_TRAFFIC = {"members": {"segment"}, "events": {"event", "hours"}, "notifications": {"announcement"},
               "awards": {"standings"}}
WORKER_TRAFFIC = {"members": {"segment"}, "events": {"event", "hours"},
                  "notifications": {"announcement", "event", "hours"}, "awards": {"hours"}}


@pytest.fixture(scope="module")
def production(amqp_url, local_store, smtp_sink, sms_sink, jwt_keys, tmp_path_factory):
    """Two api copies and a worker per service in a vhost of their own, behind the gateway."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(private_vhost(amqp_url, f"platform-{uuid.uuid4().hex[:8]}"))
        except (RuntimeError, subprocess.SubprocessError) as error:  # no rabbitmqctl, or not for this node
            if IN_CI:
                pytest.fail(f"a private RabbitMQ virtual host: {error}")
            pytest.skip(f"a private RabbitMQ virtual host: {error}")
        env = e2e_env(url, local_store, smtp_sink, sms_sink, jwt_keys,
                      # The event reminder's timer looks every second; a mentor has ten minutes.
                      EVENTS_REMINDER_INTERVAL_S="1", MENTORING_DEADLINE_S="600")
        running = Platform(env, tmp_path_factory.mktemp("platform-logs"), web_concurrency=1)
        stack.callback(running.stop)
        running.start_services(SERVICES, apis=2)
        gateway = stack.enter_context(gateway_to(running, tmp_path_factory.mktemp("platform-gateway")))
        yield running, gateway, url


@dataclass
class Year:
    """What the year left for the rolling restart: the people, the segment, the cause, the cycle."""
    run: str
    admin: dict
    people: dict[str, dict]
    phone: str
    segment_id: str
    cause_id: str
    volunteers: list[tuple[str, dict]]  # (volunteer id, person)
    cycle_id: str
    reminder: str  # the subject of Ralitsa's reminder, checked at the end


def _the_year(api: str, members_url: str, sink, sms_sink, admin: dict, run: str) -> Year:
    roster = ("Факултетен номер;Име;Презиме;Фамилия;Имейл;Година на дипломиране;Факултет;Специалност\n"
              + "".join(f"P{run[:5].upper()}{n};{given};Петрова;Стоянова;{latin}.{run}@example.bg;{year};"
                        "Медицински факултет;Медицина\n"
                        for n, (given, latin, year) in enumerate((
                            ("Ралица", "ralitsa", 2010), ("Десислава", "desislava", 2008),
                            ("Ива", "iva", club_today().year - 1), ("Вера", "vera", 2010)))))
    imported = requests.post(f"{api}/api/v1/members/roster/imports", data=roster.encode(), timeout=30,
                             headers={**admin, "Content-Type": "text/csv"})
    assert imported.status_code == 201 and imported.json()["counts"]["created"] == 4, imported.text

    phone = "+359887" + str(int(run[:6], 16) % 10 ** 6).zfill(6)
    people = {latin: member(members_url, sink, admin, given, latin, run, family="Стоянова", year=year,
                            approve=False, **extra)
              for given, latin, year, extra in (
                  ("Ралица", "ralitsa", 2010, {}),
                  ("Десислава", "desislava", 2008, {"phone": phone, "consent": {"email": True, "sms": True}}),
                  ("Ива", "iva", club_today().year - 1, {}), ("Вера", "vera", 2010, {}),
                  ("Калина", "kalina", 1995, {}))}
    ralitsa, desislava, iva, vera = (people[k] for k in ("ralitsa", "desislava", "iva", "vera"))
    # Kalina is not on the roster: the office approves her, and makes her a judge.
    approved = requests.post(f"{api}/api/v1/members/{people['kalina']['id']}/approve", json={}, headers=admin,
                             timeout=10)
    assert approved.status_code == 200, approved.text
    people["kalina"] = make_judge(api, members_url, admin, people["kalina"])
    for person in (ralitsa, vera, iva, desislava):
        shown = requests.get(f"{api}/api/v1/members/{person['id']}", headers=admin, timeout=10).json()
        assert shown["status"] == "verified", shown  # verified by the roster at the confirmation

    city = f"Пловдив {run}"
    for person in (ralitsa, desislava):
        edited = requests.patch(f"{api}/api/v1/members/{person['id']}", json={"city": city}, headers=person["auth"],
                                timeout=10)
        assert edited.status_code == 200, edited.text
    chosen = requests.put(f"{api}/api/v1/notifications/preferences/me", headers=desislava["auth"], timeout=10,
                          json={"channels": {"news": "email_and_sms"}, "quiet_hours": None})
    assert chosen.status_code == 200, chosen.text
    segment = requests.post(f"{api}/api/v1/members/segments", headers={**admin, "Idempotency-Key": f"s-{run}"},
                            timeout=10, json={"name": f"Пловдив {run}", "filter": {"city": city}})
    assert segment.status_code == 201, segment.text
    segment_id = segment.json()["id"]

    # An event for one: Vera takes the seat, Ralitsa waits; Vera erases her account, Ralitsa is
    # promoted and checked in at the door. At the end of the year the office moves it to an
    # hour from now (Ralitsa is told), so its 60-minute reminder comes to her soon after
    # (due while the processes are being replaced, as a rule: whichever events worker runs
    # then sends it), and not before she holds the seat, however slow the machine.
    # (Five hours ahead: check-in opens six hours before the start, the reminder is due in four.)
    starts = datetime.now(timezone.utc) + timedelta(hours=5)
    title = f"Випуск 2010 ({run})"
    created = requests.post(f"{api}/api/v1/events", headers={**admin, "Idempotency-Key": f"e-{run}"}, timeout=10,
                            json={"title": text(title, f"Class of 2010 ({run})"), "kind": "reunion",
                                  "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=3)).isoformat(),
                                  "place": {"name": "Аула"}, "capacity": 1, "audience": {"kind": "all"},
                                  "reminders": [60]})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert requests.post(f"{api}/api/v1/events/{event_id}/publish", headers=admin, timeout=10).status_code == 200
    assert register(api, event_id, vera["auth"])["status"] == "confirmed"
    assert register(api, event_id, ralitsa["auth"])["status"] == "waitlisted"
    wait_until(lambda: mail(sink, vera["email"], f"Мястото Ви е потвърдено: {title}"), timeout_s=30,
               message="Vera's confirmation (before she erases her account, nothing is sent to her)")
    erased = requests.delete(f"{api}/api/v1/members/{vera['id']}", headers=vera["auth"], timeout=10)
    assert erased.status_code == 202, erased.text

    def promoted():
        mine = requests.get(f"{api}/api/v1/events/registrations/mine", headers=ralitsa["auth"], timeout=10).json()
        return [r for r in mine["items"] if r["event_id"] == event_id and r["status"] == "confirmed"]
    wait_until(promoted, timeout_s=30, message="Ralitsa promoted after Vera's erasure")
    check_in(api, admin, event_id, ralitsa["auth"])
    assert requests.post(f"{api}/api/v1/members/auth/login", timeout=10, json={
        "email": vera["email"], "password": "correct horse battery staple"}).status_code == 401

    # A survey for the segment, answered by Ralitsa from her personal link.
    now = datetime.now(timezone.utc)
    surveys = f"{api}/api/v1/members/surveys"
    created = requests.post(surveys, json=survey(segment_id, run, now - timedelta(minutes=1), now + timedelta(days=7)),
                            headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    survey_id = created.json()["id"]
    opened = requests.post(f"{surveys}/{survey_id}/open", headers=admin, timeout=10)
    assert opened.status_code == 200 and opened.json()["audience_size"] == 2, opened.text
    invitation = wait_until(lambda: mail(sink, ralitsa["email"], "Анкета на Алумни клуба"), timeout_s=30,
                            message="Ralitsa's invitation")[0]
    submitted = requests.post(f"{surveys}/{survey_id}/response/submit", headers=survey_link(invitation, survey_id),
                              timeout=10, json={"answers": {"employer": "МУ-Пловдив", "recommend": 10}})
    assert submitted.status_code == 200, submitted.text

    # Mentoring: Iva, a new graduate, asks Desislava, who accepts from the email; they meet.
    members_api = f"{api}/api/v1/members"
    specialty = f"Кардиология {run}"
    offer_mentoring(members_api, desislava["auth"], specialty)
    asked = requests.post(f"{members_api}/me/mentoring/requests", timeout=10,
                          headers={**iva["auth"], "Idempotency-Key": f"m-{run}"},
                          json={"mentors": [desislava["id"]], "message": "Бих искала съвет за специализация."})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    ask = wait_until(lambda: mail(sink, desislava["email"], "Ви моли да станете ментор"), timeout_s=30,
                     message="the mentor's email")[0]
    accepted = requests.post(f"{members_api}/mentoring/requests/{request_id}/accept", json={}, timeout=10,
                             headers=mentoring_accept_link(ask, request_id))
    assert accepted.status_code == 200, accepted.text
    met = requests.post(f"{members_api}/mentoring/mentorships/{accepted.json()['ask']['mentorship_id']}/meetings",
                        headers={**iva["auth"], "Idempotency-Key": f"mm-{run}"}, timeout=10,
                        json={"on": club_today().isoformat(), "minutes": 45, "topic": "Избор на специалност"})
    assert met.status_code in (200, 201), met.text

    # A cause: Ralitsa and Desislava volunteer; Ralitsa's day of 24 hours is confirmed.
    causes = f"{api}/api/v1/events/causes"
    cause_id, role_id = publish_cause(causes, admin, text(f"Ден на отворените врати {run}", f"Open day {run}"),
                                      slots=2)
    for person in (ralitsa, desislava):
        assert join_role(causes, cause_id, role_id, person["auth"])["status"] == "joined"
    listed = requests.get(f"{causes}/{cause_id}/volunteers", headers=admin, timeout=10).json()["items"]
    volunteer_of = {v["member_id"]: v["volunteer_id"] for v in listed}
    volunteers = [(volunteer_of[p["id"]], p) for p in (ralitsa, desislava)]
    hours = requests.post(f"{causes}/{cause_id}/volunteers/{volunteers[0][0]}/hours", headers=admin, timeout=10,
                          json={"hours": 24, "on": club_today().isoformat(), "note": "Цял ден."})
    assert hours.status_code == 201, hours.text

    # The awards: her check-in, survey and hours credited; a cycle to its announcement.
    def credited():
        mine = requests.get(f"{api}/api/v1/awards/me/engagement", headers=ralitsa["auth"], timeout=10)
        assert mine.status_code == 200, mine.text
        return {"events.attendance.checked_in", "members.survey.completed", HOURS} <= {
            row["event_type"] for row in mine.json()["breakdown"]}
    wait_until(credited, timeout_s=30, message="the check-in, the survey and the hours credited")
    now = datetime.now(timezone.utc)
    # Its activity period takes in the traffic's hours, given on past days (whatever the date).
    cycle = award_cycle(datetime.now(SOFIA).year, [people["kalina"]["id"]],
                        activity_from=(now - timedelta(days=120)).isoformat(),
                        activity_to=(now + timedelta(days=30)).isoformat())
    cycle_id, _ = award_cycle_to_announcement(api, sink, admin, cycle, desislava, ralitsa, [people["kalina"]],
                                              too_recent=iva)

    # An announcement to the segment by email and SMS.
    announced = requests.post(f"{api}/api/v1/notifications/announcements", timeout=10,
                              headers={**admin, "Idempotency-Key": f"a-{run}"}, json={
                                  "subject": text(f"Годишна среща {run}", f"Annual meeting {run}"),
                                  "body": text("Здравейте!", "Hello!"), "channels": ["email", "sms"],
                                  "audience": {"kind": "segment", "segment_id": segment_id}})
    assert announced.status_code == 202, announced.text

    expected = {ralitsa["email"]: ["Добре дошли", f"В списъка с чакащи сте: {title}",
                                   f"Освободи се място за Вас: {title}", "Анкета на Алумни клуба", "Благодарим Ви за",
                                   "Номинирани сте", "Печелите", f"Годишна среща {run}"],
                desislava["email"]: ["Ви моли да станете ментор", "записа менторска среща",
                                     "Номинирайте за Алумни наградите", f"Годишна среща {run}"],
                iva["email"]: ["прие да Ви бъде ментор"],
                people["kalina"]["email"]: ["Членството Ви в Алумни клуба е потвърдено"]}

    def missing() -> list[tuple[str, str]]:
        return [(address, part) for address, parts in expected.items() for part in parts
                if not any(part in m["Subject"] for m in sink.to(address))]
    try:
        wait_until(lambda: not missing(), timeout_s=60, interval_s=0.2, message="the year's emails")
    except AssertionError:
        raise AssertionError(f"not received: {missing()}; received: {sorted(_counts(sink, run))}") from None
    wait_until(lambda: [m for m in sms_sink.messages if m.to == phone and f"Годишна среща {run}" in m.body],
               timeout_s=30, message="the announcement by SMS")

    # The event moves to an hour from now: its 60-minute reminder is due REMINDER_AFTER later.
    moved_to = datetime.now(timezone.utc) + timedelta(minutes=60) + REMINDER_AFTER
    moved = requests.patch(f"{api}/api/v1/events/{event_id}", headers=admin, timeout=10, json={
        "starts_at": moved_to.isoformat(), "ends_at": (moved_to + timedelta(hours=3)).isoformat()})
    assert moved.status_code == 200, moved.text
    wait_until(lambda: mail(sink, ralitsa["email"], f"Промяна в събитието: {title}"), timeout_s=30,
               message="Ralitsa told that the event moved")
    return Year(run, admin, people, phone, segment_id, cause_id, volunteers, cycle_id, f"Напомняне: „{title}“")


@dataclass
class Ack:
    kind: str
    answer: dict
    detail: dict = field(default_factory=dict)


class Traffic(threading.Thread):
    """One client sending through the gateway, one request after another, round the kinds;
    every POST with its own Idempotency-Key, retried with the same key until acknowledged
    (what a client must do when a gateway answers 502 or a connection breaks)."""

    KINDS = ("segment", "announcement", "event", "hours", "standings")

    def __init__(self, api: str, year: Year):
        super().__init__(name="traffic", daemon=True)
        self.api, self.year = api, year
        self.acks: list[Ack] = []
        self.retried: Counter = Counter()
        self.error: BaseException | None = None
        self._halting = threading.Event()
        self._session = http_session()

    def halt(self) -> None:
        self._halting.set()
        self.join(60)
        assert not self.is_alive(), "the traffic did not stop"
        self.check()

    def check(self) -> None:
        if self.error is not None:
            raise AssertionError(f"the traffic failed: {self.error!r}") from self.error

    def acked_since(self, start: int, kinds: set[str]) -> bool:
        self.check()
        return any(ack.kind in kinds for ack in self.acks[start:])

    def run(self) -> None:
        try:
            n = 0
            while not self._halting.is_set():
                kind = self.KINDS[n % len(self.KINDS)]
                self.acks.append(getattr(self, f"_{kind}")(n, self.year.run))
                n += 1
                self._halting.wait(PACE_S)  # pacing only: nothing waits on it
        except BaseException as error:  # reported by check() in the test's thread
            self.error = error

    def _acknowledged(self, method: str, path: str, headers: dict, body: dict | None = None) -> dict:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = self._session.request(method, f"{self.api}{path}", json=body, headers=headers, timeout=15)
            except requests.RequestException as error:
                self.retried[type(error).__name__] += 1
            else:
                if answer.status_code in (200, 201, 202):
                    return answer.json()
                # A retry while the first attempt still runs (its api copy finishing it).
                running = answer.status_code == 409 and "Idempotency-Key" in answer.text
                if answer.status_code not in RETRIED and not running:
                    raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text}")
                self.retried[answer.status_code] += 1
            assert time.monotonic() < deadline, f"{method} {path} never acknowledged"
            time.sleep(0.05)  # a client's retry pause, not a wait for a condition

    def _keyed(self, kind: str, n: int) -> dict:
        return {**self.year.admin, "Idempotency-Key": f"{kind}-{self.year.run}-{n}"}

    def _segment(self, n: int, run: str) -> Ack:
        answer = self._acknowledged("POST", "/api/v1/members/segments", self._keyed("segment", n),
                                    {"name": f"Поток {run} №{n}", "filter": {"city": f"Пловдив {run}"}})
        return Ack("segment", answer)

    def _announcement(self, n: int, run: str) -> Ack:
        subject = f"Вест {run} №{n}"
        answer = self._acknowledged("POST", "/api/v1/notifications/announcements", self._keyed("announcement", n), {
            "subject": text(subject, f"News {run} #{n}"), "body": text("Здравейте!", "Hello!"),
            "channels": ["email", "sms"], "audience": {"kind": "segment", "segment_id": self.year.segment_id}})
        return Ack("announcement", answer, {"subject": subject})

    def _event(self, n: int, run: str) -> Ack:
        title = f"Лекция {run} №{n}"
        starts = datetime.now(SOFIA).replace(hour=18, minute=0) + timedelta(days=200)
        created = self._acknowledged("POST", "/api/v1/events", self._keyed("event", n), {
            "title": text(title, f"Lecture {run} #{n}"), "kind": "lecture", "starts_at": starts.strftime(LOCAL),
            "ends_at": (starts + timedelta(hours=2)).strftime(LOCAL), "place": {"name": "Аула"},
            "audience": {"kind": "graduation_years", "year_from": 2010, "year_to": 2010}})
        # Publishing again changes nothing: a retry needs no key.
        published = self._acknowledged("POST", f"/api/v1/events/{created['id']}/publish", self.year.admin)
        assert published["status"] == "published", published
        return Ack("event", published, {"title": title})

    def _hours(self, n: int, run: str) -> Ack:
        k = sum(1 for ack in self.acks if ack.kind == "hours")
        volunteer_id, person = self.year.volunteers[k % 2]
        hours = 0.5 * (1 + k // 2)  # a distinct amount per volunteer: each thank-you has its own subject
        assert hours < 24, "more hours confirmations than the traffic has distinct amounts for"  # 24: the year's
        on = club_today() - timedelta(days=1 + k)  # once per volunteer and day
        answer = self._acknowledged(
            "POST", f"/api/v1/events/causes/{self.year.cause_id}/volunteers/{volunteer_id}/hours",
            self._keyed("hours", n), {"hours": hours, "on": on.isoformat(), "note": f"№{n}"})
        return Ack("hours", answer, {"member": person["id"]})

    def _standings(self, n: int, run: str) -> Ack:
        answer = self._acknowledged("GET", f"/api/v1/awards/cycles/{self.year.cycle_id}/standings", self.year.admin)
        return Ack("standings", answer)


def _rolling_restart(platform: Platform, traffic: Traffic) -> list[str]:
    """Every process replaced one at a time; while each is down, traffic it serves or carries
    on is acknowledged. Returns what happened, for the log.

    The order: every service's first api copy, then the workers, then the second copies. nginx
    counts a copy that refused a connection as down for its ``fail_timeout`` (2 s in the
    gateway's template, nginx's default is 10 s); stopping the other copy of the same service
    within that time would leave the upstream no live server, and the gateway would answer 502
    until it ran out, though a ready copy is there. Restarting the copies far apart keeps clear of it.
    """
    copies = max(len(urls) for urls in platform.api_urls.values())
    order = [(f"{service}-api", API_TRAFFIC[service]) for service in SERVICES]
    order += [(f"{service}-worker", WORKER_TRAFFIC[service]) for service in SERVICES]
    order += [(f"{service}-api-{n}", API_TRAFFIC[service]) for n in range(2, copies + 1) for service in SERVICES]
    done = []
    for name, kinds in order:
        began, start = time.monotonic(), len(traffic.acks)

        def traffic_goes_on(name=name, kinds=kinds):
            since = len(traffic.acks)
            wait_until(lambda: traffic.acked_since(since, kinds), timeout_s=60, interval_s=0.05,
                       message=f"{sorted(kinds)} acknowledged while {name} is down")
        code = platform.restart(name, while_down=traffic_goes_on)
        assert code == 0, f"{name} did not stop cleanly (exit {code})"
        done.append(f"{name}: {time.monotonic() - began:.1f}s, {len(traffic.acks) - start} acknowledged")
    after = len(traffic.acks)  # every kind once more, with every process replaced
    wait_until(lambda: all(traffic.acked_since(after, {kind}) for kind in Traffic.KINDS), timeout_s=60,
               message="every kind of traffic after the last restart")
    return done


def _counts(sink, run: str) -> Counter:
    return Counter((m["To"], m["Subject"]) for m in list(sink.messages) if str(m["To"]).endswith(f".{run}@example.bg"))


def _dead_letters(amqp_url: str) -> dict[str, int]:
    parked = {}
    for service in ("members", "events", "notifications", "awards"):
        with Connection(amqp_url) as conn:  # one connection each: a missing queue closes the channel
            try:
                parked[service] = conn.default_channel.queue_declare(f"{service}.dead", passive=True).message_count
            except Exception:
                parked[service] = 0  # this service consumes nothing: it has no dead-letter queue
    return parked


def test_a_year_of_the_office_then_a_rolling_restart_under_traffic(production, smtp_sink, sms_sink, issue_token):
    platform, gateway, amqp_url = production
    sink, _ = smtp_sink
    run = uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    began = time.monotonic()
    year = _the_year(gateway.url, platform.urls["members"], sink, sms_sink, admin, run)

    # Every email and SMS of the year once.
    assert max(_counts(sink, run).values()) == 1, [k for k, n in _counts(sink, run).items() if n > 1]
    texts = Counter(m.body for m in sms_sink.messages if m.to == year.phone)
    assert texts and max(texts.values()) == 1, texts
    print(f"the year: {time.monotonic() - began:.0f}s")

    traffic = Traffic(gateway.url, year)
    traffic.start()
    try:
        restarts = _rolling_restart(platform, traffic)
    finally:
        traffic.halt()
    acks = Counter(ack.kind for ack in traffic.acks)
    print(f"rolling restart ({time.monotonic() - began:.0f}s since the year began): {'; '.join(restarts)}; "
          f"acknowledged {dict(acks)}, retried {dict(traffic.retried)}")

    # Every acknowledged request's effect is there, once.
    api, people = gateway.url, year.people
    ralitsa, desislava = people["ralitsa"], people["desislava"]
    for ack in traffic.acks:
        if ack.kind == "segment":
            shown = requests.get(f"{api}/api/v1/members/segments/{ack.answer['id']}", headers=admin, timeout=10)
            assert shown.status_code == 200, shown.text
        elif ack.kind == "announcement":
            shown = requests.get(f"{api}/api/v1/notifications/announcements/{ack.answer['id']}", headers=admin,
                                 timeout=10)
            assert shown.status_code == 200, shown.text
    # Nothing created twice: as many as acknowledged, and the year's one.
    segments = requests.get(f"{api}/api/v1/members/segments", headers=admin, timeout=10).json()
    assert segments["total"] == acks["segment"] + 1
    announcements = requests.get(f"{api}/api/v1/notifications/announcements", headers=admin, timeout=10).json()
    assert announcements["total"] == acks["announcement"] + 1

    # Every message caused arrives: the hours in the awards ledger, the emails and SMS.
    def ledger_counts() -> dict[str, int]:
        counts = {}
        for person in (ralitsa, desislava):
            mine = requests.get(f"{api}/api/v1/awards/me/engagement", headers=person["auth"], timeout=10,
                                params={"cycle_id": year.cycle_id}).json()
            counts[person["id"]] = sum(row["count"] for row in mine["breakdown"] if row["event_type"] == HOURS)
        return counts
    hours_for = Counter(ack.detail["member"] for ack in traffic.acks if ack.kind == "hours")
    wanted_hours = {ralitsa["id"]: hours_for[ralitsa["id"]] + 1, desislava["id"]: hours_for[desislava["id"]]}
    # A worker that read the registered cycles just before this one was registered recorded
    # the first hours without crediting the cycle: by design the ledger makes that exact at its
    # settle, SETTLE_AFTER_S after the registration. An awards worker whose clock is past that
    # settles at its start, instead of this test waiting minutes of real time (or racing them).
    settled_by = timedelta(seconds=SETTLE_AFTER_S + 60)
    with platform.worker_ahead("awards", f"awards-worker-settling-{run}", settled_by):
        try:
            wait_until(lambda: ledger_counts() == wanted_hours, timeout_s=60, interval_s=0.5,
                       message=f"the awards ledger credits every hours confirmation {wanted_hours}")
        except AssertionError:
            raise AssertionError(f"the awards ledger credits {ledger_counts()}, not {wanted_hours}") from None

    wanted = Counter()
    for ack in traffic.acks:
        if ack.kind == "announcement":
            wanted.update([(ralitsa["email"], ack.detail["subject"]), (desislava["email"], ack.detail["subject"])])
        elif ack.kind == "event":
            wanted[(ralitsa["email"], f"Ново събитие: {ack.detail['title']}")] += 1

    def thanked() -> Counter:
        return Counter(m["To"] for m in list(sink.messages) if m["Subject"].startswith("Благодарим Ви за")
                       and m["To"] in (ralitsa["email"], desislava["email"]))
    wanted_thanks = Counter({ralitsa["email"]: hours_for[ralitsa["id"]] + 1,
                             desislava["email"]: hours_for[desislava["id"]]})
    wait_until(lambda: all(_counts(sink, run)[k] >= n for k, n in wanted.items()) and thanked() == wanted_thanks,
               timeout_s=90, interval_s=0.5, message="every email of the traffic")
    wait_until(lambda: mail(sink, ralitsa["email"], year.reminder), timeout_s=60, message="the event's reminder")
    announced = {ack.detail["subject"] for ack in traffic.acks if ack.kind == "announcement"}
    wait_until(lambda: {s for s in announced if any(s in m.body for m in sms_sink.messages if m.to == year.phone)}
               == announced, timeout_s=60, interval_s=0.5, message="every SMS of the traffic")

    counts = _counts(sink, run)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    traffic_mail = {k: n for k, n in counts.items() if k[1].startswith((f"Вест {run} ", f"Ново събитие: Лекция {run}"))}
    assert traffic_mail == dict(wanted)  # nothing more: no request was carried out twice
    texts = Counter(m.body for m in sms_sink.messages if m.to == year.phone)
    assert max(texts.values()) == 1, [t for t, n in texts.items() if n > 1]
    assert _dead_letters(amqp_url) == {service: 0 for service in SERVICES}
    print(f"all checked {time.monotonic() - began:.0f}s after the year began")
