"""Email templates and the message they become (``services.notifications.rendering`` and
``mailer.build_message``).

Every template folder under ``templates/email/`` is found automatically and must exist in every
language with a subject, a text part and an HTML part, render with realistic Bulgarian and
English data, escape HTML only in the HTML part, and fail loudly on a missing variable.
A new template with variables not listed in ``SAMPLE_CONTEXT`` gets a generic value; if that
is not enough (attributes, loops), add realistic sample data for it below.
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

from services.notifications import rendering
from services.notifications.mailer import build_message
from services.notifications.rendering import LANGUAGES, render_email

TEMPLATE_ROOT = Path(rendering.__file__).parent / "templates" / "email"
TEMPLATES = sorted(p.name for p in TEMPLATE_ROOT.iterdir() if p.is_dir())
PARTS = ("subject.txt", "txt", "html")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")

# Realistic data per variable name; Cyrillic for bg, Latin for en (international students).
SAMPLE_CONTEXT = {
    "bg": {"given_name": "Мария", "family_name": "Иванова-Петрова",
           "event_title": "Годишна среща на випуск 2000", "event_when": "14 юни 2025 г., 18:30 ч.",
           "event_where": "Аула на МУ – Пловдив, бул. „Васил Априлов“ 15А, Пловдив",
           "previous_when": "6 юни 2025 г., 19:00 ч.", "guests": 2, "position": 3,
           "ticket_url": "https://alumni.mu-plovdiv.bg/events/7f3c9a2e-5b1d-4c8e-9a61-2d0f3b7c4e15/ticket",
           "reason": "Залата е затворена за неотложен ремонт.", "starts_in": "след 24 часа"},
    "en": {"given_name": "Aisha", "family_name": "O'Connor",
           "event_title": "Class of 2000 Reunion", "event_when": "14 June 2025, 18:30",
           "event_where": "Main Hall, Medical University of Plovdiv, 15A Vasil Aprilov Blvd, Plovdiv",
           "previous_when": "6 June 2025, 19:00", "guests": 2, "position": 3,
           "ticket_url": "https://alumni.mu-plovdiv.bg/events/7f3c9a2e-5b1d-4c8e-9a61-2d0f3b7c4e15/ticket",
           "reason": "The hall is closed for urgent repairs.", "starts_in": "in 24 hours"},
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
    context = {name: hostile for name in _context(template, language)}
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
