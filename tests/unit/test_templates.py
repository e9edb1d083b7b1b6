"""Email templates and the message they become (``services.notifications.rendering`` and
``mailer.build_message``).

Every template folder under ``templates/email/`` is found automatically and must exist in every
language with a subject, a text part and an HTML part, render with realistic Bulgarian and
English data, escape HTML only in the HTML part, and fail loudly on a missing variable.
A new template with variables not listed in ``SAMPLE_CONTEXT`` gets a generic value; if that
is not enough (attributes, loops), add realistic sample data for it below.

Every SMS body under ``templates/sms/`` is found the same way: it must exist in both languages,
belong to an email template (and use only that email's variables), and fit ``SMS_MAX_SEGMENTS``
(its default in ``shared.config``) with realistic and with the longest realistic data, measured
by ``sms_text.describe``: Bulgarian is UCS-2 (67 characters per part), English stays GSM-7 with
Latin data and still fits as UCS-2 when the data are not Latin (a place entered in Bulgarian).
"""
from __future__ import annotations

import email
import email.policy
import html
import re
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta

from services.notifications import rendering, sms_text
from services.notifications.mailer import build_message
from services.notifications.rendering import LANGUAGES, render_email
from shared.config import SETTINGS

TEMPLATE_ROOT = Path(rendering.__file__).parent / "templates" / "email"
TEMPLATES = sorted(p.name for p in TEMPLATE_ROOT.iterdir() if p.is_dir())
PARTS = ("subject.txt", "txt", "html")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")

# A real link from shared.unsubscribe.link: the token is long and URL-safe base64.
UNSUBSCRIBE_URL = ("https://alumni.mu-plovdiv.bg/api/v1/members/unsubscribe?token=eyJ2IjoxLCJtIjoibW1tbW1tbW1t"
                   "YW1tbW1tbW1tbW1tbW1tbW1tbW1tbW0iLCJjaCI6ImVtYWlsIiwiY2EiOiJldmVudHMifQ.EmhRFBg5JRPPZG3lESid8Gd5")
# A real link from shared.mentoringlink.portal_link: one decision of one mentor on one request.
MENTORING_LINK = ("https://alumni.mu-plovdiv.bg/mentoring/requests/7c3e9a1b5d2f4e6a8b0c1d2e3f4a5b6c/decide?t=eyJ2Ijox"
                  "LCJtIjoiNWExYjJjM2Q0ZTVmNjA3MTgyOTNhNGI1YzZkN2U4ZjkiLCJkIjoiYWNjZXB0In0.Rm9vYmFyQmF6")
