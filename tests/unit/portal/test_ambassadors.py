"""Page tests of the ambassador pages against a fake members API: the public finder sends its
filters and draws only what the API returned, in English for an English-speaking browser;
the question form checks what it must, shows the API's problems beside the fields and its rate
limit in words; the asker's confirmation link never acts on a GET, posts its token as
``X-Question-Token`` and says when it has expired; applying, the listing settings, the
contacts (reply and log) and the activities post the bodies the API takes; every form
carries its CSRF token."""
from __future__ import annotations

import base64
import json
import re

import pytest

from frontends.portal.ambassadors import present
from tests.unit.portal.conftest import log_in
from tests.unit.portal.test_mentoring import form, text

API = "/api/v1/members"
FINDER = f"{API}/ambassadors/finder"
ME = f"{API}/me/ambassador"
AMBASSADOR, PUBLIC_ID, QUESTION_ID, CONTACT_ID = "a" * 32, "p" * 24, "q" * 32, "c" * 32
CONTACTS = f"{API}/ambassadors/{AMBASSADOR}/contacts"
ACTIVITIES = f"{API}/ambassadors/{AMBASSADOR}/activities"
CONFIRM = f"/ambassadors/questions/{QUESTION_ID}/confirm"


def page(items: list, total: int | None = None) -> dict:
    return {"items": items, "page": 1, "per_page": 20, "total": len(items) if total is None else total}


def card(**public) -> dict:
    """A finder item: what every card has, and the public fields given."""
    return {"public_id": PUBLIC_ID, "regions": [{"country": "IN", "cities": ["Mumbai"]}], "languages": ["en", "hi"],
            **public}


FULL_CARD = card(given_name="Priya", family_name="Sharma", faculty="medicine", programme="Medicine (English)",
                 graduation_year=2021, city="Mumbai", country="IN",
                 bio={"en": "I studied medicine in Plovdiv.", "bg": "Учих медицина в Пловдив."})


def link_token(exp: int = 1_765_000_000) -> str:
    """Shaped like shared.decisionlink's token (the signature is the API's to check)."""
    payload = json.dumps({"v": 1, "k": "ambassador-question", "p": "", "o": QUESTION_ID, "d": "confirm",
                          "exp": exp}).encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + ".c2lnbmF0dXJl"


def contact(**changes) -> dict:
    return {"contact_id": CONTACT_ID, "kind": "finder_question", "source": "finder", "name": "Rahul",
            "country": "IN", "language": "en", "message": "Is the English programme six years long?",
            "due_at": "2026-12-07T10:00:00+00:00", "overdue": False, "replied_at": None,
            "assigned_at": "2026-12-05T10:00:00+00:00", **changes}


@pytest.fixture
def ambassador(client, gateway):
    log_in(client, gateway, member_id=AMBASSADOR, roles=("student",), status="verified")
    return client


def test_the_vocabulary_is_the_apis():
    # The portal imports no service; its test may, to keep the two vocabularies one.
    from services.members.ambassadors import rules
    assert list(present.ACTIVITY_KINDS) == list(rules.ACTIVITY_KINDS)
    assert set(present.CONTACT_KINDS) == set(rules.CONTACT_KINDS)
    assert list(present.CHANNELS) == list(rules.CHANNELS)
    assert set(present.PUBLIC_FIELDS) == set(rules.PUBLIC_FIELDS)
    assert set(present.APPLICATION_STATES) == set(rules.APPLICATION_STATUSES)


# --------------------------------------------------------------------------- the public finder

def test_the_finder_sends_its_filters_without_a_login_and_draws_the_apis_cards(client, gateway):
    gateway.on("GET", FINDER, 200, page([FULL_CARD]))
    reply = client.get("/ambassadors?country=in&language=en")
    body = text(reply)
    [sent] = gateway.sent("GET", FINDER)
    assert sent.params["country"] == "IN" and sent.params["language"] == "en" and sent.params["page"] == 1
    assert "Authorization" not in sent.headers
    assert reply.status_code == 200 and "<h1>Ask a student or graduate of the university</h1>" in body
    assert "Priya Sharma" in body and "India (Mumbai)" in body and "English, Hindi" in body
    assert "Faculty of Medicine" in body and "Medicine (English)" in body and "2021" in body
    assert f'href="/ambassadors/{PUBLIC_ID}/ask?country=IN&amp;language=en"' in body
    assert '<option value="IN" selected>India</option>' in body


