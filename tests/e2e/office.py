"""Steps of the alumni office's year that several end-to-end journeys take: a verified member,
a judge, an event's check-in at the door, a cause with its role, a survey and its personal
link, a mentor's offer and one-click accept, an award cycle from its opening to the winner's
announcement. Each step goes over HTTP to the URL it is given (the gateway, or an api where
the gateway's rate limit on sign-ups and logins would stop a test) and checks what it relies on.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from tests.e2e.accounts import join, log_in
from tests.support import bearer, wait_until

PASSWORD = "correct horse battery staple"
MENTORING_ACCEPT = re.compile(r"ПРИЕМАМ: \S*/mentoring/requests/([0-9a-f]+)/decide\?t=([A-Za-z0-9_\-.%]+)")
NOMINATION_CONFIRM = re.compile(r"ПОТВЪРЖДАВАМ: \S*/awards/nominations/([0-9a-f]+)/decide\?t=([A-Za-z0-9_\-.%]+)")
SURVEY_LINK = re.compile(r"/surveys/([0-9a-f]{32})/answer\?t=([A-Za-z0-9_\-.%]+)")
CLUB_ZONE = ZoneInfo("Europe/Sofia")


def club_today() -> date:
    """The club's date, by which the services judge days (a meeting's, an hours' day): around
    midnight in Sofia the machine's own date may still be yesterday's."""
    return datetime.now(CLUB_ZONE).date()


def text(bg: str, en: str) -> dict:
    return {"bg": bg, "en": en}


def mail(sink, address: str, part: str) -> list:
    """The messages ``sink`` received for ``address`` with ``part`` in the subject or the text."""
    return [m for m in sink.to(address) if part in m["Subject"] or part in m.get_body(("plain",)).get_content()]


def member(members_url: str, sink, admin: dict, given: str, latin: str, run: str, *, family: str, year: int,
           approve: bool = True, **fields) -> dict:
    """A member who signed up (Bulgarian, email consent), confirmed the address and logged in;
    approved by the office unless ``approve`` is false (on the roster: verified already).
    ``members_url``: where sign-up and login go (the members api, past the gateway's limit)."""
    email = f"{latin}.{run}@example.bg"
    member_id, auth = join(members_url, sink, {
        "given_name": given, "family_name": family, "email": email, "graduation_year": year,
        "faculty": "medicine", "password": PASSWORD, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}, **fields})
    if approve:
        approved = requests.post(f"{members_url}/api/v1/members/{member_id}/approve", json={}, headers=admin,
                                 timeout=10)
        assert approved.status_code == 200, approved.text
    return {"id": member_id, "auth": auth, "email": email, "given_name": given, "family_name": family}


def make_judge(api: str, members_url: str, admin: dict, person: dict) -> dict:
    """``person`` given the judge role by the office at ``api``, and a fresh token that
    carries it (logged in at ``members_url``)."""
    roles = requests.put(f"{api}/api/v1/members/{person['id']}/roles", json={"roles": ["alumnus", "judge"]},
                         headers=admin, timeout=10)
    assert roles.status_code == 200, roles.text
    return {**person, "auth": bearer(log_in(members_url, person["email"], PASSWORD)["access_token"])}


def check_in(api: str, admin: dict, event_id: str, auth: dict) -> None:
    """The member's ticket, scanned at the door by the office."""
    ticket = requests.get(f"{api}/api/v1/events/{event_id}/registrations/mine/ticket", headers=auth, timeout=10)
    assert ticket.status_code == 200, ticket.text
    checked = requests.post(f"{api}/api/v1/events/{event_id}/check-ins", json={"code": ticket.json()["code"]},
                            headers=admin, timeout=10)
    assert checked.status_code == 200, checked.text


def register(api: str, event_id: str, auth: dict) -> dict:
    """The member's registration, once the events service knows the member is verified."""
    def registered():
        answer = requests.post(f"{api}/api/v1/events/{event_id}/registrations", json={}, headers=auth, timeout=10)
        return answer.json() if answer.status_code == 201 else None
    return wait_until(registered, timeout_s=30, message="registering (once events knows the member is verified)")


