"""Page tests of the members' awards pages against a fake awards API answering as the real one
does (``services/awards/cycles/schemas.py``, ``ledger/schemas.py``; the pages against the
real service: ``test_awards_with_the_awards_service.py``): the open cycles, nominating a
member found in the directory (a refusal names its rule), the nominee's one-click page (the token in its header, 410 said as
expired, never deciding on a GET), my engagement as a chart and a table, my nominations, the
judges' blind ballots (no identifying field ever rendered), the winners, and CSRF on every form."""
from __future__ import annotations

import base64
import json

import pytest
from frontends.portal.awards import chart, judging
from tests.unit.portal.conftest import log_in
from tests.unit.portal.test_mentoring import form, text

API = "/api/v1/awards"
CYCLE_ID, DRAFT_ID, NOMINATION_ID, BALLOT_ID = "c" * 24, "d" * 24, "n" * 24, "b" * 24
NOMINEE, OTHER = "a" * 32, "e" * 32
DECIDE = f"/awards/nominations/{NOMINATION_ID}/decide"


def link_token(decision: str = "confirm", exp: int = 1_799_000_000) -> str:
    """Shaped like shared.decisionlink's token (the signature is the API's to check)."""
    payload = json.dumps({"v": 1, "k": "award-nomination", "p": NOMINEE, "o": NOMINATION_ID, "d": decision,
                          "exp": exp}).encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + ".c2lnbmF0dXJl"


def a_cycle(**changes) -> dict:
    return {"id": CYCLE_ID, "year": 2026, "title": {"bg": "Алумни награди 2026", "en": "Alumni awards 2026"},
            "status": "open", "phase": "nominations", "rules_version": "2026.1", "judges": ["j" * 32],
            "activity_from": "2026-01-01T00:00:00+02:00", "activity_to": "2027-01-01T00:00:00+02:00",
            "phases": {"nominations_from": "2026-11-01T09:00:00+02:00", "nominations_until": "2026-11-30T18:00:00+02:00",
                       "confirmation_until": "2026-12-07T18:00:00+02:00", "judging_until": "2026-12-20T18:00:00+02:00",
                       "results_at": "2027-01-15T18:00:00+02:00"},
            "categories": [{"category_id": "mentor-of-the-year",
                            "title": {"bg": "Ментор на годината", "en": "Mentor of the year"},
                            "description": {"bg": "За най-отдадения ментор.", "en": "For the most devoted mentor."},
                            "standings_category": "mentoring", "self_nomination": False, "max_winners": 1,
                            "eligibility": [{"rule": "graduated_years_ago_at_least", "years": 5},
                                            {"rule": "mentored_in_cycle"}, {"rule": "not_role", "roles": ["staff"]}],
                            "rubric": [{"key": "impact", "title": {"bg": "Въздействие", "en": "Impact"}, "weight": 2},
                                       {"key": "reach", "title": {"bg": "Обхват", "en": "Reach"}, "weight": 1}]},
                           {"category_id": "volunteer", "title": {"bg": "Доброволец", "en": "Volunteer"},
                            "description": {"bg": "", "en": ""}, "standings_category": "volunteering",
                            "self_nomination": True, "max_winners": 1, "eligibility": [], "rubric": []}],
            **changes}


@pytest.fixture
def member(client, gateway):
    log_in(client, gateway, member_id=OTHER, status="verified")
    gateway.on("GET", f"{API}/cycles", 200, {"items": [a_cycle(), a_cycle(id=DRAFT_ID, phase="draft",
                                                                          status="draft", year=2027)]})
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle())
    return client


# --------------------------------------------------------------------------- cycles and nominating

def test_the_awards_page_lists_the_open_cycles_with_their_phase_and_dates(member, gateway):
    reply = member.get("/awards")
    body = text(reply)
    assert reply.status_code == 200 and reply.headers["Referrer-Policy"] == "no-referrer"
    assert "Alumni awards 2026" in body and "Nominations are open" in body and "Nominations close" in body
    assert DRAFT_ID not in body and f'href="/awards/cycles/{CYCLE_ID}"' in body
    assert 'href="/awards"' in body and 'href="/judging"' not in body  # the main navigation, no jury link


def test_a_judge_sees_the_jury_link(client, gateway):
    log_in(client, gateway, member_id=OTHER, roles=("alumnus", "judge"))
    gateway.on("GET", f"{API}/cycles", 200, {"items": []})
    assert 'href="/judging"' in text(client.get("/awards"))


