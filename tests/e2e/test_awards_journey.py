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

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from services.awards.messages import CATALOG as AWARDS
from tests.e2e.bus_probe import BusProbe, assert_valid
from tests.e2e.office import award_cycle, award_cycle_to_announcement, check_in, make_judge, member, register, text
from tests.support import bearer, wait_until

SOFIA = ZoneInfo("Europe/Sofia")


def _person(members_api: str, sink, admin: dict, given: str, latin: str, run: str, year: int) -> dict:
    return member(members_api, sink, admin, given, latin, run, family="Стоянова", year=year)


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
    register(api, event_id, winner["auth"])
    check_in(api, admin, event_id, winner["auth"])

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


def test_from_activity_to_an_announced_winner_through_the_gateway(platform, gateway, smtp_sink, amqp_url,
                                                                    issue_token):
    sink, _ = smtp_sink
    members_api, run = platform.urls["members"], uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    winner = _person(members_api, sink, admin, "Ралица", "ralitsa", run, 2010)
    nominator = _person(members_api, sink, admin, "Десислава", "desislava", run, 2008)
    graduate = _person(members_api, sink, admin, "Невена", "nevena", run, datetime.now(SOFIA).year)
    judges = [make_judge(members_api, members_api, admin, _person(members_api, sink, admin, given, latin, run, 1995))
              for given, latin in (("Йорданка", "yordanka"), ("Калина", "kalina"))]
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
        cycle_id, _ = award_cycle_to_announcement(api, sink, admin, award_cycle(year, [j["id"] for j in judges]),
                                                  nominator, winner, judges, too_recent=graduate)
        events = probe.collect(lambda e: e["data"].get("cycle_id") == cycle_id, want={
            "awards.cycle.opened": 1, "awards.nomination.submitted": 1, "awards.nomination.confirmed": 1,
            "awards.winner.announced": 1})
    assert_valid(events, AWARDS)
    results = requests.get(f"{awards}/cycles/{cycle_id}/results", headers=admin, timeout=10).json()
    assert results["categories"][0]["nominees"][0]["std_dev"] == 0.0  # both judges weigh her at 8
    winners = requests.get(f"{awards}/cycles/{cycle_id}/winners", headers=nominator["auth"], timeout=10)
    assert winners.status_code == 200, winners.text
    assert [w["member_id"] for w in winners.json()["categories"][0]["winners"]] == [winner["id"]]