def test_a_card_shows_only_what_the_api_returned(client, gateway):
    gateway.on("GET", FINDER, 200, page([card()]))
    body = text(client.get("/ambassadors"))
    card_html = re.search(r'<li class="card ambassador">.*?</li>', body, re.S).group(0)
    assert "Ambassador for India (Mumbai)" in card_html and "English, Hindi" in card_html
    for label in ("Faculty", "Programme", "Graduation year", "Lives in", 'class="bio"'):
        assert label not in card_html, label


def test_the_finder_is_english_first_for_an_english_browser_and_bulgarian_for_a_bulgarian_one(client, gateway):
    gateway.on("GET", FINDER, 200, page([FULL_CARD]))
    body = text(client.get("/ambassadors"))
    assert '<html lang="en">' in body
    assert body.index("I studied medicine") < body.index("Учих медицина")
    # The label is in the page's language; only the Bulgarian text is marked as Bulgarian.
    assert '<p class="bio"><span class="language">In Bulgarian:</span><span lang="bg">Учих' in body
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "bg,en;q=0.5"
    body = text(client.get("/ambassadors"))
    assert '<html lang="bg">' in body and "Попитайте студент или випускник на университета" in body
    assert body.index("Учих медицина") < body.index("I studied medicine")


def test_a_browser_asking_for_neither_language_reads_the_public_pages_in_english(client, gateway):
    gateway.on("GET", FINDER, 200, page([]))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "hi-IN,de;q=0.8"
    assert '<html lang="en">' in text(client.get("/ambassadors"))
    assert '<html lang="en">' in text(client.get(f"/ambassadors/questions/{QUESTION_ID}/confirm?t={link_token()}"))
    assert '<html lang="bg">' in text(client.get("/login"))  # the rest of the site keeps Bulgarian


def test_filters_not_shaped_like_codes_are_not_sent_and_an_empty_choice_says_so(client, gateway):
    gateway.on("GET", FINDER, 200, page([]))
    body = text(client.get("/ambassadors?country=<b>&language=english"))
    assert "country" not in gateway.sent("GET", FINDER)[0].params
    assert "language" not in gateway.sent("GET", FINDER)[0].params
    assert "No ambassador is listed yet." in body
    body = text(client.get("/ambassadors?country=NP"))
    assert "No ambassador is listed for this choice yet." in body


def test_the_filters_and_cards_are_labelled_for_screen_readers(client, gateway):
    gateway.on("GET", FINDER, 200, page([FULL_CARD]))
    body = text(client.get("/ambassadors"))
    assert '<label for="f-country">Your country</label>' in body
    assert '<label for="f-language">Your language</label>' in body
    assert 'role="search"' in body and f'aria-describedby="a-{PUBLIC_ID}"' in body


# --------------------------------------------------------------------------- asking

ASK = f"/ambassadors/{PUBLIC_ID}/ask"
QUESTION = {"name": "Rahul Mehta", "email": "rahul@example.in", "language": "en", "country": "IN",
            "message": "Is the English programme six years long?"}


def test_the_question_form_shows_the_ambassador_and_sends_the_question_anonymously(client, gateway):
    gateway.on("GET", FINDER, 200, page([FULL_CARD]))
    questions = f"{FINDER}/{PUBLIC_ID}/questions"
    gateway.on("POST", questions, 202, {"status": "confirm_email"})
    body = text(client.get(f"{ASK}?country=IN"))
    assert "Priya Sharma" in body and '<option value="IN" selected>India</option>' in body
    assert '<option value="en" selected>English</option>' in body
    reply = client.post(ASK, data=form(client, ASK, privacy_accepted="on", **QUESTION))
    assert reply.status_code == 302 and reply.headers["Location"] == "/ambassadors/asked"
    [sent] = gateway.sent("POST", questions)
    assert sent.json == {**QUESTION, "privacy_accepted": True} and "Authorization" not in sent.headers
    assert "Check your email" in text(client.get("/ambassadors/asked"))


def test_the_form_checks_the_privacy_notice_and_blanks_before_sending(client, gateway):
    gateway.on("GET", FINDER, 200, page([]))
    reply = client.post(ASK, data=form(client, ASK, **{**QUESTION, "message": ""}))
    body = text(reply)
    assert reply.status_code == 400 and gateway.sent("POST", f"{FINDER}/{PUBLIC_ID}/questions") == []
    assert 'href="#f-privacy_accepted"' in body and "Please accept the privacy notice" in body
    assert 'id="f-message-error-1">This field is required.' in body
    assert 'value="Rahul Mehta"' in body  # what was typed stays