def test_the_cycle_page_shows_categories_and_finds_the_nominee_in_the_directory(member, gateway):
    gateway.on("GET", "/api/v1/members/directory", 200, {"items": [
        {"id": NOMINEE, "given_name": "Анна", "family_name": "Петрова", "graduation_year": 2010}],
        "page": 1, "per_page": 10, "total": 1})
    body = text(member.get(f"/awards/cycles/{CYCLE_ID}?category=mentor-of-the-year&q=Петрова"))
    assert "Mentor of the year" in body and "For the most devoted mentor." in body
    assert "Graduated at least 5 years ago" in body and "Is none of: staff" in body
    assert f'value="{NOMINEE}"' in body and "Анна Петрова" in body and "class of 2010" in body
    assert gateway.sent("GET", "/api/v1/members/directory")[0].params["q"] == "Петрова"
    assert "Myself" not in body  # this category takes no self-nomination


def test_nominating_posts_the_nominee_and_the_statement(member, gateway):
    path = f"{API}/cycles/{CYCLE_ID}/categories/mentor-of-the-year/nominations"
    gateway.on("POST", path, 201, {"id": NOMINATION_ID, "status": "awaiting", "merged": False})
    statement = "Анна е наставник на десетки студенти и винаги намира време."
    reply = member.post(f"/awards/cycles/{CYCLE_ID}/nominations", data=form(
        member, f"/awards/cycles/{CYCLE_ID}", category_id="mentor-of-the-year", nominee_id=NOMINEE,
        statement=statement, **{f"names__{NOMINEE}": "Анна Петрова"}))
    assert reply.status_code == 302 and reply.headers["Location"] == f"/awards/cycles/{CYCLE_ID}"
    assert gateway.sent("POST", path)[0].json == {"nominee_id": NOMINEE, "statement": statement}
    assert "the nomination of Анна Петрова is in" in text(member.get(f"/awards/cycles/{CYCLE_ID}"))
    gateway.on("POST", path, 200, {"id": NOMINATION_ID, "status": "awaiting", "merged": True})
    member.post(f"/awards/cycles/{CYCLE_ID}/nominations", data=form(
        member, f"/awards/cycles/{CYCLE_ID}", category_id="mentor-of-the-year", nominee_id=NOMINEE,
        statement=statement, **{f"names__{NOMINEE}": "Анна Петрова"}))
    assert "your statement is added to that nomination" in text(member.get(f"/awards/cycles/{CYCLE_ID}"))


def test_a_refused_nomination_names_the_rule_beside_the_nominee(member, gateway):
    path = f"{API}/cycles/{CYCLE_ID}/categories/mentor-of-the-year/nominations"
    gateway.problem("POST", path, 422, "awards-ineligible", rule="mentored_in_cycle", errors={
        "nominee_id": ["mentored_in_cycle: has not mentored a student in the activity period."]})
    gateway.on("GET", "/api/v1/members/directory", 200, {"items": [], "page": 1, "per_page": 10, "total": 0})
    reply = member.post(f"/awards/cycles/{CYCLE_ID}/nominations", data=form(
        member, f"/awards/cycles/{CYCLE_ID}", category_id="mentor-of-the-year", nominee_id=NOMINEE, q="Петрова",
        statement="A statement long enough to be accepted."))
    body = text(reply)
    assert reply.status_code == 422
    assert "Not eligible (has not mentored in the cycle&#39;s year): has not mentored a student" in body
    assert 'href="#f-nominee_id"' in body and "A statement long enough to be accepted." in body


def test_a_nomination_without_a_nominee_is_not_sent(member, gateway):
    reply = member.post(f"/awards/cycles/{CYCLE_ID}/nominations", data=form(
        member, f"/awards/cycles/{CYCLE_ID}", category_id="volunteer", statement="x" * 30))
    assert reply.status_code == 400 and "Choose the member you nominate." in text(reply)
    assert not [c for c in gateway.calls if c.method == "POST" and c.path.startswith(API)]


# --------------------------------------------------------------------------- the nominee's page

