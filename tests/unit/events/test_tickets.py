"""Tickets, check-in and the attendance list through the events HTTP API (the real app on the
session's local store, the app clock fixed; events are read from the outbox).

Events are made through the API; registrations are written as documents (model.py), as
registrations would store them. Checked: only the owner of a confirmed registration (or an
admin) gets a ticket, never cached, and its QR code holds ``alumnet:ticket:<code>``; the
first scan checks in and publishes one ``events.attendance.checked_in`` (also when two
scanners post the same code at once), later scans say when and by whom; codes of other
events, cancelled registrations, cancelled events and scans outside the check-in window are
refused; the attendance CSV is what Excel opens and never a formula.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import struct
import threading
import zlib
from datetime import datetime, timedelta, timezone

import pytest
import segno

from services.events import tickets_api
from shared.clock import FixedClock
from tests.support import assert_problem, bearer, outbox_events

EVENTS = "/api/v1/events"
CHECKED_IN = "events.attendance.checked_in"
NOW = datetime(2030, 6, 1, 9, 0, tzinfo=timezone.utc)
STARTS = datetime(2030, 6, 10, 15, 0, tzinfo=timezone.utc)  # 18:00 in Sofia (EEST)
ENDS = STARTS + timedelta(hours=4)
MEMBER, OTHER = "1" * 32, "2" * 32


@pytest.fixture
def member_headers(issue_token):
    return bearer(issue_token(MEMBER, "alumnus"))


@pytest.fixture
def other_headers(issue_token):
    return bearer(issue_token(OTHER, "alumnus"))


@pytest.fixture
def event(client, admin_headers) -> dict:
    return make_event(client, admin_headers)


def make_event(client, admin_headers, **fields) -> dict:
    body = {"title": {"bg": "Среща на випуск 2010", "en": "Class of 2010 reunion"}, "kind": "reunion",
            "starts_at": STARTS.isoformat(), "ends_at": ENDS.isoformat(), "guests_allowed": 2,
            "place": {"name": "Аула", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"}, **fields}
    response = client.post(EVENTS, json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    event_id = response.get_json()["id"]
    response = client.post(f"{EVENTS}/{event_id}/publish", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def register(db, event_id: str, member_id: str, *, status: str = "confirmed", guests: int = 0,
             registered_at: datetime = NOW, **fields) -> dict:
    """A registration document as registrations stores it (model.py)."""
    doc = {"_id": f"{event_id}:{member_id}", "event_id": event_id, "member_id": member_id, "guests": guests,
           "party": 1 + guests, "status": status, "position": None,
           "ticket_code": secrets.token_urlsafe(16) if status == "confirmed" else None,
           "registered_at": registered_at, "confirmed_at": registered_at if status == "confirmed" else None,
           "promoted_at": None, "cancelled_at": None, "cancel_reason": None, "checked_in_at": None,
           "checked_in_by": None, "anonymised_at": None, **fields}
    db.registrations.insert_one(doc)
    return doc


def at_the_door(clock: FixedClock) -> None:
    clock.at = STARTS - timedelta(minutes=30)


def scan(client, admin_headers, event_id: str, code: str):
    return client.post(f"{EVENTS}/{event_id}/check-ins", json={"code": code}, headers=admin_headers)


# --------------------------------------------------------------------------- tickets

def test_the_owner_gets_the_ticket_of_a_confirmed_registration_never_cached(client, db, event, member_headers):
    registration = register(db, event["id"], MEMBER, guests=1)
    response = client.get(f"{EVENTS}/{event['id']}/registrations/mine/ticket", headers=member_headers)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    assert body["code"] == registration["ticket_code"]
    assert body["qr_content"] == f"alumnet:ticket:{registration['ticket_code']}"
    assert (body["status"], body["guests"], body["checked_in_at"], body["member_id"]) == ("confirmed", 1, None,
                                                                                           MEMBER)
    assert body["event"]["event_id"] == event["id"]
    assert body["event"]["title"]["en"] == "Class of 2010 reunion"
    assert body["event"]["timezone"] == "Europe/Sofia"
    assert body["png_url"] == f"{EVENTS}/{event['id']}/registrations/mine/ticket.png"
    assert body["svg_url"] == f"{EVENTS}/{event['id']}/registrations/mine/ticket.svg"


def test_no_ticket_without_a_confirmed_registration_of_ones_own(client, db, event, member_headers, other_headers):
    register(db, event["id"], OTHER, status="waitlisted", position=1)
    url = f"{EVENTS}/{event['id']}/registrations/mine/ticket"
    assert_problem(client.get(url), 401)
    assert_problem(client.get(url + ".png"), 401)
    for headers in (member_headers, other_headers):  # none, waitlisted
        for suffix in ("", ".png", ".svg"):
            assert_problem(client.get(url + suffix, headers=headers), 404)
    register(db, event["id"], MEMBER, status="cancelled", cancel_reason="member", ticket_code="x" * 22)
    assert_problem(client.get(url, headers=member_headers), 404)
    assert_problem(client.get(f"{EVENTS}/{'0' * 32}/registrations/mine/ticket", headers=member_headers), 404)
    assert_problem(client.get(url + ".gif", headers=member_headers), 404)


def decode_png(data: bytes) -> tuple[int, list[list[int]]]:
    """The pixels (1: dark) of a 1-bit greyscale PNG as segno writes it."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert (depth, colour, width) == (1, 0, height)
        elif kind == b"IDAT":
            idat += chunk
    raw, stride, rows, previous = zlib.decompress(idat), (width + 7) // 8, [], bytes((width + 7) // 8)
    for start in range(0, len(raw), stride + 1):
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            if kind == 1:
                line[i] = (line[i] + (line[i - 1] if i else 0)) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + previous[i]) & 0xFF
            else:
                assert kind == 0, f"PNG filter {kind}"
        previous = bytes(line)
        rows.append([0 if line[x // 8] >> (7 - x % 8) & 1 else 1 for x in range(width)])
    return width, rows


def test_the_qr_code_holds_the_ticket_uri_as_png_and_svg(client, db, event, member_headers):
    code = register(db, event["id"], MEMBER)["ticket_code"]
    expected = segno.make_qr(f"alumnet:ticket:{code}", error="m", boost_error=False)
    assert expected.error == "M"
    png = client.get(f"{EVENTS}/{event['id']}/registrations/mine/ticket.png", headers=member_headers)
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Cache-Control"] == "private, no-store"
    width, pixels = decode_png(png.data)
    size = len(expected.matrix)
    scale, border = tickets_api.QR_SCALE, tickets_api.QR_BORDER
    assert width == (size + 2 * border) * scale
    modules = [[pixels[(border + r) * scale + scale // 2][(border + c) * scale + scale // 2] for c in range(size)]
               for r in range(size)]
    assert modules == [[1 if m else 0 for m in row] for row in expected.matrix]

    svg = client.get(f"{EVENTS}/{event['id']}/registrations/mine/ticket.svg", headers=member_headers)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in svg.headers["Content-Security-Policy"]
    path = re.search(r' d="([^"]+)"', svg.get_data(as_text=True)).group(1)
    assert path == re.search(r' d="([^"]+)"', expected.svg_inline(border=border)).group(1)
    assert code not in svg.get_data(as_text=True)  # the image only, no readable secret beside it


def test_admins_fetch_any_members_ticket_others_may_not(client, db, event, admin_headers, member_headers,
                                                        other_headers):
    code = register(db, event["id"], MEMBER)["ticket_code"]
    base = f"{EVENTS}/{event['id']}/registrations/{MEMBER}/ticket"
    response = client.get(base, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["code"] == code
    assert response.get_json()["png_url"] == base + ".png"
    for suffix, mimetype in ((".png", "image/png"), (".svg", "image/svg+xml")):
        response = client.get(base + suffix, headers=admin_headers)
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["Cache-Control"] == "private, no-store"
        assert_problem(client.get(base + suffix), 401)
        assert_problem(client.get(base + suffix, headers=other_headers), 403)
        assert_problem(client.get(base + suffix, headers=member_headers), 403)  # own one: via /mine
    assert_problem(client.get(f"{EVENTS}/{event['id']}/registrations/{OTHER}/ticket.png", headers=admin_headers), 404)


# --------------------------------------------------------------------------- check-in

def test_the_first_scan_checks_in_and_publishes_once_the_second_says_when(client, db, clock, event,
                                                                          admin_headers, member_headers):
    code = register(db, event["id"], MEMBER, guests=2)["ticket_code"]
    db.members.insert_one({"_id": MEMBER, "given_name": "Елена", "family_name": "Стоянова", "status": "verified"})
    at_the_door(clock)
    response = scan(client, admin_headers, event["id"], code)
    assert response.status_code == 200, response.get_json()
    first = response.get_json()
    assert first["status"] == "checked_in"
    assert (first["member_id"], first["guests"], first["given_name"], first["family_name"]) == (
        MEMBER, 2, "Елена", "Стоянова")
    assert datetime.fromisoformat(first["checked_in_at"]) == clock.at
    assert first["checked_in_by"] == "a" * 32
    [message] = outbox_events(db, CHECKED_IN)
    assert message["subject"] == f"{event['id']}:{MEMBER}"
    assert message["data"] == {"event_id": event["id"], "registration_id": f"{event['id']}:{MEMBER}",
                               "member_id": MEMBER, "guests": 2, "kind": "reunion",
                               "checked_in_at": clock.at.isoformat()}
    assert code not in str(message)

    clock.advance(minutes=3)
    again = scan(client, admin_headers, event["id"], f"alumnet:ticket:{code}")  # the QR content works too
    assert again.status_code == 200
    body = again.get_json()
    assert body["status"] == "already_checked_in"
    assert body["checked_in_at"] == first["checked_in_at"] and body["checked_in_by"] == "a" * 32
    assert len(outbox_events(db, CHECKED_IN)) == 1
    ticket = client.get(f"{EVENTS}/{event['id']}/registrations/mine/ticket", headers=member_headers).get_json()
    assert ticket["checked_in_at"] == first["checked_in_at"]


def test_two_scanners_posting_the_same_code_at_once_publish_one_event(app, db, clock, event, admin_headers):
    code = register(db, event["id"], MEMBER)["ticket_code"]
    at_the_door(clock)
    barrier, answers = threading.Barrier(2), []

    def scanner():
        client = app.test_client()
        barrier.wait()
        answers.append(scan(client, admin_headers, event["id"], code))

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.get_json()["status"] for a in answers) == ["already_checked_in", "checked_in"]
    assert len(outbox_events(db, CHECKED_IN)) == 1


def test_only_admins_check_in_and_the_code_must_look_like_one(client, db, clock, event, admin_headers,
                                                              member_headers):
    code = register(db, event["id"], MEMBER)["ticket_code"]
    at_the_door(clock)
    url = f"{EVENTS}/{event['id']}/check-ins"
    assert_problem(client.post(url, json={"code": code}), 401)
    assert_problem(client.post(url, json={"code": code}, headers=member_headers), 403)
    for body in ({}, {"code": "short"}, {"code": "=cmd|' /C calc'!A0" + "a" * 20}, {"code": 42},
                 {"code": "alumnet:ticket:"}, {"code": "x" * 65}):
        problem = assert_problem(client.post(url, json=body, headers=admin_headers), 422)
        assert "code" in problem["errors"], body
    assert outbox_events(db, CHECKED_IN) == []
    assert db.registrations.find_one({"_id": f"{event['id']}:{MEMBER}"})["checked_in_at"] is None


def test_codes_of_other_events_and_of_cancelled_registrations_are_no_valid_ticket(client, db, clock, event,
                                                                                  admin_headers):
    other_event = make_event(client, admin_headers)
    elsewhere = register(db, other_event["id"], MEMBER)["ticket_code"]
    cancelled = register(db, event["id"], OTHER, status="cancelled", cancel_reason="member",
                         ticket_code=secrets.token_urlsafe(16))["ticket_code"]
    at_the_door(clock)
    for code in (elsewhere, cancelled, secrets.token_urlsafe(16)):
        problem = assert_problem(scan(client, admin_headers, event["id"], code), 404)
        assert problem["detail"] == "No valid ticket for this event."
    assert_problem(scan(client, admin_headers, "0" * 32, elsewhere), 404)
    assert outbox_events(db, CHECKED_IN) == []


def test_check_in_opens_six_hours_before_the_start_and_closes_at_the_end(client, db, clock, event, admin_headers):
    code = register(db, event["id"], MEMBER)["ticket_code"]
    clock.at = STARTS - timedelta(hours=6, seconds=1)
    problem = assert_problem(scan(client, admin_headers, event["id"], code), 409)
    assert problem["detail"] == "Check-in opens at 2030-06-10T12:00:00+03:00."
    assert datetime.fromisoformat(problem["opens_at"]) == STARTS - timedelta(hours=6)
    assert datetime.fromisoformat(problem["closes_at"]) == ENDS
    clock.at = ENDS
    problem = assert_problem(scan(client, admin_headers, event["id"], code), 409)
    assert "2030-06-10T22:00:00+03:00" in problem["detail"]
    assert outbox_events(db, CHECKED_IN) == []
    clock.at = STARTS - timedelta(hours=6)
    assert scan(client, admin_headers, event["id"], code).get_json()["status"] == "checked_in"


def test_no_check_in_at_a_cancelled_event(client, db, clock, event, admin_headers):
    code = register(db, event["id"], MEMBER)["ticket_code"]
    response = client.post(f"{EVENTS}/{event['id']}/cancel", json={"reason": "Залата е наводнена."},
                           headers=admin_headers)
    assert response.status_code == 200
    at_the_door(clock)
    problem = assert_problem(scan(client, admin_headers, event["id"], code), 409)
    assert "cancelled" in problem["detail"]
    assert outbox_events(db, CHECKED_IN) == []


# --------------------------------------------------------------------------- attendance

def test_the_attendance_csv_lists_the_confirmed_checked_in_first_in_the_events_time_zone(
        client, db, clock, event, admin_headers):
    early, late = NOW - timedelta(days=3), NOW - timedelta(days=1)
    ids = [c * 32 for c in "3456789"]
    codes = {}
    codes["a"] = register(db, event["id"], ids[0], registered_at=early)["ticket_code"]
    codes["b"] = register(db, event["id"], ids[1], registered_at=late, guests=1)["ticket_code"]
    register(db, event["id"], ids[2], registered_at=early + timedelta(hours=1))
    register(db, event["id"], ids[3], status="waitlisted", position=1)
    register(db, event["id"], ids[4], status="cancelled", cancel_reason="member")
    register(db, make_event(client, admin_headers)["id"], ids[5])
    db.members.insert_many([
        {"_id": ids[0], "given_name": "=HYPERLINK(\"http://evil\")", "family_name": "@SUM(A1)"},
        {"_id": ids[1], "given_name": "Петър", "family_name": "-Колев+"},
    ])
    at_the_door(clock)
    scan(client, admin_headers, event["id"], codes["b"])  # arrives first
    clock.advance(minutes=10)
    scan(client, admin_headers, event["id"], codes["a"])

    url = f"{EVENTS}/{event['id']}/attendance.csv"
    assert_problem(client.get(url), 401)
    response = client.get(url, headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="attendance-{event["id"]}.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["member_id", "given_name", "family_name", "guests", "status", "registered_at",
                             "checked_in_at"]
    assert [r["member_id"] for r in rows] == [ids[1], ids[0], ids[2]]
    assert rows[0] == {"member_id": ids[1], "given_name": "Петър", "family_name": "'-Колев+", "guests": "1",
                       "status": "checked_in", "registered_at": "2030-05-31T12:00:00+03:00",
                       "checked_in_at": "2030-06-10T17:30:00+03:00"}
    assert (rows[1]["given_name"], rows[1]["family_name"]) == ("'=HYPERLINK(\"http://evil\")", "'@SUM(A1)")
    assert rows[1]["checked_in_at"] == "2030-06-10T17:40:00+03:00"
    assert rows[2] == {"member_id": ids[2], "given_name": "", "family_name": "", "guests": "0",
                       "status": "confirmed", "registered_at": "2030-05-29T13:00:00+03:00", "checked_in_at": ""}


def test_the_attendance_csv_is_for_admins_only(client, event, member_headers, admin_headers):
    assert_problem(client.get(f"{EVENTS}/{event['id']}/attendance.csv", headers=member_headers), 403)
    assert_problem(client.get(f"{EVENTS}/{'0' * 32}/attendance.csv", headers=admin_headers), 404)
    response = client.get(f"{EVENTS}/{event['id']}/attendance.csv", headers=admin_headers)
    assert response.data.decode("utf-8-sig").splitlines() == [
        "member_id,given_name,family_name,guests,status,registered_at,checked_in_at"]


def test_safe_cell_neutralises_formulas_only():
    assert [tickets_api.safe_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "Мария", "", None, 3, "a=b")] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "Мария", "", "", "3", "a=b"]


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get(f"{EVENTS}/openapi.json").get_json()["paths"]
    for path in ("/api/v1/events/{event_id}/registrations/mine/ticket", "/api/v1/events/{event_id}/check-ins",
                 "/api/v1/events/{event_id}/attendance.csv",
                 "/api/v1/events/{event_id}/registrations/{member_id}/ticket"):
        assert path in paths, sorted(paths)


# --------------------------------------------------------------------------- staff at the door

STAFF = "5" * 32


def test_staff_run_the_door_of_any_event_but_see_no_ticket_code(client, db, clock, admin_headers, issue_token):
    staff = bearer(issue_token(STAFF, "staff"))
    event = make_event(client, admin_headers, audience={"kind": "graduation_years", "year_from": 2010, "year_to": 2010})
    code = register(db, event["id"], MEMBER)["ticket_code"]
    assert client.get(f"{EVENTS}/{event['id']}", headers=staff).status_code == 200  # not in its audience, sees it
    assert [e["id"] for e in client.get(EVENTS, headers=staff).get_json()["items"]] == [event["id"]]
    at_the_door(clock)
    response = scan(client, staff, event["id"], code)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["checked_in_by"]) == ("checked_in", STAFF)
    [checked_in] = outbox_events(db, CHECKED_IN)
    assert checked_in["data"]["member_id"] == MEMBER
    rows = list(csv.DictReader(io.StringIO(client.get(f"{EVENTS}/{event['id']}/attendance.csv", headers=staff)
                                           .data.decode("utf-8-sig"))))
    assert [(r["member_id"], r["status"]) for r in rows] == [(MEMBER, "checked_in")]
    listing = client.get(f"{EVENTS}/{event['id']}/registrations", headers=staff)
    assert listing.status_code == 200, listing.get_json()
    assert [(r["member_id"], r["ticket_code"]) for r in listing.get_json()["items"]] == [(MEMBER, None)]


def test_staff_have_no_other_right_of_admins_over_events(client, db, admin_headers, issue_token, event):
    staff = bearer(issue_token(STAFF, "staff"))
    register(db, event["id"], MEMBER)
    url = f"{EVENTS}/{event['id']}"
    assert_problem(client.post(EVENTS, json={}, headers=staff), 403)
    assert_problem(client.patch(url, json={"capacity": 5}, headers=staff), 403)
    assert_problem(client.post(f"{url}/publish", headers=staff), 403)
    assert_problem(client.post(f"{url}/cancel", json={"reason": "x"}, headers=staff), 403)
    assert_problem(client.get(f"{url}/registrations/{MEMBER}", headers=staff), 403)
    assert_problem(client.delete(f"{url}/registrations/{MEMBER}", headers=staff), 403)
    for suffix in ("", ".png", ".svg"):
        assert_problem(client.get(f"{url}/registrations/{MEMBER}/ticket{suffix}", headers=staff), 403)
    assert_problem(client.get(EVENTS, query_string={"status": "draft"}, headers=staff), 403)
    # Drafts are the office's: to staff they do not exist, door included.
    draft = client.post(EVENTS, headers=admin_headers, json={
        "title": {"bg": "Чернова", "en": "Draft"}, "kind": "lecture", "starts_at": STARTS.isoformat(),
        "ends_at": ENDS.isoformat(), "place": {"name": "Аула", "city": "Пловдив"}}).get_json()
    for path in ("", "/registrations", "/attendance.csv", ".ics"):
        assert_problem(client.get(f"{EVENTS}/{draft['id']}{path}", headers=staff), 404)
    assert_problem(scan(client, staff, draft["id"], "x" * 22), 404)
    assert [e["id"] for e in client.get(EVENTS, headers=staff).get_json()["items"]] == [event["id"]]
    assert db.events.find_one({"_id": event["id"]})["status"] == "published"
