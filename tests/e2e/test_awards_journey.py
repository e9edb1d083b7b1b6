"""The Alumni awards end to end, through the real nginx gateway (sign-ups and logins go to the
members api directly: five people from one address would meet the gateway's rate limit), on
the real RabbitMQ with every service's api and worker and the SMTP sink.

Activity flows in first: the future winner is checked in at a reunion (events) and completes a
survey (members), and the awards ledger credits both. Then the office opens a cycle whose
category wants graduates of at least five years; a member nominates her (credited points
shown to the office's standings), and a new graduate's nomination is refused naming the rule
that failed. The nominee confirms from the email's one-click link without logging in; the
office moves the cycle to judging; two judges score blind (their ballots name no one); the
results show each judge's weighted score with mean, median and spread; the office chooses
the winner and announces, and her congratulation arrives in the SMTP sink while the
``awards.*`` events on the bus are what the awards catalogue promises.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from services.awards.messages import CATALOG as AWARDS
from tests.e2e.accounts import join, log_in
from tests.e2e.bus_probe import BusProbe, assert_valid
from tests.support import bearer, wait_until

PASSWORD = "correct horse battery staple"
CONFIRM = re.compile(r"ПОТВЪРЖДАВАМ: \S*/awards/nominations/([0-9a-f]+)/decide\?t=([A-Za-z0-9_\-.%]+)")
SOFIA = ZoneInfo("Europe/Sofia")


def _person(members_api: str, sink, admin: dict, given: str, latin: str, run: str, year: int) -> dict:
    email = f"{latin}.{run}@example.bg"
    member_id, auth = join(members_api, sink, {
        "given_name": given, "family_name": "Стоянова", "email": email, "graduation_year": year,
        "faculty": "medicine", "password": PASSWORD, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}})
    approved = requests.post(f"{members_api}/api/v1/members/{member_id}/approve", json={}, headers=admin, timeout=10)
    assert approved.status_code == 200, approved.text
    return {"id": member_id, "auth": auth, "email": email, "given_name": given}


def _judge(members_api: str, sink, admin: dict, given: str, latin: str, run: str) -> dict:
    judge = _person(members_api, sink, admin, given, latin, run, 1995)
    roles = requests.put(f"{members_api}/api/v1/members/{judge['id']}/roles", json={"roles": ["alumnus", "judge"]},
                         headers=admin, timeout=10)
    assert roles.status_code == 200, roles.text
    judge["auth"] = bearer(log_in(members_api, judge["email"], PASSWORD)["access_token"])  # a token with the role
    return judge


def _mail(sink, address: str, part: str) -> list:
    return [m for m in sink.to(address) if part in m["Subject"] or part in m.get_body(("plain",)).get_content()]


def _activity(api: str, admin: dict, winner: dict, run: str) -> None:
    """A reunion happening now that she is checked in at, and a survey she completes."""
    now = datetime.now(SOFIA)
    created = requests.post(f"{api}/api/v1/events", headers=admin, timeout=10, json={
        "title": {"bg": f"Среща {run}", "en": f"Reunion {run}"}, "kind": "reunion",
        "starts_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "place": {"name": "Аула"},
        "audience": {"kind": "all"}})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert requests.post(f"{api}/api/v1/events/{event_id}/publish", headers=admin, timeout=10).status_code == 200
    registered = wait_until(lambda: requests.post(f"{api}/api/v1/events/{event_id}/registrations", json={},
                                                  headers=winner["auth"], timeout=10).status_code == 201,
                            timeout_s=30, message="registering (once events knows she is verified)")
    assert registered
    ticket = requests.get(f"{api}/api/v1/events/{event_id}/registrations/mine/ticket", headers=winner["auth"],
                          timeout=10)
    assert ticket.status_code == 200, ticket.text
    checked = requests.post(f"{api}/api/v1/events/{event_id}/check-ins", json={"code": ticket.json()["code"]},
                            headers=admin, timeout=10)
    assert checked.status_code == 200, checked.text

    text = lambda bg, en: {"bg": bg, "en": en}  # noqa: E731
    survey = requests.post(f"{api}/api/v1/members/surveys", headers=admin, timeout=10, json={
        "title": text(f"Кратка анкета {run}", f"A short survey {run}"), "anonymous": False,
        "opens_at": (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(),
        "closes_at": (datetime.now(timezone.utc) + timedelta(days=7)).isoformat(),
        "audience": {"kind": "everyone"},
        "sections": [{"id": "s", "title": text("Въпрос", "Question"), "questions": [
            {"id": "recommend", "kind": "scale", "scale": "nps", "required": True,
             "text": text("Бихте ли препоръчали клуба?", "Would you recommend the club?")}]}]})
    assert survey.status_code == 201, survey.text
    surveys = f"{api}/api/v1/members/surveys/{survey.json()['id']}"
    assert requests.post(f"{surveys}/open", headers=admin, timeout=10).status_code == 200
    submitted = requests.post(f"{surveys}/response/submit", json={"answers": {"recommend": 10}},
                              headers=winner["auth"], timeout=10)
    assert submitted.status_code in (200, 201), submitted.text


def _cycle(year: int, judges: list[str]) -> dict:
    now = datetime.now(timezone.utc)
    at = lambda days: (now + timedelta(days=days)).isoformat()  # noqa: E731
    return {
        "year": year, "title": {"bg": f"Алумни награди {year}", "en": f"Alumni awards {year}"},
        "phases": {"nominations_from": (now - timedelta(minutes=1)).isoformat(), "nominations_until": at(20),
                   "confirmation_until": at(30), "judging_until": at(40), "results_at": at(50)},
        "judges": judges,
        "categories": [{
            "category_id": "most-active", "title": {"bg": "Най-активен член", "en": "Most active member"},
            "description": {"bg": "За участие през годината.", "en": "For taking part all year."},
            "standings_category": "overall", "self_nomination": False,
            "eligibility": [{"rule": "graduated_years_ago_at_least", "years": 5}],
            "rubric": [{"key": "impact", "title": {"bg": "Принос", "en": "Impact"}, "weight": 2},
                       {"key": "example", "title": {"bg": "Пример", "en": "Example"}, "weight": 1}]}]}


def test_from_activity_to_an_announced_winner_through_the_gateway(platform, gateway, smtp_sink, amqp_url,
                                                                    issue_token):
    sink, _ = smtp_sink
    members_api, run = platform.urls["members"], uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    winner = _person(members_api, sink, admin, "Ралица", "ralitsa", run, 2010)
    nominator = _person(members_api, sink, admin, "Десислава", "desislava", run, 2008)
    graduate = _person(members_api, sink, admin, "Невена", "nevena", run, datetime.now(SOFIA).year)
    judges = [_judge(members_api, sink, admin, given, latin, run) for given, latin in (("Йорданка", "yordanka"),
                                                                                    ("Калина", "kalina"))]
    api = gateway.url
    awards = f"{api}/api/v1/awards"
    _activity(api, admin, winner, run)

    def credited():
        mine = requests.get(f"{awards}/me/engagement", headers=winner["auth"], timeout=10)
        assert mine.status_code == 200, mine.text
        kinds = {row["event_type"] for row in mine.json()["breakdown"]}
        return {"events.attendance.checked_in", "members.survey.completed"} <= kinds
    wait_until(credited, timeout_s=30, message="the check-in and the survey credited in the ledger")

    year = datetime.now(SOFIA).year
    with BusProbe(amqp_url, "awards.#") as probe:
        # The judges' role reaches the awards view of members through the bus.
        def cycle_made():
            made = requests.post(f"{awards}/cycles", json=_cycle(year, [j["id"] for j in judges]), headers=admin,
                                 timeout=10)
            assert made.status_code in (201, 422), made.text
            return made.status_code == 201 and made.json()
        cycle = wait_until(cycle_made, timeout_s=30, message="a cycle with the two judges")
        cycle_id = cycle["id"]
        opened = requests.post(f"{awards}/cycles/{cycle_id}/open", headers=admin, timeout=10)
        assert opened.status_code == 200, opened.text
        standings = requests.get(f"{awards}/cycles/{cycle_id}/standings", headers=admin, timeout=10)
        assert standings.status_code == 200, standings.text
        assert winner["id"] in {row["member_id"] for row in standings.json()["items"]}

        nominations = f"{awards}/cycles/{cycle_id}/categories/most-active/nominations"
        statement = "Тя организира срещата на випуска и отговаря на всяка анкета на клуба."
        refused = requests.post(nominations, headers=nominator["auth"], timeout=10,
                                json={"nominee_id": graduate["id"], "statement": statement})
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "graduated_years_ago_at_least"
        assert "graduated_years_ago_at_least" in json.dumps(refused.json()["errors"]["nominee_id"])
        nominated = requests.post(nominations, headers=nominator["auth"], timeout=10,
                                  json={"nominee_id": winner["id"], "statement": statement})
        assert nominated.status_code == 201, nominated.text
        nomination_id = nominated.json()["id"]

        # The nominee confirms from the email, not logged in.
        mail = wait_until(lambda: _mail(sink, winner["email"], "ПОТВЪРЖДАВАМ"), timeout_s=30,
                          message="the nominee's email with its one-click links")[0]
        link = CONFIRM.search(mail.get_body(("plain",)).get_content())
        assert link and link.group(1) == nomination_id
        token = {"X-Nomination-Token": requests.utils.unquote(link.group(2))}
        confirmed = requests.post(f"{awards}/nominations/{nomination_id}/confirm", headers=token, timeout=10,
                                  json={"details": "Организатор на три срещи на випуска."})
        assert confirmed.status_code == 200, confirmed.text

        for _ in ("nominations", "confirmation"):  # the office ends both phases early
            advanced = requests.post(f"{awards}/cycles/{cycle_id}/advance", headers=admin, timeout=10)
            assert advanced.status_code == 200, advanced.text
        for judge, scores in zip(judges, ({"impact": 9, "example": 6}, {"impact": 7, "example": 10})):
            ballots = requests.get(f"{awards}/cycles/{cycle_id}/judging", headers=judge["auth"], timeout=10)
            assert ballots.status_code == 200, ballots.text
            for value in (winner["id"], winner["given_name"], "Стоянова", winner["email"], nominator["id"]):
                assert value not in ballots.text, "a ballot names someone"
            [ballot] = ballots.json()["categories"][0]["ballots"]
            scored = requests.put(f"{awards}/cycles/{cycle_id}/judging/{ballot['ballot_id']}", headers=judge["auth"],
                                  json={"scores": scores}, timeout=10)
            assert scored.status_code == 200, scored.text
        assert requests.post(f"{awards}/cycles/{cycle_id}/advance", headers=admin, timeout=10).status_code == 200

        results = requests.get(f"{awards}/cycles/{cycle_id}/results", headers=admin, timeout=10)
        assert results.status_code == 200, results.text
        [top] = results.json()["categories"][0]["nominees"]
        weighted = sorted(score["weighted"] for score in top["scores"])
        assert weighted == [8.0, 8.0] and (top["mean"], top["median"], top["std_dev"]) == (8.0, 8.0, 0.0)
        chosen = requests.post(f"{awards}/cycles/{cycle_id}/categories/most-active/winners", headers=admin,
                               timeout=10, json={"nomination_ids": [nomination_id]})
        assert chosen.status_code == 200, chosen.text
        announced = requests.post(f"{awards}/cycles/{cycle_id}/announce", headers=admin, timeout=10)
        assert announced.status_code == 200, announced.text

        wait_until(lambda: _mail(sink, winner["email"], "Печелите"), timeout_s=30,
                   message="the winner's congratulation")
        events = probe.collect(lambda e: e["data"].get("cycle_id") == cycle_id, want={
            "awards.cycle.opened": 1, "awards.nomination.submitted": 1, "awards.nomination.confirmed": 1,
            "awards.winner.announced": 1})
    assert_valid(events, AWARDS)
    winners = requests.get(f"{awards}/cycles/{cycle_id}/winners", headers=nominator["auth"], timeout=10)
    assert winners.status_code == 200, winners.text
    assert [w["member_id"] for w in winners.json()["categories"][0]["winners"]] == [winner["id"]]
