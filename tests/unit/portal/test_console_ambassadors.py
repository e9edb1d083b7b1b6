"""The office's ambassador pages against a fake members API: the applications waiting and the
roster, the appoint form proposed from the application and the body it sends, the decline's
reason, ending a term, assigning a contact, the report's table and its CSV passed through as
it comes; every form carries its CSRF token, the pages read in Bulgarian, and only admins
are let in."""
from __future__ import annotations

import pytest

from frontends.portal.ambassadors import present
from tests.unit.portal.conftest import log_in
from tests.unit.portal.test_console_mentoring import rows_of
from tests.unit.portal.test_mentoring import form, text

API = "/api/v1/members"
APPLICATIONS = f"{API}/ambassadors/applications"
ROSTER = f"{API}/ambassadors"
REPORT = f"{API}/ambassadors/report"
PRIYA, IVAN, APPLICATION_ID = "a" * 32, "b" * 32, "x" * 32
APPLICATION_PAGE = f"/office/ambassadors/applications/{APPLICATION_ID}"


def page(items: list) -> dict:
    return {"items": items, "page": 1, "per_page": 100, "total": len(items)}


def application(**changes) -> dict:
    return {"application_id": APPLICATION_ID, "member_id": PRIYA, "status": "pending",
            "member": {"member_id": PRIYA, "given_name": "Priya", "family_name": "Sharma", "preferred_language": "en"},
            "motivation": "I want to help students from India.", "countries": ["IN"], "cities": ["Mumbai", "Pune"],
            "languages": ["en", "hi"], "faculty": "medicine", "created_at": "2026-11-01T10:00:00+00:00", **changes}


def ambassador(**changes) -> dict:
    return {"member_id": IVAN, "member": {"member_id": IVAN, "given_name": "Иван", "family_name": "Колев"},
            "regions": [{"country": "DE", "cities": ["Berlin"]}], "languages": ["bg", "de"],
            "term_starts": "2026-01-01", "term_ends": "2026-12-31", "active": True, "listed": True,
            "public_id": "p" * 24, **changes}


@pytest.fixture
def office(admin, gateway):
    gateway.on("GET", APPLICATIONS, 200, page([application()]))
    gateway.on("GET", ROSTER, 200, page([ambassador(), ambassador(member_id="c" * 32, active=False, listed=False,
                                                                  member={})]))
    return admin


def test_the_page_lists_the_applications_waiting_and_the_roster(office, gateway):
    body = text(office.get("/office/ambassadors"))
    assert gateway.sent("GET", APPLICATIONS)[0].params["status"] == "pending"
    assert gateway.sent("GET", ROSTER)[0].params["active"] == "true"
    [waiting] = rows_of(body, "applications")
    assert "Priya Sharma" in waiting and "India" in waiting and "English, Hindi" in waiting
    assert f'href="{APPLICATION_PAGE}"' in waiting
    ivan, ended = rows_of(body, "roster")
    assert "Иван Колев" in ivan and "Germany (Berlin)" in ivan and "Listed" in ivan
    assert f'href="/office/ambassadors/{IVAN}/contacts/new"' in ivan and "End the term today" in ivan
    assert 'class="ended"' in ended and "Erased member" in ended and "End the term today" not in ended


def test_the_roster_filters_are_sent(office, gateway):
    office.get("/office/ambassadors?country=de&active=false")
    params = gateway.sent("GET", ROSTER)[-1].params
    assert params["country"] == "DE" and "active" not in params


def test_the_appoint_form_is_proposed_from_the_application_and_sends_the_regions(office, gateway):
    body = text(office.get(APPLICATION_PAGE))
    assert "I want to help students from India." in body
    assert '<option value="IN" selected>India</option>' in body and 'value="Mumbai, Pune"' in body
    assert f'value="{present.today()}"' in body  # today in Sofia (the university's day)
    assert 'name="languages" value="hi" checked' in body
    appoint = f"{APPLICATIONS}/{APPLICATION_ID}/appoint"
    gateway.on("POST", appoint, 200, {"member_id": PRIYA})
    reply = office.post(f"{APPLICATION_PAGE}/appoint", data=form(office, APPLICATION_PAGE, rows="2", **{
        "regions.0.country": "IN", "regions.0.cities": "Mumbai, Pune", "regions.1.country": "np",
        "regions.1.cities": ""}, languages=["en", "hi"], term_starts="2027-01-01", term_ends="2027-12-31"))
    assert reply.headers["Location"] == "/office/ambassadors"
    assert gateway.sent("POST", appoint)[0].json == {
        "regions": [{"country": "IN", "cities": ["Mumbai", "Pune"]}, {"country": "NP", "cities": []}],
        "languages": ["en", "hi"], "term_starts": "2027-01-01", "term_ends": "2027-12-31"}
    assert "Priya Sharma is appointed." in text(office.get("/office/ambassadors"))