# Realistic data per variable name; Cyrillic for bg, Latin for en (international students).
SAMPLE_CONTEXT = {
    "bg": {"given_name": "Мария", "family_name": "Иванова-Петрова",
           "event_title": "Годишна среща на випуск 2000", "event_when": "14 юни 2025 г., 18:30 ч.",
           "event_where": "Аула на МУ – Пловдив, бул. „Васил Априлов“ 15А, Пловдив",
           "previous_when": "6 юни 2025 г., 19:00 ч.", "guests": 2, "position": 3,
           "ticket_url": "https://alumni.mu-plovdiv.bg/events/7f3c9a2e-5b1d-4c8e-9a61-2d0f3b7c4e15/ticket",
           "reason": "Залата е затворена за неотложен ремонт.", "starts_in": "след 24 часа",
           "event_description": "Двадесет и пет години след дипломирането се събираме отново в аулата.\n"
                                "Програма: 18:30 – посрещане, 19:00 – слово на ректора, 20:00 – коктейл.\n\n"
                                "Моля, регистрирайте се до 1 юни.",
           "event_url": "https://alumni.mu-plovdiv.bg/events/7f3c9a2e-5b1d-4c8e-9a61-2d0f3b7c4e15",
           "unsubscribe_url": UNSUBSCRIBE_URL,
           "subject": "Покана за общо събрание на Алумни клуба",
           "body": "Уважаеми колеги,\n\nОбщото събрание на клуба ще се проведе на 12 декември 2026 г. от 17:00 ч."
                   "\nДневен ред: отчет за годината & избор на ново ръководство.",
           "date": "28 ноември 2026 г.",
           "survey_title": "Къде сте днес? Профил на випуск 2000",
           "survey_description": "Пет минути за профила на випуска.\nОтговорите помагат да планираме събитията.",
           "survey_questions": "12 въпроса", "survey_closes": "22 декември 2026 г., 00:00 ч.",
           "survey_anonymous": False, "survey_id": "9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b",
           "survey_url": "https://alumni.mu-plovdiv.bg/surveys/9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b/answer?t=eyJ2IjoxfQ.x",
           "mentee_name": "Елена Димитрова", "other_name": "Д-р Георги Петров",
           "request_message": "Здравейте! Мисля за кардиология и бих искала съвет.\n\nБлагодаря предварително.",
           "deadline": "8 декември 2026 г., 12:00 ч.", "choice": 1, "of": 3,
           "accept_url": MENTORING_LINK, "decline_url": MENTORING_LINK.replace("eyJ2", "eyJ3"),
           "asks_url": "https://alumni.mu-plovdiv.bg/mentoring/asks",
           "recommendations_url": "https://alumni.mu-plovdiv.bg/mentoring/recommendations",
           "mentorship_url": "https://alumni.mu-plovdiv.bg/mentoring/mentorships/2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e1b",
           "exhausted": False, "other_left": False, "meeting_on": "10 декември 2026 г.", "meeting_minutes": 45,
           "meetings": 6, "started_on": "6 декември 2026 г.",
           # Ambassadors, causes and awards (issue 15 and 16).
           "ambassador_regions": "IN (Delhi, Mumbai); NP", "ambassador_languages": "en, hi",
           "ambassador_countries": "IN, NP", "applicant_name": "Прия Шарма",
           "term_starts": "1 октомври 2026 г.", "term_ends": "30 септември 2027 г.",
           "programme_url": "https://alumni.mu-plovdiv.bg/me/ambassador",
           "contact_name": "Прия Шарма", "contact_kind": "бъдещ студент", "contact_country": "IN",
           "contact_language": "en", "from_finder": True,
           "contact_message": "Здравейте! Колко струва общежитието?\n\nИма ли подготвителна година?",
           "reply_due": "10 декември 2026 г., 12:00 ч.", "overdue_since": "10 декември 2026 г., 12:01 ч.",
           "contacts_url": "https://alumni.mu-plovdiv.bg/ambassadors/contacts",
           "office_url": "https://alumni.mu-plovdiv.bg/office/ambassadors", "ambassador_name": "Д-р Георги Петров",
           "asker_name": "Прия Шарма", "confirm_until": "11 декември 2026 г., 12:00 ч.",
           "confirm_url": "https://alumni.mu-plovdiv.bg/ambassadors/questions/5e1d/confirm?t=eyJ2IjoxfQ.x",
           "recipient_name": "Прия Шарма", "ambassador_given_name": "Георги",
           "reply_message": "Здравейте, Прия!\nОбщежитието струва около 100 евро на месец.\n\nУспех!",
           "finder_url": "https://alumni.mu-plovdiv.bg/ambassadors",
           "cause_title": "Ден на отворените врати 2027", "cause_deadline": "20 март 2027 г., 18:00 ч.",
           "cause_description": "Посрещаме кандидат-студентите и техните родители.\n\nНужни са ни доброволци.",
           "cause_roles": [{"title": "Екскурзовод", "detail": "10 места, 27 март 2027 г., 09:00 ч.",
                            "what_to_bring": "Бяла престилка"},
                           {"title": "Пробни изпити", "detail": "4 места", "what_to_bring": ""}],
           "cause_goal": "1200 от 5000 лв.", "donation_url": "https://mu-plovdiv.bg/darenia",
           "cause_url": "https://alumni.mu-plovdiv.bg/causes/3c5e7a9b1d2f4e6a8b0c1d2e3f4a5b6c",
           "role_title": "Екскурзовод", "what_to_bring": "Бяла престилка и удобни обувки.",
           "role_when": "27 март 2027 г., 09:00 ч.", "role_place": "Аула на МУ – Пловдив, Пловдив",
           "quantity": "", "hours": "3 часа", "hours_on": "27 март 2027 г.",
           "cycle_title": "Алумни награди 2026", "year": 2026,
           "award_categories": [{"title": "Ментор на годината", "description": "За ментор на студенти."},
                                {"title": "Посланик на годината", "description": ""}],
           "nominations_until": "31 януари 2027 г., 23:59 ч.",
           "cycle_url": "https://alumni.mu-plovdiv.bg/awards/cycles/2026",
           "award_category": "Ментор на годината", "decide_by": "15 февруари 2027 г., 23:59 ч.",
           "results_on": "20 март 2027 г.",
           "nominations_url": "https://alumni.mu-plovdiv.bg/me/nominations",
           "winner_name": "Д-р Георги Петров", "citation": "За двадесет години всеотдайно менторство.",
           "winners_url": "https://alumni.mu-plovdiv.bg/awards/cycles/2026/winners",
           "items": [{"subject": "Ново събитие: Среща на випуск 2006",
                      "text": "Каним Ви на среща на випуск 2006 на 12 декември 2026 г.\nРегистрацията е отворена."},
                     {"subject": "Нова публикация в указателя",
                      "text": "Д-р Петров обнови профила си и вече е ментор."},
                     {"subject": "Напомняне за членския внос",
                      "text": "Членският внос за 2027 г. е 30 лв.\n\nБлагодарим Ви за подкрепата!"}]},
    "en": {"given_name": "Aisha", "family_name": "O'Connor",
           "event_title": "Class of 2000 Reunion", "event_when": "14 June 2025, 18:30",
           "event_where": "Main Hall, Medical University of Plovdiv, 15A Vasil Aprilov Blvd, Plovdiv",
           "previous_when": "6 June 2025, 19:00", "guests": 2, "position": 3,
           "ticket_url": "https://alumni.mu-plovdiv.bg/events/7f3c9a2e-5b1d-4c8e-9a61-2d0f3b7c4e15/ticket",
           "reason": "The hall is closed for urgent repairs.", "starts_in": "in 24 hours",
           "event_description": "Twenty-five years after graduation, we meet again in the Main Hall.\n"
                                "Programme: 18:30 welcome, 19:00 address by the Rector, 20:00 reception.\n\n"
                                "Please register by 1 June.",
           "event_url": "https://alumni.mu-plovdiv.bg/events/7f3c9a2e-5b1d-4c8e-9a61-2d0f3b7c4e15",
           "unsubscribe_url": UNSUBSCRIBE_URL,
           "subject": "Invitation to the Alumni Club's General Assembly",
           "body": "Dear colleagues,\n\nThe General Assembly of the club will be held on 12 December 2026 at 17:00."
                   "\nAgenda: annual report & election of the new board.",
           "date": "28 November 2026",
           "survey_title": "Where are you today? Class of 2000 profile",
           "survey_description": "Five minutes for your class's profile.\nYour answers help us plan our events.",
           "survey_questions": "12 questions", "survey_closes": "22 December 2026, 00:00",
           "survey_anonymous": True, "survey_id": "9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b",
           "survey_url": "https://alumni.mu-plovdiv.bg/surveys/9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b/answer?t=eyJ2IjoxfQ.x",
           "mentee_name": "Anna Müller", "other_name": "Dr George Petrov",
           "request_message": "Hello! I am thinking of cardiology and would value your advice.\n\nThank you.",
           "deadline": "8 December 2026, 12:00", "choice": 2, "of": 2,
           "accept_url": MENTORING_LINK, "decline_url": MENTORING_LINK.replace("eyJ2", "eyJ3"),
           "asks_url": "https://alumni.mu-plovdiv.bg/mentoring/asks",
           "recommendations_url": "https://alumni.mu-plovdiv.bg/mentoring/recommendations",
           "mentorship_url": "https://alumni.mu-plovdiv.bg/mentoring/mentorships/2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e1b",
           "exhausted": True, "other_left": True, "meeting_on": "10 December 2026", "meeting_minutes": 45,
           "meetings": 6, "started_on": "6 December 2026",
           # Ambassadors, causes and awards (issue 15 and 16).
           "ambassador_regions": "IN (Delhi, Mumbai); NP", "ambassador_languages": "en, hi",
           "ambassador_countries": "IN, NP", "applicant_name": "Priya Sharma",
           "term_starts": "1 October 2026", "term_ends": "30 September 2027",
           "programme_url": "https://alumni.mu-plovdiv.bg/me/ambassador",
           "contact_name": "Priya Sharma", "contact_kind": "prospective student", "contact_country": "IN",
           "contact_language": "en", "from_finder": False,
           "contact_message": "Please help Priya settle in.\n\nShe arrives on 1 October.",
           "reply_due": "10 December 2026, 12:00", "overdue_since": "10 December 2026, 12:01",
           "contacts_url": "https://alumni.mu-plovdiv.bg/ambassadors/contacts",
           "office_url": "https://alumni.mu-plovdiv.bg/office/ambassadors", "ambassador_name": "Dr George Petrov",
           "asker_name": "Priya Sharma", "confirm_until": "11 December 2026, 12:00",
           "confirm_url": "https://alumni.mu-plovdiv.bg/ambassadors/questions/5e1d/confirm?t=eyJ2IjoxfQ.x",
           "recipient_name": "Priya Sharma", "ambassador_given_name": "George",
           "reply_message": "Hello Priya,\nThe hostel costs about 100 euros a month.\n\nGood luck!",
           "finder_url": "https://alumni.mu-plovdiv.bg/ambassadors",
           "cause_title": "Open Day 2027", "cause_deadline": "20 March 2027, 18:00",
           "cause_description": "We welcome future students and their parents.\n\nWe need volunteers.",
           "cause_roles": [{"title": "Campus guide", "detail": "10 places, 27 March 2027, 09:00",
                            "what_to_bring": "A white coat"},
                           {"title": "Mock exams", "detail": "4 places", "what_to_bring": ""}],
           "cause_goal": "1200 of 5000 BGN", "donation_url": "https://mu-plovdiv.bg/en/donations",
           "cause_url": "https://alumni.mu-plovdiv.bg/causes/3c5e7a9b1d2f4e6a8b0c1d2e3f4a5b6c",
           "role_title": "Campus guide", "what_to_bring": "A white coat and comfortable shoes.",
           "role_when": "27 March 2027, 09:00", "role_place": "Main Hall, Medical University of Plovdiv",
           "quantity": "2", "hours": "2.5 hours", "hours_on": "27 March 2027",
           "cycle_title": "Alumni Awards 2026", "year": 2026,
           "award_categories": [{"title": "Mentor of the Year", "description": "For a mentor of students."},
                                {"title": "Ambassador of the Year", "description": ""}],
           "nominations_until": "31 January 2027, 23:59",
           "cycle_url": "https://alumni.mu-plovdiv.bg/awards/cycles/2026",
           "award_category": "Mentor of the Year", "decide_by": "15 February 2027, 23:59",
           "results_on": "20 March 2027",
           "nominations_url": "https://alumni.mu-plovdiv.bg/me/nominations",
           "winner_name": "Dr George Petrov", "citation": "For twenty years of devoted mentoring.",
           "winners_url": "https://alumni.mu-plovdiv.bg/awards/cycles/2026/winners",
           "items": [{"subject": "New event: Class of 2006 Reunion",
                      "text": "You are invited to the Class of 2006 reunion on 12 December 2026.\nRegistration is open."},
                     {"subject": "Directory update",
                      "text": "Dr Petrov has updated his profile and is now a mentor."},
                     {"subject": "Membership fee reminder",
                      "text": "The membership fee for 2027 is BGN 30.\n\nThank you for your support!"}]},
}
GENERIC_VALUE = {"bg": "Примерна стойност", "en": "Sample value"}