def publish_cause(causes: str, admin: dict, title: dict, slots: int) -> tuple[str, str]:
    """A published volunteering call for everyone with one role of ``slots``: (cause, role)."""
    created = requests.post(causes, headers=admin, timeout=10, json={
        "kind": "volunteering", "title": title,
        "description": text("Покажете университета на кандидатите.", "Show applicants the university."),
        "audience": {"kind": "all"}, "owner_id": "a" * 32,
        "deadline": (datetime.now(timezone.utc) + timedelta(days=10)).isoformat(),
        "roles": [{"title": text("Екскурзовод", "Open day guide"), "slots": slots,
                   "what_to_bring": text("Бяла престилка и усмивка.", "A white coat and a smile.")}]})
    assert created.status_code == 201, created.text
    cause_id, role_id = created.json()["id"], created.json()["roles"][0]["role_id"]
    published = requests.post(f"{causes}/{cause_id}/publish", headers=admin, json={}, timeout=10)
    assert published.status_code == 200, published.text
    return cause_id, role_id


def join_role(causes: str, cause_id: str, role_id: str, auth: dict) -> dict:
    """The member's place in the role, once the events service knows the member is verified."""
    def joined():
        answer = requests.post(f"{causes}/{cause_id}/roles/{role_id}/volunteers", headers=auth, json={}, timeout=10)
        return answer.status_code == 201 and answer.json()
    return wait_until(joined, timeout_s=20, message="joining (the member's verification reaches events)")


def survey(segment_id: str, run: str, opens_at: datetime, closes_at: datetime) -> dict:
    """A named three-question survey for a segment; its employer answer maps to the profile."""
    return {
        "title": text(f"Къде сте днес? {run}", f"Where are you today? {run}"),
        "description": text("Три въпроса за профила на випуска.", "Three questions for your class's profile."),
        "opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat(),
        "audience": {"kind": "segment", "segment_id": segment_id}, "anonymous": False,
        "sections": [{"id": "work", "title": text("Работа", "Work"), "questions": [
            {"id": "employer", "kind": "text", "text": text("Къде работите?", "Where do you work?"),
             "required": True, "maps_to": "employer"},
            {"id": "recommend", "kind": "scale", "scale": "nps", "required": True,
             "text": text("Бихте ли препоръчали клуба?", "Would you recommend the club?")},
            {"id": "field", "kind": "single_choice", "other": True,
             "text": text("Област", "Field"),
             "choices": [{"id": "clinic", "text": text("Клиника", "Clinic")},
                         {"id": "research", "text": text("Наука", "Research")}]},
        ]}],
    }


def survey_link(invitation, survey_id: str) -> dict:
    """The header that answers as the invitation's member: its personal link's token."""
    found = SURVEY_LINK.search(invitation.get_body(("plain",)).get_content())
    assert found and found.group(1) == survey_id
    return {"X-Survey-Token": requests.utils.unquote(found.group(2))}


def offer_mentoring(members_api: str, auth: dict, specialty: str) -> None:
    offered = requests.put(f"{members_api}/me/mentoring/offer", headers=auth, timeout=10, json={
        "topics": ["specialty_choice", "residency_and_exams"], "specialties": [specialty],
        "languages": ["bg", "en"], "formats": ["online"], "capacity": 2})
    assert offered.status_code == 200, offered.text


def mentoring_accept_link(ask, request_id: str) -> dict:
    """The header that accepts from the ask's email (the mentor not logged in)."""
    link = MENTORING_ACCEPT.search(ask.get_body(("plain",)).get_content())
    assert link and link.group(1) == request_id
    return {"X-Mentoring-Token": requests.utils.unquote(link.group(2))}


def award_cycle(year: int, judges: list[str], **overrides) -> dict:
    """A cycle open for nominations now, with one category for graduates of five years or more
    (scored on a weighted two-criterion rubric) and ``judges``."""
    now = datetime.now(timezone.utc)
    at = lambda days: (now + timedelta(days=days)).isoformat()  # noqa: E731
    return {
        "year": year, "title": text(f"Алумни награди {year}", f"Alumni awards {year}"),
        "phases": {"nominations_from": (now - timedelta(minutes=1)).isoformat(), "nominations_until": at(20),
                   "confirmation_until": at(30), "judging_until": at(40), "results_at": at(50)},
        "judges": judges,
        "categories": [{
            "category_id": "most-active", "title": text("Най-активен член", "Most active member"),
            "description": text("За участие през годината.", "For taking part all year."),
            "standings_category": "overall", "self_nomination": False,
            "eligibility": [{"rule": "graduated_years_ago_at_least", "years": 5}],
            "rubric": [{"key": "impact", "title": text("Принос", "Impact"), "weight": 2},
                       {"key": "example", "title": text("Пример", "Example"), "weight": 1}]}],
        **overrides}


