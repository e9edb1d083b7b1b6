"""The mentoring emails (issue 14), as notifications sends them.

Events are created with the members catalogue (what really arrives) and handled as the consumer
does; sending goes through the real dispatcher into a recording provider, with the links made
at send time as the worker makes them.

Checked: each ``members.mentorship.*`` event reaches exactly the members its ``notify`` names,
each with the message for their side of the pair, in their language, by email only however
they set their mentoring channel, never needing consent; the asked mentor's email carries the
mentee's message, the deadline in Sofia time, the asks page and ACCEPT / DECLINE links whose
tokens ``mentoringlink.read_token`` reads as that mentor's decision on that request, until the
deadline (made when sent, never stored); a declined or expired ask tells the mentee the next
is asked, or links new recommendations when the list is exhausted; a logged meeting carries
no topic or notes, even if an event held them; an ended mentorship invites feedback; a
redelivered event adds nothing; an erased member is told nothing and their queued emails go
nowhere.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import (
    MEMBER_ERASED,
    MENTORSHIP_ACCEPTED,
    MENTORSHIP_DECLINED,
    MENTORSHIP_ENDED,
    MENTORSHIP_EXPIRED,
    MENTORSHIP_MEETING_LOGGED,
    MENTORSHIP_REQUESTED,
)
from services.notifications.store import SENT, SKIPPED
from shared import mentoringlink
from tests.unit.notifications_support import (  # noqa: F401 (fixtures, found by name)
    config, deliver, html_of, prepare, sent_mails, store, text_of,
)
from tests.unit.test_notifications_fanout import BASE, by_recipient, member, without_account_mail

REQUEST, PAIR = "7c3e9a1b5d2f4e6a8b0c1d2e3f4a5b6c", "2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e1b"
DEADLINE = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)  # 12:00 in Sofia


@pytest.fixture
def people(deliver, store):
    """A mentor who reads Bulgarian (and would take mentoring news by SMS), a mentee who reads
    English, and the mentee's second choice; none consented to anything."""
    mentor = member(deliver, 1, phone="+359888123456", email_consent=False)
    store.save_preferences(mentor, {"channels": {"mentoring": "email_and_sms"}})
    mentee = member(deliver, 2, language="en", email_consent=False)
    second = member(deliver, 3, email_consent=False)
    without_account_mail(store)
    return {"mentor": mentor, "mentee": mentee, "second": second}


def party(member_id: str, given: str | None, family: str | None, language: str | None) -> dict:
    return {"member_id": member_id, "given_name": given, "family_name": family, "preferred_language": language}


def pair(people, mentor: str = "mentor") -> dict:
    names = {"mentor": ("Георги", "Петров", "bg"), "second": ("Иван", "Иванов", "bg")}[mentor]
    return {"mentor_id": people[mentor], "mentee_id": people["mentee"], "mentor": party(people[mentor], *names),
            "mentee": party(people["mentee"], "Anna", "Müller", "en")}


def requested(people, mentor: str = "mentor", choice: int = 1):
    return MEMBERS.create(MENTORSHIP_REQUESTED, REQUEST, {
        **pair(people, mentor), "notify": [people[mentor]], "request_id": REQUEST, "choice": choice, "of": 2,
        "message": "Hello! I am thinking of cardiology.\n\nCould we talk about residency?",
        "deadline": DEADLINE.isoformat(), "requested_at": "2026-12-05T10:00:00+00:00"}, "corr-mentoring")


def moved_on(people, event_type: str, notify: list[str], *, exhausted: bool):
    return MEMBERS.create(event_type, REQUEST, {
        **pair(people), "notify": notify, "request_id": REQUEST, "choice": 1,
        "next_mentor_id": None if exhausted else people["second"], "exhausted": exhausted,
        "asked_at": "2026-12-05T10:00:00+00:00", "at": DEADLINE.isoformat()}, "c")


def accepted(people, notify: list[str]):
    return MEMBERS.create(MENTORSHIP_ACCEPTED, REQUEST, {
        **pair(people), "notify": notify, "request_id": REQUEST, "mentorship_id": PAIR, "choice": 1,
        "asked_at": "2026-12-05T10:00:00+00:00", "accepted_at": "2026-12-06T08:30:00+00:00"}, "c")


def meeting_logged(people, by: str):
    other = people["mentee"] if by == people["mentor"] else people["mentor"]
    return MEMBERS.create(MENTORSHIP_MEETING_LOGGED, PAIR, {
        **pair(people), "notify": [other], "mentorship_id": PAIR, "meeting_id": "m" * 32, "logged_by": by,
        "on": "2026-12-10", "minutes": 45, "logged_at": "2026-12-10T19:00:00+00:00"}, "c")


