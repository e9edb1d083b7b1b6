"""The ambassador pages against the real members service (its app under Flask's test client on
the session's local store, its clock fixed): what the pages send is what the ambassadors API
takes, and what it answers is what the pages show.

Priya, an international student of the English programme, applies through the form; the office
appoints her for India from the application's page (the appoint form, the term typed); she
chooses what her card in the finder shows. A visitor without a login filters the finder by
country and language and sees only the fields she made public, then asks her a question; the
email's confirmation link (a real token, signed with the app's key) shows a button and decides
nothing on a GET; the button confirms. The question is on her contacts page and its own page;
she replies through the platform, logs an office contact answered by phone and logs a school
talk. The office assigns the contact from the roster and reads the report and its CSV.
"""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from shared.clock import FixedClock
from shared.decisionlink import ASKER_CONFIRMATION
from tests.conftest import LINK_KEY
from tests.support import signed_up_id
from tests.unit.ambassadors.conftest import NOW
# The portal on the bridge to this module's ``members`` app, and its browsers (in English).
from tests.unit.portal.test_mentoring_with_the_members_service import browser, portal, post, text  # noqa: F401

M = "/api/v1/members"
ADMIN = "a" * 32
TODAY = NOW.date().isoformat()


@pytest.fixture
def members(app, issue_token):
    """The members app at NOW (the mentoring bridge's ``portal`` fixture takes it by name),
    ``members.person(roles, verified=True, **fields)``: a member made through its API (approved
    by the office unless ``verified=False``) with a bearer token, and ``members.admin``."""
    app.extensions["alumnet"].clock = FixedClock(NOW)
    client = app.test_client()
    admin = {"Authorization": f"Bearer {issue_token(ADMIN, 'admin')}"}
    numbers = itertools.count(1)

    def person(roles=("alumnus",), verified=True, **fields) -> dict:
        member_id = signed_up_id(client, {
            "email": f"person{next(numbers)}@example.bg", "preferred_language": "en",
            "consent": {"email": True, "sms": False}, **fields})
        if verified:
            assert client.post(f"{M}/{member_id}/approve", json={}, headers=admin).status_code == 200
        return {"id": member_id, "token": issue_token(member_id, *roles), "roles": list(roles)}

    client.person = person
    client.admin = {"id": ADMIN, "token": issue_token(ADMIN, "admin"), "roles": ["admin"]}
    return client


def card_of(page: str) -> str:
    [card] = re.findall(r'<li class="card ambassador">.*?</li>', page, re.S)
    return card