def award_cycle_to_announcement(api: str, sink, admin: dict, cycle: dict, nominator: dict, winner: dict,
                                judges: list[dict], too_recent: dict | None = None) -> tuple[str, str]:
    """The office opens ``cycle``; ``nominator`` nominates ``winner`` (and ``too_recent``, a new
    graduate, is refused by the eligibility rule); the nominee confirms from the email's link,
    not logged in; the office ends nominations and confirmation; each judge scores her blind
    (no ballot names anyone); the results show each judge's weighted score; the office chooses
    her and announces; her congratulation arrives. ``api``: the gateway. Returns (cycle,
    nomination)."""
    awards = f"{api}/api/v1/awards"

    def cycle_made():  # the judges' role reaches the awards view of members through the bus
        made = requests.post(f"{awards}/cycles", json=cycle, headers=admin, timeout=10)
        assert made.status_code in (201, 422), made.text
        return made.status_code == 201 and made.json()
    cycle_id = wait_until(cycle_made, timeout_s=30, message="a cycle with its judges")["id"]
    opened = requests.post(f"{awards}/cycles/{cycle_id}/open", headers=admin, timeout=10)
    assert opened.status_code == 200, opened.text
    standings = requests.get(f"{awards}/cycles/{cycle_id}/standings", headers=admin, timeout=10)
    assert standings.status_code == 200, standings.text
    assert winner["id"] in {row["member_id"] for row in standings.json()["items"]}

    nominations = f"{awards}/cycles/{cycle_id}/categories/most-active/nominations"
    statement = "Тя организира срещата на випуска и отговаря на всяка анкета на клуба."
    if too_recent is not None:
        refused = requests.post(nominations, headers=nominator["auth"], timeout=10,
                                json={"nominee_id": too_recent["id"], "statement": statement})
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "graduated_years_ago_at_least"
        assert "graduated_years_ago_at_least" in json.dumps(refused.json()["errors"]["nominee_id"])
    nominated = requests.post(nominations, headers=nominator["auth"], timeout=10,
                              json={"nominee_id": winner["id"], "statement": statement})
    assert nominated.status_code == 201, nominated.text
    nomination_id = nominated.json()["id"]

    ask = wait_until(lambda: mail(sink, winner["email"], "ПОТВЪРЖДАВАМ"), timeout_s=30,
                     message="the nominee's email with its one-click links")[0]
    link = NOMINATION_CONFIRM.search(ask.get_body(("plain",)).get_content())
    assert link and link.group(1) == nomination_id
    token = {"X-Nomination-Token": requests.utils.unquote(link.group(2))}
    confirmed = requests.post(f"{awards}/nominations/{nomination_id}/confirm", headers=token, timeout=10,
                              json={"details": "Организатор на три срещи на випуска."})
    assert confirmed.status_code == 200, confirmed.text

    for _ in ("nominations", "confirmation"):  # the office ends both phases early
        advanced = requests.post(f"{awards}/cycles/{cycle_id}/advance", headers=admin, timeout=10)
        assert advanced.status_code == 200, advanced.text
    scores = ({"impact": 9, "example": 6}, {"impact": 7, "example": 10})
    for judge, score in zip(judges, scores):
        ballots = requests.get(f"{awards}/cycles/{cycle_id}/judging", headers=judge["auth"], timeout=10)
        assert ballots.status_code == 200, ballots.text
        for value in (winner["id"], winner["given_name"], winner["family_name"], winner["email"], nominator["id"]):
            assert value not in ballots.text, "a ballot names someone"
        [ballot] = ballots.json()["categories"][0]["ballots"]
        scored = requests.put(f"{awards}/cycles/{cycle_id}/judging/{ballot['ballot_id']}", headers=judge["auth"],
                              json={"scores": score}, timeout=10)
        assert scored.status_code == 200, scored.text
    assert requests.post(f"{awards}/cycles/{cycle_id}/advance", headers=admin, timeout=10).status_code == 200

    results = requests.get(f"{awards}/cycles/{cycle_id}/results", headers=admin, timeout=10)
    assert results.status_code == 200, results.text
    [top] = results.json()["categories"][0]["nominees"]
    assert sorted(s["weighted"] for s in top["scores"]) == [8.0] * len(judges)  # (2*9+6)/3 and (2*7+10)/3
    assert (top["mean"], top["median"]) == (8.0, 8.0)
    chosen = requests.post(f"{awards}/cycles/{cycle_id}/categories/most-active/winners", headers=admin,
                           timeout=10, json={"nomination_ids": [nomination_id]})
    assert chosen.status_code == 200, chosen.text
    announced = requests.post(f"{awards}/cycles/{cycle_id}/announce", headers=admin, timeout=10)
    assert announced.status_code == 200, announced.text
    wait_until(lambda: mail(sink, winner["email"], "Печелите"), timeout_s=30, message="the winner's congratulation")
    return cycle_id, nomination_id