def _variables(template: str, language: str) -> set[str]:
    env = rendering.environment()
    names: set[str] = set()
    for part in PARTS:
        source = env.loader.get_source(env, f"email/{template}/{language}.{part}")[0]
        names |= meta.find_undeclared_variables(env.parse(source))
    return names


# Variables a template shows only when given (`{% if name is defined %}`).
OPTIONAL = {"confirm_link"}


def _context(template: str, language: str) -> dict:
    known = SAMPLE_CONTEXT[language]
    return {name: known.get(name, GENERIC_VALUE[language]) for name in _variables(template, language) - OPTIONAL}


def test_templates_are_found():
    assert "welcome" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_has_every_part_in_every_language(template):
    missing = [f"{language}.{part}" for language in LANGUAGES for part in PARTS
               if not (TEMPLATE_ROOT / template / f"{language}.{part}").is_file()]
    assert not missing, f"{template} lacks {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_with_realistic_data(template, language):
    context = _context(template, language)
    rendered = render_email(template, language, context)
    assert rendered.subject and rendered.subject == rendered.subject.strip()
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert len(rendered.subject) <= 150
    assert rendered.text.strip() and rendered.html.strip()
    # The text part carries the same data as the HTML part (some clients show only text).
    for value in context.values():
        if isinstance(value, str) and value in html.unescape(rendered.html):
            assert value in rendered.text, f"{value!r} is in the HTML part only"
    assert SAMPLE_CONTEXT[language]["given_name"] in rendered.text or "given_name" not in context
    assert "{{" not in rendered.text + rendered.html + rendered.subject
    assert re.search(rf'<html[^>]*\blang="{language}"', rendered.html), "html must declare its language"


