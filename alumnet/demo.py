"""Demo data for ``alumnet dev``, loaded through the public APIs as a person would: the
alumni office imports a small roster, graduates sign up (those on the roster are verified at
once, the others wait in the approval queue), and fill in their profiles."""
from __future__ import annotations

import logging

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
     {"city": "London", "country": "GB", "languages": ["en", "bg"], "international_graduate": True}),
    ({"given_name": "Елена", "family_name": "Димитрова", "email": "elena.dimitrova@example.bg",
      "phone": "+359878555111", "preferred_language": "bg", "consent": {"email": True, "sms": False}},
     {"employer": "Аптеки „Марешки“", "city": "Варна", "country": "BG", "open_to_ambassador": True,
      "visibility": {"phone": "members"}}),
    ({"given_name": "Николай", "family_name": "Стоянов", "email": "n.stoyanov@example.bg",
      "preferred_language": "bg", "consent": {"email": True, "sms": False}, "student_number": "MF0507"},
     {"specialty": "хирургия", "employer": "МБАЛ Пловдив", "city": "Plovdiv", "country": "BG",
      "interests": ["хирургия", "планини"], "open_to_mentoring": True}),
    ({"given_name": "Цветелина", "family_name": "Чолакова", "email": "tsvetelina@example.bg",
      "preferred_language": "bg", "consent": {"email": False, "sms": False}},
     {"city": "София", "country": "BG", "languages": ["bg", "de"], "open_to_ambassador": True}),
    ({"given_name": "Rahul", "family_name": "Sharma", "email": "rahul.sharma@example.com",
      "preferred_language": "en", "graduation_year": 2021, "faculty": "medicine",
      "programme": "Medicine (English-taught)", "consent": {"email": True, "sms": False}},
     {"city": "Mumbai", "country": "IN", "languages": ["en", "hi"], "international_graduate": True}),
]


def load(members_app, private_key_file: str) -> dict:
    """Load the demo through the members API; return what the banner shows."""
    client = members_app.test_client()
    issuer = TokenIssuer.from_file(private_key_file, "alumnet", "alumnet", 12 * 3600)
    office = {"Authorization": f"Bearer {issuer.issue('demo-office', ['admin'])}"}
    client.post("/api/v1/members/roster/imports?filename=demo-roster.csv", data=ROSTER_CSV.encode(),
                headers={**office, "Content-Type": "text/csv", "Idempotency-Key": "demo-roster"})
    created = 0
    for signup, profile in MEMBERS:
        response = client.post("/api/v1/members", json={**signup, "password": PASSWORD},
                               headers={"Idempotency-Key": f"demo-{signup['email']}"})
        if response.status_code != 201:
            if response.status_code != 409:
                log.warning("demo member not loaded: %s", response.get_data(as_text=True))
            continue
        created += 1
        member = response.get_json()
        own = {"Authorization": f"Bearer {issuer.issue(member['id'], member['roles'])}"}
        client.patch(f"/api/v1/members/{member['id']}", json=profile, headers=own)
    return {"demo_members_created": created,
            "demo_logins": {"emails": [s["email"] for s, _ in MEMBERS], "password": PASSWORD},
            "demo_admin_token": office["Authorization"]}
