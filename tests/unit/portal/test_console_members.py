"""The office's member pages: roster import (dry run, report, past imports), the approval
queue, a member's roles, and segments with their live count; each against the members API's
answers and problems, for admins only."""
from __future__ import annotations

import base64
import io
import re

import pytest

from tests.unit.portal.conftest import csrf_token, log_in

IMPORTS = "/api/v1/members/roster/imports"
MEMBERS = "/api/v1/members"
SEGMENTS = "/api/v1/members/segments"
PREVIEW = f"{SEGMENTS}/preview"
DIRECTORY = "/api/v1/members/directory"

REPORT = {
    "id": None, "filename": "vipusk-2005.csv", "by": "admin-1", "at": "2026-12-04T10:00:00+00:00", "dry_run": True,
    "counts": {"created": 1, "updated": 1, "unchanged": 1, "rejected": 2},
    "ignored_columns": ["Бележка"],
    "rows": [
        {"row": 2, "student_number": "МФ1001", "status": "created"},
        {"row": 3, "student_number": "МФ1002", "status": "updated", "changed": ["email", "faculty"]},
        {"row": 4, "student_number": "МФ1003", "status": "unchanged"},
        {"row": 5, "student_number": None, "status": "rejected", "errors": {"student_number": ["Required."]}},
        {"row": 6, "student_number": "МФ1001", "status": "rejected",
         "errors": {"student_number": ["Duplicate of row 2."], "graduation_year": ["Must be a year from 1945 to 2026."],
                    "email": ["The email address is not valid. It must have exactly one @-sign."]}},
    ],
}
CSV = "факултетен номер;име;фамилия;випуск;факултет\nМФ1001;Мария;Иванова;2005;Медицински факултет\n"

PENDING = {
    "id": "m-9", "given_name": "Петя", "family_name": "Петрова", "email": "petya@example.bg", "graduation_year": 2005,
    "faculty": "medicine", "status": "pending_verification", "registered_at": "2026-12-01T08:30:00+00:00",
    "roles": ["alumnus"],
    "roster_match": {"student_number": "МФ1234", "given_name": "Петя", "middle_name": "Георгиева", "family_name": "Петрова",
                     "graduation_year": 2004, "faculty": "medicine", "email": None, "claimed_by": None},
}
UNMATCHED = {"id": "m-10", "given_name": "John", "family_name": "Smith", "status": "pending_verification",
             "registered_at": "2026-12-02T08:30:00+00:00", "roles": ["alumnus"], "roster_match": None}
SEGMENT = {"id": "s-1", "name": "Випуск 2005, Пловдив", "version": 2, "saved_at": "2026-12-03T12:00:00+00:00",
           "count": 41, "filter": {"graduation_year_from": 2005, "graduation_year_to": 2005, "city": "Пловдив",
                                   "faculty": ["medicine", "pharmacy"], "country": ["BG", "DE"],
                                   "open_to_mentoring": True}}

OFFICE_PAGES = ["/office/roster", "/office/roster/imports/i-1", "/office/approvals", "/office/members/m-9",
                "/office/segments", "/office/segments/new", "/office/segments/s-1", "/office/segments/s-1/delete"]


def page_of(items, total=None, page=1, per_page=20):
    return {"items": items, "page": page, "per_page": per_page, "total": len(items) if total is None else total}


def text(response) -> str:
    return response.get_data(as_text=True)


def office_calls(gateway):
    return [c for c in gateway.calls if c.path.startswith((IMPORTS, SEGMENTS, DIRECTORY))
            or re.fullmatch(r"/api/v1/members(/m-9.*)?", c.path)]


# --- who may see the office ---------------------------------------------------------------