def test_the_apis_problems_land_beside_the_fields(client, gateway):
    gateway.on("GET", FINDER, 200, page([]))
    gateway.problem("POST", f"{FINDER}/{PUBLIC_ID}/questions", 422, "validation", errors={
        "email": ["Not a valid email address."], "message": ["Longer than maximum length 2000."]})
    reply = client.post(ASK, data=form(client, ASK, privacy_accepted="on", **QUESTION))
    body = text(reply)
    assert reply.status_code == 400 and "Please correct the fields marked below." in body
    assert 'id="f-email-error-1">Enter a valid email address.' in body
    assert 'id="f-message-error-1">Enter at most 2000 characters.' in body
    assert 'aria-invalid="true"' in body


def test_the_rate_limit_is_said_in_words(client, gateway):
    gateway.on("GET", FINDER, 200, page([]))
    gateway.problem("POST", f"{FINDER}/{PUBLIC_ID}/questions", 429, "too-many-requests")
    reply = client.post(ASK, data=form(client, ASK, privacy_accepted="on", **QUESTION))
    assert reply.status_code == 429 and "as many questions as we accept from one address in a day" in text(reply)


def test_an_ambassador_no_longer_listed(client, gateway):
    gateway.on("GET", FINDER, 200, page([]))
    gateway.problem("POST", f"{FINDER}/{PUBLIC_ID}/questions", 404, "not-found")
    reply = client.post(ASK, data=form(client, ASK, privacy_accepted="on", **QUESTION))
    assert reply.status_code == 404 and "no longer listed" in text(reply)


# --------------------------------------------------------------------------- the asker's confirmation link

def test_the_link_shows_a_button_and_never_confirms_on_a_get(client, gateway):
    token = link_token()
    reply = client.get(f"{CONFIRM}?t={token}")
    body = text(reply)
    assert reply.status_code == 200 and reply.headers["Referrer-Policy"] == "no-referrer"
    assert f'name="t" value="{token}"' in body and "Confirm and send my question" in body
    assert gateway.calls == []


def test_the_button_posts_the_token_as_the_question_header(client, gateway):
    token = link_token()
    confirm = f"{API}/ambassadors/questions/{QUESTION_ID}/confirm"
    gateway.on("POST", confirm, 200, {"status": "confirmed"})
    reply = client.post(CONFIRM, data=form(client, f"{CONFIRM}?t={token}", t=token))
    assert reply.status_code == 200 and "Your question is on its way" in text(reply)
    [sent] = gateway.sent("POST", confirm)
    assert sent.headers["X-Question-Token"] == token and "Authorization" not in sent.headers


def test_an_expired_link_says_so(client, gateway):
    token = link_token()
    gateway.problem("POST", f"{API}/ambassadors/questions/{QUESTION_ID}/confirm", 410, "link-expired")
    reply = client.post(CONFIRM, data=form(client, f"{CONFIRM}?t={token}", t=token))
    assert reply.status_code == 410 and "This link has expired" in text(reply) and 'href="/ambassadors"' in text(reply)


def test_a_refused_link_and_no_link_at_all(client, gateway):
    token = link_token()
    gateway.problem("POST", f"{API}/ambassadors/questions/{QUESTION_ID}/confirm", 403, "forbidden")
    reply = client.post(CONFIRM, data=form(client, f"{CONFIRM}?t={token}", t=token))
    assert reply.status_code == 403 and "This link does not work" in text(reply)
    reply = client.get(f"{CONFIRM}?t=not-a-token")
    assert reply.status_code == 400 and "This link does not work" in text(reply)


# --------------------------------------------------------------------------- applying and my programme

def test_applying_sends_the_application(client, gateway):
    log_in(client, gateway, status="verified")
    gateway.on("GET", ME, 200, {"application": None, "ambassador": None})
    applications = f"{API}/ambassadors/applications"
    gateway.on("POST", applications, 201, {"application_id": "x" * 32, "status": "pending"})
    reply = client.post("/ambassadors/apply", data=form(
        client, "/ambassadors/apply", motivation="I want to help students from India.", **{
            "countries.0": "IN", "countries.1": "np", "countries.2": ""}, cities="Mumbai, Pune ",
        languages=["en", "hi"], languages_more="ta", faculty="medicine"))
    assert reply.status_code == 302 and reply.headers["Location"] == "/me/ambassador"
    assert gateway.sent("POST", applications)[0].json == {
        "motivation": "I want to help students from India.", "countries": ["IN", "NP"], "cities": ["Mumbai", "Pune"],
        "languages": ["en", "hi", "ta"], "faculty": "medicine"}