@pytest.mark.parametrize("template", TEMPLATES)
def test_bulgarian_is_bulgarian_and_english_is_english(template):
    bg = render_email(template, "bg", _context(template, "bg"))
    en = render_email(template, "en", _context(template, "en"))
    assert CYRILLIC.search(bg.subject) and CYRILLIC.search(bg.text) and CYRILLIC.search(bg.html)
    # With Latin data, nothing Cyrillic may be left in English mail (an untranslated line).
    assert not CYRILLIC.search(en.subject + en.text + en.html)


def test_welcome_greets_by_name_in_each_language():
    bg = render_email("welcome", "bg", {"given_name": "Мария", "family_name": "Иванова"})
    en = render_email("welcome", "en", {"given_name": "Aisha", "family_name": "O'Connor"})
    assert bg.subject == "Добре дошли в Алумни клуба, Мария!"
    assert "Здравейте, Мария Иванова," in bg.text
    assert en.subject == "Welcome to the Alumni Club, Aisha!"
    assert "Dear Aisha O'Connor," in en.text
    assert "Aisha O&#39;Connor" in en.html  # escaped in HTML, kept in text


def test_unknown_language_falls_back_to_bulgarian():
    context = {"given_name": "Мария", "family_name": "Иванова"}
    assert render_email("welcome", "de", context) == render_email("welcome", "bg", context)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_html_part_escapes_markup_and_text_part_keeps_it(template, language):
    hostile = '<script>alert("x")</script> & Co'

    def hostile_like(value):
        # A list of records (the digest's items) keeps its shape, with every field hostile.
        if isinstance(value, list):
            return [{key: hostile for key in record} for record in value]
        return hostile

    context = {name: hostile_like(value) for name, value in _context(template, language).items()}
    if not context:
        pytest.skip(f"{template} has no variables")
    rendered = render_email(template, language, context)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html and "&amp; Co" in rendered.html
    assert hostile in rendered.text


def test_subject_is_not_html_escaped():
    rendered = render_email("welcome", "en", {"given_name": "Tom & Jerry", "family_name": "<Smith>"})
    assert rendered.subject == "Welcome to the Alumni Club, Tom & Jerry!"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_missing_variable_raises(template, language):
    context = _context(template, language)
    if not context:
        pytest.skip(f"{template} has no variables")
    with pytest.raises(jinja2.UndefinedError):
        render_email(template, language, {})
    dropped = sorted(context)[0]
    with pytest.raises(jinja2.UndefinedError, match=dropped):
        render_email(template, language, {k: v for k, v in context.items() if k != dropped})