@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_signed_out_visitors_are_sent_to_the_login_page(client, gateway, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"
    assert gateway.calls == []


@pytest.mark.parametrize("path", OFFICE_PAGES)
@pytest.mark.parametrize("roles", [("alumnus",), ("staff",)])
def test_members_and_staff_get_the_forbidden_page_and_the_api_is_not_asked(client, gateway, path, roles):
    log_in(client, gateway, roles=roles)
    response = client.get(path)
    assert response.status_code == 403
    assert office_calls(gateway) == []


def test_posts_of_non_admins_are_forbidden_and_nothing_is_sent(client, gateway):
    log_in(client, gateway, roles=("staff",))
    token = csrf_token(client, "/no-such-page")
    for path in ("/office/roster", "/office/members/m-9/approve", "/office/members/m-9/reject",
                 "/office/members/m-9", "/office/segments/new", "/office/segments/count", "/office/segments/s-1/delete"):
        assert client.post(path, data={"csrf_token": token, "reason": "x", "roles": "admin"}).status_code == 403, path
    assert office_calls(gateway) == []


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_sent(admin, gateway):
    for path in ("/office/members/m-9/approve", "/office/members/m-9/reject", "/office/segments/new",
                 "/office/segments/count"):
        assert admin.post(path, data={"reason": "x", "name": "n"}).status_code == 400, path
    assert office_calls(gateway) == []


# --- roster import ------------------------------------------------------------------------

def _past(gateway, items=()):
    gateway.on("GET", IMPORTS, 200, page_of(list(items)))


def test_the_roster_page_has_the_upload_form_and_the_past_imports(admin, gateway):
    _past(gateway, [{"id": "i-7", "filename": "2005.csv", "at": "2026-11-30T09:15:00+00:00", "dry_run": False,
                     "counts": {"created": 120, "updated": 3, "unchanged": 0, "rejected": 2}}])
    response = admin.get("/office/roster")
    page = text(response)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="file"' in page
    assert 'value="check"' in page and 'value="import"' in page
    assert 'href="/office/roster/imports/i-7"' in page and "2005.csv" in page
    assert "120 created, 3 updated, 0 unchanged, 2 rejected" in page
    assert '<div class="table-wrap">' in page
    assert 'href="/static/console_members/console_members.css?v=' in page
    assert gateway.sent("GET", IMPORTS)[0].params == {"page": 1, "per_page": 20}


def test_no_past_imports_says_so(admin, gateway):
    _past(gateway)
    assert "No roster has been imported yet." in text(admin.get("/office/roster"))


def test_a_dry_run_sends_the_file_and_shows_the_report_row_by_row(admin, gateway):
    _past(gateway)
    gateway.on("POST", IMPORTS, 200, REPORT)
    response = admin.post("/office/roster", data={
        "csrf_token": csrf_token(admin, "/office/roster"), "action": "check",
        "file": (io.BytesIO(CSV.encode()), "vipusk-2005.csv")}, content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 200
    [call] = gateway.sent("POST", IMPORTS)
    assert call.params == {"dry_run": "true"}
    assert call.files == {"file": ("vipusk-2005.csv", CSV.encode(), "text/csv")}
    assert "nothing has been saved" in page
    assert "Бележка" in page  # the ignored column
    # Rejected rows first, each with its reasons in the portal's words.
    lines = re.findall(r'<tr class="row-(\w+)">\s*<td>(\d+)</td>', page)
    assert lines == [("rejected", "5"), ("rejected", "6"), ("updated", "3"), ("created", "2"), ("unchanged", "4")]
    assert "The same student number as row 2." in page and "Must be a year from 1945 to 2026." in page
    assert "It must have exactly one @-sign." in page  # an unknown message is shown as the API wrote it
    assert "Changed: Email, Faculty" in page
    # The checked file goes back in the page, to be imported as it is.
    carried = re.search(r'name="checked" value="([A-Za-z0-9+/=]+)"', page).group(1)
    assert base64.b64decode(carried) == CSV.encode()
    assert 'name="filename" value="vipusk-2005.csv"' in page


def test_the_dry_run_report_in_bulgarian(admin, gateway):
    _past(gateway)
    gateway.on("POST", IMPORTS, 200, REPORT)
    admin.get("/language/bg")
    response = admin.post("/office/roster", data={
        "csrf_token": csrf_token(admin, "/office/roster"), "action": "check",
        "file": (io.BytesIO(CSV.encode()), "v.csv")}, content_type="multipart/form-data")
    page = text(response)
    assert '<html lang="bg">' in page
    assert "отхвърлен" in page and "Същият факултетен номер като ред 2." in page
    assert "Same student number" not in page and "Must be a year" not in page


def test_importing_the_checked_file_sends_it_and_shows_the_stored_report(admin, gateway):
    _past(gateway)
    gateway.on("POST", IMPORTS, 201, {**REPORT, "id": "i-8", "dry_run": False})
    gateway.on("GET", f"{IMPORTS}/i-8", 200, {**REPORT, "id": "i-8", "dry_run": False})
    response = admin.post("/office/roster", data={"csrf_token": csrf_token(admin, "/office/roster"),
                                                  "action": "import", "filename": "vipusk-2005.csv",
                                                  "checked": base64.b64encode(CSV.encode()).decode()},
                          content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"] == "/office/roster/imports/i-8"
    [call] = gateway.sent("POST", IMPORTS)
    assert call.params == {"dry_run": "false"}
    assert call.files["file"][0] == "vipusk-2005.csv"
    assert call.files["file"][1] == CSV.encode()  # byte for byte what was checked
    page = text(admin.get(response.headers["Location"]))
    assert "Imported: 1 created, 1 updated, 1 unchanged, 2 rejected." in page
    assert "Roster import report" in page and "nothing has been saved" not in page and 'name="checked"' not in page


def test_a_checked_file_too_large_to_carry_is_chosen_again(admin, gateway):
    _past(gateway)
    gateway.on("POST", IMPORTS, 200, REPORT)
    big = CSV.encode() + b"\n" * 400_000
    response = admin.post("/office/roster", data={"csrf_token": csrf_token(admin, "/office/roster"), "action": "check",
                                                  "file": (io.BytesIO(big), "big.csv")},
                          content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 200
    assert 'name="checked"' not in page and "Choose the same file again to import it" in page and 'type="file"' in page


def test_a_garbled_carried_file_is_no_file_and_nothing_is_sent(admin, gateway):
    _past(gateway)
    response = admin.post("/office/roster", data={"csrf_token": csrf_token(admin, "/office/roster"), "action": "import",
                                                  "checked": "not base64!"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV file." in text(response)
    assert gateway.sent("POST", IMPORTS) == []


def test_choosing_no_file_is_explained_at_the_field_and_nothing_is_sent(admin, gateway):
    _past(gateway)
    response = admin.post("/office/roster", data={"csrf_token": csrf_token(admin, "/office/roster"), "action": "check"},
                          content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 400
    assert "Choose a CSV file." in page and 'aria-invalid="true"' in page and 'href="#f-file"' in page
    assert gateway.sent("POST", IMPORTS) == []


def test_a_file_over_5_mb_is_refused_before_it_is_sent(admin, gateway):
    _past(gateway)
    big = b"a" * (5 * 1024 * 1024 + 1)
    response = admin.post("/office/roster", data={"csrf_token": csrf_token(admin, "/office/roster"), "action": "check",
                                                  "file": (io.BytesIO(big), "big.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 413 and "larger than 5 MB" in text(response)
    assert gateway.sent("POST", IMPORTS) == []


def _upload(admin, action="check"):
    return admin.post("/office/roster", data={"csrf_token": csrf_token(admin, "/office/roster"), "action": action,
                                              "file": (io.BytesIO(CSV.encode()), "r.csv")},
                      content_type="multipart/form-data")


@pytest.mark.parametrize("status, kind, detail, errors, expected", [
    (422, "validation", "The roster file cannot be imported", {"file": ["Missing column(s): faculty, graduation_year."]},
     "Columns missing: Faculty, Graduation year."),
    (422, "validation", "", {"file": ["The file is not UTF-8 text (byte 17); save it as \"CSV UTF-8\"."]},
     "The file is not UTF-8 text (byte 17): save it as “CSV UTF-8”."),
    (422, "validation", "", {"file": ['Columns "име" and "given name" both give given_name.']},
     "The columns “име” and “given name” both give Given name: keep one."),
    (409, "conflict", "Another roster import is running", None, "Another roster import is running."),
    (413, "too-large", "larger than 5 MB", None, "The file is larger than 5 MB."),
    (429, "too-many-requests", "slow down", None, "Too many attempts."),
    (403, "forbidden", "admins only", None, "You are not allowed to do this."),
])
def test_the_apis_problems_with_the_file_are_shown_on_the_form(admin, gateway, status, kind, detail, errors, expected):
    _past(gateway)
    gateway.problem("POST", IMPORTS, status, kind, detail, errors=errors)
    response = _upload(admin)
    page = text(response)
    assert response.status_code == status
    assert expected in page and 'role="alert"' in page
    if errors:
        assert 'aria-invalid="true"' in page and 'href="#f-file"' in page


def test_the_file_problem_in_bulgarian(admin, gateway):
    _past(gateway)
    admin.get("/language/bg")
    gateway.problem("POST", IMPORTS, 422, "validation", "", errors={"file": ["The file is empty."]})
    page = text(_upload(admin))
    assert "Файлът е празен." in page and "The file is empty." not in page


def test_a_stored_report_filters_its_rows_by_outcome(admin, gateway):
    gateway.on("GET", f"{IMPORTS}/i-8", 200, {**REPORT, "id": "i-8", "dry_run": False, "rows_truncated": True})
    page = text(admin.get("/office/roster/imports/i-8?status=rejected"))
    assert re.findall(r'<tr class="row-(\w+)">', page) == ["rejected", "rejected"]
    assert "keeps only the first rows" in page
    assert 'href="/office/roster/imports/i-8?status=updated#rows"' in page


def test_a_big_report_shows_its_first_thousand_rows(admin, gateway):
    rows = [{"row": n, "student_number": f"МФ{n}", "status": "created"} for n in range(2, 1503)]
    gateway.on("GET", f"{IMPORTS}/i-9", 200, {**REPORT, "id": "i-9", "dry_run": False, "rows": rows})
    page = text(admin.get("/office/roster/imports/i-9"))
    assert len(re.findall(r'<tr class="row-created">', page)) == 1000
    assert "Showing 1,000 of 1,501 rows" in page


def test_an_unknown_import_is_the_not_found_page(admin, gateway):
    gateway.problem("GET", f"{IMPORTS}/nope", 404, "not-found", "No such roster import.")
    assert admin.get("/office/roster/imports/nope").status_code == 404


def test_an_api_that_is_down_gives_the_friendly_page(admin, gateway):
    gateway.down = True
    for path in ("/office/roster", "/office/approvals", "/office/segments"):
        response = admin.get(path)
        assert response.status_code == 503 and b"Traceback" not in response.data


# --- approvals ----------------------------------------------------------------------------

def _queue(gateway, items=(PENDING, UNMATCHED)):
    gateway.on("GET", MEMBERS, 200, page_of(list(items)))


def test_the_queue_shows_each_sign_up_beside_its_roster_entry(admin, gateway):
    _queue(gateway)
    response = admin.get("/office/approvals")
    page = text(response)
    assert response.status_code == 200
    assert gateway.sent("GET", MEMBERS)[0].params == {"status": "pending_verification", "page": 1, "per_page": 20}
    assert "2 sign-ups are waiting." in page
    assert "Петя" in page and "МФ1234" in page and "Георгиева" in page
    assert re.search(r'Graduation year</th>\s*<td>2005</td>\s*<td>2004 <strong title="differs">≠<span class="visually-hidden"> differs</span></strong></td>', page)
    assert "Given name (Latin)" not in page  # empty on both sides: no row
    assert "No roster entry matches this sign-up" in page  # John Smith's
    assert 'action="/office/members/m-9/approve"' in page and 'action="/office/members/m-9/reject"' in page
    assert 'id="f-reason-m-9"' in page and 'id="f-reason-m-10"' in page and 'for="f-reason-m-9"' in page
    assert '<div class="table-wrap">' in page


def test_an_empty_queue_says_so(admin, gateway):
    _queue(gateway, [])
    assert "No sign-ups are waiting." in text(admin.get("/office/approvals"))


def test_approving_sends_the_decision_and_says_so(admin, gateway):
    _queue(gateway)
    gateway.on("POST", f"{MEMBERS}/m-9/approve", 200, {**PENDING, "status": "verified"})
    response = admin.post("/office/members/m-9/approve", data={"csrf_token": csrf_token(admin, "/office/approvals"),
                                                               "back": "/office/approvals?page=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/office/approvals?page=1"
    assert [c.json for c in gateway.sent("POST", f"{MEMBERS}/m-9/approve")] == [{}]
    assert "Петя Петрова is verified" in text(admin.get("/office/approvals"))


def test_a_decision_never_redirects_off_the_site(admin, gateway):
    gateway.on("POST", f"{MEMBERS}/m-9/approve", 200, {**PENDING, "status": "verified"})
    response = admin.post("/office/members/m-9/approve", data={"csrf_token": csrf_token(admin, "/no-such-page"),
                                                               "back": "//evil.example/"})
    assert response.headers["Location"] == "/office/approvals"


def test_rejecting_sends_the_reason_and_says_so(admin, gateway):
    _queue(gateway)
    gateway.on("POST", f"{MEMBERS}/m-9/reject", 200, {**PENDING, "status": "rejected"})
    response = admin.post("/office/members/m-9/reject", data={"csrf_token": csrf_token(admin, "/office/approvals"),
                                                              "reason": "  Не сте в списъка на випуска. ",
                                                              "back": "/office/approvals"})
    assert response.status_code == 302
    assert [c.json for c in gateway.sent("POST", f"{MEMBERS}/m-9/reject")] == [{"reason": "Не сте в списъка на випуска."}]
    assert "Петя Петрова is rejected" in text(admin.get("/office/approvals"))


def test_rejecting_without_a_reason_is_explained_at_that_members_field(admin, gateway):
    _queue(gateway)
    response = admin.post("/office/members/m-9/reject", data={"csrf_token": csrf_token(admin, "/office/approvals"),
                                                              "reason": "  ", "back": "/office/approvals"})
    page = text(response)
    assert response.status_code == 400
    assert "Write the reason" in page and 'href="#f-reason-m-9"' in page
    assert re.search(r'id="f-reason-m-9"[^>]*aria-invalid="true"', page)
    assert not re.search(r'id="f-reason-m-10"[^>]*aria-invalid', page)
    assert gateway.sent("POST", f"{MEMBERS}/m-9/reject") == []


def test_a_reason_the_api_refuses_is_shown_with_what_was_typed(admin, gateway):
    _queue(gateway)
    gateway.problem("POST", f"{MEMBERS}/m-9/reject", 422, "validation", "Invalid input.",
                    errors={"reason": ["Longer than maximum length 1000."]})
    response = admin.post("/office/members/m-9/reject", data={"csrf_token": csrf_token(admin, "/office/approvals"),
                                                              "reason": "Дълга причина", "back": "/office/approvals"})
    page = text(response)
    assert response.status_code == 422
    assert "Enter at most 1000 characters." in page and "Дълга причина</textarea>" in page


@pytest.mark.parametrize("status, kind, expected", [
    (404, "not-found", "This member is no longer there"),
    (429, "too-many-requests", "Too many attempts."),
    (403, "forbidden", "You are not allowed to do this."),
])
def test_the_apis_problems_with_a_decision_are_shown_on_the_queue(admin, gateway, status, kind, expected):
    _queue(gateway)
    gateway.problem("POST", f"{MEMBERS}/m-9/approve", status, kind, "x")
    response = admin.post("/office/members/m-9/approve", data={"csrf_token": csrf_token(admin, "/office/approvals"),
                                                               "back": "/office/approvals"})
    assert response.status_code == status and expected in text(response)


def test_a_members_office_page_shows_the_match_and_the_roles(admin, gateway):
    gateway.on("GET", f"{MEMBERS}/m-9", 200, PENDING)
    page = text(admin.get("/office/members/m-9"))
    assert "<h1>Петя Петрова</h1>" in page and "МФ1234" in page
    assert re.search(r'value="alumnus" checked', page) and not re.search(r'value="staff" checked', page)
    assert 'name="back" value="/office/members/m-9"' in page


def test_a_decision_from_the_members_page_goes_back_there(admin, gateway):
    gateway.on("GET", f"{MEMBERS}/m-9", 200, PENDING)
    gateway.problem("POST", f"{MEMBERS}/m-9/reject", 422, "validation", "", errors={"reason": ["Too long."]})
    response = admin.post("/office/members/m-9/reject", data={"csrf_token": csrf_token(admin, "/no-such-page"),
                                                              "reason": "x", "back": "/office/members/m-9"})
    assert response.status_code == 422 and "<h1>Петя Петрова</h1>" in text(response)


def test_granting_staff_sends_the_roles(admin, gateway):
    gateway.on("GET", f"{MEMBERS}/m-9", 200, PENDING)
    gateway.on("PUT", f"{MEMBERS}/m-9/roles", 200, {**PENDING, "roles": ["alumnus", "staff"]})
    response = admin.post("/office/members/m-9", data={"csrf_token": csrf_token(admin, "/no-such-page"),
                                                       "roles": ["alumnus", "staff", "emperor"]})
    assert response.status_code == 302 and response.headers["Location"] == "/office/members/m-9"
    assert [c.json for c in gateway.sent("PUT", f"{MEMBERS}/m-9/roles")] == [{"roles": ["alumnus", "staff"]}]
    assert "The roles of Петя Петрова are changed" in text(admin.get("/office/members/m-9"))


def test_no_role_at_all_is_explained_and_nothing_is_sent(admin, gateway):
    gateway.on("GET", f"{MEMBERS}/m-9", 200, PENDING)
    response = admin.post("/office/members/m-9", data={"csrf_token": csrf_token(admin, "/no-such-page")})
    assert response.status_code == 400 and "Choose at least one role." in text(response)
    assert gateway.sent("PUT", f"{MEMBERS}/m-9/roles") == []


def test_removing_ones_own_admin_role_is_refused_with_the_reason(admin, gateway):
    gateway.on("GET", f"{MEMBERS}/admin-1", 200, {**PENDING, "id": "admin-1", "status": "verified", "roles": ["admin"]})
    gateway.problem("PUT", f"{MEMBERS}/admin-1/roles", 409, "conflict", "You cannot remove your own admin role.",
                    errors={"roles": ["Would lock you out of the office's tools."]})
    response = admin.post("/office/members/admin-1", data={"csrf_token": csrf_token(admin, "/no-such-page"), "roles": "alumnus"})
    page = text(response)
    assert response.status_code == 409
    assert "You cannot remove your own administrator role" in page and 'id="f-roles-error"' in page
    assert re.search(r'value="alumnus" checked', page) and not re.search(r'value="admin" checked', page)


def test_an_unknown_member_is_the_not_found_page(admin, gateway):
    gateway.problem("GET", f"{MEMBERS}/m-404", 404, "not-found", "No such member.")
    assert admin.get("/office/members/m-404").status_code == 404


# --- segments -----------------------------------------------------------------------------

def test_the_segments_are_listed_with_links(admin, gateway):
    gateway.on("GET", SEGMENTS, 200, page_of([SEGMENT], per_page=50))
    page = text(admin.get("/office/segments"))
    assert 'href="/office/segments/s-1"' in page and "Випуск 2005, Пловдив" in page
    assert 'href="/office/segments/new"' in page


def test_no_segments_says_so(admin, gateway):
    gateway.on("GET", SEGMENTS, 200, page_of([]))
    assert "No segments yet." in text(admin.get("/office/segments"))


def _segment_form(**fields):
    return {"name": "Ментори в чужбина", "q": "", "graduation_year_from": "2000", "graduation_year_to": "2005",
            "faculty": ["medicine", "dental_medicine"], "country": "de, GB;at", "city": " ", "language": "",
            "open_to_mentoring": "true", "open_to_ambassador": "", "international_graduate": "false", **fields}


FILTER = {"graduation_year_from": 2000, "graduation_year_to": 2005, "faculty": ["medicine", "dental_medicine"],
          "country": ["de", "GB", "at"], "open_to_mentoring": True, "international_graduate": False}


def test_a_new_segment_is_saved_with_its_filter_once(admin, gateway):
    page = text(admin.get("/office/segments/new"))
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    assert 'src="/static/console_members/segments.js?v=' in page and "<script>" not in page
    gateway.on("POST", SEGMENTS, 201, {**SEGMENT, "id": "s-2", "name": "Ментори в чужбина"})
    response = admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"),
                                                        "idempotency_key": key, "action": "save", **_segment_form()})
    assert response.status_code == 302 and response.headers["Location"] == "/office/segments/s-2"
    [call] = gateway.sent("POST", SEGMENTS)
    assert call.json == {"name": "Ментори в чужбина", "filter": FILTER}
    assert call.headers["Idempotency-Key"] == key


SAMPLE = [{"id": "m-1", "given_name": "Анна", "family_name": "Арнаудова"},
          {"id": "m-2", "given_name": "Boris", "family_name": "Black"}]


def test_the_count_button_counts_with_the_apis_preview_without_saving(admin, gateway):
    gateway.on("POST", PREVIEW, 200, {"count": 17, "sample": SAMPLE})
    response = admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "count",
                                                        **_segment_form()})
    page = text(response)
    assert response.status_code == 200
    assert "17 verified members match these filters." in page
    assert "First by name: Анна Арнаудова, Boris Black …" in page  # as the API gives them; more than shown
    assert "The directory" not in page and "left the directory" not in page  # no estimate, no caveat
    assert 'value="Ментори в чужбина"' in page and 'value="de, GB;at"' in page  # the form as typed
    assert re.search(r'value="dental_medicine" checked', page) and not re.search(r'value="pharmacy" checked', page)
    # The filter the saved segment would get, exactly; the name is not the preview's business.
    assert [c.json for c in gateway.sent("POST", PREVIEW)] == [{"filter": FILTER}]
    assert gateway.sent("POST", SEGMENTS) == [] and gateway.sent("GET", DIRECTORY) == []


def test_the_live_count_fragment(admin, gateway):
    gateway.on("POST", PREVIEW, 200, {"count": 1, "sample": SAMPLE[:1]})
    response = admin.post("/office/segments/count", data={"csrf_token": csrf_token(admin, "/no-such-page"), "city": "Plovdiv"},
                          headers={"X-Requested-With": "fetch"})
    page = text(response)
    assert response.status_code == 200 and "<html" not in page
    assert "1 verified member matches these filters." in page
    assert "First by name: Анна Арнаудова</p>" in page  # all of them: no ellipsis
    assert [c.json for c in gateway.sent("POST", PREVIEW)] == [{"filter": {"city": "Plovdiv"}}]


def test_a_filter_nobody_matches_counts_zero(admin, gateway):
    gateway.on("POST", PREVIEW, 200, {"count": 0, "sample": []})
    admin.get("/language/bg")
    page = text(admin.post("/office/segments/count", data={"csrf_token": csrf_token(admin, "/no-such-page"),
                                                           "language": "JA"}))
    assert "0 потвърдени члена отговарят на тези филтри." in page and "Първите по име" not in page
    assert [c.json for c in gateway.sent("POST", PREVIEW)] == [{"filter": {"language": "ja"}}]


def test_the_live_count_of_a_filter_the_api_refuses_names_the_field(admin, gateway):
    gateway.problem("POST", PREVIEW, 422, "validation", "",
                    errors={"filter": {"country": {"0": ["Must be an ISO 3166 two-letter country code, e.g. BG."]}}})
    admin.get("/language/bg")
    page = text(admin.post("/office/segments/count", data={"csrf_token": csrf_token(admin, "/no-such-page"), "country": "XX"}))
    assert "Държави" in page and "Must be an ISO 3166" in page  # the field in Bulgarian; the API's own words kept


def test_counting_with_a_bad_year_shows_the_error_at_the_field(admin, gateway):
    gateway.problem("POST", PREVIEW, 422, "validation", "", errors={"filter": {"graduation_year_from": ["Not a valid integer."]}})
    response = admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "count",
                                                        **_segment_form(graduation_year_from="двехиляди")})
    page = text(response)
    assert response.status_code == 400
    assert "Enter a whole number." in page and re.search(r'id="f-graduation_year_from"[^>]*aria-invalid="true"', page)
    assert gateway.sent("POST", PREVIEW)[0].json["filter"]["graduation_year_from"] == "двехиляди"


@pytest.mark.parametrize("status, kind, expected", [
    (403, "forbidden", "You are not allowed"), (429, "too-many-requests", "Too many attempts."),
])
def test_other_problems_counting_are_said_in_the_count_box(admin, gateway, status, kind, expected):
    gateway.problem("POST", PREVIEW, status, kind, "")
    response = admin.post("/office/segments/count", data={"csrf_token": csrf_token(admin, "/no-such-page")})
    assert response.status_code == 200 and expected in text(response)


def test_the_live_count_while_the_api_is_down_is_the_friendly_page(admin, gateway):
    gateway.down = True
    response = admin.post("/office/segments/count", data={"csrf_token": csrf_token(admin, "/no-such-page")})
    assert response.status_code == 503


def test_a_segment_without_a_name_is_explained_and_nothing_is_sent(admin, gateway):
    response = admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "save",
                                                        **_segment_form(name=" ")})
    assert response.status_code == 400 and "Give the segment a name." in text(response)
    assert gateway.sent("POST", SEGMENTS) == []


@pytest.mark.parametrize("errors, field_id, expected", [
    ({"filter": {"country": {"1": ["Must be an ISO 3166 two-letter country code, e.g. BG."]}}}, "f-country",
     "Must be an ISO 3166"),
    ({"filter": {"graduation_year_to": ["Must not be before graduation_year_from."]}}, "f-graduation_year_to",
     "Must not be before"),
    ({"name": ["Longer than maximum length 200."]}, "f-name", "Enter at most 200 characters."),
])
def test_a_filter_the_api_refuses_is_shown_at_its_field(admin, gateway, errors, field_id, expected):
    gateway.problem("POST", SEGMENTS, 422, "validation", "Invalid input.", errors=errors)
    response = admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "save",
                                                        **_segment_form()})
    page = text(response)
    assert response.status_code == 422
    assert expected in page and f'href="#{field_id}"' in page
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', page)


@pytest.mark.parametrize("status, kind, expected", [
    (409, "conflict", "This did not work"), (429, "too-many-requests", "Too many attempts."),
    (403, "forbidden", "You are not allowed"),
])
def test_other_problems_saving_a_segment_are_said_on_the_form(admin, gateway, status, kind, expected):
    gateway.problem("POST", SEGMENTS, status, kind, "A request with this Idempotency-Key is still being processed.")
    response = admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "save",
                                                        **_segment_form()})
    assert response.status_code == status and expected in text(response)