def ended(people, by: str, reason: str = "ended", **overrides):
    other = people["mentee"] if by == people["mentor"] else people["mentor"]
    return MEMBERS.create(MENTORSHIP_ENDED, PAIR, {
        **pair(people), "notify": [other], "mentorship_id": PAIR, "ended_by": by, "reason": reason,
        "meetings": 6, "started_at": "2026-12-06T08:30:00+00:00", "ended_at": "2027-06-30T12:00:00+00:00",
        **overrides}, "c")


def told(store, event) -> dict[str, tuple[str, str, str]]:
    """Who the event queued something for: member -> (template, language, channel)."""
    return {m: (d["template"], d["language"], d["channel"])
            for m, [d] in by_recipient(store, event.id).items()}


# --------------------------------------------------------------------------- requested

def test_the_asked_mentor_alone_is_told_in_their_language_by_email_only(store, deliver, people):
    event = deliver(requested(people))
    assert told(store, event) == {people["mentor"]: ("mentoring_requested", "bg", "email")}
    [delivery] = by_recipient(store, event.id)[people["mentor"]]
    assert delivery["category"] == "mentoring" and delivery["marketing"] is False
    assert delivery["status"] == "queued"  # no consent needed: it is transactional
    # The links are made when the email is built: only what they are made from is stored.
    assert not {"accept_url", "decline_url"} & set(delivery["context"])


def test_the_request_email_carries_the_message_the_sofia_deadline_and_two_links_that_decide_for_that_mentor(
        store, deliver, people, prepare, config):
    deliver(requested(people))
    mail = sent_mails(store, prepare)["m1@example.bg"]
    text, html = text_of(mail), html_of(mail)
    assert mail["Subject"] == "Anna Müller Ви моли да станете ментор"
    assert "Hello! I am thinking of cardiology.\n\nCould we talk about residency?" in text
    assert "8 декември 2026 г., 12:00 ч." in text  # 10:00 UTC, in Sofia time
    assert f"{BASE}/mentoring/asks" in text and f'href="{BASE}/mentoring/asks"' in html
    links = {}
    for word, decision in (("ПРИЕМАМ", mentoringlink.ACCEPT), ("ОТКАЗВАМ", mentoringlink.DECLINE)):
        [link] = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{word}: ")]
        assert link.startswith(f"{BASE}/mentoring/requests/{REQUEST}/decide?t=")
        assert f'href="{link}"' in html.replace("&amp;", "&")
        decided = mentoringlink.read_token(config.link_signing_key, parse_qs(urlparse(link).query)["t"][0])
        assert (decided.member_id, decided.request_id, decided.decision) == (people["mentor"], REQUEST, decision)
        assert decided.expires_at == DEADLINE
        links[decision] = link
    assert links[mentoringlink.ACCEPT] != links[mentoringlink.DECLINE]


def test_a_request_moving_on_asks_the_next_mentor_and_tells_the_mentee_so(store, deliver, people, prepare):
    declined = deliver(moved_on(people, MENTORSHIP_DECLINED, [people["mentee"]], exhausted=False))
    asked = deliver(requested(people, "second", choice=2))
    assert told(store, declined) == {people["mentee"]: ("mentoring_declined", "en", "email")}
    assert told(store, asked) == {people["second"]: ("mentoring_requested", "bg", "email")}
    mails = sent_mails(store, prepare)
    note = mails["m2@example.bg"]
    assert note["Subject"] == "Георги Петров cannot be your mentor now"
    assert "We have asked the next mentor on your list" in text_of(note)
    assert "/mentoring/recommendations" not in text_of(note)
    assert f"{BASE}/mentoring/requests/{REQUEST}/decide?t=" in text_of(mails["m3@example.bg"])


@pytest.mark.parametrize(("event_type", "template"), [(MENTORSHIP_DECLINED, "mentoring_declined"),
                                                      (MENTORSHIP_EXPIRED, "mentoring_expired")])
def test_an_exhausted_list_sends_the_mentee_to_new_recommendations(store, deliver, people, prepare, event_type,
                                                                    template):
    event = deliver(moved_on(people, event_type, [people["mentee"]], exhausted=True))
    assert told(store, event) == {people["mentee"]: (template, "en", "email")}
    text = text_of(sent_mails(store, prepare)["m2@example.bg"])
    assert f"{BASE}/mentoring/recommendations" in text and "last mentor on your list" in text


def test_an_expiry_tells_the_mentee_and_the_mentor_who_let_it_pass_each_their_own(store, deliver, people, prepare):
    event = deliver(moved_on(people, MENTORSHIP_EXPIRED, [people["mentee"], people["mentor"]], exhausted=False))
    assert told(store, event) == {people["mentee"]: ("mentoring_expired", "en", "email"),
                                  people["mentor"]: ("mentoring_expired_mentor", "bg", "email")}
    mails = sent_mails(store, prepare)
    assert mails["m2@example.bg"]["Subject"] == "Your request to Георги Петров has expired"
    assert mails["m1@example.bg"]["Subject"] == "Молбата на Anna Müller изтече"
    assert f"{BASE}/mentoring/asks" in text_of(mails["m1@example.bg"])