def test_the_link_page_works_without_login_posts_the_token_and_never_decides_on_a_get(client, gateway):
    token = link_token("confirm")
    gateway.problem("GET", f"{API}/nominations/{NOMINATION_ID}", 403, "forbidden")
    reply = client.get(f"{DECIDE}?t={token}")
    body = text(reply)
    assert reply.status_code == 200 and reply.headers["Referrer-Policy"] == "no-referrer"
    assert "Yes, I accept the nomination" in body and "No, I decline" not in body
    assert f'name="t" value="{token}"' in body and f'action="{DECIDE}"' in body and "Details for the jury" in body
    assert not [c for c in gateway.calls if c.method == "POST"]
    confirm = f"{API}/nominations/{NOMINATION_ID}/confirm"
    gateway.on("POST", confirm, 200, {"id": NOMINATION_ID, "status": "confirmed", "already": False})
    reply = client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token, d="confirm",
                                          details="Водя курс по клинични умения."))
    assert reply.status_code == 200 and "you accepted the nomination" in text(reply)
    sent = gateway.sent("POST", confirm)[0]
    assert sent.headers["X-Nomination-Token"] == token and "Authorization" not in sent.headers
    assert sent.json == {"details": "Водя курс по клинични умения."}


def test_the_decline_link_declines_and_a_late_link_is_said_expired(client, gateway):
    token = link_token("decline")
    gateway.on("GET", f"{API}/nominations/{NOMINATION_ID}", 200, {
        "id": NOMINATION_ID, "year": 2026, "status": "awaiting", "category_id": "volunteer",
        "category": {"en": "Volunteer", "bg": "Доброволец"}, "phase": "nominations",
        "statements": [{"index": 0, "statement": "Тя е навсякъде, където има нужда.", "at": "2026-11-03T10:00:00Z"}]})
    body = text(client.get(f"{DECIDE}?t={token}"))
    assert "No, I decline the nomination" in body and "Yes, I accept" not in body and "Тя е навсякъде" in body
    assert gateway.sent("GET", f"{API}/nominations/{NOMINATION_ID}")[0].headers["X-Nomination-Token"] == token
    decline = f"{API}/nominations/{NOMINATION_ID}/decline"
    gateway.problem("POST", decline, 410, "nomination-link-expired", detail="The link expired.", status_now="awaiting")
    reply = client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token))
    assert reply.status_code == 410 and "The time to answer this nomination has passed" in text(reply)
    assert gateway.sent("POST", decline)[0].headers["X-Nomination-Token"] == token


def test_a_bad_link_and_no_link_at_all(client, gateway):
    token = link_token("confirm")
    gateway.problem("POST", f"{API}/nominations/{NOMINATION_ID}/confirm", 403, "forbidden")
    reply = client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token))
    assert reply.status_code == 403 and "This link does not work" in text(reply)
    reply = client.get(DECIDE)
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login?")


def test_signed_in_without_a_link_the_nominee_chooses_with_their_login(client, gateway):
    log_in(client, gateway, member_id=NOMINEE)
    gateway.on("GET", f"{API}/nominations/{NOMINATION_ID}", 200, {"id": NOMINATION_ID, "status": "awaiting"})
    body = text(client.get(DECIDE))
    assert "Yes, I accept the nomination" in body and "No, I decline the nomination" in body
    decline = f"{API}/nominations/{NOMINATION_ID}/decline"
    gateway.on("POST", decline, 200, {"id": NOMINATION_ID, "status": "declined", "already": True})
    body = text(client.post(DECIDE, data=form(client, DECIDE, d="decline")))
    assert "You declined the nomination." in body and "nothing has changed" in body
    sent = gateway.sent("POST", decline)[0]
    assert sent.headers["Authorization"] == f"Bearer access-{NOMINEE}" and "X-Nomination-Token" not in sent.headers


# --------------------------------------------------------------------------- mine

ENGAGEMENT = {"cycle_id": CYCLE_ID, "activity_from": "2026-01-01T00:00:00+02:00",
              "activity_to": "2027-01-01T00:00:00+02:00",
              "totals": [{"category": "overall", "points": 64, "rank": 3},
                         {"category": "mentoring", "points": 40, "rank": 1},
                         {"category": "ambassador", "points": 0, "rank": None},
                         {"category": "volunteering", "points": 0, "rank": None},
                         {"category": "participation", "points": 24, "rank": 12}],
              "breakdown": [{"event_type": "events.attendance.checked_in", "category": "participation", "count": 6,
                             "raw_points": 30, "capped_points": 24},
                            {"event_type": "members.mentorship.accepted", "category": "mentoring", "count": 4,
                             "raw_points": 40, "capped_points": 40}]}