def test_editing_a_segment_shows_its_saved_count_and_filter_and_saves_it(admin, gateway):
    gateway.on("GET", f"{SEGMENTS}/s-1", 200, SEGMENT)
    page = text(admin.get("/office/segments/s-1"))
    assert "Saved: 41 verified members match it now." in page
    assert 'value="Пловдив"' in page and 'value="BG, DE"' in page and 'value="2005"' in page
    assert re.search(r'value="pharmacy" checked', page) and not re.search(r'value="public_health" checked', page)
    assert re.search(r'<select id="f-open_to_mentoring"[^>]*>\s*<option value="">[^<]*</option>\s*<option value="true" selected', page)
    assert 'name="idempotency_key"' not in page
    gateway.on("PUT", f"{SEGMENTS}/s-1", 200, {**SEGMENT, "name": "Ментори в чужбина"})
    response = admin.post("/office/segments/s-1", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "save",
                                                        **_segment_form()})
    assert response.status_code == 302 and response.headers["Location"] == "/office/segments/s-1"
    assert [c.json for c in gateway.sent("PUT", f"{SEGMENTS}/s-1")] == [{"name": "Ментори в чужбина", "filter": FILTER}]


# --- a segment of "who said what" ----------------------------------------------------------

def test_an_interest_and_the_volunteer_flag_are_filters_of_a_segment(admin, gateway):
    page = text(admin.get("/office/segments/new"))
    assert re.search(r'<input id="f-interest" name="interest" type="text" value=""', page)
    assert re.search(r'<select id="f-open_to_volunteer"[^>]*>\s*<option value="" selected>Either</option>', page)
    gateway.on("POST", SEGMENTS, 201, {**SEGMENT, "id": "s-3"})
    admin.post("/office/segments/new", data={"csrf_token": csrf_token(admin, "/no-such-page"), "action": "save",
                                             "name": "Доброволци", "interest": " Research ", "open_to_volunteer": "true"})
    assert [c.json for c in gateway.sent("POST", SEGMENTS)] == [
        {"name": "Доброволци", "filter": {"interest": "Research", "open_to_volunteer": True}}]
    gateway.on("GET", f"{SEGMENTS}/s-3", 200, {**SEGMENT, "filter": {"interest": "Research", "open_to_volunteer": False}})
    page = text(admin.get("/office/segments/s-3"))
    assert 'value="Research"' in page
    assert re.search(r'<select id="f-open_to_volunteer"[^>]*>(\s*<option value="[a-z]*">[^<]*</option>){2}'
                     r'\s*<option value="false" selected', page)
    admin.get("/language/bg")
    page = text(admin.get("/office/segments/new"))
    assert "Интерес" in page and "Готов(а) да бъде доброволец" in page