# --------------------------------------------------------------------------- the mentorship

def test_an_acceptance_tells_the_mentee_the_mentors_name_and_the_pairs_page(store, deliver, people, prepare):
    event = deliver(accepted(people, [people["mentee"]]))
    assert told(store, event) == {people["mentee"]: ("mentoring_accepted", "en", "email")}
    mail = sent_mails(store, prepare)["m2@example.bg"]
    assert mail["Subject"] == "Георги Петров has agreed to be your mentor"
    assert f"{BASE}/mentoring/mentorships/{PAIR}" in text_of(mail)
    assert f'href="{BASE}/mentoring/mentorships/{PAIR}"' in html_of(mail)


def test_a_mentor_named_in_notify_gets_a_confirmation(store, deliver, people, prepare):
    event = deliver(accepted(people, [people["mentee"], people["mentor"]]))
    assert told(store, event) == {people["mentee"]: ("mentoring_accepted", "en", "email"),
                                  people["mentor"]: ("mentoring_accepted_mentor", "bg", "email")}
    assert sent_mails(store, prepare)["m1@example.bg"]["Subject"] == "Вече сте ментор на Anna Müller"


def test_a_logged_meeting_tells_the_other_side_without_topic_or_notes(store, deliver, people, prepare):
    event = meeting_logged(people, by=people["mentor"])
    # Even were a producer to add the pair's private words later, they would not reach a mail.
    leaky = dataclasses.replace(event, data={**event.data, "topic": "Residency in Germany",
                                             "notes": "She is worried about the exam fees."})
    deliver(leaky)
    assert told(store, event) == {people["mentee"]: ("mentoring_meeting_logged", "en", "email")}
    [delivery] = by_recipient(store, event.id)[people["mentee"]]
    assert "Residency" not in str(delivery) and "worried" not in str(delivery)
    mail = sent_mails(store, prepare)["m2@example.bg"]
    assert "Residency" not in mail.as_string() and "worried" not in mail.as_string()
    assert "10 December 2026, 45 min." in text_of(mail)
    assert mail["Subject"] == "Георги Петров logged a mentoring meeting"


def test_an_ended_mentorship_tells_the_other_side_and_invites_their_feedback(store, deliver, people, prepare):
    event = deliver(ended(people, by=people["mentee"]))
    assert told(store, event) == {people["mentor"]: ("mentoring_ended", "bg", "email")}
    mail = sent_mails(store, prepare)["m1@example.bg"]
    text = text_of(mail)
    assert mail["Subject"] == "Менторството Ви с Anna Müller приключи"
    assert "Anna Müller приключи менторството Ви." in text and "записани срещи: 6" in text
    assert "обратната Ви връзка" in text and f"{BASE}/mentoring/mentorships/{PAIR}" in text


def test_a_mentorship_ended_by_an_erasure_says_the_other_side_left_without_their_name(store, deliver, people,
                                                                                        prepare):
    gone = party(people["mentee"], None, None, None)
    deliver(ended(people, by=people["mentee"], reason="erased", mentee=gone))
    text = text_of(sent_mails(store, prepare)["m1@example.bg"])
    assert "(член, напуснал клуба)" in text and "другата страна напусна клуба" in text


# --------------------------------------------------------------------------- redelivery, erasure

def test_a_redelivered_event_adds_nothing_and_sends_nothing_twice(store, deliver, people, prepare):
    event = requested(people)
    deliver(event)
    assert len(sent_mails(store, prepare)) == 1
    deliver(event)
    assert store.db.deliveries.count_documents({"event_id": event.id}) == 1
    assert store.delivery(f"{event.id}:{people['mentor']}:email")["status"] == SENT
    assert sent_mails(store, prepare) == {}


def test_an_erased_member_is_told_nothing_and_their_queued_mail_goes_nowhere(store, deliver, people, prepare):
    queued = deliver(accepted(people, [people["mentee"], people["mentor"]]))
    deliver(MEMBERS.create(MEMBER_ERASED, people["mentee"], {"member_id": people["mentee"],
                                                             "erased_at": "2026-12-06T09:00:00+00:00"}, "c"))
    late = deliver(meeting_logged(people, by=people["mentor"]))  # a late event about the erased mentee
    assert told(store, late) == {}
    mails = sent_mails(store, prepare)
    assert set(mails) == {"m1@example.bg"}  # the mentor's confirmation only
    [forgotten] = by_recipient(store, queued.id)[people["mentee"]]
    assert forgotten["status"] == SKIPPED and "context" not in forgotten and "address" not in forgotten
