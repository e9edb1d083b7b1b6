"""The awards pages against the real awards service (its app under Flask's test client on the
session's local store, its clock fixed): what the pages send is what the service takes, and
what it answers is what the pages show.

The awards service knows members from the members service's events: the test hands them to
its consumer's handlers (registered, verified, roles changed), as in ``tests/unit/awards``, and
a mentorship accepted to its ledger's intake. The directory the nominate form and the judge
search ask is the members service's: the Bridge's fake answers it with the same people.

The office builds a cycle in the builder (two categories with eligibility and a weighted
rubric, two judges found in the directory) and opens it; a member nominates (a staff member is
refused naming the rule; a second nominator's statement is merged); one nominee confirms from
the email's link without logging in (a real token, signed with the app's key; the GET shows
the nomination and decides nothing), another signed in; the office ends the phases; two judges
score blind; the results show each judge's score, mean, median and spread; the office chooses
the winner (and no award in the other category) and announces; members read the winners; the
winner's engagement shows their points with the chart.
"""
from __future__ import annotations

import html
import itertools
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet

from frontends.portal.app import create_app as create_portal
from frontends.portal.console_awards import builder
from frontends.portal.settings import PortalSettings
from services.awards import handlers
from services.awards.app import create_app as create_awards
from services.members import messages as members_messages
from shared.clock import FixedClock
from shared.decisionlink import NOMINATION_DECISION
from tests.conftest import LINK_KEY
from tests.support import consumer_like
from tests.unit.portal.bridge import Bridge
from tests.unit.portal.test_console_awards import flat
from tests.unit.portal.test_console_surveys import builder_form
from tests.unit.portal.test_mentoring_with_the_members_service import browser, post

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
A = "/api/v1/awards"
DIRECTORY = "/api/v1/members/directory"
STATEMENT = "Анна наставлява шестима студенти тази година и винаги намира време за тях."
SECOND = "Организира летния курс по спешна медицина и води студентите на дежурства."
REDACTED = "[Тя] наставлява шестима студенти тази година и винаги намира време за тях."
BORIS = "Превежда студентите през първата им година в клиниката с безкрайно търпение."


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def awards(make_config, clock):
    app = create_awards(make_config(AMQP_URL="memory://"))
    app.extensions["alumnet"].clock = clock
    return app


@pytest.fixture
def people(awards, issue_token):
    """``people.person(given, family, roles, **fields)``: a verified member as the members
    service announces them to the awards consumer; with a token carrying their roles."""
    store = awards.extensions["alumnet"].store
    handle = consumer_like(store, handlers.subscriptions())
    numbers = itertools.count(1)

    def deliver(event_type: str, subject: str, data: dict):
        handle(members_messages.CATALOG.create(event_type, subject, data, "test"))

    class People:
        def deliver(self, event_type: str, subject: str, data: dict):
            deliver(event_type, subject, data)

        def person(self, given_name: str, family_name: str, roles=("alumnus",), graduation_year=2010) -> dict:
            member_id, n, at = uuid.uuid4().hex, next(numbers), NOW - timedelta(days=400)
            deliver("members.member.registered", member_id, {
                "member_id": member_id, "given_name": given_name, "family_name": family_name,
                "email": f"person{n}@example.bg", "preferred_language": "bg", "graduation_year": graduation_year,
                "faculty": "medicine", "consent": {"email": True, "sms": False}, "registered_at": at.isoformat(),
                "status": "pending_verification", "roles": ["alumnus"]})
            deliver("members.member.verified", member_id, {"member_id": member_id, "method": "admin",
                                                           "verified_at": (at + timedelta(days=1)).isoformat()})
            if set(roles) - {"alumnus", "student"}:
                deliver("members.member.roles_changed", member_id, {
                    "member_id": member_id, "roles": sorted(roles), "changed_at": (at + timedelta(days=2)).isoformat()})
            return {"id": member_id, "given_name": given_name, "family_name": family_name,
                    "graduation_year": graduation_year, "token": issue_token(member_id, *roles), "roles": list(roles)}
    return People()


@pytest.fixture
def portal(awards):
    bridge = Bridge(awards.test_client(), lambda path: path.startswith(A))
    settings = PortalSettings(api_url=bridge.base_url, session_key=Fernet.generate_key().decode(), dev_mode=False,
                              api_timeout_s=5, trusted_proxies=1, dev_outbox_dir="/nonexistent")
    app = create_portal(settings, transport=bridge)
    app.bridge = bridge
    return app


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


def flashed(client, path: str) -> str:
    return text(client.get(path))


