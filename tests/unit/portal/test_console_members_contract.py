"""The office's member pages against the real members app (not a fake): what the portal sends
is what the members API accepts, and what it answers is what the pages read. The portal's
HTTP calls are prepared by ``requests`` exactly as over the wire (multipart uploads, repeated
query parameters, JSON) and handed to the members app's test client."""
from __future__ import annotations

import io
import re
import time
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.fernet import Fernet

from frontends.portal.app import create_app as create_portal
from frontends.portal.settings import PortalSettings
from tests.support import signed_up_id

ADMIN_ID = "b" * 32
CSV = ("Факултетен номер;Име;Фамилия;Випуск;Факултет;Бележка\r\n"
       "МФ1001;Петя;Петрова;2004;Медицински факултет;\r\n"
       "МФ1002;Иван;Иванов;2005;Фармация;\r\n"
       "МФ1001;Петя;Петрова;2004;Медицински факултет;повторен\r\n"
       "ФФ9;Ана;Антонова;1900;Фармация;\r\n")


class MembersTransport:
    """The portal's gateway transport, answered by the members app."""

    def __init__(self, client):
        self.client = client

    def request(self, method, url, headers=None, json=None, params=None, data=None, files=None, timeout=None,
                allow_redirects=True):
        prepared = requests.Request(method, url, headers=headers, json=json, params=params, data=data,
                                    files=files).prepare()
        split = urlsplit(prepared.url)
        answer = self.client.open(split.path, method=method, query_string=split.query, data=prepared.body,
                                  headers=dict(prepared.headers))
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response._content = answer.data
        return response


@pytest.fixture
def office(app, issue_token):
    """A browser signed in to the portal as an admin, the portal talking to the members app."""
    portal = create_portal(PortalSettings(api_url="http://gateway.test", session_key=Fernet.generate_key().decode(),
                                          dev_mode=False, api_timeout_s=5, trusted_proxies=1,
                                          dev_outbox_dir="/nonexistent"),
                           transport=MembersTransport(app.test_client()))
    browser = portal.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with browser.session_transaction() as session:
        session["auth"] = {"access_token": issue_token(ADMIN_ID, "admin"), "refresh_token": "unused",
                           "expires_at": time.time() + 900, "member_id": ADMIN_ID, "roles": ["admin"], "name": "Office"}
    return browser


def token(browser) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/office/roster").get_data(as_text=True)).group(1)