def test_a_link_fills_in_a_new_segment_and_shows_its_count_at_once(admin, gateway):
    gateway.on("POST", PREVIEW, 200, {"count": 12, "sample": SAMPLE})
    response = admin.get("/office/segments/new", query_string={
        "open_to_volunteer": "yes", "interest": "research", "name": "Research volunteers (survey 2026)",
        "open_to_mentoring": "No", "open_to_ambassador": "maybe", "faculty": ["medicine", "pharmacy"],
        "graduation_year_from": "2005", "unknown": "ignored"})
    page = text(response)
    assert response.status_code == 200
    assert [c.json for c in gateway.sent("POST", PREVIEW)] == [{"filter": {
        "interest": "research", "graduation_year_from": 2005, "faculty": ["medicine", "pharmacy"],
        "open_to_mentoring": False, "open_to_volunteer": True}}]
    assert "12 verified members match these filters." in page
    assert 'value="Research volunteers (survey 2026)"' in page and 'value="research"' in page
    assert re.search(r'<select id="f-open_to_volunteer".*?<option value="true" selected', page, re.S)
    assert re.search(r'<select id="f-open_to_ambassador"[^>]*>\s*<option value="" selected', page)
    assert re.search(r'value="pharmacy" checked', page)
    assert gateway.sent("POST", SEGMENTS) == []  # saving is the office's second click
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    gateway.on("POST", SEGMENTS, 201, {**SEGMENT, "id": "s-4"})
    form = dict(re.findall(r'<input id="f-[a-z_]+" name="([a-z_]+)" type="(?:text|search|number)" value="([^"]*)"', page))
    saved = admin.post("/office/segments/new", data={
        **form, "csrf_token": csrf_token(admin, "/no-such-page"), "idempotency_key": key, "action": "save",
        "faculty": ["medicine", "pharmacy"], "open_to_volunteer": "true", "open_to_mentoring": "false"})
    assert saved.status_code == 302
    assert gateway.sent("POST", SEGMENTS)[0].json["filter"] == gateway.sent("POST", PREVIEW)[0].json["filter"]