def test_unknown_template_raises():
    with pytest.raises(jinja2.TemplateNotFound):
        render_email("no-such-template", "bg", {})


def test_subject_stays_one_line_when_a_name_holds_a_line_break():
    rendered = render_email("welcome", "en", {"given_name": "Ann\r\nBcc: all@example.com", "family_name": "Lee"})
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


# --------------------------------------------------------------------------- the message

def _message(language: str = "bg"):
    rendered = render_email("welcome", language, SAMPLE_CONTEXT[language])
    message = build_message(sender="Алумни клуб <no-reply@alumni.mu-plovdiv.bg>", to="maria@example.bg",
                            subject=rendered.subject, text=rendered.text, html=rendered.html,
                            delivery_id="0b9e4f1a-event:member-1:email", language=language)
    return rendered, message


def test_build_message_has_the_headers_and_both_parts():
    rendered, message = _message("bg")
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert parseaddr(parsed["From"]) == ("Алумни клуб", "no-reply@alumni.mu-plovdiv.bg")
    assert parsed["To"] == "maria@example.bg"
    assert parsed["Subject"] == rendered.subject
    assert parsedate_to_datetime(parsed["Date"]).utcoffset() is not None
    assert re.fullmatch(r"<[^<>@\s]+@alumni\.mu-plovdiv\.bg>", parsed["Message-ID"])
    assert parsed["Content-Language"] == "bg"
    assert parsed["X-Alumnet-Delivery"] == "0b9e4f1a-event:member-1:email"
    assert parsed.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part for part in parsed.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert parts["text/plain"].get_content_charset() == "utf-8"
    assert parts["text/plain"].get_content().strip() == rendered.text.strip()
    assert parts["text/html"].get_content().strip() == rendered.html.strip()
    # The plain part comes first: clients show the last alternative they understand.
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_build_message_ids_differ_per_message():
    ids = {_message()[1]["Message-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_build_message_with_a_bare_sender_address():
    message = build_message(sender="no-reply@alumnet.local", to="a@example.org", subject="Hi", text="t",
                            html="<p>t</p>", delivery_id="e:m:email", language="en")
    assert message["Message-ID"].endswith("@alumnet.local>")
    assert message["Content-Language"] == "en"


@pytest.mark.parametrize("language", ["bg", "en"])
def test_welcome_carries_the_confirmation_link_when_there_is_one(language):
    link = "https://alumni.mu-plovdiv.bg/confirm-email?token=abc%2Fdef"
    with_link = render_email("welcome", language, {**SAMPLE_CONTEXT[language], "confirm_link": link})
    without = render_email("welcome", language, SAMPLE_CONTEXT[language])
    assert link in with_link.text and f'href="{link}"' in with_link.html
    assert "confirm-email" not in without.text and "confirm-email" not in without.html


# --------------------------------------------------------------------------- event and membership mail

# The one thing each message exists to tell, in both parts.
KEY_VARIABLE = {
    "account_verified": "family_name",
    "registration_waitlisted": "position",
    "registration_promoted": "ticket_url",
    "registration_cancelled": "event_title",
    "event_rescheduled": "previous_when",
    "event_cancelled": "reason",
    "event_reminder": "starts_in",
    "event_published": "event_url",
    "digest": "date",
    "survey_invitation": "survey_url",
    "survey_reminder": "survey_url",
    "mentoring_requested": "accept_url",
    "mentoring_accepted": "mentorship_url",
    "mentoring_accepted_mentor": "mentorship_url",
    "mentoring_declined": "other_name",
    "mentoring_expired": "other_name",
    "mentoring_expired_mentor": "asks_url",
    "mentoring_meeting_logged": "meeting_on",
    "mentoring_ended": "mentorship_url",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(KEY_VARIABLE))
def test_event_and_membership_mail_carries_its_key_variable(template, language):
    context = _context(template, language)
    rendered = render_email(template, language, context)
    value = str(context[KEY_VARIABLE[template]])
    assert value in rendered.text and value in html.unescape(rendered.html)


@pytest.mark.parametrize("language", LANGUAGES)
def test_registration_confirmed_carries_the_ticket_and_counts_guests(language):
    context = _context("registration_confirmed", language)
    link = context["ticket_url"]
    guest, guests = ("гост", "гости") if language == "bg" else ("guest", "guests")
    none = render_email("registration_confirmed", language, {**context, "guests": 0})
    one = render_email("registration_confirmed", language, {**context, "guests": 1})
    two = render_email("registration_confirmed", language, {**context, "guests": 2})
    assert link in two.text and f'href="{link}"' in two.html
    assert context["event_where"] in two.text and context["event_where"] in html.unescape(two.html)
    assert guest not in none.text and guest not in none.html
    assert f"1 {guest}." in one.text and f"1 {guest}." in one.html
    assert f"2 {guests}." in two.text and f"2 {guests}." in two.html


# --------------------------------------------------------------------------- mentoring mail

@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mentoring_request_carries_both_one_click_links_the_deadline_and_the_asks_page(language):
    context = _context("mentoring_requested", language)
    rendered = render_email("mentoring_requested", language, context)
    accept, decline = ("ПРИЕМАМ", "ОТКАЗВАМ") if language == "bg" else ("ACCEPT", "DECLINE")
    for link, word in ((context["accept_url"], accept), (context["decline_url"], decline)):
        assert f"{word}: {link}" in rendered.text
        assert f'<a href="{html.escape(link)}" style="font-size: 16px;"><strong>{word}</strong></a>' in rendered.html
    for shown in ("deadline", "mentee_name", "asks_url"):
        assert context[shown] in rendered.text and context[shown] in html.unescape(rendered.html)
    assert context["mentee_name"] in rendered.subject


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", ["mentoring_declined", "mentoring_expired"])
def test_a_mentee_is_told_the_next_is_asked_or_given_new_recommendations(template, language):
    context = _context(template, language)
    link = context["recommendations_url"]
    exhausted = render_email(template, language, {**context, "exhausted": True})
    moving_on = render_email(template, language, {**context, "exhausted": False})
    assert link in exhausted.text and f'href="{link}"' in exhausted.html
    assert link not in moving_on.text and link not in moving_on.html
    next_asked = "Помолихме следващия ментор" if language == "bg" else "We have asked the next mentor"
    assert next_asked in moving_on.text and next_asked in moving_on.html and next_asked not in exhausted.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_ended_mentorship_invites_feedback_and_says_when_the_other_side_left(language):
    context = _context("mentoring_ended", language)
    ended = render_email("mentoring_ended", language, {**context, "other_left": False})
    left = render_email("mentoring_ended", language, {**context, "other_left": True})
    club = "напусна клуба" if language == "bg" else "left the club"
    assert club in left.text and club in left.html and club not in ended.text
    for rendered in (ended, left):
        assert context["mentorship_url"] in rendered.text and f'href="{context["mentorship_url"]}"' in rendered.html
        assert ("обратната Ви връзка" if language == "bg" else "feedback") in rendered.text


# --------------------------------------------------------------------------- marketing mail

MARKETING = ("event_published", "announcement", "digest", "survey_invitation", "survey_reminder",
             "cause_published", "awards_cycle_opened", "award_announced")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", MARKETING)
def test_marketing_mail_carries_the_unsubscribe_link_in_both_parts(template, language):
    rendered = render_email(template, language, _context(template, language))
    assert UNSUBSCRIBE_URL in rendered.text
    assert f'href="{html.escape(UNSUBSCRIBE_URL)}"' in rendered.html


# Free text written by people (the office, an event's organiser): shown as written in the text
# part, escaped in the HTML part, its line breaks kept.
FREE_TEXT = [("announcement", "body"), ("event_published", "event_description"), ("digest", "items"),
             ("survey_invitation", "survey_description"), ("survey_reminder", "survey_description"),
             ("mentoring_requested", "request_message"), ("cause_published", "cause_description"),
             ("cause_joined", "what_to_bring"), ("cause_promoted", "what_to_bring"),
             ("ambassador_contact_assigned", "contact_message"), ("ambassador_reply", "reply_message"),
             ("award_won", "citation"), ("award_announced", "citation")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("template", "variable"), FREE_TEXT)
def test_free_text_is_escaped_in_html_and_keeps_its_line_breaks(template, variable, language):
    written = "<script>alert(1)</script>\nline two"
    value = [{"subject": "Новини", "text": written}] if variable == "items" else written
    rendered = render_email(template, language, {**_context(template, language), variable: value})
    assert written in rendered.text
    assert "<script>" not in rendered.html
    assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt;\s*(<br>|</p>\s*<p>)\s*line two", rendered.html), \
        rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_free_text_paragraphs_become_html_paragraphs(language):
    body = "First paragraph,\r\nsecond line.\r\n\r\nSecond paragraph & more."
    rendered = render_email("announcement", language, {**_context("announcement", language), "body": body})
    assert "<p>First paragraph,<br>\nsecond line.</p>" in rendered.html
    assert "<p>Second paragraph &amp; more.</p>" in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_announcement_subject_is_the_offices_subject(language):
    context = {**_context("announcement", language), "subject": "Tom & Jerry <news>"}
    rendered = render_email("announcement", language, context)
    assert rendered.subject == "Tom & Jerry <news>"
    assert render_email("announcement", language, _context("announcement", language)).subject == \
        SAMPLE_CONTEXT[language]["subject"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_digest_shows_every_item_in_order(language):
    context = _context("digest", language)
    items = context["items"]
    assert len(items) >= 2
    rendered = render_email("digest", language, context)
    assert context["date"] in rendered.subject
    shown_html = html.unescape(rendered.html)
    for part, shown in ((rendered.text, rendered.text), (rendered.html, shown_html)):
        positions = [shown.index(item["subject"]) for item in items]
        assert positions == sorted(positions), part
    # The texts too, in order, whole in the text part and line by line in the HTML part.
    text_positions = [rendered.text.index(item["text"]) for item in items]
    assert text_positions == sorted(text_positions)
    for item in items:
        for line in filter(None, item["text"].splitlines()):
            assert line in shown_html
    assert "<br>" in rendered.html  # the first item's line break


# --------------------------------------------------------------------------- SMS

SMS_ROOT = TEMPLATE_ROOT.parent / "sms"
SMS_TEMPLATES = sorted(p.name for p in SMS_ROOT.iterdir() if p.is_dir())
SMS_LIMIT = SETTINGS["SMS_MAX_SEGMENTS"].parse(SETTINGS["SMS_MAX_SEGMENTS"].default)

# The longest data a real SMS can get: a 120-character title, a full address, the longest month.
LONG = {
    "bg": {"given_name": "Александра", "family_name": "Иванова-Петрова",
           "event_title": "Годишна научно-практическа конференция на випускниците от 2000 г. "
                          "по случай 25 години от дипломирането им в МУ – Пловдив",
           "event_when": "30 септември 2026 г., 18:30 ч.", "previous_when": "23 септември 2026 г., 19:00 ч.",
           "event_where": "Аула „Проф. д-р Константин Чилов“, Медицински университет – Пловдив, "
                          "бул. „Васил Априлов“ 15А, Пловдив",
           "position": 125, "guests": 2, "starts_in": "след 90 минути",
           "reason": "Поради неотложен ремонт на покрива залата е затворена до края на месеца, "
                     "а друга подходяща зала не успяхме да намерим.",
           "subject": "Покана за общо събрание на Алумни клуба и избор на ново ръководство – 12 декември 2026 г., "
                      "Аула на МУ – Пловдив"},
    "en": {"given_name": "Alexandra", "family_name": "O'Connor-Fitzgerald",
           "event_title": "Annual Scientific and Practical Conference of the Class of 2000 marking 25 years "
                          "since their graduation in Plovdiv, 2026",
           "event_when": "30 September 2026, 18:30", "previous_when": "23 September 2026, 19:00",
           "event_where": "Main Hall \"Prof. Dr. Konstantin Chilov\", Medical University of Plovdiv, "
                          "15A Vasil Aprilov Blvd, Plovdiv",
           "position": 125, "guests": 2, "starts_in": "in 90 minutes",
           "reason": "The roof of the hall needs urgent repairs, so it is closed until the end of the month "
                     "and no other suitable hall was free.",
           "subject": "Invitation to the General Assembly of the Alumni Club and election of the new board, "
                      "12 December 2026, Main Hall"},
}
# What English-speaking members really get: the place as the office entered it (the catalogue
# does not translate it) and typed text with typographic dashes and apostrophes. One such
# character makes the whole SMS UCS-2, where 2 segments hold only 134 characters.
EN_AS_SENT = {"event_where": LONG["bg"]["event_where"],
              "event_title": "Class of 2000 Reunion – 25 Years Since Graduation from the Medical University "
                             "of Plovdiv, with Partners’ Gala Dinner 2026",
              "subject": "Invitation to the General Assembly – election of the Alumni Club’s new board and the "
                         "plan for 2027, 12 December",
              "reason": "The hall’s roof needs urgent repairs – it is closed until the end of the month."}
FREE_TEXT_SMS = ("event_title", "event_where", "subject", "reason")


def _unbroken(context: dict) -> dict:
    """Free text without spaces: truncation cannot stop at an earlier word, so it keeps the
    most it ever may (the true worst case of ``truncate(n, false, ...)``)."""
    return {name: value.replace(" ", "-") if name in FREE_TEXT_SMS else value for name, value in context.items()}


def _sms_scenarios(language: str) -> list[tuple[str, dict]]:
    long = {**SAMPLE_CONTEXT[language], **LONG[language]}
    scenarios = [("realistic", SAMPLE_CONTEXT[language]), ("long", long), ("long, unbroken", _unbroken(long))]
    if language == "en":
        as_sent = {**long, **EN_AS_SENT}
        scenarios += [("long, as sent", as_sent), ("long, as sent, unbroken", _unbroken(as_sent))]
    return scenarios


def _sms_variables(template: str, language: str) -> set[str]:
    env = rendering.environment()
    source = env.loader.get_source(env, f"sms/{template}/{language}.txt")[0]
    return meta.find_undeclared_variables(env.parse(source))


def _sms_context(template: str, language: str, data: dict) -> dict:
    return {name: data[name] for name in _sms_variables(template, language)}


def _assert_fits(sms: str, what: str) -> None:
    length = sms_text.describe(sms)
    assert length.segments <= SMS_LIMIT, \
        f"{what}: {length.segments} segments ({length.encoding}, {length.units} units), limit {SMS_LIMIT}: {sms!r}"


def test_sms_templates_are_found():
    expected = {"account_verified", "registration_confirmed", "registration_waitlisted", "registration_promoted",
                "registration_cancelled", "event_rescheduled", "event_cancelled", "event_reminder",
                "event_published", "announcement"}
    assert expected <= set(SMS_TEMPLATES)


@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_every_sms_exists_in_every_language_and_belongs_to_an_email(template):
    missing = [language for language in LANGUAGES if not (SMS_ROOT / template / f"{language}.txt").is_file()]
    assert not missing, f"sms/{template} lacks {missing}"
    assert template in TEMPLATES, f"sms/{template} has no email template"
    assert rendering.has_sms(template)
    # An SMS is a short form of its email: it gets the same context and may use nothing else.
    for language in LANGUAGES:
        extra = _sms_variables(template, language) - _variables(template, language)
        assert not extra, f"sms/{template}/{language}.txt uses {extra}, which its email does not get"


def test_emails_without_an_sms_have_none():
    assert not rendering.has_sms("welcome")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_every_sms_renders_and_fits_the_segment_limit(template, language):
    assert len(LONG[language]["event_title"]) >= 120 and len(EN_AS_SENT["event_title"]) >= 120
    for scenario, data in _sms_scenarios(language):
        context = _sms_context(template, language, data)
        sms = rendering.render_sms(template, language, context)
        assert sms and sms == sms.strip() and "\n" not in sms
        assert "{{" not in sms and "{%" not in sms
        _assert_fits(sms, f"sms/{template}/{language} with {scenario} data")
        if language == "en" and "as sent" not in scenario:
            # English text of our own stays in the GSM alphabet: 153 characters per part, not 67.
            assert sms_text.encoding(sms) == "GSM-7", f"{scenario}: {sms!r}"
        if scenario == "realistic" and "event_title" in context:
            assert context["event_title"] in sms  # a usual title is not cut


@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_bulgarian_sms_is_bulgarian_and_english_sms_is_english(template):
    bg = rendering.render_sms(template, "bg", _sms_context(template, "bg", SAMPLE_CONTEXT["bg"]))
    en = rendering.render_sms(template, "en", _sms_context(template, "en", SAMPLE_CONTEXT["en"]))
    assert CYRILLIC.search(bg)
    assert not CYRILLIC.search(en)


@pytest.mark.parametrize("template,language", [(t, lang) for t in SMS_TEMPLATES for lang in LANGUAGES
                                                if _sms_variables(t, lang)])  # those with variables
def test_a_missing_variable_in_an_sms_raises(template, language):
    context = _sms_context(template, language, SAMPLE_CONTEXT[language])
    dropped = min(context)
    with pytest.raises(jinja2.UndefinedError, match=dropped):
        rendering.render_sms(template, language, {k: v for k, v in context.items() if k != dropped})


def test_an_online_event_is_not_given_a_link_by_sms():
    context = {**_sms_context("event_reminder", "en", SAMPLE_CONTEXT["en"]),
               "event_where": "https://us02web.zoom.us/j/81234567890?pwd=Q2xhc3NPZjIwMDA"}
    sms = rendering.render_sms("event_reminder", "en", context)
    assert "http" not in sms and "Online." in sms


def test_the_length_check_fails_an_sms_that_is_too_long():
    single, per_part = sms_text.LIMITS["UCS-2"]
    most = single if SMS_LIMIT == 1 else per_part * SMS_LIMIT
    _assert_fits("Я" * most, "the longest Cyrillic SMS allowed")
    with pytest.raises(AssertionError, match="segments"):
        _assert_fits("Я" * (most + 1), "one character more")
    # A template that does not truncate free text goes over with long data, and the check says so.
    untruncated = rendering.environment().from_string(
        "Мястото Ви на „{{ event_title }}“ ({{ event_when }}), {{ event_where }}, е потвърдено.")
    sms = " ".join(untruncated.render(LONG["bg"]).split())
    assert sms_text.describe(sms).segments > SMS_LIMIT
    with pytest.raises(AssertionError, match="segments"):
        _assert_fits(sms, "an untruncated title and place")


@pytest.mark.parametrize("language", LANGUAGES)
def test_marketing_mail_held_for_the_digest_becomes_its_items(language):
    # The digest builder renders each held message without an unsubscribe link (the digest
    # carries its own), then the digest around their subjects and text parts.
    items = []
    for template in ("event_published", "announcement"):
        context = {k: v for k, v in _context(template, language).items() if k != "unsubscribe_url"}
        rendered = render_email(template, language, context)
        assert "unsubscribe" not in (rendered.text + rendered.html).lower()
        assert "Отписване" not in rendered.text + rendered.html
        items.append({"subject": rendered.subject, "text": rendered.text})
    digest = render_email("digest", language, {**_context("digest", language), "items": items})
    assert all(item["subject"] in digest.text and item["text"] in digest.text for item in items)
    assert digest.text.count(UNSUBSCRIBE_URL) == 1 and digest.html.count(html.escape(UNSUBSCRIBE_URL)) == 1
    with pytest.raises(jinja2.UndefinedError, match="unsubscribe_url"):
        render_email("digest", language, {k: v for k, v in _context("digest", language).items()
                                          if k != "unsubscribe_url"})