def found(*people: dict) -> dict:
    """The members directory's answer (``MemberSchema`` page) listing ``people``."""
    return {"items": [{"id": p["id"], "given_name": p["given_name"], "family_name": p["family_name"],
                       "graduation_year": p["graduation_year"]} for p in people],
            "page": 1, "per_page": 10, "total": len(people)}


def local(moment: datetime) -> str:
    """A time as the builder's datetime-local field takes it (Sofia)."""
    return builder.to_input(moment.isoformat(), "Europe/Sofia")


def the_cycle_of(office, portal, judges: list[dict]) -> str:
    """The office builds the cycle in the builder: judges found in the directory and added by
    their buttons, two categories typed in; saved as a draft and opened. Its id."""
    portal.bridge.on("GET", DIRECTORY, 200, found(*judges))
    page = text(office.get("/office/awards/new"))
    for judge in judges:
        page = text(post(office, "/office/awards/new", {**builder_form(page), "judge_search": "съдия",
                                                        "action": "find_judges"}, form_path="/office/awards/new"))
        assert f"add_judge:{judge['id']}" in page
        page = text(post(office, "/office/awards/new", {**builder_form(page), "action": f"add_judge:{judge['id']}"},
                         form_path="/office/awards/new"))
    model = builder.from_form(builder_form(page))
    assert [j["id"] for j in model["judges"]] == [j["id"] for j in judges]
    criterion = {"key": "impact", "title": {"bg": "Въздействие", "en": "Impact"}, "weight": "3"}
    model.update(title={"bg": "Алумни награди 2026", "en": "Alumni Awards 2026"},
                 phases={"nominations_from": local(NOW - timedelta(hours=1)),
                         "nominations_until": local(NOW + timedelta(days=20)),
                         "confirmation_until": local(NOW + timedelta(days=30)),
                         "judging_until": local(NOW + timedelta(days=40)),
                         "results_at": local(NOW + timedelta(days=50))},
                 categories=[
                     {"category_id": "mentor-of-the-year",
                      "title": {"bg": "Ментор на годината", "en": "Mentor of the year"},
                      "description": {"bg": "За наставничество на студенти.", "en": "For mentoring students."},
                      "standings_category": "mentoring", "self_nomination": False, "max_winners": "1",
                      "eligibility": [{"rule": "graduated_years_ago_at_least", "years": "5", "roles": ""},
                                      {"rule": "not_role", "years": "", "roles": "staff"}],
                      "rubric": [criterion, {"key": "dedication", "title": {"bg": "Отдаденост", "en": "Dedication"},
                                             "weight": "1"}]},
                     {"category_id": "volunteer-of-the-year", "title": {"bg": "Доброволец", "en": "Volunteer"},
                      "description": {"bg": "За доброволчество.", "en": "For volunteering."},
                      "standings_category": "volunteering", "self_nomination": True, "max_winners": "1",
                      "eligibility": [], "rubric": [criterion]}])
    response = post(office, "/office/awards/new", {**flat(model), "idempotency_key": uuid.uuid4().hex,
                                                   "action": "save"}, form_path="/office/awards/new")
    assert response.status_code == 302, text(response)
    cycle_id = response.headers["Location"].rsplit("/", 1)[1]
    page = text(office.get(f"/office/awards/{cycle_id}"))
    assert "The cycle is saved as a draft." in page and "Not open yet" in page
    one = f"/office/awards/{cycle_id}"
    assert post(office, f"{one}/open", {}, form_path=one).status_code == 302
    page = flashed(office, f"/office/awards/{cycle_id}")
    assert "The cycle is open: members are invited to nominate." in page and "Nominations are open" in page
    return cycle_id


def ballots(page: str) -> dict[str, str]:
    """The judging page's ballots: the first statement's text -> the ballot id."""
    found_ballots = {}
    for ballot_id, body in re.findall(r'<li class="card ballot" id="ballot-([0-9a-f]+)">(.*?)</li>', page, re.S):
        statement = re.search(r'<blockquote class="statement">(.*?)</blockquote>', body, re.S).group(1)
        found_ballots[statement] = ballot_id
    return found_ballots


