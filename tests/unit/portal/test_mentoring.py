"""Page tests of the members' mentoring pages against a fake members API: each page renders
from the API's shapes, each form posts the body the API takes, the API's problems land beside
the fields, and the email's one-click page works without a login, never decides on a GET,
posts the link's token and says what happened on a second use or after the deadline."""
from __future__ import annotations

import base64
import json

import pytest
from werkzeug.datastructures import MultiDict

from frontends.portal.mentoring import present
from frontends.portal.session import COOKIE_NAME
from services.members.mentoring import rules
from tests.unit.portal.conftest import csrf_token, log_in

API = "/api/v1/members"
OFFER = f"{API}/me/mentoring/offer"
RECOMMENDATIONS = f"{API}/me/mentoring/recommendations"
REQUESTS = f"{API}/me/mentoring/requests"
ASKS = f"{API}/me/mentoring/asks"
MENTORSHIPS = f"{API}/me/mentoring/mentorships"
MENTOR, OTHER, MENTEE = "a" * 32, "b" * 32, "c" * 32
REQUEST_ID, PAIR_ID = "d" * 32, "e" * 32
DECIDE = f"/mentoring/requests/{REQUEST_ID}/decide"


def link_token(decision: str = "accept", exp: int = 1_765_000_000) -> str:
    """Shaped like shared.mentoringlink's token (the signature is the API's to check)."""
    payload = json.dumps({"v": 1, "m": MENTOR, "r": REQUEST_ID, "d": decision, "exp": exp}).encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + ".c2lnbmF0dXJl"


def text(reply) -> str:
    return reply.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def form(client, path: str, **fields) -> MultiDict:
    data = MultiDict({"csrf_token": csrf_token(client, path)})
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(name.replace("__", "."), item)
    return data


def page(items: list) -> dict:
    return {"items": items, "page": 1, "per_page": 100, "total": len(items)}


def offer(**changes) -> dict:
    return {"topics": ["research"], "specialties": ["Кардиология"], "languages": ["bg", "en"], "formats": ["online"],
            "city": None, "capacity": 2, "paused": False, "active": 1, "pending": 0, "free_places": 1, "offered": True,
            "updated_at": "2026-12-01T10:00:00+00:00", **changes}


def card(member_id: str, given: str) -> dict:
    return {"id": member_id, "given_name": given, "family_name": "Петрова", "topics": ["research"],
            "specialties": ["Кардиология"], "languages": ["bg"], "formats": ["online", "in_person"],
            "city": "Пловдив", "capacity": 2, "free_places": 2, "offered": True}


def recommendation(member_id: str, given: str, total: float) -> dict:
    return {"mentor_id": member_id, "total": total, "mentor": card(member_id, given), "factors": [
        {"name": name, "weight": weight, "value": 1.0 if name == "shared_specialty" else 0.5,
         "points": weight * (1.0 if name == "shared_specialty" else 0.5)}
        for name, weight in rules.DEFAULT_WEIGHTS.items()]}


def ask(outcome: str = "pending", **changes) -> dict:
    return {"id": REQUEST_ID, "mentee_id": MENTEE, "given_name": "Иван", "family_name": "Колев",
            "message": "Здравейте! Бих искал съвет за специалност.", "choice": 1, "outcome": outcome,
            "deadline": "2026-12-08T10:00:00+00:00" if outcome == "pending" else None,
            "mentorship_id": PAIR_ID if outcome == "accepted" else None, **changes}


def mentorship(**changes) -> dict:
    return {"id": PAIR_ID, "request_id": REQUEST_ID, "mentor_id": MENTOR, "mentee_id": MENTEE, "role": "mentor",
            "other": {"member_id": MENTEE, "given_name": "Иван", "family_name": "Колев"}, "state": "active",
            "started_at": "2026-12-05T10:00:00+00:00", "ended_at": None, "ended_by": None, "meetings": 1,
            "last_meeting_on": "2026-12-06", "stalled": False, "my_feedback": None, **changes}


@pytest.fixture
def mentor(client, gateway):
    log_in(client, gateway, member_id=MENTOR, status="verified")
    return client


def test_the_vocabulary_is_the_apis():
    assert present.TOPICS == rules.TOPICS
    assert tuple(present.FACTORS) == rules.FACTORS
    assert tuple(present.FORMATS) == rules.FORMATS
    assert set(present.OUTCOMES) - {None, "pending"} == set(rules.OUTCOMES)


