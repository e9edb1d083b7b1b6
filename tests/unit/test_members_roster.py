"""The alumni roster import (``/api/v1/members/roster``) on the real members app against the
session's local store, and the roster functions sign-up and erasure call.

Checked: a Cyrillic CSV (``;`` or ``,``, with or without a BOM, raw or as a form upload) is
imported with a per-row report; rows are rejected with named reasons while the others go on;
importing the same file again writes nothing; a changed row is updated with the changed fields
listed; a dry run writes nothing; unusable files are 422 problems naming ``file``, oversized
ones 413; only admins get in; reports and entries are readable; sign-up matches an entry by
email, or by student number with the family name in either alphabet, and claims it once.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from services.members.roster import rules as roster
from services.members.roster import store as roster_store
from services.members.schemas import FACULTIES
from shared.clock import FixedClock
from shared.leases import Lease
from tests.support import assert_problem, bearer

ROSTER = "/api/v1/members/roster"
IMPORTS = f"{ROSTER}/imports"
ADMIN = "admin-0001"

# What the office's Excel gives as "CSV UTF-8" in Bulgarian: ";" between cells, a BOM, its own
# header names and a column of notes the roster has no field for.
BULGARIAN_HEADER = ("Факултетен номер;Име;Презиме;Фамилия;Име (латиница);Фамилия (латиница);Имейл;"
                    "Випуск;Факултет;Специалност;Медицинска специалност;Бележка")
MARIA = " mf 1234 ;Мария;Петрова;Иванова;Maria;Ivanova;Maria.Ivanova@Example.BG;2015;Медицински факултет;" \
        "Медицина;Кардиология;взела диплома"
GEORGI = "FD-2001;Георги;;Димитров;Georgi;Dimitrov;;2019;Факултет по дентална медицина;Дентална медицина;;"
ELENA = "PH/777;Елена;Николаева;Стоянова;Elena;Stoyanova;elena.s@example.com;2021;Фармация;Фармация;;"
BULGARIAN_CSV = f"{BULGARIAN_HEADER}\r\n{MARIA}\r\n{GEORGI}\r\n{ELENA}\r\n"


@pytest.fixture
def admin(issue_token) -> dict:
    return bearer(issue_token(ADMIN, "admin"))


def post_csv(client, headers, text: str | bytes, *, query: str = "?filename=roster.csv", bom: bool = False):
    body = text.encode() if isinstance(text, str) else text
    if bom:
        body = b"\xef\xbb\xbf" + body
    return client.post(IMPORTS + query, data=body, headers={**headers, "Content-Type": "text/csv; charset=utf-8"})


def imported(response, status: int = 201) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def by_line(report: dict) -> dict[int, dict]:
    return {row["row"]: row for row in report["rows"]}


def snapshot(db) -> list[dict]:
    return list(db.roster.find().sort("_id", 1))


def csv_of(*rows: str, header: str = "student_number,given_name,family_name,email,graduation_year,faculty") -> str:
    return "\n".join([header, *rows]) + "\n"


# --------------------------------------------------------------------------- importing

def test_a_bulgarian_excel_export_is_imported_with_a_report_per_row(client, db, admin):
    response = post_csv(client, admin, BULGARIAN_CSV, bom=True)
    report = imported(response)

    assert response.headers["Location"].endswith(f"{IMPORTS}/{report['id']}")
    assert report["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report["ignored_columns"] == ["Бележка"]
    assert (report["filename"], report["by"], report["dry_run"]) == ("roster.csv", ADMIN, False)
    assert report["rows"] == [
        {"row": 2, "student_number": "MF1234", "status": "created"},
        {"row": 3, "student_number": "FD-2001", "status": "created"},
        {"row": 4, "student_number": "PH/777", "status": "created"},
    ]
    maria = db.roster.find_one({"_id": "MF1234"})
    assert {k: v for k, v in maria.items() if k not in ("imported_at", "updated_at")} == {
        "_id": "MF1234", "student_number": "MF1234", "given_name": "Мария", "middle_name": "Петрова",
        "family_name": "Иванова", "given_name_latin": "Maria", "family_name_latin": "Ivanova",
        "email": "maria.ivanova@example.bg", "graduation_year": 2015, "faculty": "medicine",
        "programme": "Медицина", "specialty": "Кардиология", "last_import_id": report["id"], "claimed_by": None}
    assert maria["imported_at"] == maria["updated_at"]
    georgi = db.roster.find_one({"_id": "FD-2001"})
    assert (georgi["faculty"], georgi["email"], georgi["middle_name"]) == ("dental_medicine", None, None)
    assert db.roster.find_one({"_id": "PH/777"})["faculty"] == "pharmacy"


def test_english_headers_with_commas_upload_as_a_form(client, db, admin):
    text = ("Student Number,First Name,Last Name,E-mail,Graduation Year,Faculty,Speciality\n"
            "20001,Ivan,Petrov,ivan@example.bg,2010,Faculty of Public Health,Health care management\n"
            "20002,Anna,Koleva,,2012,Medical College,\"Nursing, general\"\n")
    response = client.post(IMPORTS, headers=admin, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(text.encode()), "alumni-2012.csv")})
    report = imported(response)
    assert report["filename"] == "alumni-2012.csv"
    assert report["counts"]["created"] == 2 and report["ignored_columns"] == []
    assert db.roster.find_one({"_id": "20001"})["faculty"] == "public_health"
    anna = db.roster.find_one({"_id": "20002"})
    assert (anna["faculty"], anna["specialty"], anna["middle_name"]) == ("medical_college", "Nursing, general", None)


def test_bad_rows_are_rejected_with_reasons_and_the_others_imported(client, db, admin):
    imported(post_csv(client, admin, csv_of("50001,Petar,Petrov,taken@example.bg,2001,medicine")))
    client.application.extensions["alumnet"].clock = FixedClock(datetime(2026, 6, 15, 12, tzinfo=timezone.utc))
    next_year = 2027
    text = csv_of(
        "50002,Ива,Колева,iva@example.bg,2020,Медицина",                # 2: fine
        "50002,Ива,Колева,,2020,Медицина",                              # 3: same number again
        "5,Ива,Колева,,2020,Медицина",                                  # 4: number too short
        "50004,,Колева,,2020,Медицина",                                 # 5: no given name
        "50005,Ива,Колева,not-an-email,2020,Медицина",                  # 6
        f"50006,Ива,Колева,,{next_year},Медицина",                      # 7: not graduated yet
        "50007,Ива,Колева,,1944,Медицина",                              # 8: before the university
        "50008,Ива,Колева,,2020,Ветеринарна медицина",                  # 9: not a faculty here
        "50009,Ива,Колева,TAKEN@example.bg,2020,Медицина",              # 10: another entry's email
        "50010,Ива,Колева,iva@example.bg,2020,Медицина",                # 11: row 2's email
        f"50011,{'И' * 101},Колева,,2020,Медицина",                     # 12: name too long
        "50012,\"Ива\x07\",Колева,,2020,Медицина",                      # 13: control character
        "50013,Ива,Колева,,двехиляди,Медицина",                         # 14: year not a number
        "50014,Ива,Колева,,2020,Фармация",                              # 15: fine
    )
    report = imported(post_csv(client, admin, text))
    rows = by_line(report)

    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 12}
    assert rows[2]["status"] == rows[15]["status"] == "created"
    assert rows[3]["errors"] == {"student_number": ["Duplicate of row 2."]}
    assert list(rows[4]["errors"]) == ["student_number"]
    assert rows[5]["errors"] == {"given_name": ["Required."]}
    assert list(rows[6]["errors"]) == ["email"]
    assert rows[7]["errors"] == {"graduation_year": [f"Must be a year from 1945 to {next_year - 1}."]}
    assert list(rows[8]["errors"]) == ["graduation_year"]
    assert "Unknown faculty" in rows[9]["errors"]["faculty"][0]
    assert rows[10]["errors"] == {"email": ["Already used by roster entry 50001."]}
    assert rows[11]["errors"] == {"email": ["Already given to 50002 by row 2."]}
    assert rows[12]["errors"] == {"given_name": ["Must be at most 100 characters."]}
    assert "control characters" in rows[13]["errors"]["given_name"][0]
    assert list(rows[14]["errors"]) == ["graduation_year"]
    assert all(row["status"] == "rejected" for line, row in rows.items() if line not in (2, 15))
    assert sorted(doc["_id"] for doc in snapshot(db)) == ["50001", "50002", "50014"]


def test_the_last_graduation_year_is_the_clubs_year_by_the_service_clock(client, db, admin):
    # 23:30 UTC on 31 December 2019 is 01:30 on 1 January 2020 in Sofia: 2020's graduates
    # are on the roster, 2021's not yet (whatever the real date, and the server's zone).
    client.application.extensions["alumnet"].clock = FixedClock(datetime(2019, 12, 31, 23, 30, tzinfo=timezone.utc))
    rows = by_line(imported(post_csv(client, admin, csv_of("60001,Ива,Колева,,2020,Медицина",
                                                           "60002,Ива,Колева,,2021,Медицина"))))
    assert rows[2]["status"] == "created"
    assert rows[3]["errors"] == {"graduation_year": ["Must be a year from 1945 to 2020."]}


def test_importing_the_same_file_again_changes_nothing(client, db, admin):
    first = imported(post_csv(client, admin, BULGARIAN_CSV, bom=True))
    before = snapshot(db)

    again = imported(post_csv(client, admin, BULGARIAN_CSV, bom=True))

    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert [row["status"] for row in again["rows"]] == ["unchanged"] * 3
    assert snapshot(db) == before  # updated_at and last_import_id included
    assert {doc["last_import_id"] for doc in before} == {first["id"]}
    assert db.roster_imports.count_documents({}) == 2  # each import keeps its report


def test_a_changed_row_is_updated_listing_the_changed_fields(client, db, admin):
    first = imported(post_csv(client, admin, BULGARIAN_CSV))
    assert roster_store.claim(db, None, "MF1234", "member-1")
    before = {doc["_id"]: doc for doc in snapshot(db)}
    changed_maria = MARIA.replace("Maria.Ivanova@Example.BG", "maria@mu-plovdiv.bg").replace("Кардиология;", ";")
    text = f"{BULGARIAN_HEADER}\r\n{changed_maria}\r\n{GEORGI}\r\n{ELENA}\r\n"

    report = imported(post_csv(client, admin, text))

    assert report["counts"] == {"created": 0, "updated": 1, "unchanged": 2, "rejected": 0}
    assert report["rows"][0] == {"row": 2, "student_number": "MF1234", "status": "updated",
                                 "changed": ["email", "specialty"]}
    maria = db.roster.find_one({"_id": "MF1234"})
    assert (maria["email"], maria["specialty"]) == ("maria@mu-plovdiv.bg", None)
    assert maria["last_import_id"] == report["id"] != first["id"]
    assert maria["updated_at"] > before["MF1234"]["updated_at"]
    assert maria["imported_at"] == before["MF1234"]["imported_at"]
    assert maria["claimed_by"] == "member-1"  # imports never touch a claim
    assert db.roster.find_one({"_id": "FD-2001"}) == before["FD-2001"]


def test_a_column_the_file_lacks_leaves_the_field_alone(client, db, admin):
    imported(post_csv(client, admin, BULGARIAN_CSV))
    text = "Факултетен номер,Име,Фамилия,Випуск,Факултет\nMF1234,Мария,Иванова,2016,МФ\n"
    report = imported(post_csv(client, admin, text))
    assert report["rows"][0]["changed"] == ["graduation_year"]
    maria = db.roster.find_one({"_id": "MF1234"})
    assert (maria["graduation_year"], maria["email"], maria["middle_name"]) == (2016, "maria.ivanova@example.bg",
                                                                                "Петрова")


def test_a_dry_run_reports_and_writes_nothing(client, db, admin):
    imported(post_csv(client, admin, BULGARIAN_CSV))
    before, reports = snapshot(db), db.roster_imports.count_documents({})
    text = "\n".join([BULGARIAN_HEADER, MARIA.replace("2015", "2014"), GEORGI,
                      "30303;Нов;;Човек;;;;2020;Медицина;;;"])

    response = post_csv(client, admin, text, query="?dry_run=true")

    report = imported(response, 200)
    assert "Location" not in response.headers
    assert (report["id"], report["dry_run"]) == (None, True)
    assert report["counts"] == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 0}
    assert report["rows"][0]["changed"] == ["graduation_year"]
    assert snapshot(db) == before
    assert db.roster_imports.count_documents({}) == reports


# --------------------------------------------------------------------------- unusable files

def test_a_missing_required_column_is_a_422_naming_the_file(client, db, admin):
    text = "Факултетен номер;Име;Фамилия;Факултет\nMF1234;Мария;Иванова;Медицина\n"
    body = assert_problem(post_csv(client, admin, text), 422)
    assert body["errors"] == {"file": ["Missing column(s): graduation_year."]}
    assert db.roster.count_documents({}) == 0 and db.roster_imports.count_documents({}) == 0


def test_a_file_that_is_not_utf8_is_a_422(client, db, admin):
    body = assert_problem(post_csv(client, admin, BULGARIAN_CSV.encode("cp1251")), 422)
    assert list(body["errors"]) == ["file"] and "UTF-8" in body["errors"]["file"][0]
    assert db.roster.count_documents({}) == 0


def test_two_columns_for_one_field_is_a_422(client, admin):
    text = "student_number,first name,given_name,family_name,graduation_year,faculty\n1234,A,A,B,2000,pharmacy\n"
    body = assert_problem(post_csv(client, admin, text), 422)
    assert "given_name" in body["errors"]["file"][0]


def test_too_many_rows_is_a_422(client, db, admin, monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 2)
    body = assert_problem(post_csv(client, admin, BULGARIAN_CSV), 422)
    assert "more than 2 rows" in body["errors"]["file"][0]
    assert db.roster.count_documents({}) == 0
    assert imported(post_csv(client, admin, f"{BULGARIAN_HEADER}\n{MARIA}\n{GEORGI}\n"))["counts"]["created"] == 2


def test_a_file_over_5_mb_is_a_413(client, db, admin):
    filler = f"{BULGARIAN_HEADER}\n{MARIA}\n" + "#" * roster.MAX_FILE_BYTES
    assert_problem(post_csv(client, admin, filler), 413)
    form = {"file": (io.BytesIO(filler.encode()), "big.csv")}
    assert_problem(client.post(IMPORTS, headers=admin, content_type="multipart/form-data", data=form), 413)
    assert db.roster.count_documents({}) == 0


def test_a_file_of_nearly_5_mb_is_accepted_although_the_general_body_limit_is_smaller(client, db, admin, app):
    assert app.config["MAX_CONTENT_LENGTH"] < 2 * 1024 * 1024
    line = ";" * 999 + "\n"  # a row of empty cells, skipped like the ones spreadsheets leave
    padding = line * ((roster.MAX_FILE_BYTES - len(BULGARIAN_CSV.encode())) // len(line))
    report = imported(post_csv(client, admin, BULGARIAN_CSV + padding))
    assert report["counts"]["created"] == 3


def test_other_content_types_are_a_415(client, admin):
    response = client.post(IMPORTS, headers=admin, json={"rows": []})
    assert_problem(response, 415)


def test_a_form_without_a_file_part_is_a_422(client, admin):
    response = client.post(IMPORTS, headers=admin, content_type="multipart/form-data", data={"roster": "x"})
    assert list(assert_problem(response, 422)["errors"]) == ["file"]


def test_an_import_while_another_runs_is_a_409(client, db, admin):
    other = Lease(db, roster_store.LEASE, ttl_s=60)
    assert other.acquire()
    assert_problem(post_csv(client, admin, BULGARIAN_CSV), 409)
    assert db.roster.count_documents({}) == 0
    imported(post_csv(client, admin, BULGARIAN_CSV, query="?dry_run=true"), 200)  # dry runs take no lock
    other.release()
    imported(post_csv(client, admin, BULGARIAN_CSV))


# --------------------------------------------------------------------------- authz and reading

@pytest.mark.parametrize("method,path", [
    ("post", IMPORTS), ("get", IMPORTS), ("get", f"{IMPORTS}/abc"), ("get", f"{ROSTER}/entries/MF1234")])
def test_only_admins_get_in(client, db, issue_token, method, path):
    call = getattr(client, method)
    kwargs = {"data": BULGARIAN_CSV.encode(), "content_type": "text/csv"} if method == "post" else {}
    assert_problem(call(path, **kwargs), 401)
    assert_problem(call(path, headers=bearer(issue_token("m1", "alumnus")), **kwargs), 403)
    assert_problem(call(path, headers=bearer(issue_token("m2", "student")), **kwargs), 403)
    assert db.roster.count_documents({}) == 0


def test_reports_are_stored_and_listed_newest_first_without_rows(client, admin):
    first = imported(post_csv(client, admin, BULGARIAN_CSV))
    second = imported(post_csv(client, admin, BULGARIAN_CSV, query="?filename=again.csv"))

    stored = client.get(f"{IMPORTS}/{first['id']}", headers=admin)
    assert stored.status_code == 200 and stored.get_json() == first

    listing = client.get(f"{IMPORTS}?per_page=1", headers=admin).get_json()
    assert (listing["total"], listing["page"], listing["per_page"]) == (2, 1, 1)
    assert [item["id"] for item in listing["items"]] == [second["id"]]
    assert "rows" not in listing["items"][0] and listing["items"][0]["filename"] == "again.csv"
    page2 = client.get(f"{IMPORTS}?per_page=1&page=2", headers=admin).get_json()
    assert [item["id"] for item in page2["items"]] == [first["id"]]
    assert_problem(client.get(f"{IMPORTS}?per_page=101", headers=admin), 422)
    assert_problem(client.get(f"{IMPORTS}/{'0' * 32}", headers=admin), 404)


def test_an_entry_is_found_by_its_student_number(client, admin):
    imported(post_csv(client, admin, BULGARIAN_CSV))
    entry = client.get(f"{ROSTER}/entries/mf 1234", headers=admin)
    assert entry.status_code == 200
    assert entry.get_json()["family_name"] == "Иванова" and entry.get_json()["claimed_by"] is None
    assert_problem(client.get(f"{ROSTER}/entries/MF9999", headers=admin), 404)


def test_routes_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/members/openapi.json").get_json()
    post = spec["paths"][IMPORTS]["post"]
    assert set(post["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}
    assert post["security"] == [{"bearerAuth": []}]
    for path in (IMPORTS, IMPORTS + "/{import_id}", ROSTER + "/entries/{student_number}"):
        assert "get" in spec["paths"][path]


# --------------------------------------------------------------------------- parsing rules

def test_faculty_names_in_both_languages_map_to_the_codes():
    year = 2026
    cases = {"Медицински факултет": "medicine", "МЕДИЦИНА": "medicine", "Faculty of Medicine": "medicine",
             "Факултет по дентална медицина": "dental_medicine", "dental_medicine": "dental_medicine",
             "Фармацевтичен факултет": "pharmacy", "Факултет по обществено здраве": "public_health",
             "Обществено здраве": "public_health", "Медицински колеж": "medical_college",
             " medical   college ": "medical_college"}
    for text, code in cases.items():
        row = roster.check_row(2, {"student_number": "123", "given_name": "A", "family_name": "B",
                                   "graduation_year": "2000", "faculty": text}, year)
        assert row.values.get("faculty") == code, text
    assert set(roster.FACULTY_NAMES) == set(FACULTIES)


def test_rows_are_numbered_by_line_even_with_line_breaks_in_cells_and_blank_lines():
    text = ('student_number,given_name,family_name,graduation_year,faculty,programme\n'
            '111,A,B,2000,pharmacy,"two\nlines"\n'
            '\n'
            ',, ,\n'
            '222,C,D,2001,pharmacy,\n')
    parsed = roster.parse(text.encode(), current_year=2026)
    assert [(row.line, row.student_number) for row in parsed.rows] == [(2, "111"), (6, "222")]
    assert parsed.rows[0].errors == {"programme": ["Must not contain control characters or line breaks."]}


def test_latin_name_columns_must_be_latin():
    row = roster.check_row(2, {"student_number": "123", "given_name": "Мария", "family_name": "Иванова",
                               "family_name_latin": "Иванова", "graduation_year": "2000", "faculty": "МФ"}, 2026)
    assert row.errors == {"family_name_latin": ["Must be in Latin letters."]}


# --------------------------------------------------------------------------- sign-up and erasure

@pytest.fixture
def entries(client, admin) -> None:
    imported(post_csv(client, admin, BULGARIAN_CSV))


def test_signup_matches_by_email(db, entries):
    entry = roster_store.entry_for_email(db, None, "maria.ivanova@example.bg")
    assert entry is not None and entry["_id"] == "MF1234"
    assert roster_store.entry_for_email(db, None, "nobody@example.bg") is None


def test_a_student_number_points_to_an_entry_only_with_the_family_name_in_either_alphabet(db, entries):
    def match(number, family_name):
        found = roster_store.candidate_for_number(db, None, student_number=number, family_name=family_name)
        return found and found["_id"]

    assert match("FD-2001", "Dimitrov") == "FD-2001"
    assert match(" fd-2001 ", "Димитров") == "FD-2001"
    assert match("FD-2001", "DIMITROV") == "FD-2001"
    assert match("FD-2001", "Петров") is None   # the number alone points to no one
    assert match("FD-2001", "") is None
    assert match("MF9999", "Иванова") is None
    assert match(None, "Димитров") is None


def test_an_entry_with_an_email_is_never_matched_by_number(db, entries):
    """Regression: an entry carrying an email was claimed by its student number and family
    name, so anyone who knew those became the graduate."""
    assert roster_store.candidate_for_number(db, None, student_number="mf 1234", family_name="Иванова") is None
    assert roster_store.candidate_for_number(db, None, student_number="PH/777", family_name="Stoyanova") is None


def test_candidates_are_shown_to_the_office_and_forgotten_on_erasure(db, entries):
    roster_store.propose(db, None, "FD-2001", "member-1")
    roster_store.propose(db, None, "FD-2001", "member-1")
    assert db.roster.find_one({"_id": "FD-2001"})["candidates"] == ["member-1"]
    assert db.roster.find_one({"_id": "FD-2001"})["claimed_by"] is None  # a candidate claims nothing
    assert {k: v["_id"] for k, v in roster_store.candidates_of(db, ["member-1", "member-2"]).items()} == {
        "member-1": "FD-2001"}
    roster_store.release(db, None, "member-1")
    assert roster_store.candidates_of(db, ["member-1"]) == {}


def test_an_entry_is_claimed_once_and_released_on_erasure(db, entries):
    assert roster_store.claim(db, None, "MF1234", "member-1") is True
    assert roster_store.claim(db, None, "MF1234", "member-2") is False
    assert db.roster.find_one({"_id": "MF1234"})["claimed_by"] == "member-1"
    # A claimed entry matches no further sign-up.
    assert roster_store.entry_for_email(db, None, "maria.ivanova@example.bg") is None

    roster_store.release(db, None, "member-1")

    assert db.roster.find_one({"_id": "MF1234"})["claimed_by"] is None
    assert roster_store.entry_for_email(db, None, "maria.ivanova@example.bg")["_id"] == "MF1234"
    assert roster_store.claim(db, None, "MF1234", "member-2") is True
    assert roster_store.claim(db, None, "NOPE", "member-2") is False
