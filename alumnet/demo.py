"""Demo data for ``alumnet dev``, loaded through the public APIs as a person would: the
alumni office imports a small roster, graduates sign up and follow their welcome email's link
(those whose email is on the roster are then verified; the others wait in the approval queue,
Nikolay with the roster entry his student number matches beside him), log in and fill in
their profiles."""
from __future__ import annotations

import json
import logging

from services.members.accounts import rules as accounts
from shared.auth import TokenIssuer

log = logging.getLogger("alumnet.dev")
PASSWORD = "alumnet-demo-2026"
ROSTER_CSV = """Факултетен номер;Име;Презиме;Фамилия;Име (латиница);Фамилия (латиница);Имейл;Випуск;Факултет;Специалност
MF0812;Мария;Петрова;Иванова;Maria;Ivanova;maria.ivanova@example.bg;2012;Медицински факултет;Медицина
PH2401;Елена;Стефанова;Димитрова;Elena;Dimitrova;elena.dimitrova@example.bg;2024;Фармацевтичен факултет;Фармация
MF0507;Николай;Георгиев;Стоянов;Nikolay;Stoyanov;;2005;Медицински факултет;Медицина
DM1510;Цветелина;Иванова;Чолакова;Tsvetelina;Cholakova;tsvetelina@example.bg;2015;Факултет по дентална медицина;Дентална медицина
"""
MEMBERS = [
    ({"given_name": "Мария", "family_name": "Иванова", "email": "maria.ivanova@example.bg",
      "phone": "+359888123456", "preferred_language": "bg", "consent": {"email": True, "sms": True}},
     {"specialty": "кардиология", "position": "лекар-специалист", "employer": "УМБАЛ „Свети Георги“",
      "city": "Пловдив", "country": "BG", "languages": ["bg", "en"], "interests": ["кардиология", "бягане"],
      "open_to_mentoring": True, "visibility": {"names": "public", "employer": "public"}}),
    ({"given_name": "Georgi", "family_name": "Petrov", "email": "georgi.petrov@example.com",
      "preferred_language": "en", "graduation_year": 2019, "faculty": "dental_medicine",
      "programme": "Dental Medicine (English-taught)", "consent": {"email": True, "sms": False}},
     {"city": "London", "country": "GB", "languages": ["en", "bg"], "international_graduate": True,
      "interests": ["research"], "open_to_volunteer": True}),
    ({"given_name": "Елена", "family_name": "Димитрова", "email": "elena.dimitrova@example.bg",
      "phone": "+359878555111", "preferred_language": "bg", "consent": {"email": True, "sms": False}},
     {"employer": "Аптеки „Марешки“", "city": "Варна", "country": "BG", "open_to_ambassador": True,
      "visibility": {"phone": "members"}}),
    ({"given_name": "Николай", "family_name": "Стоянов", "email": "n.stoyanov@example.bg",
      "preferred_language": "bg", "consent": {"email": True, "sms": False}, "student_number": "MF0507"},
     {"specialty": "хирургия", "employer": "МБАЛ Пловдив", "city": "Plovdiv", "country": "BG",
      "interests": ["хирургия", "планини", "Research"], "open_to_mentoring": True, "open_to_volunteer": True}),
    ({"given_name": "Цветелина", "family_name": "Чолакова", "email": "tsvetelina@example.bg",
      "preferred_language": "bg", "consent": {"email": False, "sms": False}},
     {"city": "София", "country": "BG", "languages": ["bg", "de"], "open_to_ambassador": True}),
    ({"given_name": "Rahul", "family_name": "Sharma", "email": "rahul.sharma@example.com",
      "preferred_language": "en", "graduation_year": 2021, "faculty": "medicine",
      "programme": "Medicine (English-taught)", "consent": {"email": True, "sms": False}},
     {"city": "Mumbai", "country": "IN", "languages": ["en", "hi"], "international_graduate": True}),
]


