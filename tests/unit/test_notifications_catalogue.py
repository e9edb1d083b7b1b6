"""The notifications catalogue: events created with their producers' catalogues (what really
arrives), handled as the consumer does, queue one delivery per recipient in the recipient's
language, whose template renders with the context the catalogue built.

Checked: each mapped event type queues its template for the right members; the context is
built from the event alone (title in the member's language, local time in the event's zone,
place); erased members and members without a contact get nothing; a cancellation caused by
the event's own cancellation is not told twice; redelivery queues nothing more; every
mapped template renders in both languages.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.events.messages import CATALOG as EVENTS
from services.events.messages import (
    EVENT_CANCELLED,
    REGISTRATION_CANCELLED,
    REGISTRATION_CONFIRMED,
    REMINDER_DUE,
)
from services.members.messages import CATALOG as MEMBERS
from services.members.messages import MEMBER_ERASED, MEMBER_REGISTERED, MEMBER_VERIFIED
from services.notifications import catalogue, handlers
from services.notifications.rendering import render_email
from tests.support import consumer_like
from tests.unit.notification_examples import DATA as CONTRACT_EXAMPLES

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
MARIA, JOHN = "m" * 32, "j" * 32
EVENT = {"event_id": "e" * 32, "title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"},
         "kind": "reunion", "starts_at": "2026-12-12T16:00:00+00:00", "ends_at": "2026-12-12T20:00:00+00:00",
         "timezone": "Europe/Sofia", "place": {"name": "Аула", "address": "бул. Васил Априлов 15А", "city": "Пловдив"},
         "online_url": None}


@pytest.fixture
def store(notifications_store):
    return notifications_store


@pytest.fixture
def deliver(store):
    return consumer_like(store, handlers.subscriptions(public_base_url="https://alumni.example.bg"))


def signed_up(deliver, member_id: str, language: str, email: str) -> None:
    deliver(MEMBERS.create(MEMBER_REGISTERED, member_id, {
        "member_id": member_id, "given_name": "Мария" if language == "bg" else "John", "family_name": "X",
        "email": email, "phone": None, "preferred_language": language, "graduation_year": 2006,
        "faculty": "medicine", "programme": None, "consent": {"email": False, "sms": False},
        "registered_at": T0.isoformat()}, "c"))


def queued(store, template: str) -> list[dict]:
    return list(store.db.deliveries.find({"template": template}).sort("recipient", 1))


def registration(event_type, member_id, **extra):
    return EVENTS.create(event_type, f"{EVENT['event_id']}:{member_id}", {
        **EVENT, "registration_id": f"{EVENT['event_id']}:{member_id}", "member_id": member_id, "guests": 1,
        "status": "confirmed", "at": T0.isoformat(), **extra}, "c")


def test_a_confirmation_goes_to_the_member_in_their_language_with_the_events_details(store, deliver):
    signed_up(deliver, MARIA, "bg", "maria@example.bg")
    signed_up(deliver, JOHN, "en", "john@example.com")
    event = deliver(registration(REGISTRATION_CONFIRMED, MARIA))
    deliver(registration(REGISTRATION_CONFIRMED, JOHN))
    deliver(event)  # redelivered: nothing more
    maria, john = sorted(queued(store, "registration_confirmed"), key=lambda d: d["address"])[::-1]
    assert len(queued(store, "registration_confirmed")) == 2
    assert (maria["address"], maria["language"]) == ("maria@example.bg", "bg")
    assert maria["context"]["event_title"] == "Среща на випуск 2006"
    assert maria["context"]["event_when"] == "12 декември 2026 г., 18:00 ч."  # Sofia time
    assert maria["context"]["event_where"] == "Аула, бул. Васил Априлов 15А, Пловдив"
    assert maria["context"]["ticket_url"] == f"https://alumni.example.bg/events/{EVENT['event_id']}/ticket"
    assert john["context"]["event_when"] == "12 December 2026, 18:00"
    rendered = render_email("registration_confirmed", "bg", maria["context"])
    assert "Среща на випуск 2006" in rendered.text and maria["context"]["ticket_url"] in rendered.html


def test_erased_and_unknown_members_get_nothing_and_event_cancellations_are_told_once(store, deliver):
    signed_up(deliver, MARIA, "bg", "maria@example.bg")
    signed_up(deliver, JOHN, "en", "john@example.com")
    deliver(MEMBERS.create(MEMBER_ERASED, JOHN, {"member_id": JOHN, "erased_at": T0.isoformat()}, "c"))
    deliver(EVENTS.create(EVENT_CANCELLED, EVENT["event_id"], {
        **EVENT, "reason": "Наводнение", "cancelled_at": T0.isoformat(), "member_ids": [MARIA, JOHN, "n" * 32]}, "c"))
    [told] = queued(store, "event_cancelled")
    assert told["recipient"] == MARIA and told["context"]["reason"] == "Наводнение"
    deliver(registration(REGISTRATION_CANCELLED, MARIA, status="cancelled", reason="event_cancelled"))
    assert queued(store, "registration_cancelled") == []
    deliver(registration(REGISTRATION_CANCELLED, MARIA, status="cancelled", reason="member"))
    assert len(queued(store, "registration_cancelled")) == 1


def test_reminders_and_verification(store, deliver):
    signed_up(deliver, MARIA, "bg", "maria@example.bg")
    deliver(EVENTS.create(REMINDER_DUE, f"{EVENT['event_id']}:60", {
        **EVENT, "minutes_before": 60, "member_ids": [MARIA]}, "c"))
    [reminder] = queued(store, "event_reminder")
    assert reminder["context"]["starts_in"] == "след 1 час"
    deliver(MEMBERS.create(MEMBER_VERIFIED, MARIA, {"member_id": MARIA, "method": "admin",
                                                     "verified_at": T0.isoformat()}, "c"))
    assert len(queued(store, "account_verified")) == 1


PERSONAL = sorted(t for t, n in catalogue.NOTIFICATIONS.items() if n.personal is not None)
# Told to people who are not members only (the finder's asker): see the outsiders' test below.
OUTSIDERS_ONLY = {t for t, n in catalogue.NOTIFICATIONS.items()
                  if n.recipients is None and n.audience is None and n.recipients_in is None}


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("event_type", sorted(set(catalogue.NOTIFICATIONS) - set(PERSONAL) - OUTSIDERS_ONLY))
def test_every_mapped_notification_renders_from_its_context(event_type, language):
    notification = catalogue.NOTIFICATIONS[event_type]
    data = {**EVENT, "member_id": MARIA, "member_ids": [MARIA], "guests": 2, "position": 3, "reason": "Наводнение",
            "minutes_before": 1440, "previous": {"starts_at": "2026-12-05T16:00:00+00:00"},
            "description": {"bg": "Двадесет години по-късно.", "en": "Twenty years on."},
            "audience": {"kind": "all"}, "new_email": "maria@example.com", "old_email": "maria@example.bg",
            "encrypted_token": "e", "expires_at": "2026-11-29T12:00:00+00:00", "encrypted_undo_token": "u",
            "undo_expires_at": "2026-12-05T12:00:00+00:00", "survey_id": "s" * 32,
            "opens_at": "2026-12-07T08:00:00+00:00", "closes_at": "2026-12-21T22:00:00+00:00", "anonymous": False,
            "questions": 12, **CONTRACT_EXAMPLES.get(event_type, {})}
    context = {"given_name": "Мария", "family_name": "Иванова",
               **notification.context(data, language, "https://alumni.example.bg")}
    # Added at send time (handlers.context_for_sending): links from encrypted tokens, unsubscribe.
    for field, link, path in handlers.ENCRYPTED_LINKS:
        if context.pop(field, None) is not None:
            context[link] = f"https://alumni.example.bg{path}?token=t"
    if context.get("survey_id"):
        context["survey_url"] = f"https://alumni.example.bg/surveys/{context['survey_id']}/answer?t=t"
    context |= DECISION_URLS
    if not notification.transactional or notification.audience is not None:
        context["unsubscribe_url"] = "https://alumni.example.bg/api/v1/members/unsubscribe?token=t"
    rendered = render_email(notification.template, language, context)
    assert rendered.subject and rendered.text and rendered.html
    assert "Мария" in rendered.text


# One-click decision links, added at send time (handlers.context_for_sending).
DECISION_URLS = {"accept_url": "https://alumni.example.bg/a", "decline_url": "https://alumni.example.bg/d",
                 "confirm_url": "https://alumni.example.bg/c"}
OUTSIDERS = sorted(t for t, n in catalogue.NOTIFICATIONS.items() if n.outsiders is not None)


@pytest.mark.parametrize("event_type", OUTSIDERS)
def test_every_notification_to_people_who_are_not_members_renders(event_type):
    """From the contract's example (the office's stage where the event has stages): each
    email to an outsider renders in its language with the name the event gives."""
    notification = catalogue.NOTIFICATIONS[event_type]
    data = CONTRACT_EXAMPLES[event_type]
    if "stage" in data:
        data = {**data, "stage": "office"}
    outsiders = notification.outsiders(data, "https://alumni.example.bg", "office@example.bg")
    assert outsiders
    for outsider in outsiders:
        email = render_email(outsider.template, outsider.language, {**outsider.context, **DECISION_URLS})
        assert email.subject and "Priya Sharma" in email.text


@pytest.mark.parametrize("language", ["bg", "en"])
@pytest.mark.parametrize("event_type", PERSONAL)
def test_every_personal_notification_renders_for_each_side(event_type, language):
    """From the producer's own example: each side of the pair with a message gets one that
    renders (the one-click links added as at send time)."""
    notification = catalogue.NOTIFICATIONS[event_type]
    personal = notification.personal
    data = CONTRACT_EXAMPLES.get(event_type) or MEMBERS.examples[event_type]
    rendered = 0
    sides = (data["mentor_id"], data["mentee_id"]) if "mentor_id" in data else notification.recipients(data)
    for member_id in sides:
        template = personal.template(data, member_id)
        if template is None:
            continue
        context = {"given_name": "Мария", **personal.context(data, member_id, language, "https://alumni.example.bg")}
        context |= DECISION_URLS
        email = render_email(template, language, context)
        assert email.subject and "Мария" in email.text
        rendered += 1
    assert rendered


def test_a_rejection_tells_the_member_why(store, deliver):
    from services.members.messages import MEMBER_REJECTED
    signed_up(deliver, JOHN, "en", "john@example.com")
    deliver(MEMBERS.create(MEMBER_REJECTED, JOHN, {"member_id": JOHN, "reason": "No graduate of that name in 2006.",
                                                    "rejected_at": T0.isoformat()}, "c"))
    [told] = queued(store, "account_rejected")
    rendered = render_email("account_rejected", told["language"], told["context"])
    assert "No graduate of that name in 2006." in rendered.text and rendered.subject.startswith("We could not")


def test_a_repeated_sign_up_tells_the_owner_to_log_in_or_reset_the_password(store, deliver):
    from services.members.messages import MEMBER_SIGNED_UP_AGAIN
    signed_up(deliver, JOHN, "en", "john@example.com")
    deliver(MEMBERS.create(MEMBER_SIGNED_UP_AGAIN, JOHN, {"member_id": JOHN, "at": T0.isoformat()}, "c"))
    [told] = queued(store, "account_exists")
    assert told["address"] == "john@example.com"
    rendered = render_email("account_exists", told["language"], told["context"])
    assert rendered.subject == "You already have an Alumni Club account"
    assert "/login" in rendered.text and "/reset-password" in rendered.text


def test_a_confirmation_carries_the_event_as_an_ics_attachment():
    from email import message_from_bytes, policy

    from icalendar import Calendar

    from services.notifications.invites import event_ics
    from services.notifications.mailer import build_message

    notification = catalogue.NOTIFICATIONS["events.registration.confirmed"]
    context = notification.context({**EVENT, "member_id": MARIA, "guests": 0}, "en", "https://alumni.example.bg")
    message = build_message(sender="Alumni <alumni@example.bg>", to="m@example.bg", subject="s", text="t",
                            html="<p>h</p>", delivery_id="d:1:email", language="en",
                            calendar=event_ics(context["calendar_event"]))
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "event.ics"
    assert parsed.get_body(("plain",)).get_content().strip() == "t"
    [vevent] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Class of 2006 reunion"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Sofia"
    assert vevent.decoded("DTSTART").hour == 18  # 16:00 UTC is 18:00 in Sofia
    assert str(vevent["UID"]) == f"{EVENT['event_id']}@alumnet"


@pytest.mark.parametrize(("minutes", "bg", "en"), [
    (1440, "след 24 часа", "in 24 hours"), (60, "след 1 час", "in 1 hour"), (15, "след 15 минути", "in 15 minutes"),
    (100, "след 1 час и 40 минути", "in 1 hour and 40 minutes"), (1, "след 1 минута", "in 1 minute"),
    (121, "след 2 часа и 1 минута", "in 2 hours and 1 minute"),
])
def test_a_reminder_says_how_long_is_left_in_words(minutes, bg, en):
    assert (catalogue.starts_in(minutes, "bg"), catalogue.starts_in(minutes, "en")) == (bg, en)


def test_an_invite_in_the_repeated_hour_keeps_its_instant():
    from icalendar import Calendar

    from services.notifications.invites import event_ics

    # 2026-10-25 01:30Z is Sofia's second 03:30 that night; as a Sofia wall time a calendar
    # would read the first (00:30Z).
    starts = datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
    ics = event_ics({"event_id": "e1", "title": "Night walk", "starts_at": starts.isoformat(),
                     "ends_at": (starts + timedelta(hours=2)).isoformat(), "timezone": "Europe/Sofia"})
    [vevent] = Calendar.from_ical(ics).walk("VEVENT")
    assert vevent.decoded("DTSTART") == starts
    assert vevent.decoded("DTEND") == starts + timedelta(hours=2)


def test_email_change_messages_go_to_the_addresses_they_name_with_their_links(store, deliver):
    """The link proving a new address goes to that address (not the contact's); the notice of
    a change goes to the old one, with the undo link; an erased member gets neither."""
    from cryptography.fernet import Fernet

    from services.members.messages import EMAIL_CHANGE_REQUESTED, EMAIL_CHANGED
    signed_up(deliver, MARIA, "bg", "maria@example.bg")
    key = Fernet.generate_key().decode()
    secret = Fernet(key.encode())
    deliver(MEMBERS.create(EMAIL_CHANGE_REQUESTED, MARIA, {
        "member_id": MARIA, "new_email": "maria@example.com", "preferred_language": "bg", "given_name": "Мария",
        "encrypted_token": secret.encrypt(b"confirm-me").decode(), "expires_at": "2026-11-29T10:00:00+00:00"}, "c"))
    deliver(MEMBERS.create(EMAIL_CHANGED, MARIA, {
        "member_id": MARIA, "old_email": "maria@example.bg", "new_email": "maria@example.com",
        "preferred_language": "bg", "given_name": "Мария", "encrypted_undo_token": secret.encrypt(b"undo-me").decode(),
        "undo_expires_at": "2026-12-05T10:00:00+00:00", "changed_at": T0.isoformat()}, "c"))
    [confirm] = queued(store, "email_change_confirm")
    [told] = queued(store, "email_changed")
    assert (confirm["address"], confirm["channel"], confirm["language"]) == ("maria@example.com", "email", "bg")
    assert told["address"] == "maria@example.bg"
    assert "confirm-me" not in str(confirm) and "undo-me" not in str(told)
    for delivery, link in ((confirm, "https://alumni.example.bg/confirm-email-change?token=confirm-me"),
                           (told, "https://alumni.example.bg/undo-email-change?token=undo-me")):
        context = handlers.context_for_sending(delivery, token_key=key, public_base_url="https://alumni.example.bg")
        rendered = render_email(delivery["template"], "bg", context)
        assert link in rendered.text and link in rendered.html
    assert "maria@example.com" in render_email("email_changed", "bg", handlers.context_for_sending(
        told, token_key=key, public_base_url="https://alumni.example.bg")).text

    deliver(MEMBERS.create(MEMBER_ERASED, MARIA, {"member_id": MARIA, "erased_at": T0.isoformat()}, "c"))
    deliver(MEMBERS.create(EMAIL_CHANGE_REQUESTED, MARIA, {
        "member_id": MARIA, "new_email": "late@example.com", "preferred_language": "bg", "given_name": "Мария",
        "encrypted_token": "x", "expires_at": "2026-11-29T10:00:00+00:00"}, "c"))
    assert len(queued(store, "email_change_confirm")) == 1