# --------------------------------------------------------------------------- my programme

def test_the_programme_page_shows_my_roles_with_next_steps(mentor, gateway):
    gateway.on("GET", OFFER, 200, offer())
    gateway.on("GET", REQUESTS, 200, page([]))
    gateway.on("GET", ASKS, 200, page([ask(), ask("declined", id="f" * 32)]))
    gateway.on("GET", MENTORSHIPS, 200, page([mentorship(stalled=True)]))
    reply = mentor.get("/mentoring")
    body = text(reply)
    assert reply.status_code == 200 and reply.headers["Referrer-Policy"] == "no-referrer"
    assert "1 mentee is waiting for your answer." in body and 'href="/mentoring/asks"' in body
    assert "You are a mentor with 1 free place." in body and "Edit my offer" in body
    assert f'href="/mentoring/mentorships/{PAIR_ID}">Иван Колев' in body and "No meeting for two months" in body
    assert 'href="/mentoring"' in body  # the main navigation


def test_without_an_offer_the_page_invites_to_become_a_mentor_and_a_missing_part_is_said(mentor, gateway):
    gateway.problem("GET", OFFER, 404, "not-found")
    gateway.on("GET", REQUESTS, 200, page([]))
    gateway.on("GET", ASKS, 503, {})
    gateway.on("GET", MENTORSHIPS, 200, page([]))
    body = text(mentor.get("/mentoring"))
    assert "Become a mentor" in body and "We cannot show this part right now." in body


# --------------------------------------------------------------------------- the offer

def test_the_offer_form_sends_the_whole_offer(mentor, gateway):
    gateway.problem("GET", OFFER, 404, "not-found")
    gateway.on("PUT", OFFER, 200, offer())
    page_html = text(mentor.get("/mentoring/offer"))
    assert "Choosing a specialty" in page_html and "Become a mentor" in page_html
    reply = mentor.post("/mentoring/offer", data=form(
        mentor, "/mentoring/offer", topics=["research", "working_abroad"], specialties="Кардиология\n\n Хирургия ",
        languages=["bg", "en"], language_more="de", formats=["online", "in_person"], city="Пловдив", capacity="3",
        paused="on"))
    assert reply.status_code == 302 and reply.headers["Location"] == "/mentoring"
    assert gateway.sent("PUT", OFFER)[0].json == {
        "topics": ["research", "working_abroad"], "specialties": ["Кардиология", "Хирургия"],
        "languages": ["bg", "en", "de"], "formats": ["online", "in_person"], "city": "Пловдив", "capacity": 3,
        "paused": True}


def test_the_offers_problems_are_shown_beside_the_fields(mentor, gateway):
    gateway.on("GET", OFFER, 200, offer())
    gateway.problem("PUT", OFFER, 422, "validation", "The offer has invalid fields.",
                    errors={"city": ["In-person meetings need a city."], "topics": ["Shorter than minimum length 1."]})
    reply = mentor.post("/mentoring/offer", data=form(mentor, "/mentoring/offer", languages="bg",
                                                      formats="in_person", capacity="2"))
    body = text(reply)
    assert reply.status_code == 400 and "Name the city for meetings in person." in body
    assert 'href="#f-city"' in body and 'aria-invalid="true"' in body and 'href="#f-topics"' in body
    reply = mentor.post("/mentoring/offer", data=form(mentor, "/mentoring/offer", capacity="many"))
    assert reply.status_code == 400 and "Enter a whole number." in text(reply)
    assert len(gateway.sent("PUT", OFFER)) == 1  # the portal's own check sent nothing


def test_a_student_is_told_why_they_cannot_mentor(mentor, gateway):
    gateway.problem("GET", OFFER, 404, "not-found")
    gateway.problem("PUT", OFFER, 403, "mentoring-not-a-mentor", reason="not_alumnus")
    reply = mentor.post("/mentoring/offer", data=form(mentor, "/mentoring/offer", topics="research", languages="bg",
                                                      formats="online", capacity="2"))
    assert reply.status_code == 403 and "as a student, you can find a mentor instead" in text(reply)


