"""The causes' emails (issue 15), as notifications sends them.

Events are made as the contract writes them (``notification_examples``) and handled as the
consumer does; the fan-out is spread and sending goes through the real dispatcher into a
recording provider, as the worker does.

Checked: a published cause reaches the verified members of its audience who consented to
causes by email (a member who withdrew that consent is skipped with the reason), with its
roles, deadline in Sofia time, page and unsubscribe link; a volunteer is told they joined
(what to bring, when in Sofia time, where), that they wait (their position) or that a place
opened up, in their language, without consent; confirmed hours are thanked with the hours;
a closed cause tells only the volunteers still waiting, whatever the order the joins and
leaves arrived in; an erased member is told nothing and leaves no record; a redelivered event
sends nothing twice.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import CONSENT_CHANGED, MEMBER_ERASED
from services.notifications.store import CAUSE_VOLUNTEERS, QUEUED, SKIPPED
from tests.unit.notification_examples import CAUSE
from tests.unit.notifications_support import (  # noqa: F401 (fixtures, found by name)
    config, deliver, of, prepare, sent_mails, spread, store, text_of,
)
from tests.unit.test_notifications_fanout import BASE, T0, by_recipient, member, without_account_mail

CAUSE_URL = f"{BASE}/causes/{CAUSE}"


def joined(member_id: str, volunteer: str, status: str = "joined", at: str = "2027-02-02T08:00:00+00:00", **changes):
    return of("events.volunteer.joined", member_id=member_id, volunteer_id=volunteer, status=status, at=at,
              position=2 if status == "waitlisted" else None, **changes)


# --------------------------------------------------------------------------- the announcement

def test_a_published_cause_reaches_its_audience_who_consented_to_causes(store, deliver, spread, prepare):
    keeps, english = member(deliver, 1), member(deliver, 2, language="en")
    never, withdrew = member(deliver, 3, email_consent=False), member(deliver, 4)
    pending = member(deliver, 5, verified=False)
    deliver(MEMBERS.create(CONSENT_CHANGED, withdrew, {
        "member_id": withdrew, "channel": "email", "category": "causes", "granted": False,
        "source": "unsubscribe_link", "at": (T0 + timedelta(hours=1)).isoformat()}, "c"))
    without_account_mail(store)
    published = deliver(of("events.cause.published"))
    assert store.db.deliveries.count_documents({"event_id": published.id}) == 0  # a fan-out, spread apart
    assert spread() == 1
    queued = by_recipient(store, published.id)
    assert set(queued) == {keeps, english, never, withdrew} and pending not in queued
    assert [d["status"] for d in queued[keeps] + queued[english]] == [QUEUED, QUEUED]
    assert queued[never][0]["reason"] == "no consent to causes by email"
    assert queued[withdrew][0]["reason"] == "no consent to causes by email"
    assert all(d[0]["category"] == "causes" and d[0]["marketing"] for d in queued.values())
    mails = sent_mails(store, prepare)
    assert set(mails) == {"m1@example.bg", "m2@example.bg"}
    bg, en = text_of(mails["m1@example.bg"]), text_of(mails["m2@example.bg"])
    assert mails["m1@example.bg"]["Subject"] == "Нова кауза: Ден на отворените врати 2027"
    assert "- Екскурзовод (10 места, 27 март 2027 г., 09:00 ч.): Бяла престилка и удобни обувки." in bg
    assert "- Пробни изпити (4 места)\n" in bg
    assert "Срок: 20 март 2027 г., 18:00 ч. (българско време)" in bg
    assert mails["m2@example.bg"]["Subject"] == "New cause: Open Day 2027"
    assert "- Campus guide (10 places, 27 March 2027, 09:00): A white coat and comfortable shoes." in en
    assert CAUSE_URL in bg and CAUSE_URL in en
    assert "Unsubscribe from cause announcements: " in en and mails["m2@example.bg"]["List-Unsubscribe"]


def test_a_campaign_shows_its_goal_and_the_universitys_donation_page(store, deliver, spread, prepare):
    member(deliver, 1, language="en")
    without_account_mail(store)
    deliver(of("events.cause.published", kind="campaign", roles=[], donation_url="https://mu-plovdiv.bg/donate",
               goal={"target": 5000, "unit": {"bg": "лв.", "en": "BGN"}, "current": 1200}))
    spread()
    text = text_of(sent_mails(store, prepare)["m1@example.bg"])
    assert "Goal: 1200 of 5000 BGN" in text and "https://mu-plovdiv.bg/donate" in text
    assert "How you can help" not in text


# --------------------------------------------------------------------------- the volunteer

def test_a_volunteer_who_joined_is_told_what_to_bring_when_and_where_without_consent(store, deliver, prepare):
    volunteer = member(deliver, 1, email_consent=False)
    without_account_mail(store)
    told = deliver(joined(volunteer, "v1"))
    [delivery] = by_recipient(store, told.id)[volunteer]
    assert (delivery["template"], delivery["category"], delivery["marketing"]) == ("cause_joined", "causes", False)
    mail = sent_mails(store, prepare)["m1@example.bg"]
    text = text_of(mail)
    assert mail["Subject"] == "Записахте се: Екскурзовод"
    assert "Кога: 27 март 2027 г., 09:00 ч." in text  # 07:00 UTC, in Sofia time
    assert "Къде: Аула, бул. „Васил Априлов“ 15А, Пловдив" in text
    assert "Бяла престилка и удобни обувки." in text and CAUSE_URL in text


def test_a_waiting_volunteer_is_told_their_position_and_a_promoted_one_that_a_place_opened(store, deliver, prepare):
    english = member(deliver, 1, language="en")
    without_account_mail(store)
    deliver(joined(english, "v1", status="waitlisted"))
    waiting = sent_mails(store, prepare)["m1@example.bg"]
    assert waiting["Subject"] == "You are on the waiting list: Campus guide"
    assert "you are number 2" in text_of(waiting)
    deliver(joined(english, "v1", promoted=True, at="2027-02-05T08:00:00+00:00"))
    promoted = sent_mails(store, prepare)["m1@example.bg"]
    assert promoted["Subject"] == "A place opened up: Campus guide"
    assert "When: 27 March 2027, 09:00" in text_of(promoted)


def test_a_pledge_to_a_collection_shows_the_quantity(store, deliver, prepare):
    volunteer = member(deliver, 1, language="en")
    without_account_mail(store)
    deliver(joined(volunteer, "v1", kind="collection", quantity=3,
                   role={"role_id": "r", "title": {"bg": "Учебници", "en": "Textbooks"}, "what_to_bring": None,
                         "when": None, "place": None}))
    text = text_of(sent_mails(store, prepare)["m1@example.bg"])
    assert "You pledged: 3" in text and "When:" not in text and "What to bring" not in text


@pytest.mark.parametrize(("language", "said"), [("bg", "2,5 часа"), ("en", "2.5 hours")])
def test_confirmed_hours_are_thanked_with_the_hours(store, deliver, prepare, language, said):
    volunteer = member(deliver, 1, language=language)
    without_account_mail(store)
    deliver(of("events.volunteer.hours_confirmed", member_id=volunteer))
    mail = sent_mails(store, prepare)["m1@example.bg"]
    assert said in mail["Subject"] and said in text_of(mail)
    assert ("27 март 2027 г." if language == "bg" else "27 March 2027") in text_of(mail)


def test_a_closed_cause_tells_only_the_volunteers_still_waiting_whatever_the_order(store, deliver, prepare):
    came, waits, promoted, gave_up, elsewhere = (member(deliver, n) for n in range(1, 6))
    without_account_mail(store)
    deliver(joined(came, "v1"))
    deliver(joined(waits, "v2", status="waitlisted"))
    # Promoted, but the promotion arrives before the wait it ends.
    deliver(joined(promoted, "v3", at="2027-02-04T08:00:00+00:00"))
    deliver(joined(promoted, "v3", status="waitlisted", at="2027-02-03T08:00:00+00:00"))
    deliver(joined(gave_up, "v4", status="waitlisted"))
    deliver(of("events.volunteer.left", member_id=gave_up, volunteer_id="v4", at="2027-02-06T08:00:00+00:00"))
    deliver(joined(elsewhere, "v5", status="waitlisted", cause_id="other"))
    store.db.deliveries.delete_many({})
    closed = deliver(of("events.cause.closed", member_ids=[came, waits, promoted, gave_up]))
    assert {m: d[0]["template"] for m, d in by_recipient(store, closed.id).items()} == {waits: "cause_closed"}
    mail = sent_mails(store, prepare)["m2@example.bg"]
    assert mail["Subject"] == "Каузата „Ден на отворените врати 2027“ приключи"
    assert "докато бяхте в списъка на чакащите" in text_of(mail)


# --------------------------------------------------------------------------- erasure and redelivery

def test_an_erased_volunteer_is_told_nothing_and_leaves_no_record(store, deliver, prepare):
    volunteer = member(deliver, 1)
    without_account_mail(store)
    deliver(joined(volunteer, "v1", status="waitlisted"))
    deliver(MEMBERS.create(MEMBER_ERASED, volunteer, {"member_id": volunteer, "erased_at": T0.isoformat()}, "c"))
    assert store.db[CAUSE_VOLUNTEERS].count_documents({}) == 0
    late = deliver(joined(volunteer, "v1", promoted=True, at="2027-02-05T08:00:00+00:00"))
    closed = deliver(of("events.cause.closed", member_ids=[volunteer]))
    assert by_recipient(store, late.id) == {} and by_recipient(store, closed.id) == {}
    assert store.db[CAUSE_VOLUNTEERS].count_documents({}) == 0
    assert [d["status"] for d in store.db.deliveries.find()] == [SKIPPED]  # the wait, never sent
    assert sent_mails(store, prepare) == {}


def test_a_redelivered_event_sends_nothing_twice(store, deliver, prepare):
    volunteer = member(deliver, 1)
    without_account_mail(store)
    hours = of("events.volunteer.hours_confirmed", member_id=volunteer)
    deliver(hours)
    assert len(sent_mails(store, prepare)) == 1
    deliver(hours)
    assert store.db.deliveries.count_documents({"event_id": hours.id}) == 1
    assert sent_mails(store, prepare) == {}