def test_an_application_the_api_refuses_is_explained(client, gateway):
    log_in(client, gateway)
    gateway.problem("POST", f"{API}/ambassadors/applications", 403, "forbidden", reason="not_verified")
    reply = client.post("/ambassadors/apply", data=form(client, "/ambassadors/asked", motivation="Hi",
                                                        languages=["en"], **{"countries.0": "IN"}))
    assert reply.status_code == 403 and "The alumni office has not verified your membership yet" in text(reply)
    reply = client.post("/ambassadors/apply", data=form(client, "/ambassadors/asked", motivation=""))
    body = text(reply)
    assert reply.status_code == 400
    assert "Choose at least one country." in body and "Choose at least one language." in body


@pytest.mark.parametrize("kind,said", [
    ("ambassadors-application-open", "You have already applied: the alumni office will answer your application."),
    ("ambassadors-already-ambassador", "You are already an ambassador.")])
def test_the_apis_conflicts_are_said_in_words(client, gateway, kind, said):
    log_in(client, gateway, status="verified")
    gateway.problem("POST", f"{API}/ambassadors/applications", 409, kind, detail="In the API's English.")
    reply = client.post("/ambassadors/apply", data=form(client, "/ambassadors/asked", motivation="Hi",
                                                        languages=["en"], **{"countries.0": "IN"}))
    assert reply.status_code == 409 and said in text(reply) and "In the API&#39;s English." not in text(reply)


def test_a_member_not_verified_yet_is_told_before_filling_the_form(client, gateway):
    log_in(client, gateway)
    gateway.problem("GET", ME, 403, "forbidden")  # the API's only refusal of /me/ambassador
    for path in ("/ambassadors/apply", "/me/ambassador"):
        reply = client.get(path)
        body = text(reply)
        assert reply.status_code == 403 and "The alumni office has not verified your membership yet" in body
        assert "Send my application" not in body and 'href="/ambassadors/apply"' not in body


@pytest.mark.parametrize("mine,said", [
    ({"application": {"status": "pending"}, "ambassador": None}, "You have already applied"),
    ({"application": {"status": "appointed"}, "ambassador": {"active": True, "term_ends": "2027-11-30"}},
     "You are already an ambassador."),
    ({"application": {"status": "appointed"}, "ambassador": {"active": False, "term_ends": "2099-01-01",
                                                             "ended_at": "2026-12-01T10:00:00+00:00"}}, None)])
def test_the_application_form_is_offered_only_to_who_may_apply(client, gateway, mine, said):
    log_in(client, gateway, status="verified")
    gateway.on("GET", ME, 200, mine)
    reply = client.get("/ambassadors/apply")
    body = text(reply)
    assert reply.status_code == 200
    if said:
        assert said in body and "Send my application" not in body
    else:  # the term the office ended: they may apply again
        assert "Send my application" in body
        assert 'href="/ambassadors/apply"' in text(client.get("/me/ambassador"))


def test_my_programme_shows_the_term_and_saves_the_listing(ambassador, gateway):
    gateway.on("GET", ME, 200, {"application": {"application_id": "x" * 32, "status": "appointed",
                                                "created_at": "2026-11-01T10:00:00+00:00", "countries": ["IN"]},
                                "ambassador": {"regions": [{"country": "IN", "cities": ["Mumbai"]}],
                                               "languages": ["en"], "term_starts": "2026-12-01",
                                               "term_ends": "2027-11-30", "listed": False,
                                               "public_fields": ["given_name"], "bio": {"bg": "", "en": "Hi"},
                                               "public_id": PUBLIC_ID, "active": True}})
    body = text(ambassador.get("/me/ambassador"))
    assert "Active ambassador" in body and "December 1, 2026 to November 30, 2027" in body
    assert 'href="/ambassadors/contacts"' in body and 'href="/ambassadors/activities"' in body
    assert 'name="public_fields" value="given_name" checked' in body
    gateway.on("PATCH", ME, 200, {})
    reply = ambassador.post("/me/ambassador", data=form(
        ambassador, "/me/ambassador", listed="on", public_fields=["given_name", "regions", "nonsense"],
        **{"bio.en": "I studied in Plovdiv.", "bio.bg": ""}))
    assert reply.headers["Location"] == "/me/ambassador"
    assert gateway.sent("PATCH", ME)[0].json == {"listed": True, "public_fields": ["given_name", "regions"],
                                                 "bio": {"bg": "", "en": "I studied in Plovdiv."}}
    gateway.problem("PATCH", ME, 422, "validation", errors={"bio": {"en": ["Longer than maximum length 1000."]}})
    body = text(ambassador.post("/me/ambassador", data=form(ambassador, "/me/ambassador", **{"bio.en": "x"})))
    assert 'id="f-bio-en-error-1">Enter at most 1000 characters.' in body