def test_withdrawing_the_offer_and_the_busy_refusal(mentor, gateway):
    gateway.on("GET", OFFER, 200, offer())
    gateway.problem("DELETE", OFFER, 409, "mentoring-offer-busy")
    reply = mentor.post("/mentoring/offer/withdraw", data=form(mentor, "/mentoring/offer"))
    assert reply.headers["Location"] == "/mentoring/offer"
    assert "pause your offer instead" in text(mentor.get("/mentoring/offer"))
    gateway.on("DELETE", OFFER, 204)
    reply = mentor.post("/mentoring/offer/withdraw", data=form(mentor, "/mentoring/offer"))
    assert reply.headers["Location"] == "/mentoring" and len(gateway.sent("DELETE", OFFER)) == 2


# --------------------------------------------------------------------------- recommendations

@pytest.fixture
def mentee(client, gateway):
    log_in(client, gateway, member_id=MENTEE, roles=("student",), status="verified")
    gateway.on("GET", RECOMMENDATIONS, 200, {"items": [recommendation(MENTOR, "Анна", 6.75),
                                                       recommendation(OTHER, "Борис", 5.5)],
                                             "weights": rules.DEFAULT_WEIGHTS})
    return client


def test_recommendations_show_each_factor_with_its_weight_and_value(mentee, gateway):
    body = text(mentee.get("/mentoring/recommendations?topics=research"))
    assert body.index("Анна Петрова") < body.index("Борис Петрова")
    assert "Why this mentor: score 6.75" in body and "Shares your specialty" in body
    assert '<meter min="0" max="1" value="1.0"' in body and "× 3" in body and "100%" in body and "50%" in body
    assert gateway.sent("GET", RECOMMENDATIONS)[0].params == {"topics": ["research"]}
    assert "Research" in body and "Пловдив" in body


def test_asking_sends_the_mentors_in_the_chosen_order_with_the_message(mentee, gateway):
    gateway.on("POST", REQUESTS, 201, {"id": REQUEST_ID, "state": "pending", "choices": []})
    reply = mentee.post("/mentoring/recommendations", data=form(
        mentee, "/mentoring/recommendations", **{f"rank__{MENTOR}": "2", f"rank__{OTHER}": "1"},
        message="Здравейте!", key="0" * 32))
    assert reply.status_code == 302 and reply.headers["Location"] == "/mentoring/requests"
    sent = gateway.sent("POST", REQUESTS)[0]
    assert sent.json == {"mentors": [OTHER, MENTOR], "message": "Здравейте!"}
    assert sent.headers["Idempotency-Key"] == "0" * 32


def test_the_order_and_the_message_are_checked_before_sending(mentee, gateway):
    reply = mentee.post("/mentoring/recommendations", data=form(
        mentee, "/mentoring/recommendations", **{f"rank__{MENTOR}": "1", f"rank__{OTHER}": "1"}, message=""))
    body = text(reply)
    assert reply.status_code == 400 and "Give each mentor a different place in your order." in body
    assert f'id="f-rank-{MENTOR}-error-1"' in body and f'id="f-rank-{OTHER}-error-1"' in body
    assert "Write a few words to the mentor" in body and not gateway.sent("POST", REQUESTS)


def test_the_apis_problems_land_at_the_mentor_they_are_about(mentee, gateway):
    gateway.problem("POST", REQUESTS, 422, "validation", errors={"mentors": {"1": ["You have already asked this mentor."]}})
    reply = mentee.post("/mentoring/recommendations", data=form(
        mentee, "/mentoring/recommendations", **{f"rank__{MENTOR}": "1", f"rank__{OTHER}": "2"}, message="Hi"))
    body = text(reply)
    assert reply.status_code == 422 and "You have already asked this mentor." in body
    assert f'href="#f-rank-{OTHER}"' in body and f'id="f-rank-{OTHER}-error-1"' in body
    assert f'id="f-rank-{MENTOR}-error-1"' not in body
    gateway.problem("POST", REQUESTS, 409, "mentoring-none-available")
    reply = mentee.post("/mentoring/recommendations", data=form(
        mentee, "/mentoring/recommendations", **{f"rank__{MENTOR}": "1"}, message="Hi"))
    assert reply.status_code == 409 and "None of these mentors can take a mentee now." in text(reply)


def test_a_member_who_may_not_be_mentored_is_told_why(mentor, gateway):
    gateway.problem("GET", RECOMMENDATIONS, 403, "mentoring-not-a-mentee", reason="not_student_or_recent_graduate")
    reply = mentor.get("/mentoring/recommendations")
    assert reply.status_code == 200 and "You can help them instead: become a mentor." in text(reply)
    assert "Send my request" not in text(reply)