def test_a_link_with_only_a_name_counts_nothing_yet(admin, gateway):
    page = text(admin.get("/office/segments/new", query_string={"name": "Ski trip"}))
    assert 'value="Ski trip"' in page and gateway.sent("POST", PREVIEW) == []


def test_a_link_the_api_refuses_shows_the_problem_at_its_field(admin, gateway):
    gateway.problem("POST", PREVIEW, 422, "validation", "",
                    errors={"filter": {"graduation_year_from": ["Not a valid integer."]}})
    response = admin.get("/office/segments/new", query_string={"graduation_year_from": "soon", "interest": "ski"})
    page = text(response)
    assert response.status_code == 200
    assert gateway.sent("POST", PREVIEW)[0].json["filter"] == {"interest": "ski", "graduation_year_from": "soon"}
    assert "Enter a whole number." in page and 'value="soon"' in page
    assert re.search(r'id="f-graduation_year_from"[^>]*aria-invalid="true"', page)


def test_a_segment_deleted_meanwhile_is_the_not_found_page(admin, gateway):
    gateway.problem("GET", f"{SEGMENTS}/s-404", 404, "not-found", "No such segment.")
    assert admin.get("/office/segments/s-404").status_code == 404
    assert admin.get("/office/segments/s-404/delete").status_code == 404


def test_deleting_a_segment_asks_first_then_deletes_it(admin, gateway):
    gateway.on("GET", f"{SEGMENTS}/s-1", 200, SEGMENT)
    gateway.on("GET", SEGMENTS, 200, page_of([]))
    page = text(admin.get("/office/segments/s-1/delete"))
    assert "Delete the segment “Випуск 2005, Пловдив”?" in page
    assert gateway.sent("DELETE", f"{SEGMENTS}/s-1") == []
    gateway.on("DELETE", f"{SEGMENTS}/s-1", 204, None)
    response = admin.post("/office/segments/s-1/delete", data={"csrf_token": csrf_token(admin, "/no-such-page")})
    assert response.status_code == 302 and response.headers["Location"] == "/office/segments"
    assert len(gateway.sent("DELETE", f"{SEGMENTS}/s-1")) == 1
    assert "is deleted" in text(admin.get("/office/segments"))


def test_the_areas_script_and_stylesheet_are_served(client):
    response = client.get("/static/console_members/segments.js")
    assert response.status_code == 200 and b"data-count-url" in response.data
    assert client.get("/static/console_members/console_members.css").status_code == 200
