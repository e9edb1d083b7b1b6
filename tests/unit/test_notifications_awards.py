"""The Alumni awards' emails (issue 16), as notifications sends them.

Events are made as the contract writes them (``notification_examples``) and handled as the
consumer does; fan-outs are spread and sending goes through the real dispatcher into a
recording provider, with the links made at send time as the worker makes them.

Checked: an opened cycle invites the verified members its filter selects who consented to
award news by email, with the categories, the last day (Sofia time) and the cycle's page; a
nominee is told in their language, without consent, with CONFIRM / DECLINE links whose tokens
``NOMINATION_DECISION`` reads as that nominee's decision on that nomination until
``decide_by`` (made when sent, never stored), and no nominator is named; the nominee's decision
is acknowledged to them in their contact's language and name, without consent (confirmed: read
blind, the results' day when the event names it; declined: shown to nobody), and an erased
nominee gets nothing; a winner gets the
congratulation and the audience the announcement (the winner not both); the winner's erasure
stops the announcement and scrubs their name from it; a redelivered event sends nothing twice.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from urllib.parse import parse_qs, urlparse

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import MEMBER_ERASED
from services.notifications.rendering import render_email
from services.notifications.store import QUEUED, SENT, SKIPPED
from shared import decisionlink
from tests.unit.notification_examples import AMBASSADOR, CYCLE, NOMINATION
from tests.unit.notifications_support import (  # noqa: F401 (fixtures, found by name)
    config, deliver, of, prepare, sent_mails, spread, store, text_of,
)
from tests.unit.test_notifications_fanout import BASE, T0, by_recipient, member, without_account_mail

DECIDE_BY = datetime(2027, 2, 15, 21, 59, tzinfo=timezone.utc)


def winner(deliver, language: str = "bg", email_consent: bool = True) -> str:
    """The member 0xaa... (the examples' nominee and winner)."""
    return member(deliver, int(AMBASSADOR, 16), language=language, email_consent=email_consent)


def address_of(member_id: str) -> str:
    return f"m{int(member_id, 16)}@example.bg"


# --------------------------------------------------------------------------- the invitation

def test_an_opened_cycle_invites_the_members_its_filter_selects_who_consented(store, deliver, spread, prepare):
    in_filter, english = member(deliver, 1, year=2006), member(deliver, 2, year=2010, language="en")
    refused, too_early = member(deliver, 3, year=2006, email_consent=False), member(deliver, 4, year=1995)
    without_account_mail(store)
    opened = deliver(of("awards.cycle.opened"))
    assert spread() == 1
    queued = by_recipient(store, opened.id)
    assert set(queued) == {in_filter, english, refused} and too_early not in queued
    assert queued[refused][0]["reason"] == "no consent to awards by email"
    assert all(d[0]["category"] == "awards" and d[0]["marketing"] for d in queued.values())
    mails = sent_mails(store, prepare)
    assert set(mails) == {"m1@example.bg", "m2@example.bg"}
    bg, en = text_of(mails["m1@example.bg"]), text_of(mails["m2@example.bg"])
    assert mails["m1@example.bg"]["Subject"] == "Номинирайте за Алумни наградите 2026"
    assert "- Ментор на годината: За ментор на студенти." in bg
    assert "31 януари 2027 г., 23:59 ч. (българско време)" in bg  # 21:59 UTC
    assert "- Mentor of the Year: For a mentor of students." in en and "31 January 2027, 23:59" in en
    assert f"{BASE}/awards/cycles/{CYCLE}" in bg and "Unsubscribe from award announcements: " in en


# --------------------------------------------------------------------------- the nominee

def test_a_nominee_is_asked_to_confirm_or_decline_with_links_for_that_nomination(store, deliver, prepare, config):
    nominee = winner(deliver, language="en", email_consent=False)
    without_account_mail(store)
    submitted = deliver(of("awards.nomination.submitted"))
    [delivery] = by_recipient(store, submitted.id)[nominee]
    assert (delivery["template"], delivery["category"], delivery["status"]) == ("award_nomination", "awards", QUEUED)
    assert not {"confirm_url", "decline_url"} & set(delivery["context"])  # made when sent, never stored
    mail = sent_mails(store, prepare)[address_of(nominee)]
    text = text_of(mail)
    assert mail["Subject"] == "You have been nominated for the Alumni Awards 2026"
    assert "“Mentor of the Year”" in text and "15 February 2027, 23:59 (Bulgarian time)" in text
    assert f"{BASE}/me/nominations" in text
    links = {}
    for word, decision in (("CONFIRM", "confirm"), ("DECLINE", "decline")):
        [link] = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{word}: ")]
        assert link.startswith(f"{BASE}/awards/nominations/{NOMINATION}/decide?t=")
        read = decisionlink.NOMINATION_DECISION.read_token(config.link_signing_key, parse_qs(urlparse(link).query)["t"][0])
        assert (read.person_id, read.object_id, read.decision, read.expires_at) == \
            (nominee, NOMINATION, decision, DECIDE_BY)
        links[decision] = link
    assert links["confirm"] != links["decline"]


# --------------------------------------------------------------------------- the nominee's decision

def test_a_confirmation_is_acknowledged_in_the_nominees_language_saying_the_jury_reads_it_blind(
        store, deliver, prepare):
    nominee = winner(deliver, language="en", email_consent=False)
    without_account_mail(store)
    confirmed = deliver(of("awards.nomination.confirmed"))
    [delivery] = by_recipient(store, confirmed.id)[nominee]
    assert (delivery["template"], delivery["category"], delivery["language"]) == \
        ("award_nomination_confirmed", "awards", "en")
    assert delivery["status"] == QUEUED and delivery["marketing"] is False  # their own decision: no consent
    mail = sent_mails(store, prepare)[address_of(nominee)]
    text = text_of(mail)
    assert mail["Subject"] == "Thank you: your nomination is confirmed"
    assert text.startswith(f"Dear Име{int(nominee, 16)},")  # the name the contact holds
    assert "Thank you for confirming your nomination.\n" in text  # the event names no category
    assert "read it blind" in text and "results" not in text  # nor a results day: left out
    assert f"{BASE}/me/nominations" in text


def test_a_confirmation_names_the_category_and_the_results_day_when_the_event_has_them(store, deliver, prepare):
    nominee = winner(deliver, email_consent=False)
    without_account_mail(store)
    deliver(of("awards.nomination.confirmed", year=2026, results_at="2027-03-19T22:30:00+00:00",
               category={"category_id": "g" * 32, "title": {"bg": "Ментор на годината", "en": "Mentor of the Year"}}))
    text = text_of(sent_mails(store, prepare)[address_of(nominee)])
    assert "номинацията си за Алумни наградите 2026 в категория „Ментор на годината“." in text
    assert "Резултатите ще бъдат обявени до: 20 март 2027 г." in text  # 00:30 in Sofia


def test_a_decline_is_acknowledged_as_shown_to_nobody(store, deliver, prepare):
    nominee = winner(deliver, email_consent=False)
    without_account_mail(store)
    declined = deliver(of("awards.nomination.declined"))
    assert [d["template"] for d in by_recipient(store, declined.id)[nominee]] == ["award_nomination_declined"]
    mail = sent_mails(store, prepare)[address_of(nominee)]
    assert mail["Subject"] == "Отбелязахме отказа Ви от номинацията"
    assert "нищо за нея не се показва на никого" in text_of(mail)


@pytest.mark.parametrize("event_type", ["awards.nomination.confirmed", "awards.nomination.declined"])
def test_an_erased_or_unknown_nominee_gets_no_receipt(store, deliver, event_type):
    assert by_recipient(store, deliver(of(event_type)).id) == {}  # no contact for them
    nominee = winner(deliver)
    deliver(MEMBERS.create(MEMBER_ERASED, nominee, {"member_id": nominee, "erased_at": T0.isoformat()}, "c"))
    assert by_recipient(store, deliver(of(event_type)).id) == {}


# --------------------------------------------------------------------------- the winner

def test_the_winner_is_congratulated_and_the_audience_told_the_winner_only_once(store, deliver, spread, prepare):
    won = winner(deliver)
    others = [member(deliver, 1), member(deliver, 2, language="en"), member(deliver, 3, email_consent=False)]
    without_account_mail(store)
    announced = deliver(of("awards.winner.announced"))
    spread()
    queued = by_recipient(store, announced.id)
    assert set(queued) == {won, *others}
    assert [(d["template"], d["marketing"]) for d in queued[won]] == [("award_won", False)]
    assert {d[0]["template"] for m, d in queued.items() if m != won} == {"award_announced"}
    assert queued[others[2]][0]["status"] == SKIPPED
    mails = sent_mails(store, prepare)
    assert set(mails) == {address_of(won), "m1@example.bg", "m2@example.bg"}
    congratulation = mails[address_of(won)]
    # Compared as rendered: Python's header folding puts the space at this fold between two
    # encoded words, where decoders drop it (a mailer matter, reported; not this message's).
    [won_delivery] = queued[won]
    assert render_email("award_won", "bg", prepare(won_delivery)).subject == \
        "Поздравления! Печелите Алумни наградата 2026"
    assert "За двадесет години всеотдайно менторство." in text_of(congratulation)
    announcement = mails["m2@example.bg"]
    assert announcement["Subject"] == "Alumni Award 2026, “Mentor of the Year”: Георги Петров"
    assert f"{BASE}/awards/cycles/{CYCLE}/winners" in text_of(announcement)


def test_the_winners_erasure_stops_the_announcement_and_scrubs_their_name(store, deliver, spread, prepare):
    won = winner(deliver)
    first, later = member(deliver, 1), member(deliver, 2)
    without_account_mail(store)
    announced = deliver(of("awards.winner.announced"))
    spread()
    sent_mails(store, prepare)
    # One more announcement still waiting when the winner is erased.
    store.db.deliveries.update_one({"_id": f"{announced.id}:{later}:email"}, {"$set": {"status": QUEUED}})
    deliver(MEMBERS.create(MEMBER_ERASED, won, {"member_id": won, "erased_at": T0.isoformat()}, "c"))
    left = list(store.db.deliveries.find({"event_id": announced.id}))
    assert not [d["_id"] for d in left if "Петров" in str(d) or "Георги" in str(d)]
    assert {d["recipient"]: d["status"] for d in left} == {won: SENT, first: SENT, later: SKIPPED}
    fanout = store.fanout(announced.id)
    assert fanout["status"] == "cancelled" and "data" not in fanout
    assert sent_mails(store, prepare) == {}


def test_a_winner_erased_before_their_announcement_arrives_is_announced_to_nobody(store, deliver, spread):
    """The events came in that order: the announcement would carry an erased member's name to
    the whole audience. No fan-out is made and nothing is queued."""
    won = winner(deliver)
    member(deliver, 1)
    without_account_mail(store)
    deliver(MEMBERS.create(MEMBER_ERASED, won, {"member_id": won, "erased_at": T0.isoformat()}, "c"))
    announced = deliver(of("awards.winner.announced"))
    spread()
    assert store.fanout(announced.id) is None
    assert store.db.deliveries.count_documents({"event_id": announced.id}) == 0


def test_a_redelivered_event_sends_nothing_twice(store, deliver, spread, prepare):
    winner(deliver)
    without_account_mail(store)
    submitted = of("awards.nomination.submitted")
    deliver(submitted)
    assert len(sent_mails(store, prepare)) == 1
    deliver(submitted)
    assert store.db.deliveries.count_documents({"event_id": submitted.id}) == 1
    confirmed = of("awards.nomination.confirmed")
    deliver(confirmed)
    deliver(confirmed)
    assert store.db.deliveries.count_documents({"event_id": confirmed.id}) == 1
    announced = of("awards.winner.announced")
    deliver(announced)
    deliver(announced)
    assert spread() == 1 and spread() == 0
    assert store.db.deliveries.count_documents({"event_id": announced.id}) == 1