def test_my_engagement_shows_points_ranks_and_a_chart_with_its_table(member, gateway):
    gateway.on("GET", f"{API}/me/engagement", 200, ENGAGEMENT)
    reply = member.get(f"/me/engagement?cycle_id={CYCLE_ID}")
    body = text(reply)
    assert reply.status_code == 200
    assert gateway.sent("GET", f"{API}/me/engagement")[0].params == {"cycle_id": CYCLE_ID}
    assert "Mentoring and help to students and new graduates" in body and ">40<" in body
    assert '<svg class="engagement-chart"' in body and "<script" not in body.split("<main", 1)[1]
    assert body.index("Mentees accepted") < body.index("Events attended")  # most counted points first
    assert '<table class="figures" id="breakdown">' in body and ">30<" in body and ">24<" in body


def test_the_chart_draws_counted_points_within_the_raw_ones():
    drawn = chart.bars(ENGAGEMENT["breakdown"], str)
    assert [b.label for b in drawn.bars] == ["events.attendance.checked_in", "members.mentorship.accepted"]
    longest = max(b.raw_width for b in drawn.bars)
    assert drawn.bars[1].raw_width == longest and all(b.counted_width <= b.raw_width for b in drawn.bars)
    assert chart.bars([], str).bars == []


def test_my_nominations_of_me_and_by_me(member, gateway):
    gateway.on("GET", f"{API}/me/nominations", 200, {
        "of_me": [{"id": NOMINATION_ID, "year": 2026, "status": "awaiting", "decide_by": "2026-12-07T18:00:00+02:00",
                   "phase": "nominations", "category_id": "volunteer", "category": {"en": "Volunteer"},
                   "statements": []}],
        "by_me": [{"id": "m" * 24, "year": 2026, "status": "confirmed", "nominee": {"given_name": "Анна"},
                   "category_id": "mentor-of-the-year", "category": {"en": "Mentor of the year"}}]})
    body = text(member.get("/me/nominations"))
    assert f'href="{DECIDE}"' in body and "Waiting for the nominee&#39;s answer" in body
    assert "Анна" in body and "Confirmed by the nominee" in body


# --------------------------------------------------------------------------- judging

JUDGE = "j" * 32
IDENTIFYING = {"nominee_id": NOMINEE, "member_id": NOMINEE, "given_name": "Секретна", "family_name": "Самоличност",
               "email": "secret@example.bg", "photo_url": "/photos/secret.jpg", "phone": "+359888000111",
               "nominator_id": OTHER, "nominee": {"given_name": "Скрито", "family_name": "Име"}}


@pytest.fixture
def judge(client, gateway):
    log_in(client, gateway, member_id=JUDGE, roles=("alumnus", "judge"))
    gateway.on("GET", f"{API}/cycles", 200, {"items": [a_cycle(phase="judging")]})
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/judging", 200, {"cycle_id": CYCLE_ID, "categories": [{
        "category_id": "mentor-of-the-year", "title": {"en": "Mentor of the year"},
        "rubric": a_cycle()["categories"][0]["rubric"],
        "ballots": [{"ballot_id": BALLOT_ID, "details": "Курс по клинични умения.",
                     "statements": ["Отдаден наставник."], "my_scores": {"impact": 7}, "my_weighted": None,
                     "conflict": False, **IDENTIFYING}]}]})
    return client


def test_ballots_are_blind_whatever_the_answer_carries(judge, gateway):
    body = text(judge.get("/judging"))
    assert "Отдаден наставник." in body and "Курс по клинични умения." in body and "Impact (weight 2)" in body
    for value in (NOMINEE, OTHER, "Секретна", "Самоличност", "secret@example.bg", "/photos/secret.jpg", "+359888000111",
                  "Скрито"):
        assert value not in body, value
    assert 'name="scores.impact"' in body and 'value="7"' in body and 'min="0"' in body and 'max="10"' in body


def test_blind_keeps_only_the_ballots_own_fields():
    shown = judging.blind({"ballot_id": BALLOT_ID, "statements": ["a"], "details": "b", **IDENTIFYING}, [])
    assert set(shown) == {"ballot_id", "statements", "details", "rubric", "scores", "conflict"}