def test_the_apis_problems_land_beside_the_appoint_forms_fields(office, gateway):
    gateway.problem("POST", f"{APPLICATIONS}/{APPLICATION_ID}/appoint", 422, "validation", errors={
        "regions": {"0": {"country": ["Must be an ISO 3166-1 code."]}}, "term_ends": ["Must be after term_starts."]})
    reply = office.post(f"{APPLICATION_PAGE}/appoint", data=form(office, APPLICATION_PAGE, rows="1", **{
        "regions.0.country": "XX"}, languages=["en"], term_starts="2027-01-01", term_ends="2026-01-01"))
    body = text(reply)
    assert reply.status_code == 422 and 'href="#f-regions-0-country"' in body and 'href="#f-term_ends"' in body
    assert 'id="f-regions-0-country-error-1">Choose a country from the list.' in body
    reply = office.post(f"{APPLICATION_PAGE}/appoint", data=form(office, APPLICATION_PAGE, rows="1"))
    assert reply.status_code == 400 and "Choose at least one country." in text(reply)


def test_declining_needs_a_reason_and_sends_it(office, gateway):
    decline = f"{APPLICATIONS}/{APPLICATION_ID}/decline"
    gateway.on("POST", decline, 200, {})
    reply = office.post(f"{APPLICATION_PAGE}/decline", data=form(office, APPLICATION_PAGE, reason=""))
    assert reply.status_code == 400 and "Say why: the applicant reads it." in text(reply)
    reply = office.post(f"{APPLICATION_PAGE}/decline", data=form(office, APPLICATION_PAGE, reason="Not this year."))
    assert reply.headers["Location"] == "/office/ambassadors"
    assert gateway.sent("POST", decline)[0].json == {"reason": "Not this year."}


def test_an_application_answered_meanwhile_sends_the_office_back(office, gateway):
    gateway.on("GET", APPLICATIONS, 200, page([]))
    reply = office.get(APPLICATION_PAGE)
    assert reply.headers["Location"] == "/office/ambassadors"
    assert "This application is no longer waiting" in text(office.get("/office/ambassadors"))


def test_ending_a_term(office, gateway):
    end = f"{ROSTER}/{IVAN}/end"
    gateway.on("POST", end, 200, ambassador(active=False))
    reply = office.post(f"/office/ambassadors/{IVAN}/end", data=form(office, "/office/ambassadors"))
    assert reply.headers["Location"] == "/office/ambassadors" and len(gateway.sent("POST", end)) == 1


def test_assigning_a_contact(office, gateway):
    path = f"/office/ambassadors/{IVAN}/contacts/new"
    contacts = f"{ROSTER}/{IVAN}/contacts"
    gateway.on("GET", contacts, 200, page([{"contact_id": "d" * 32, "kind": "graduate_abroad", "name": "Anna",
                                            "due_at": "2026-12-07T10:00:00+00:00", "overdue": True}]))
    body = text(office.get(path))
    assert "Assign a contact to Иван Колев" in body and "Anna" in body and "Overdue" in body
    assert 'value="finder_question"' not in body  # the finder's questions come from the finder only
    gateway.on("POST", contacts, 201, {"contact_id": "e" * 32})
    reply = office.post(path, data=form(office, path, name="Georgi", email="", kind="new_international_student",
                                        country="de", language="bg", note="Arrives in Plovdiv in September.",
                                        reply_target_h="24"))
    assert reply.headers["Location"] == "/office/ambassadors"
    assert gateway.sent("POST", contacts)[0].json == {
        "name": "Georgi", "email": None, "kind": "new_international_student", "country": "DE", "language": "bg",
        "note": "Arrives in Plovdiv in September.", "reply_target_h": 24}
    reply = office.post(path, data=form(office, path, name="", kind="", country="", language="", note="",
                                        reply_target_h="soon"))
    assert reply.status_code == 400 and 'id="f-reply_target_h-error-1">Enter a whole number.' in text(reply)
    assert office.get(f"/office/ambassadors/{'f' * 32}/contacts/new").headers["Location"] == "/office/ambassadors"