# --------------------------------------------------------------------------- my requests, my asks

def test_my_requests_show_each_choices_outcome_and_withdraw(mentee, gateway):
    gateway.on("GET", REQUESTS, 200, page([{
        "id": REQUEST_ID, "state": "pending", "message": "Hi", "asked_mentor": OTHER,
        "deadline": "2026-12-08T10:00:00+00:00", "created_at": "2026-12-05T10:00:00+00:00", "mentorship_id": None,
        "choices": [{"mentor_id": MENTOR, "choice": 1, "outcome": "declined", "given_name": "Анна"},
                    {"mentor_id": OTHER, "choice": 2, "outcome": "pending", "given_name": "Борис"},
                    {"mentor_id": "f" * 32, "choice": 3, "outcome": None, "given_name": "Вера"}]}]))
    body = text(mentee.get("/mentoring/requests"))
    assert "Анна: Declined" in body and "Борис: Waiting for an answer" in body and "Вера: Not asked yet" in body
    assert "Answer due by December 8, 2026, 12:00 PM" in body
    withdraw = f"{API}/mentoring/requests/{REQUEST_ID}/withdraw"
    gateway.on("POST", withdraw, 200, {})
    reply = mentee.post(f"/mentoring/requests/{REQUEST_ID}/withdraw", data=form(mentee, "/mentoring/requests"))
    assert reply.headers["Location"] == "/mentoring/requests" and gateway.sent("POST", withdraw)
    gateway.problem("POST", withdraw, 409, "mentoring-not-pending", reason="not_pending", outcome="accepted")
    mentee.post(f"/mentoring/requests/{REQUEST_ID}/withdraw", data=form(mentee, "/mentoring/requests"))
    assert "This request is no longer waiting: accepted." in text(mentee.get("/mentoring/requests"))


def test_the_asks_page_accepts_with_the_members_token_and_opens_the_mentorship(mentor, gateway):
    gateway.on("GET", ASKS, 200, page([ask()]))
    body = text(mentor.get("/mentoring/asks"))
    assert "Иван Колев" in body and "Бих искал съвет" in body and 'value="accept"' in body
    accept = f"{API}/mentoring/requests/{REQUEST_ID}/accept"
    gateway.on("POST", accept, 200, {"ask": ask("accepted"), "decided": "accepted", "already": False})
    reply = mentor.post(f"/mentoring/asks/{REQUEST_ID}", data=form(mentor, "/mentoring/asks", d="accept"))
    assert reply.headers["Location"] == f"/mentoring/mentorships/{PAIR_ID}"
    sent = gateway.sent("POST", accept)[0]
    assert sent.headers["Authorization"] == f"Bearer access-{MENTOR}" and sent.json == {}


def test_declining_after_the_deadline_says_so(mentor, gateway):
    gateway.on("GET", ASKS, 200, page([ask()]))
    gateway.problem("POST", f"{API}/mentoring/requests/{REQUEST_ID}/decline", 410, "mentoring-past-deadline",
                    reason="past_deadline", outcome="expired")
    reply = mentor.post(f"/mentoring/asks/{REQUEST_ID}", data=form(mentor, "/mentoring/asks", d="decline"))
    assert reply.headers["Location"] == "/mentoring/asks"
    assert "The time to answer this request has passed." in text(mentor.get("/mentoring/asks"))


# --------------------------------------------------------------------------- the email's one-click page

def test_the_link_page_works_without_login_and_never_decides_on_a_get(client, gateway, portal):
    token = link_token("accept")
    reply = client.get(f"{DECIDE}?t={token}")
    body = text(reply)
    assert reply.status_code == 200 and reply.headers["Referrer-Policy"] == "no-referrer"
    assert "Yes, I accept this mentee" in body and f'name="t" value="{token}"' in body
    assert f'action="{DECIDE}"' in body  # the form's address carries no token
    assert "You can answer until" in body
    assert gateway.calls == []  # nothing asked, nothing decided
    accept = f"{API}/mentoring/requests/{REQUEST_ID}/accept"
    gateway.on("POST", accept, 200, {"ask": ask("accepted"), "decided": "accepted", "already": False})
    reply = client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token, d="accept"))
    assert reply.status_code == 200 and "You accepted Иван Колев as your mentee." in text(reply)
    sent = gateway.sent("POST", accept)[0]
    assert sent.headers["X-Mentoring-Token"] == token and "Authorization" not in sent.headers
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is None or token not in portal.session_interface.fernet.decrypt(cookie.value.encode()).decode()