def test_a_roster_is_checked_then_imported_and_its_report_read(office, db):
    response = office.post("/office/roster", data={"csrf_token": token(office), "action": "check",
                                                   "file": (io.BytesIO(CSV.encode()), "vipusk.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert db.roster.count_documents({}) == 0  # a check writes nothing
    assert re.findall(r'<tr class="row-(\w+)">\s*<td>(\d+)</td>', page) == [
        ("rejected", "4"), ("rejected", "5"), ("created", "2"), ("created", "3")]
    assert "The same student number as row 2." in page and "Must be a year from 1945 to" in page
    assert "Бележка" in page
    carried = re.search(r'name="checked" value="([^"]*)"', page).group(1)

    response = office.post("/office/roster", data={"csrf_token": token(office), "action": "import",
                                                   "checked": carried, "filename": "vipusk.csv"},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.roster.count_documents({}) == 2
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported: 2 created, 0 updated, 0 unchanged, 2 rejected." in page and "vipusk.csv" in page
    listing = office.get("/office/roster").get_data(as_text=True)
    assert f'href="{response.headers["Location"]}"' in listing


def test_a_file_without_the_required_columns_is_named_at_the_field(office, db):
    response = office.post("/office/roster", data={"csrf_token": token(office), "action": "check",
                                                   "file": (io.BytesIO("Име;Фамилия\r\nА;Б\r\n".encode()), "x.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Columns missing: Student number, Graduation year, Faculty." in page and 'href="#f-file"' in page


def test_a_pending_sign_up_is_shown_beside_its_roster_entry_and_approved(office, app, db):
    office.post("/office/roster", data={"csrf_token": token(office), "action": "import",
                                        "file": (io.BytesIO(CSV.encode()), "vipusk.csv")}, content_type="multipart/form-data")
    member_id = signed_up_id(app.test_client(), {
        "given_name": "Петя", "family_name": "Петрова", "email": "petya@example.bg", "preferred_language": "bg",
        "consent": {"email": True, "sms": False}, "student_number": "мф 1001", "graduation_year": 2005,
        "faculty": "medicine"})
    page = office.get("/office/approvals").get_data(as_text=True)
    assert f'href="/office/members/{member_id}"' in page and "МФ1001" in page
    assert re.search(r'Graduation year</th>\s*<td>2005</td>\s*<td>2004 <strong title="differs">≠<span class="visually-hidden"> differs</span></strong>', page)

    response = office.post(f"/office/members/{member_id}/approve", data={"csrf_token": token(office),
                                                                         "back": "/office/approvals"})
    assert response.status_code == 302
    assert db.members.find_one({"_id": member_id})["status"] == "verified"
    assert "Петя Петрова is verified" in office.get("/office/approvals").get_data(as_text=True)

    response = office.post(f"/office/members/{member_id}", data={"csrf_token": token(office),
                                                                 "roles": ["alumnus", "staff"]})
    assert response.status_code == 302
    assert sorted(db.members.find_one({"_id": member_id})["roles"]) == ["alumnus", "staff"]


def test_a_rejection_needs_a_reason_and_sends_it(office, app, db):
    member_id = signed_up_id(app.test_client(), {
        "given_name": "John", "family_name": "Smith", "email": "john@example.com", "preferred_language": "en",
        "consent": {"email": True, "sms": False}})
    response = office.post(f"/office/members/{member_id}/reject", data={"csrf_token": token(office),
                                                                        "reason": "x" * 1001, "back": "/office/approvals"})
    assert response.status_code == 422 and "Enter " in response.get_data(as_text=True)
    response = office.post(f"/office/members/{member_id}/reject", data={"csrf_token": token(office),
                                                                        "reason": "Not on the roster.",
                                                                        "back": "/office/approvals"})
    assert response.status_code == 302
    assert db.members.find_one({"_id": member_id})["status"] == "rejected"


def test_a_segment_is_counted_live_saved_edited_and_deleted(office, app, db, issue_token):
    api = app.test_client()
    admin = {"Authorization": f"Bearer {issue_token(ADMIN_ID, 'admin')}"}
    people = [("Иванова", 2005, "medicine"), ("Петрова", 2005, "pharmacy"), ("Колева", 2010, "medicine"),
              ("Ангелова", 2005, "medicine")]
    for n, (family_name, year, faculty) in enumerate(people):
        member_id = signed_up_id(api, {"given_name": "Мария", "family_name": family_name, "email": f"p{n}@example.bg",
                                       "preferred_language": "bg", "consent": {"email": True, "sms": False},
                                       "graduation_year": year, "faculty": faculty})
        assert api.post(f"/api/v1/members/{member_id}/approve", json={}, headers=admin).status_code == 200
    # The last keeps her year from members and left the directory: the directory would not count
    # her, the segment does, and so must the live count.
    hidden = api.patch(f"/api/v1/members/{member_id}", headers={"Authorization": f"Bearer {issue_token(member_id, 'alumnus')}"},
                       json={"visibility": {"graduation_year": "private"}, "in_directory": False})
    assert hidden.status_code == 200, hidden.get_json()
    form = {"csrf_token": token(office), "name": "Випуск 2005, медици", "graduation_year_from": "2005",
            "graduation_year_to": "2005", "faculty": ["medicine", "dental_medicine"], "country": "", "city": "",
            "open_to_mentoring": ""}
    fragment = office.post("/office/segments/count", data=form).get_data(as_text=True)
    assert "2 verified members match these filters." in fragment
    assert "First by name: Мария Ангелова, Мария Иванова</p>" in fragment
    wider = office.post("/office/segments/count", data={**form, "faculty": ["medicine", "pharmacy"]}).get_data(as_text=True)
    assert "3 verified members match these filters." in wider
    refused = office.post("/office/segments/count", data={**form, "country": "XX"}).get_data(as_text=True)
    assert "Countries" in refused and "ISO 3166" in refused
    assert db.segments.count_documents({}) == 0  # counting saves nothing

    response = office.post("/office/segments/new", data={**form, "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: 2 verified members match it now." in page  # what the live count said
    segment_id = response.headers["Location"].rsplit("/", 1)[1]
    assert db.segments.find_one({"_id": segment_id})["filter"] == {
        "graduation_year_from": 2005, "graduation_year_to": 2005, "faculty": ["medicine", "dental_medicine"]}

    response = office.post(f"/office/segments/{segment_id}", data={**form, "action": "save", "country": "bg, XX"})
    assert response.status_code == 422 and 'href="#f-country"' in response.get_data(as_text=True)
    response = office.post(f"/office/segments/{segment_id}", data={**form, "action": "save", "graduation_year_to": "2010"})
    assert response.status_code == 302
    assert "Saved: 3 verified members match it now." in office.get(response.headers["Location"]).get_data(as_text=True)

    response = office.post(f"/office/segments/{segment_id}/delete", data={"csrf_token": token(office)})
    assert response.status_code == 302 and db.segments.find_one({"_id": segment_id}) is None


def test_a_link_from_a_results_page_makes_a_segment_of_who_said_what(office, app, db, issue_token):
    api = app.test_client()
    admin = {"Authorization": f"Bearer {issue_token(ADMIN_ID, 'admin')}"}
    said = [("Иванова", ["Research"], True), ("Петрова", [" research  "], True), ("Колева", ["research"], False),
            ("Ангелова", ["ski"], True)]
    for n, (family_name, interests, volunteer) in enumerate(said):
        member_id = signed_up_id(api, {"given_name": "Мария", "family_name": family_name, "email": f"v{n}@example.bg",
                                       "preferred_language": "bg", "consent": {"email": True, "sms": False},
                                       "interests": interests, "open_to_volunteer": volunteer})
        assert api.post(f"/api/v1/members/{member_id}/approve", json={}, headers=admin).status_code == 200
    page = office.get("/office/segments/new", query_string={"interest": "RESEARCH", "open_to_volunteer": "yes",
                                                            "name": "Research volunteers"}).get_data(as_text=True)
    assert "2 verified members match these filters." in page
    assert "First by name: Мария Иванова, Мария Петрова</p>" in page
    response = office.post("/office/segments/new", data={
        "csrf_token": token(office), "action": "save", "name": "Research volunteers", "interest": "RESEARCH",
        "open_to_volunteer": "true"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Saved: 2 verified members match it now." in office.get(response.headers["Location"]).get_data(as_text=True)
    [segment] = db.segments.find()
    assert segment["filter"] == {"interest": "RESEARCH", "open_to_volunteer": True}