EVENTS = [
    {"title": {"bg": "Среща на випуск 2012", "en": "Class of 2012 reunion"}, "kind": "reunion",
     "description": {"bg": "Десет години по-късно, в Аулата.", "en": "Ten years on, in the Aula."},
     "starts_at": "2027-05-15T18:00", "ends_at": "2027-05-15T23:00", "capacity": 80, "guests_allowed": 1,
     "place": {"name": "Аула на МУ-Пловдив", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"},
     "audience": {"kind": "graduation_years", "year_from": 2012, "year_to": 2012}},
    {"title": {"bg": "Уебинар: новото в кардиологията", "en": "Webinar: what is new in cardiology"},
     "kind": "webinar", "description": {"bg": "С д-р Мария Иванова.", "en": "With Dr Maria Ivanova."},
     "starts_at": "2027-02-10T19:00", "ends_at": "2027-02-10T20:30", "capacity": None,
     "online_url": "https://meet.example.org/alumni-cardiology", "audience": {"kind": "all"}},
]


def load_events(events_app, office: dict) -> int:
    client = events_app.test_client()
    published = 0
    for event in EVENTS:
        created = client.post("/api/v1/events", json=event,
                              headers={**office, "Idempotency-Key": f"demo-{event['title']['en']}"})
        if created.status_code == 201:
            published += client.post(f"/api/v1/events/{created.get_json()['id']}/publish",
                                     headers=office).status_code == 200
    return published


def _confirm_emails(members_app) -> int:
    """Demo members follow their welcome email's confirmation link, setting their password
    there (roster email matches become verified): the tokens are read from the members
    outbox, where the emails come from. Returns how many confirmed."""
    service = members_app.extensions["alumnet"]
    client = members_app.test_client()
    confirmed = 0
    for doc in service.store.db.outbox.find({"type": "members.member.registered"}):
        encrypted = json.loads(doc["body"])["data"].get("encrypted_confirmation_token")
        token = encrypted and accounts.decrypt_token(service.config.token_encryption_key, encrypted)
        if token:
            response = client.post("/api/v1/members/auth/confirm-email", json={"token": token, "password": PASSWORD})
            confirmed += response.status_code == 200
    return confirmed


def _fill_profiles(client) -> None:
    for signup, profile in MEMBERS:
        login = client.post("/api/v1/members/auth/login", json={"email": signup["email"], "password": PASSWORD})
        if login.status_code != 200:
            log.warning("demo member cannot log in: %s", login.get_data(as_text=True))
            continue
        pair = login.get_json()
        client.patch(f"/api/v1/members/{pair['member_id']}", json=profile,
                     headers={"Authorization": f"Bearer {pair['access_token']}"})


def load(members_app, private_key_file: str, events_app=None) -> dict:
    """Load the demo through the APIs; return what the banner shows."""
    client = members_app.test_client()
    issuer = TokenIssuer.from_file(private_key_file, "alumnet", "alumnet", 12 * 3600)
    office = {"Authorization": f"Bearer {issuer.issue('demo-office', ['admin'])}"}
    client.post("/api/v1/members/roster/imports?filename=demo-roster.csv", data=ROSTER_CSV.encode(),
                headers={**office, "Content-Type": "text/csv", "Idempotency-Key": "demo-roster"})
    for signup, _profile in MEMBERS:
        response = client.post("/api/v1/members", json={**signup, "password": PASSWORD},
                               headers={"Idempotency-Key": f"demo-{signup['email']}"})
        if response.status_code != 202:
            log.warning("demo member not loaded: %s", response.get_data(as_text=True))
    created = _confirm_emails(members_app)
    _fill_profiles(client)
    events = load_events(events_app, office) if events_app is not None else 0
    return {"demo_members_created": created, "demo_events_published": events,
            "demo_logins": {"emails": [s["email"] for s, _ in MEMBERS], "password": PASSWORD},
            "demo_admin_token": office["Authorization"].removeprefix("Bearer ")}