def test_a_member_without_the_programme_is_invited_to_apply(client, gateway):
    log_in(client, gateway)
    gateway.on("GET", ME, 200, {"application": None, "ambassador": None})
    body = text(client.get("/me/ambassador"))
    assert 'href="/ambassadors/apply"' in body and "My card in the ambassador finder" not in body
    assert 'href="/me/ambassador">Ambassadors</a>' in body  # the main navigation


# --------------------------------------------------------------------------- contacts and activities

def test_my_contacts_show_due_times_and_overdue_in_words(ambassador, gateway):
    gateway.on("GET", CONTACTS, 200, page([contact(overdue=True), contact(contact_id="d" * 32, name="Anna",
                                                                          kind="graduate_abroad", source="office")]))
    body = text(ambassador.get("/ambassadors/contacts"))
    assert gateway.sent("GET", CONTACTS)[0].params["state"] == "open"
    assert "Rahul" in body and "Answer by</dt><dd>December 7, 2026, 12:00 PM" in body and "Overdue" in body
    assert 'class="card overdue"' in body and "Graduate who moved abroad" in body
    assert f'href="/ambassadors/contacts/{CONTACT_ID}"' in body


@pytest.mark.parametrize("status,kind", [(404, "not-found"), (403, "forbidden")])
def test_a_member_who_is_no_ambassador_is_told(client, gateway, status, kind):
    log_in(client, gateway, member_id=AMBASSADOR)
    gateway.problem("GET", CONTACTS, status, kind)  # the API: no such ambassador (or not theirs)
    reply = client.get("/ambassadors/contacts")
    assert reply.status_code == 403 and "This page is for the university&#39;s ambassadors." in text(reply)
    assert 'href="/me/ambassador"' in text(reply)


def test_replying_and_logging_post_what_the_api_takes(ambassador, gateway):
    gateway.on("GET", CONTACTS, 200, page([contact()]))
    path = f"/ambassadors/contacts/{CONTACT_ID}"
    body = text(ambassador.get(path))
    assert "Is the English programme six years long?" in body and "Send my reply" in body and "Log my answer" in body
    gateway.on("POST", f"{CONTACTS}/{CONTACT_ID}/reply", 200, {})
    reply = ambassador.post(f"{path}/reply", data=form(ambassador, path, message="Yes, six years.", key="1" * 32))
    assert reply.headers["Location"] == "/ambassadors/contacts"
    sent = gateway.sent("POST", f"{CONTACTS}/{CONTACT_ID}/reply")[0]
    assert sent.json == {"message": "Yes, six years."} and sent.headers["Idempotency-Key"] == "1" * 32
    gateway.on("POST", f"{CONTACTS}/{CONTACT_ID}/log", 200, {})
    ambassador.post(f"{path}/log", data=form(ambassador, path, channel="phone", on="2026-12-06", note=""))
    assert gateway.sent("POST", f"{CONTACTS}/{CONTACT_ID}/log")[0].json == {"channel": "phone", "on": "2026-12-06",
                                                                            "note": None}
    reply = ambassador.post(f"{path}/reply", data=form(ambassador, path, message=" "))
    assert reply.status_code == 400 and 'id="f-message-error-1">This field is required.' in text(reply)
    assert ambassador.get(f"/ambassadors/contacts/{'e' * 32}").status_code == 404  # not mine


def test_a_contact_without_an_address_is_logged_not_replied_to(ambassador, gateway):
    gateway.on("GET", CONTACTS, 200, page([contact(kind="prospective_student", source="office", has_email=False)]))
    body = text(ambassador.get(f"/ambassadors/contacts/{CONTACT_ID}"))
    assert "They gave no email address" in body and "Send my reply" not in body and "Log my answer" in body