def test_scoring_puts_the_scores_and_checks_them_first(judge, gateway):
    ballot = f"{API}/cycles/{CYCLE_ID}/judging/{BALLOT_ID}"
    gateway.on("PUT", ballot, 200, {"ballot_id": BALLOT_ID})
    reply = judge.post(f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}", data=form(judge, "/judging", scores__impact="8",
                                                                              scores__reach="10"))
    assert reply.status_code == 302 and reply.headers["Location"] == f"/judging#ballot-{BALLOT_ID}"
    assert gateway.sent("PUT", ballot)[0].json == {"scores": {"impact": 8, "reach": 10}}
    reply = judge.post(f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}", data=form(judge, "/judging", scores__impact="11",
                                                                              scores__reach="5"))
    assert reply.status_code == 400 and "Enter a whole number from 0 to 10." in text(reply)
    assert len(gateway.sent("PUT", ballot)) == 1
    gateway.problem("PUT", ballot, 409, "awards-conflict_of_interest", reason="conflict_of_interest")
    judge.post(f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}", data=form(judge, "/judging", scores__impact="8",
                                                                      scores__reach="9"))
    assert "You nominated this person, so you cannot score them." in text(judge.get("/judging"))


def test_declaring_a_conflict(judge, gateway):
    conflict = f"{API}/cycles/{CYCLE_ID}/judging/{BALLOT_ID}/conflict"
    gateway.on("POST", conflict, 200, {})
    reply = judge.post(f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}/conflict",
                       data=form(judge, "/judging", reason="Колега от клиниката."))
    assert reply.status_code == 302 and gateway.sent("POST", conflict)[0].json == {"reason": "Колега от клиниката."}
    reply = judge.post(f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}/conflict", data=form(judge, "/judging", reason=" "))
    assert reply.status_code == 400 and len(gateway.sent("POST", conflict)) == 1


def test_a_member_without_the_judge_role_is_refused(member, gateway):
    assert member.get("/judging").status_code == 403


# --------------------------------------------------------------------------- winners

def test_the_winners_after_the_announcement_and_before_it(member, gateway):
    gateway.problem("GET", f"{API}/cycles/{CYCLE_ID}/winners", 404, "not-found")
    body = text(member.get(f"/awards/cycles/{CYCLE_ID}/winners"))
    assert "The winners have not been announced yet." in body
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/winners", 200, {
        "cycle_id": CYCLE_ID, "year": 2026, "title": {"bg": "Алумни награди 2026", "en": "Alumni awards 2026"},
        "announced_at": "2027-01-15T18:00:00+02:00",
        "categories": [{"category_id": "mentor-of-the-year", "title": {"en": "Mentor of the year"},
                        "no_award": False, "winners": [{
                            "member_id": NOMINEE, "given_name": "Анна", "family_name": "Петрова",
                            "citation": {"bg": "За десет години", "en": "For ten years of mentoring."}}]},
                       {"category_id": "volunteer", "title": {"en": "Volunteer"}, "winners": [], "no_award": True}]})
    body = text(member.get(f"/awards/cycles/{CYCLE_ID}/winners"))
    assert "Анна Петрова" in body and "For ten years of mentoring." in body and "No award in this category" in body


# --------------------------------------------------------------------------- CSRF and Bulgarian

@pytest.mark.parametrize("path", [f"/awards/cycles/{CYCLE_ID}/nominations", DECIDE,
                                  f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}",
                                  f"/judging/{CYCLE_ID}/ballots/{BALLOT_ID}/conflict"])
def test_every_form_needs_its_csrf_token(judge, gateway, path):
    before = len(gateway.calls)
    reply = judge.post(path, data={"category_id": "volunteer", "nominee_id": NOMINEE, "statement": "x" * 30,
                                   "d": "decline", "t": link_token(), "scores.impact": "5", "reason": "r"})
    assert reply.status_code == 400 and gateway.calls[before:] == []


@pytest.mark.parametrize("path,heading", [
    ("/awards", "Алумни награди"), (f"/awards/cycles/{CYCLE_ID}", "Алумни награди 2026"),
    ("/me/engagement", "Моята ангажираност"), ("/me/nominations", "Моите номинации"),
    (f"{DECIDE}?t={link_token()}", "Номинирани сте за Алумни награда")])
def test_every_page_reads_in_bulgarian(client, gateway, path, heading):
    log_in(client, gateway, member_id=OTHER, language="bg")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "bg"
    gateway.on("GET", f"{API}/cycles", 200, {"items": [a_cycle()]})
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle())
    gateway.on("GET", f"{API}/me/engagement", 200, ENGAGEMENT)
    gateway.on("GET", f"{API}/me/nominations", 200, {"of_me": [], "by_me": []})
    reply = client.get(path)
    body = text(reply)
    assert reply.status_code == 200 and '<html lang="bg">' in body and f"<h1>{heading}</h1>" in body