def test_an_ambassador_from_the_application_to_the_report(portal, members, app):
    db = app.extensions["alumnet"].store.db
    priya = members.person(("student",), given_name="Priya", family_name="Sharma", is_student=True,
                           faculty="medicine", programme="Medicine (English)", city="Mumbai", country="IN",
                           languages=["en", "hi"])
    student, office, visitor = browser(portal, priya), browser(portal, members.admin), browser(portal)

    # Priya applies: the countries, cities and languages she ticks are what the API keeps.
    assert "Send my application" in text(student.get("/ambassadors/apply"))
    application = {"motivation": "I want to help students from India choose Plovdiv.", "countries.0": "IN",
                   "cities": "Mumbai, Pune", "languages": ["en", "hi"], "faculty": "medicine"}
    response = post(student, "/ambassadors/apply", {**application, "motivation": " "})
    assert response.status_code == 400 and 'id="f-motivation-error-1">This field is required.' in text(response)
    response = post(student, "/ambassadors/apply", application)
    assert response.status_code == 302 and response.headers["Location"] == "/me/ambassador", text(response)
    stored = db.ambassador_applications.find_one({"member_id": priya["id"]})
    assert stored["status"] == "pending" and stored["countries"] == ["IN"] and stored["cities"] == ["Mumbai", "Pune"]
    page = text(student.get("/me/ambassador"))
    assert "Waiting for the alumni office" in page and "India" in page and "February 1, 2027" in page
    # A second application while the first waits: the page says so, and so does the API (a 409).
    page = text(student.get("/ambassadors/apply"))
    assert "You have already applied" in page and "Send my application" not in page
    response = post(student, "/ambassadors/apply", application)
    assert response.status_code == 409 and "You have already applied" in text(response)

    # The office appoints her from the application's page; the term is typed.
    page = text(office.get("/office/ambassadors"))
    assert "Priya Sharma" in page and "February 1, 2027" in page
    application_path = f"/office/ambassadors/applications/{stored['_id']}"
    assert f'href="{application_path}"' in page
    page = text(office.get(application_path))
    assert "I want to help students from India choose Plovdiv." in page and 'value="Mumbai, Pune"' in page
    response = post(office, f"{application_path}/appoint", {
        "rows": "2", "regions.0.country": "IN", "regions.0.cities": "Mumbai, Pune", "regions.1.country": "",
        "regions.1.cities": "", "languages": ["en", "hi"], "term_starts": TODAY, "term_ends": "2027-01-01"},
        form_path=application_path)
    assert response.status_code == 422 and 'id="f-term_ends-error-1">The term ends after it starts.' in text(response)
    response = post(office, f"{application_path}/appoint", {
        "rows": "2", "regions.0.country": "IN", "regions.0.cities": "Mumbai, Pune", "regions.1.country": "",
        "regions.1.cities": "", "languages": ["en", "hi"], "term_starts": TODAY, "term_ends": "2028-01-31"},
        form_path=application_path)
    assert response.status_code == 302, text(response)
    ambassador = db.ambassadors.find_one({"_id": priya["id"]})
    assert ambassador["regions"] == [{"country": "IN", "cities": ["Mumbai", "Pune"]}]
    assert ambassador["term_ends"] == "2028-01-31" and not ambassador["listed"]
    page = text(office.get("/office/ambassadors"))
    assert "No application is waiting." in page and "India (Mumbai, Pune)" in page and "Not listed" in page

    # She lists herself: her given name, her bio and her regions; not her family name or programme.
    page = text(student.get("/me/ambassador"))
    assert "Active ambassador" in page and "February 1, 2027 to January 31, 2028" in page
    assert 'name="public_fields" value="given_name" checked' in page
    response = post(student, "/me/ambassador", {
        "listed": "on", "public_fields": ["given_name", "bio", "regions"],
        "bio.en": "I study medicine in English in Plovdiv.", "bio.bg": "Уча медицина на английски в Пловдив."})
    assert response.status_code == 302, text(response)
    assert db.ambassadors.find_one({"_id": priya["id"]})["listed"] is True

    # A visitor finds her by country and language, and sees only what she made public.
    page = text(visitor.get("/ambassadors?country=in&language=en"))
    card = card_of(page)
    assert "Priya" in card and "India (Mumbai, Pune)" in card and "I study medicine in English" in card
    for hidden in ("Sharma", "Medicine (English)", "Faculty", "Lives in", priya["id"], "@example.bg"):
        assert hidden not in page, hidden
    assert "No ambassador is listed for this choice yet." in text(visitor.get("/ambassadors?country=DE"))
    assert "No ambassador is listed for this choice yet." in text(visitor.get("/ambassadors?language=fr"))
    public_id = db.ambassadors.find_one({"_id": priya["id"]})["public_id"]
    ask = f"/ambassadors/{public_id}/ask"
    assert f'href="{ask}?country=IN&amp;language=en"' in page

    # The visitor asks her; the page says to check the email.
    page = text(visitor.get(f"{ask}?country=IN&language=en"))
    assert "Priya" in page and "Sharma" not in page
    question = {"name": "Rahul Mehta", "email": "Rahul@Example.in", "language": "en", "country": "IN",
                "message": "Is the English programme six years long?"}
    response = post(visitor, f"{ask}?country=IN&language=en", question)
    assert response.status_code == 400 and "Please accept the privacy notice" in text(response)
    response = post(visitor, f"{ask}?country=IN&language=en", {**question, "privacy_accepted": "on"})
    assert response.status_code == 302 and response.headers["Location"] == "/ambassadors/asked", text(response)
    asked = db.ambassador_questions.find_one({"member_id": priya["id"]})
    assert asked["state"] == "pending_confirmation" and asked["asker"]["email"] == "rahul@example.in"

    # The email's link: the GET shows the button and confirms nothing; the button confirms, once.
    deadline = asked["confirm_until"]
    deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=NOW.tzinfo)
    token = ASKER_CONFIRMATION.make_token(LINK_KEY, "", asked["_id"], "confirm", deadline)
    link = ASKER_CONFIRMATION.page.format(id=asked["_id"]) if "{id}" in ASKER_CONFIRMATION.page else None
    confirm = f"/ambassadors/questions/{asked['_id']}/confirm"
    assert link is None or link.split("?")[0] == confirm
    page = text(visitor.get(f"{confirm}?t={token}"))
    assert "Confirm and send my question" in page and "February 4, 2027" in page
    assert db.ambassador_questions.find_one({"_id": asked["_id"]})["state"] == "pending_confirmation"
    assert db.ambassador_contacts.count_documents({}) == 0
    response = post(visitor, confirm, {"t": token}, form_path=f"{confirm}?t={token}")
    assert response.status_code == 200 and "Your question is on its way" in text(response)
    again = post(visitor, confirm, {"t": token}, form_path=f"{confirm}?t={token}")
    assert again.status_code == 200 and "Your question is on its way" in text(again)
    assert db.ambassador_contacts.count_documents({"member_id": priya["id"]}) == 1
    forged = post(visitor, confirm, {"t": token[:-4] + "AAAA"}, form_path=f"{confirm}?t={token}")
    assert forged.status_code == 403 and "This link does not work" in text(forged)

    # The question is on her contacts page and its own page, without the asker's address.
    page = text(student.get("/ambassadors/contacts"))
    finder_contact = db.ambassador_contacts.find_one({"member_id": priya["id"]})
    contact_path = f"/ambassadors/contacts/{finder_contact['_id']}"
    assert "Rahul Mehta" in page and "Question from the ambassador finder" in page
    assert "Answer by</dt><dd>February 3, 2027" in page and f'href="{contact_path}"' in page
    page = text(student.get(contact_path))
    assert "Is the English programme six years long?" in page and "rahul@example.in" not in page
    assert "Send my reply" in page and "Log my answer" in page
    response = post(student, f"{contact_path}/reply", {"message": "Yes: six years, in English."},
                    form_path=contact_path)
    assert response.status_code == 302 and response.headers["Location"] == "/ambassadors/contacts", text(response)
    replied = db.ambassador_contacts.find_one({"_id": finder_contact["_id"]})
    assert replied["state"] == "replied" and replied["via"] == "reply" and replied["within_target"] is True
    assert "Nobody is waiting for your answer." in text(student.get("/ambassadors/contacts"))
    assert "Rahul Mehta" in text(student.get("/ambassadors/contacts?state=replied"))

    # The office assigns her a contact from the roster.
    page = text(office.get("/office/ambassadors"))
    assign = f"/office/ambassadors/{priya['id']}/contacts/new"
    assert f'href="{assign}"' in page
    page = text(office.get(assign))
    assert "Assign a contact to Priya Sharma" in page
    office_contact = {"name": "Anita Rao", "email": "", "kind": "new_international_student", "country": "IN",
                      "language": "en", "note": "Arrives in September; call her on +91 22 5555 0100.",
                      "reply_target_h": "24"}
    response = post(office, assign, {**office_contact, "kind": ""})
    assert response.status_code == 400 and 'id="f-kind-error-1">This field is required.' in text(response)
    response = post(office, assign, office_contact)
    assert response.status_code == 302, text(response)
    assigned = db.ambassador_contacts.find_one({"name": "Anita Rao"})
    assert assigned["source"] == "office" and assigned["email"] is None
    assert assigned["due_at"].replace(tzinfo=NOW.tzinfo) == NOW + timedelta(hours=24)
    assert "Anita Rao" in text(office.get(assign))

    # She answered Anita by phone: she logs it (a day in the future is refused beside the field).
    page = text(student.get("/ambassadors/contacts"))
    anita_path = f"/ambassadors/contacts/{assigned['_id']}"
    assert "Anita Rao" in page and "New international student" in page and f'href="{anita_path}"' in page
    page = text(student.get(anita_path))
    assert "Arrives in September" in page and "They gave no email address" in page and "Send my reply" not in page
    response = post(student, f"{anita_path}/log", {"channel": "phone", "on": "2027-02-02", "note": ""},
                    form_path=anita_path)
    assert response.status_code == 422 and 'id="f-on-error-1">Choose today or a day before.' in text(response)
    response = post(student, f"{anita_path}/log", {"channel": "phone", "on": TODAY, "note": "We spoke for 20 min."},
                    form_path=anita_path)
    assert response.status_code == 302, text(response)
    logged = db.ambassador_contacts.find_one({"_id": assigned["_id"]})
    assert logged["state"] == "replied" and logged["via"] == "logged"

    # She logs a school talk.
    response = post(student, "/ambassadors/activities", {
        "kind": "school_talk", "on": TODAY, "place.name": "DPS School", "place.city": "Pune", "place.country": "IN",
        "people_reached": "120", "note": ""})
    assert response.status_code == 302, text(response)
    page = text(student.get("/ambassadors/activities"))
    assert "A talk at a school" in page and "DPS School, Pune, India" in page and ">120<" in page
    response = post(student, "/ambassadors/activities", {
        "kind": "fair", "on": "2027-03-01", "place.name": "Study fair", "place.city": "", "place.country": "IN",
        "people_reached": "300", "note": ""})
    assert response.status_code == 422 and 'id="f-on-error-1">Choose today or a day before.' in text(response)
    assert db.ambassador_activities.count_documents({"member_id": priya["id"]}) == 1

    # The office's report: India, two contacts answered within the target, one school talk.
    page = text(office.get("/office/ambassadors/report"))
    row = re.search(r"<tr><th scope=\"row\">.*?Priya Sharma.*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="number">([^<]*)</td>', row)
    assert "India" in row and cells[:3] == ["2", "2", "2"] and cells[-1] == "120"
    assert cells[4 + list(("conversation", "school_talk", "fair", "referral", "event_hosted")).index("school_talk")] \
        == "1"
    csv = office.get("/office/ambassadors/report.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("member_id,name,country,contacts,replied")
    assert any(line.startswith(f"{priya['id']},Priya Sharma,IN,2,2,2,") for line in lines[1:]), lines


def test_the_programme_says_who_it_is_not_for_and_the_office_declines_and_ends(portal, members, app):
    db = app.extensions["alumnet"].store.db
    newcomer = members.person(given_name="Georgi", family_name="Dimov", verified=False)
    anna = members.person(given_name="Anna", family_name="Petrova", graduation_year=2010)
    page = browser(portal, newcomer)
    for path in ("/ambassadors/apply", "/me/ambassador"):
        response = page.get(path)
        assert response.status_code == 403 and "The alumni office has not verified your membership yet" in text(
            response), path
        assert "Send my application" not in text(response) and 'href="/ambassadors/apply"' not in text(response)

    # Anna is no ambassador: her duties' pages say what they are for.
    member = browser(portal, anna)
    for path in ("/ambassadors/contacts", "/ambassadors/activities", f"/ambassadors/contacts/{'c' * 32}"):
        response = member.get(path)
        assert response.status_code == 403 and "This page is for the university&#39;s ambassadors." in text(
            response), path

    # She applies; the office declines with a reason she reads on her page.
    response = post(member, "/ambassadors/apply", {"motivation": "I live in Berlin.", "countries.0": "DE",
                                                   "cities": "", "languages": ["de"], "faculty": ""})
    assert response.status_code == 302, text(response)
    application_id = db.ambassador_applications.find_one({"member_id": anna["id"]})["_id"]
    office = browser(portal, members.admin)
    application_path = f"/office/ambassadors/applications/{application_id}"
    response = post(office, f"{application_path}/decline", {"reason": "Not this year: we have Germany covered."},
                    form_path=application_path)
    assert response.status_code == 302, text(response)
    page = text(member.get("/me/ambassador"))
    assert "Declined" in page and "Not this year: we have Germany covered." in page
    assert 'href="/ambassadors/apply"' in page
    # The declined application's page is gone from the office's list.
    assert office.get(application_path).status_code == 302

    # She applies again, is appointed with the application's defaults, lists herself; the office
    # ends her term and she leaves the finder at once.
    assert post(member, "/ambassadors/apply", {"motivation": "I live in Berlin now.", "countries.0": "DE",
                                               "cities": "Berlin", "languages": ["de", "en"]}).status_code == 302
    application_id = db.ambassador_applications.find_one({"member_id": anna["id"], "status": "pending"})["_id"]
    application_path = f"/office/ambassadors/applications/{application_id}"
    page = text(office.get(application_path))
    assert '<option value="DE" selected>' in page and 'value="Berlin"' in page
    response = post(office, f"{application_path}/appoint", {
        "rows": "2", "regions.0.country": "DE", "regions.0.cities": "Berlin", "languages": ["de", "en"],
        "term_starts": TODAY, "term_ends": "2027-12-31"}, form_path=application_path)
    assert response.status_code == 302, text(response)
    assert post(member, "/me/ambassador", {"listed": "on", "public_fields": ["given_name", "languages"]}).status_code \
        == 302
    assert "Anna" in card_of(text(browser(portal).get("/ambassadors?country=DE")))
    response = post(office, f"/office/ambassadors/{anna['id']}/end", {}, form_path="/office/ambassadors")
    assert response.status_code == 302
    assert "No ambassador is listed for this choice yet." in text(browser(portal).get("/ambassadors?country=DE"))
    page = text(member.get("/me/ambassador"))
    assert "Term ended" in page and 'href="/ambassadors/contacts"' not in page
    # Her term over, she may apply again (the API agrees).
    assert 'href="/ambassadors/apply"' in page and "Send my application" in text(member.get("/ambassadors/apply"))
    assert post(member, "/ambassadors/apply", {"motivation": "Again, please.", "countries.0": "DE",
                                               "languages": ["de"]}).status_code == 302
    assert "You have already applied" in text(member.get("/ambassadors/apply"))