def test_the_decline_link_posts_a_decline(client, gateway):
    token = link_token("decline")
    assert "No, I decline" in text(client.get(f"{DECIDE}?t={token}"))
    decline = f"{API}/mentoring/requests/{REQUEST_ID}/decline"
    gateway.on("POST", decline, 200, {"ask": ask("declined"), "decided": "declined", "already": True})
    body = text(client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token)))
    assert "You had already answered this request; nothing has changed." in body and "You declined." in body
    assert gateway.sent("POST", decline)[0].headers["X-Mentoring-Token"] == token


@pytest.mark.parametrize("status,reason,outcome,said", [
    (410, "past_deadline", "expired", "The time to answer passed before you answered"),
    (410, "not_pending", "withdrawn", "The mentee withdrew the request"),
    (409, "not_pending", "declined", "You had already declined this request"),
])
def test_a_link_used_too_late_says_what_happened(client, gateway, status, reason, outcome, said):
    token = link_token("accept")
    gateway.problem("POST", f"{API}/mentoring/requests/{REQUEST_ID}/accept", status, "mentoring-x",
                    reason=reason, outcome=outcome)
    reply = client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token, d="accept"))
    assert reply.status_code == status and said in text(reply)


def test_a_link_the_api_refuses_and_no_link_at_all(client, gateway):
    token = link_token("accept")
    gateway.problem("POST", f"{API}/mentoring/requests/{REQUEST_ID}/accept", 400, "invalid-token",
                    errors={"token": ["Altered or signed with another key."]})
    reply = client.post(DECIDE, data=form(client, f"{DECIDE}?t={token}", t=token))
    assert reply.status_code == 400 and "This link does not work" in text(reply)
    reply = client.get(f"{DECIDE}?t=not-a-token")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login?")


# --------------------------------------------------------------------------- the pair's page

@pytest.fixture
def pair(mentor, gateway):
    gateway.on("GET", MENTORSHIPS, 200, page([mentorship()]))
    gateway.on("GET", f"{API}/mentoring/mentorships/{PAIR_ID}/meetings", 200, page([
        {"id": "m1", "on": "2026-12-06", "minutes": 45, "topic": "Избор на специалност", "notes": "Кардиология?",
         "by": MENTOR, "at": "2026-12-06T18:00:00+00:00"}]))
    return mentor


def test_the_pairs_page_shows_the_other_side_and_the_meetings_with_notes(pair, gateway):
    body = text(pair.get(f"/mentoring/mentorships/{PAIR_ID}"))
    assert "Mentorship with Иван Колев" in body and "You are the mentor." in body
    assert "December 6, 2026 · 45 minutes" in body and "Кардиология?" in body and "Log a meeting" in body
    assert pair.get(f"/mentoring/mentorships/{'f' * 32}").status_code == 404  # not among mine


def test_logging_a_meeting_posts_it_and_problems_land_beside_the_fields(pair, gateway):
    meetings = f"{API}/mentoring/mentorships/{PAIR_ID}/meetings"
    gateway.on("POST", meetings, 201, {"id": "m2"})
    path = f"/mentoring/mentorships/{PAIR_ID}"
    reply = pair.post(f"{path}/meetings", data=form(pair, path, on="2026-12-07", minutes="30", topic="Изпити",
                                                    notes="", key="1" * 32))
    assert reply.headers["Location"] == path
    sent = gateway.sent("POST", meetings)[0]
    assert sent.json == {"on": "2026-12-07", "minutes": 30, "topic": "Изпити", "notes": None}
    assert sent.headers["Idempotency-Key"] == "1" * 32
    gateway.problem("POST", meetings, 422, "validation",
                    errors={"on": ["A meeting is logged once it has happened: not in the future."]})
    reply = pair.post(f"{path}/meetings", data=form(pair, path, on="2027-12-07", minutes="30", topic="Изпити"))
    assert reply.status_code == 422 and 'href="#f-on"' in text(reply) and 'value="2027-12-07"' in text(reply)
    reply = pair.post(f"{path}/meetings", data=form(pair, path, on="2026-12-07", minutes="half an hour", topic=""))
    assert reply.status_code == 400 and "Enter the minutes as a whole number." in text(reply)
    assert len(gateway.sent("POST", meetings)) == 2