def test_a_cycle_from_the_builder_to_the_winners_through_the_pages(portal, awards, people, clock):
    db = awards.extensions["alumnet"].store.db
    office = browser(portal, people.person("Офис", "Алумни", ("admin",)))
    judges = [people.person("Вера", "Съдийска", ("alumnus", "judge")),
              people.person("Петър", "Съдийски", ("alumnus", "judge"))]
    anna, boris = people.person("Анна", "Петрова"), people.person("Борис", "Колев", graduation_year=2012)
    staff = people.person("Стела", "Петрова", ("alumnus", "staff"))
    maria, ivan = people.person("Мария", "Иванова"), people.person("Иван", "Иванов")
    cycle_id = the_cycle_of(office, portal, judges)
    # Anna accepted a mentee this year: the awards consumer's ledger intake credits her.
    accepted = members_messages.CATALOG.examples["members.mentorship.accepted"]
    people.deliver("members.mentorship.accepted", "m1", {
        **accepted, "mentorship_id": "m1", "mentor_id": anna["id"], "mentee_id": ivan["id"],
        "accepted_at": (NOW - timedelta(days=30)).isoformat()})
    page = f"/awards/cycles/{cycle_id}"

    # Maria finds a Petrova in the directory; Stela is staff: refused, the page naming the rule.
    portal.bridge.on("GET", DIRECTORY, 200, found(anna, staff))
    nominator = browser(portal, maria)
    shown = text(nominator.get(f"{page}?category=mentor-of-the-year&q=Петрова"))
    assert "Mentor of the year" in shown and "Graduated at least 5 years ago" in shown and "Is none of: staff" in shown
    assert f'value="{anna["id"]}"' in shown and f'value="{staff["id"]}"' in shown
    form = {"category_id": "mentor-of-the-year", "q": "Петрова", "key": uuid.uuid4().hex}
    refused = post(nominator, f"{page}/nominations", {**form, "nominee_id": staff["id"], "statement": STATEMENT,
                                                      f"names.{staff['id']}": "Стела Петрова"}, form_path=page)
    assert refused.status_code == 422
    assert "Not eligible (among the members this award is not for): the category is not for: staff." in text(refused)
    nominated = post(nominator, f"{page}/nominations", {**form, "key": uuid.uuid4().hex, "nominee_id": anna["id"],
                                                        "statement": STATEMENT, f"names.{anna['id']}": "Анна Петрова"},
                     form_path=page)
    assert nominated.status_code == 302
    assert "Thank you: the nomination of Анна Петрова is in." in flashed(nominator, page)
    merged = post(browser(portal, ivan), f"{page}/nominations", {
        **form, "key": uuid.uuid4().hex, "nominee_id": anna["id"], "statement": SECOND,
        f"names.{anna['id']}": "Анна Петрова"}, form_path=page)
    assert merged.status_code == 302
    [stored] = db.award_nominations.find({"nominee_id": anna["id"]})
    assert [s["statement"] for s in stored["statements"]] == [STATEMENT, SECOND]
    assert post(nominator, f"{page}/nominations", {**form, "key": uuid.uuid4().hex, "nominee_id": boris["id"],
                                                   "statement": BORIS}, form_path=page).status_code == 302
    # Maria's own list: the nomination she made, its category and state.
    mine = text(nominator.get("/me/nominations"))
    assert "Анна Петрова" in mine and "Mentor of the year" in mine and "Waiting for the nominee's answer" in mine

    # Anna confirms from the email's link without logging in: the page shows the nomination first.
    deadline = NOW + timedelta(days=30)
    token = NOMINATION_DECISION.make_token(LINK_KEY, anna["id"], stored["_id"], "confirm", deadline.replace(second=0))
    link = f"/awards/nominations/{stored['_id']}/decide?t={token}"
    visitor = browser(portal)
    shown = text(visitor.get(link))
    assert "Alumni Awards 2026" in shown and "Mentor of the year" in shown and STATEMENT in shown and SECOND in shown
    assert maria["id"] not in shown and "Мария" not in shown  # the nominee never learns who wrote what
    assert db.award_nominations.find_one({"_id": stored["_id"]})["status"] == "awaiting"
    decide = f"/awards/nominations/{stored['_id']}/decide"
    response = post(visitor, decide, {"t": token, "d": "confirm", "details": "Водя и летен курс по ЕКГ."},
                    form_path=link)
    assert response.status_code == 200 and "you accepted the nomination" in text(response)
    assert db.award_nominations.find_one({"_id": stored["_id"]})["details"] == "Водя и летен курс по ЕКГ."
    again = post(visitor, decide, {"t": token, "d": "confirm"}, form_path=link)
    assert "You had already answered this nomination; nothing has changed." in text(again)
    # Boris confirms signed in, from his list of nominations.
    his = db.award_nominations.find_one({"nominee_id": boris["id"]})
    nominee = browser(portal, boris)
    assert f'href="/awards/nominations/{his["_id"]}/decide"' in text(nominee.get("/me/nominations"))
    assert "Yes, I accept the nomination" in text(nominee.get(f"/awards/nominations/{his['_id']}/decide"))
    response = post(nominee, f"/awards/nominations/{his['_id']}/decide", {"d": "confirm", "details": ""})
    assert response.status_code == 200 and "you accepted the nomination" in text(response)

    # The office ends nominations, redacts the statement that names Anna, and ends confirmation.
    cycle_page = f"/office/awards/{cycle_id}"
    for phase in ("Nominees are confirming", "The jury is judging"):
        clock.advance(seconds=60)
        assert post(office, f"{cycle_page}/advance", {}, form_path=cycle_page).status_code == 302
        clock.advance(seconds=60)
        shown = flashed(office, cycle_page)
        assert phase in shown
        if phase == "Nominees are confirming":
            assert "By Мария Иванова" in shown and "By Иван Иванов" in shown and "Confirmed by the nominee" in shown
            assert "Анна Петрова" in shown and ">10<" in shown  # the mentoring standings: her accepted mentee
            response = post(office, f"{cycle_page}/nominations/{stored['_id']}/statements/0", {"statement": REDACTED},
                            form_path=cycle_page)
            assert response.status_code == 302
            assert "The statement is redacted" in flashed(office, cycle_page)

    # Two judges score blind: nothing on their page names or identifies anyone.
    scores = [{REDACTED: {"impact": "9", "dedication": "7"}, BORIS: {"impact": "6", "dedication": "10"}},
              {REDACTED: {"impact": "8", "dedication": "8"}, BORIS: {"impact": "7", "dedication": "3"}}]
    for judge, theirs in zip(judges, scores):
        jury = browser(portal, judge)
        shown = text(jury.get("/judging"))
        assert "Mentor of the year" in shown and "Водя и летен курс по ЕКГ." in shown
        assert "Impact (weight 0.75)" in shown  # the rubric's weights, normalised
        for person in (anna, boris, maria, ivan):
            for value in (person["id"], person["given_name"], person["family_name"], "example.bg"):
                assert value not in shown, value
        found_ballots = ballots(shown)
        assert set(found_ballots) == {REDACTED, BORIS} and STATEMENT not in shown
        for statement, ballot_id in found_ballots.items():
            response = post(jury, f"/judging/{cycle_id}/ballots/{ballot_id}",
                            {f"scores.{k}": v for k, v in theirs[statement].items()}, form_path="/judging")
            assert response.status_code == 302
        assert "Your scores are saved." in flashed(jury, "/judging")
    assert db.award_scores.count_documents({"cycle_id": cycle_id}) == 4

    # Judging ends: the results with each judge's weighted score, mean, median and spread.
    clock.advance(seconds=60)
    post(office, f"{cycle_page}/advance", {}, form_path=cycle_page)
    clock.advance(seconds=60)
    shown = flashed(office, cycle_page)
    assert "Results are being decided" in shown and "Results: Mentor of the year" in shown
    row = re.search(r"<th scope=\"row\">Анна Петрова</th>(.*?)</tr>", shown, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert sorted(cells[0].split("; ")) == ["8", "8.5"]  # each judge's weighted score (by judge, not by name)
    assert cells[1:6] == ["8.25", "8.25", "0.25", "8 – 8.5", "2"]  # mean, median, deviation, min–max, judges
    assert shown.index("Анна Петрова</th>") < shown.index("Борис Колев</th>")
    assert "No confirmed nomination was scored in this category." in shown  # no one in the volunteers' category

    # The winner, no award in the other category, the announcement.
    anna_nomination = stored["_id"]
    assert post(office, f"{cycle_page}/categories/mentor-of-the-year/winners", {"nomination_ids": anna_nomination},
                form_path=cycle_page).status_code == 302
    assert "The decision for this category is saved." in flashed(office, cycle_page)
    post(office, f"{cycle_page}/announce", {}, form_path=cycle_page)
    assert "Choose the winners, or no award, of every category first." in flashed(office, cycle_page)
    post(office, f"{cycle_page}/categories/volunteer-of-the-year/winners",
         {"no_award": "on", "reason": "Твърде малко номинации."}, form_path=cycle_page)
    post(office, f"{cycle_page}/announce", {}, form_path=cycle_page)
    shown = flashed(office, cycle_page)
    assert "The winners are announced: they and the audience are emailed." in shown and "Winners announced" in shown

    # Members read the winners; Anna's engagement shows her points with the chart.
    winners = text(browser(portal, ivan).get(f"{page}/winners"))
    assert "Alumni Awards 2026" in winners and "Анна Петрова" in winners
    assert "No award in this category this year." in winners
    engagement = text(browser(portal, anna).get("/me/engagement"))
    assert "Counted for: Alumni Awards 2026" in engagement
    assert re.search(r"Mentoring and help to students and new graduates</th><td class=\"number\">10</td>\s*"
                     r"<td class=\"number\">1</td>", engagement), engagement
    assert '<svg class="engagement-chart"' in engagement and "Mentees accepted" in engagement