def test_logging_an_activity_sends_the_place_and_shows_problems_beside_the_fields(ambassador, gateway):
    gateway.on("GET", ACTIVITIES, 200, page([{"activity_id": "z" * 32, "kind": "school_talk", "on": "2026-11-20",
                                              "place": {"name": "DPS School", "city": "Pune", "country": "IN"},
                                              "people_reached": 120, "note": None}]))
    body = text(ambassador.get("/ambassadors/activities"))
    assert "A talk at a school" in body and "DPS School, Pune, India" in body and ">120<" in body
    gateway.on("POST", ACTIVITIES, 201, {"activity_id": "y" * 32})
    reply = ambassador.post("/ambassadors/activities", data=form(
        ambassador, "/ambassadors/activities", kind="fair", on="2026-12-01", people_reached="300", note="",
        **{"place.name": "Study fair", "place.city": "Delhi", "place.country": "IN"}))
    assert reply.headers["Location"] == "/ambassadors/activities"
    assert gateway.sent("POST", ACTIVITIES)[0].json == {
        "kind": "fair", "on": "2026-12-01", "place": {"name": "Study fair", "city": "Delhi", "country": "IN"},
        "people_reached": 300, "note": None}
    gateway.problem("POST", ACTIVITIES, 422, "validation", errors={
        "on": ["Must not be in the future."], "place": {"country": ["Must be an ISO 3166-1 code."]}})
    reply = ambassador.post("/ambassadors/activities", data=form(
        ambassador, "/ambassadors/activities", kind="fair", on="2030-01-01", people_reached="3",
        **{"place.name": "Study fair", "place.country": "XX"}))
    body = text(reply)
    assert reply.status_code == 422 and 'href="#f-place-country"' in body
    assert 'id="f-place-country-error-1">Choose a country from the list.' in body
    assert 'id="f-on-error-1">Choose today or a day before.' in body
    reply = ambassador.post("/ambassadors/activities", data=form(
        ambassador, "/ambassadors/activities", kind="fair", on="2026-12-01", people_reached="many",
        **{"place.country": "IN"}))
    body = text(reply)
    assert reply.status_code == 400 and "Enter a whole number." in body
    assert 'id="f-place-name-error-1">This field is required.' in body  # the API needs the place's name
    assert len(gateway.sent("POST", ACTIVITIES)) == 2


# --------------------------------------------------------------------------- every form, every language

@pytest.mark.parametrize("path", [
    ASK, CONFIRM, "/ambassadors/apply", "/me/ambassador", f"/ambassadors/contacts/{CONTACT_ID}/reply",
    f"/ambassadors/contacts/{CONTACT_ID}/log", "/ambassadors/activities"])
def test_every_form_needs_its_csrf_token(ambassador, gateway, path):
    before = len(gateway.calls)
    reply = ambassador.post(path, data={"t": link_token(), "message": "x", "privacy_accepted": "on", **QUESTION})
    assert reply.status_code == 400 and "Please send the form again" in text(reply)
    assert gateway.calls[before:] == []


@pytest.mark.parametrize("path,heading", [
    ("/ambassadors", "Попитайте студент или випускник на университета"), (ASK, "Попитайте посланик"),
    ("/ambassadors/asked", "Проверете имейла си"), (f"{CONFIRM}?t={link_token()}", "Потвърдете въпроса си"),
    ("/ambassadors/apply", "Кандидатствайте за посланик"), ("/me/ambassador", "Моята посланическа програма"),
    ("/ambassadors/contacts", "Моите контакти"), (f"/ambassadors/contacts/{CONTACT_ID}", "Rahul"),
    ("/ambassadors/activities", "Моите дейности")])
def test_every_page_reads_in_bulgarian(client, gateway, path, heading):
    log_in(client, gateway, member_id=AMBASSADOR, status="verified", language="bg")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "bg"
    gateway.on("GET", FINDER, 200, page([FULL_CARD]))
    gateway.on("GET", ME, 200, {"application": None, "ambassador": {
        "regions": [{"country": "IN", "cities": []}], "languages": ["en"], "term_starts": "2026-12-01",
        "term_ends": "2027-11-30", "listed": True, "public_fields": [], "bio": {}, "public_id": PUBLIC_ID,
        "active": True}})
    if path == "/ambassadors/apply":  # applying is for those who are no ambassador yet
        gateway.on("GET", ME, 200, {"application": None, "ambassador": None})
    gateway.on("GET", CONTACTS, 200, page([contact()]))
    gateway.on("GET", ACTIVITIES, 200, page([]))
    reply = client.get(path)
    body = text(reply)
    assert reply.status_code == 200 and '<html lang="bg">' in body and f"<h1>{heading}</h1>" in body