def test_ending_with_feedback_and_giving_it_after_the_other_ended(pair, gateway):
    path = f"/mentoring/mentorships/{PAIR_ID}"
    end = f"{API}/mentoring/mentorships/{PAIR_ID}/end"
    gateway.on("POST", end, 200, mentorship(state="ended"))
    reply = pair.post(f"{path}/end", data=form(pair, path, rating="5", text="Благодаря!"))
    assert reply.headers["Location"] == path
    assert gateway.sent("POST", end)[0].json == {"feedback": {"rating": 5, "text": "Благодаря!"}}
    reply = pair.post(f"{path}/end", data=form(pair, path, rating="", text="Words without a rating"))
    assert reply.status_code == 400 and "Choose a rating from 1 to 5 to go with your words." in text(reply)
    pair.post(f"{path}/end", data=form(pair, path, rating="", text=""))
    assert gateway.sent("POST", end)[-1].json == {"feedback": None}

    gateway.on("GET", MENTORSHIPS, 200, page([mentorship(state="ended", ended_by=MENTEE,
                                                         ended_at="2026-12-09T10:00:00+00:00")]))
    body = text(pair.get(path))
    assert "Send my feedback" in body and "Log a meeting" not in body
    feedback = f"{API}/mentoring/mentorships/{PAIR_ID}/feedback"
    gateway.problem("POST", feedback, 409, "mentoring-already-given", reason="already_given")
    reply = pair.post(f"{path}/feedback", data=form(pair, path, rating="4", text=""))
    assert reply.status_code == 409 and "You have already given your feedback." in text(reply)
    assert gateway.sent("POST", feedback)[0].json == {"rating": 4, "text": None}


def test_the_recommendations_read_in_bulgarian(client, gateway):
    log_in(client, gateway, member_id=MENTEE, roles=("student",), status="verified", language="bg")
    gateway.on("GET", RECOMMENDATIONS, 200, {"items": [recommendation(MENTOR, "Анна", 6.75)],
                                             "weights": rules.DEFAULT_WEIGHTS})
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "bg"
    body = text(client.get("/mentoring/recommendations"))
    assert "Ментори за мен" in body and "Научна работа" in body and "Защо този ментор: резултат 6,75" in body
    assert "× 0,5" in body and "Споделя Вашата специалност" in body


@pytest.mark.parametrize("path,heading", [
    ("/mentoring", "Менторство"), ("/mentoring/offer", "Моето менторско предложение"),
    ("/mentoring/recommendations", "Ментори за мен"), ("/mentoring/requests", "Моите молби"),
    ("/mentoring/asks", "Молби към мен"), (f"/mentoring/mentorships/{PAIR_ID}", "Менторство с Иван Колев"),
    (f"{DECIDE}?t={link_token('decline')}", "Менти Ви търси за ментор")])
def test_every_page_reads_in_bulgarian(client, gateway, path, heading):
    log_in(client, gateway, member_id=MENTOR, status="verified", language="bg")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "bg"
    gateway.on("GET", OFFER, 200, offer(paused=True))
    gateway.on("GET", RECOMMENDATIONS, 200, {"items": [recommendation(OTHER, "Борис", 5.5)], "weights": {}})
    gateway.on("GET", REQUESTS, 200, page([{
        "id": REQUEST_ID, "state": "exhausted", "message": "Hi", "asked_mentor": None, "deadline": None,
        "created_at": "2026-12-05T10:00:00+00:00", "mentorship_id": None,
        "choices": [{"mentor_id": OTHER, "choice": 1, "outcome": "expired", "given_name": "Борис"}]}]))
    gateway.on("GET", ASKS, 200, page([ask(), ask("accepted", id="f" * 32)]))
    gateway.on("GET", MENTORSHIPS, 200, page([mentorship()]))
    gateway.on("GET", f"{API}/mentoring/mentorships/{PAIR_ID}/meetings", 200, page([]))
    reply = client.get(path)
    body = text(reply)
    assert reply.status_code == 200 and '<html lang="bg">' in body and f"<h1>{heading}</h1>" in body