def test_the_report_shows_the_apis_figures(office, gateway):
    gateway.on("GET", REPORT, 200, {"rows": [
        {"member_id": IVAN, "name": "Иван Колев", "country": "DE", "contacts": 4, "replied": 3,
         "replied_within_target": 2, "median_reply_hours": 30.5, "activities": {"fair": 2, "school_talk": 1},
         "people_reached": 450},
        {"member_id": PRIYA, "name": None, "country": "IN", "contacts": 0, "replied": 0, "replied_within_target": 0,
         "median_reply_hours": None, "activities": {}, "people_reached": 0}]})
    body = text(office.get("/office/ambassadors/report?from=2026-01-01&to=2026-12-31&x=1"))
    assert gateway.sent("GET", REPORT)[0].params == {"from": "2026-01-01", "to": "2026-12-31"}
    ivan, erased = rows_of(body, "report")
    assert "Иван Колев" in ivan and "Germany" in ivan and ">4<" in ivan and ">2<" in ivan and "30.5 h" in ivan
    assert ">450<" in ivan and "Erased member" in erased and "–" in erased
    assert 'href="/office/ambassadors/report.csv?from=2026-01-01&amp;to=2026-12-31"' in body


def test_a_period_the_api_refuses_is_said_beside_its_dates(office, gateway):
    gateway.problem("GET", REPORT, 422, "validation", errors={"to": ["Must not be before from."]})
    reply = office.get("/office/ambassadors/report?from=2026-12-31&to=2026-01-01")
    assert reply.status_code == 400 and 'id="f-to-error-1">Must not be before from.' in text(reply)


def test_the_report_csv_is_passed_through_with_its_bom(office, gateway):
    body = "\ufeffmember_id,name\r\nabc,'=cmd\r\n".encode()
    gateway.on("GET", f"{REPORT}.csv", 200, content=body, headers={"Content-Type": "text/csv; charset=utf-8"})
    reply = office.get("/office/ambassadors/report.csv?from=2026-01-01")
    assert reply.status_code == 200 and reply.data == body and reply.data.startswith(b"\xef\xbb\xbf")
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in reply.headers["Content-Disposition"]
    assert gateway.sent("GET", f"{REPORT}.csv")[0].params == {"from": "2026-01-01"}


def test_the_office_links_the_programme(office, gateway):
    assert 'href="/office/ambassadors"' in text(office.get("/office"))


@pytest.mark.parametrize("path", [
    f"{APPLICATION_PAGE}/appoint", f"{APPLICATION_PAGE}/decline", f"/office/ambassadors/{IVAN}/end",
    f"/office/ambassadors/{IVAN}/contacts/new"])
def test_every_form_needs_its_csrf_token(office, gateway, path):
    before = len(gateway.calls)
    reply = office.post(path, data={"reason": "x", "name": "x"})
    assert reply.status_code == 400 and "Please send the form again" in text(reply)
    assert gateway.calls[before:] == []


@pytest.mark.parametrize("path,heading", [
    ("/office/ambassadors", "Посланическа програма"), (APPLICATION_PAGE, "Кандидатура на Priya Sharma"),
    (f"/office/ambassadors/{IVAN}/contacts/new", "Възложете контакт на Иван Колев"),
    ("/office/ambassadors/report", "Отчет за посланиците")])
def test_every_page_reads_in_bulgarian(office, gateway, path, heading):
    gateway.on("GET", f"{ROSTER}/{IVAN}/contacts", 200, page([]))
    gateway.on("GET", REPORT, 200, {"rows": []})
    office.get("/language/bg")
    reply = office.get(path)
    assert reply.status_code == 200 and '<html lang="bg">' in text(reply) and f"<h1>{heading}</h1>" in text(reply)


@pytest.mark.parametrize("roles", [("alumnus",), ("staff",)])
def test_only_the_office_may_open_them(client, gateway, roles):
    log_in(client, gateway, roles=roles)
    for path in ("/office/ambassadors", APPLICATION_PAGE, "/office/ambassadors/report",
                 "/office/ambassadors/report.csv", f"/office/ambassadors/{IVAN}/contacts/new"):
        assert client.get(path).status_code == 403
    assert gateway.sent("GET", ROSTER) == [] and gateway.sent("GET", f"{REPORT}.csv") == []
