"""The ambassador programme's emails (issue 15), as notifications sends them.

Events are made as the contract writes them (``notification_examples``) and handled as the
consumer does; sending goes through the real dispatcher into a recording provider, with the
links made at send time as the worker makes them.

Checked: an application is acknowledged to the applicant in their language, needing no
consent, and the office is alerted at ``OFFICE_EMAIL`` with the applicant's name, countries and
languages (nobody when the setting is empty; the applicant's erasure scrubs the alert); an
appointment and a decline reach the member in their language, needing no consent;
a finder's asker (no member) gets the confirmation link at the address they gave, in the
language they chose, whose token ``ASKER_CONFIRMATION`` reads as a confirmation of that
question by nobody in particular, until ``confirm_until`` (made when sent, never stored); the
ambassador gets an assigned contact with the question and the due time in Sofia time; a reply
reaches its recipient in their language signed with the ambassador's given name only, and a
logged contact writes to nobody; an overdue contact nudges the ambassador once, then the
office once at ``OFFICE_EMAIL`` (nobody when it is empty); an asker's erasure leaves no copy of
their address, name or question in any delivery; an erased ambassador's name leaves the reply
too; a redelivered event sends nothing twice.
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import MEMBER_ERASED
from services.notifications import handlers
from services.notifications.store import SENT, SKIPPED
from shared import decisionlink
from tests.support import consumer_like
from tests.unit.notification_examples import AMBASSADOR, CONTACT, DATA, QUESTION, event
from tests.unit.notifications_support import (  # noqa: F401 (fixtures, found by name)
    config, html_of, of, prepare, sent_mails, store, text_of,
)
from tests.unit.test_notifications_fanout import BASE, by_recipient, member, without_account_mail

OFFICE = "ambassadors@mu-plovdiv.bg"
CONFIRM_UNTIL = datetime(2026, 12, 11, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def deliver(store):
    return consumer_like(store, handlers.subscriptions(public_base_url=BASE, office_email=OFFICE))


@pytest.fixture
def ambassador(deliver, store):
    """The ambassador (member 0xaa...: reads Bulgarian, consented to nothing)."""
    member_id = member(deliver, int(AMBASSADOR, 16), email_consent=False)
    without_account_mail(store)
    return member_id


def ambassador_address() -> str:
    return f"m{int(AMBASSADOR, 16)}@example.bg"


# --------------------------------------------------------------------------- the member

def test_an_application_is_acknowledged_to_the_applicant_and_the_office_is_alerted(store, deliver, ambassador,
                                                                                   prepare):
    applied = deliver(of("members.ambassador.applied"))
    queued = by_recipient(store, applied.id)
    assert set(queued) == {ambassador, "office"}
    [acknowledgement], [alert] = queued[ambassador], queued["office"]
    assert (acknowledgement["template"], acknowledgement["language"], acknowledgement["category"]) == \
        ("ambassador_applied", "bg", "account")
    assert acknowledgement["status"] == "queued" and acknowledgement["marketing"] is False  # no consent needed
    assert (alert["template"], alert["address"], alert["language"]) == ("ambassador_applied_office", OFFICE, "bg")
    assert alert["mentions"] == [ambassador]  # it carries the applicant's name
    mails = sent_mails(store, prepare)
    assert set(mails) == {ambassador_address(), OFFICE}
    mine = text_of(mails[ambassador_address()])
    assert mails[ambassador_address()]["Subject"] == "Получихме кандидатурата Ви за посланик"
    assert "Държави: IN, NP\nЕзици: en, hi" in mine and "ще Ви отговори" in mine
    assert f"{BASE}/me/ambassador" in mine
    office = text_of(mails[OFFICE])
    assert mails[OFFICE]["Subject"] == "Нова кандидатура за посланик: Priya Sharma"
    assert "Priya Sharma кандидатства за посланик" in office and "Държави: IN, NP\nЕзици: en, hi" in office
    assert f"{BASE}/office/ambassadors" in office and f'href="{BASE}/office/ambassadors"' in html_of(mails[OFFICE])


def test_an_applicant_who_reads_english_is_acknowledged_in_english(store, deliver, prepare):
    member(deliver, int(AMBASSADOR, 16), language="en", email_consent=False)
    without_account_mail(store)
    deliver(of("members.ambassador.applied"))
    mail = sent_mails(store, prepare)[ambassador_address()]
    assert mail["Subject"] == "We have received your ambassador application"
    assert "Countries: IN, NP\nLanguages: en, hi" in text_of(mail)


def test_no_office_address_means_the_applicant_alone_is_told(store):
    deliver = consumer_like(store, handlers.subscriptions(public_base_url=BASE))
    applicant = member(deliver, int(AMBASSADOR, 16), email_consent=False)
    without_account_mail(store)
    applied = deliver(of("members.ambassador.applied"))
    assert set(by_recipient(store, applied.id)) == {applicant}


def test_the_applicants_erasure_scrubs_the_offices_alert_and_stops_what_waits(store, deliver, ambassador, prepare):
    applied = deliver(of("members.ambassador.applied"))
    assert "Priya Sharma" in str(store.db.deliveries.find_one({"recipient": "office"}))
    deliver(MEMBERS.create(MEMBER_ERASED, ambassador, {"member_id": ambassador,
                                                       "erased_at": "2026-12-08T13:00:00+00:00"}, "c"))
    left = by_recipient(store, applied.id)
    assert {recipient: d[0]["status"] for recipient, d in left.items()} == {ambassador: SKIPPED, "office": SKIPPED}
    assert not [d for d in store.db.deliveries.find() if "Priya" in str(d) or "Sharma" in str(d)]
    assert sent_mails(store, prepare) == {}


def test_an_appointment_tells_the_member_their_regions_languages_and_term_without_consent(
        store, deliver, ambassador, prepare):
    appointed = deliver(of("members.ambassador.appointed"))
    [delivery] = by_recipient(store, appointed.id)[ambassador]
    assert (delivery["template"], delivery["language"], delivery["channel"]) == ("ambassador_appointed", "bg", "email")
    assert delivery["status"] == "queued" and delivery["marketing"] is False
    mail = sent_mails(store, prepare)[ambassador_address()]
    text = text_of(mail)
    assert mail["Subject"] == "Вече сте посланик на Медицинския университет – Пловдив"
    assert "IN (Delhi, Mumbai); NP" in text and "en, hi" in text
    assert "от 1 октомври 2026 г. до 30 септември 2027 г." in text
    assert f"{BASE}/me/ambassador" in text and f'href="{BASE}/me/ambassador"' in html_of(mail)


def test_a_declined_application_gives_the_reason_in_the_members_language(store, deliver, prepare):
    applicant = member(deliver, int(AMBASSADOR, 16), language="en", email_consent=False)
    without_account_mail(store)
    deliver(of("members.ambassador.declined", reason="We have enough ambassadors for India this year."))
    mail = sent_mails(store, prepare)[ambassador_address()]
    assert mail["Subject"] == "Your ambassador application"
    assert "Reason: We have enough ambassadors for India this year." in text_of(mail)
    assert store.db.deliveries.count_documents({"recipient": applicant, "template": "ambassador_declined"}) == 1


# --------------------------------------------------------------------------- the finder's asker

def test_the_asker_gets_a_confirmation_link_for_that_question_at_the_address_they_gave(store, deliver, prepare,
                                                                                       config):
    asked = deliver(of("members.ambassador.question_asked"))
    [delivery] = by_recipient(store, asked.id)[f"asker:{QUESTION}"]
    assert (delivery["address"], delivery["language"], delivery["template"]) == \
        ("priya@example.in", "en", "ambassador_question_confirm")
    assert delivery["asker"] == {"question_id": QUESTION}
    assert "confirm_url" not in delivery["context"]  # made when sent, never stored
    mail = sent_mails(store, prepare)["priya@example.in"]
    text = text_of(mail)
    assert mail["Subject"] == "Confirm your question to an ambassador of MU Plovdiv"
    assert "Dear Priya Sharma," in text and "11 December 2026, 12:00 (Bulgarian time)" in text
    [link] = [line for line in text.splitlines() if line.startswith(f"{BASE}/ambassadors/questions/")]
    assert link.startswith(f"{BASE}/ambassadors/questions/{QUESTION}/confirm?t=")
    assert f'href="{link}"' in html_of(mail).replace("&amp;", "&")
    token = parse_qs(urlparse(link).query)["t"][0]
    read = decisionlink.ASKER_CONFIRMATION.read_token(config.link_signing_key, token)
    assert (read.person_id, read.object_id, read.decision, read.expires_at) == ("", QUESTION, "confirm", CONFIRM_UNTIL)
    with pytest.raises(decisionlink.BadDecisionLink):  # no other kind of link passes for it
        decisionlink.NOMINATION_DECISION.read_token(config.link_signing_key, token)


def test_an_asker_who_wrote_in_bulgarian_is_answered_in_bulgarian(store, deliver, prepare):
    deliver(of("members.ambassador.question_asked",
               asker={"name": "Иван Иванов", "email": "ivan@example.bg", "language": "bg"}))
    mail = sent_mails(store, prepare)["ivan@example.bg"]
    assert mail["Subject"] == "Потвърдете въпроса си към посланик на МУ – Пловдив"
    assert "11 декември 2026 г., 12:00 ч." in text_of(mail)


# --------------------------------------------------------------------------- the ambassador's contacts

def test_an_assigned_contact_reaches_the_ambassador_with_the_question_and_the_due_time(store, deliver, ambassador,
                                                                                       prepare):
    assigned = deliver(of("members.ambassador.contact_assigned"))
    [delivery] = by_recipient(store, assigned.id)[ambassador]
    assert delivery["template"] == "ambassador_contact_assigned" and delivery["asker"] == {"contact_id": CONTACT}
    mail = sent_mails(store, prepare)[ambassador_address()]
    text = text_of(mail)
    assert mail["Subject"] == "Нов контакт за Вас: Priya Sharma"
    assert "Priya Sharma Ви писа чрез търсачката на посланици" in text
    assert "How much is the hostel?\n\nIs there a preparatory year?" in text
    assert "10 декември 2026 г., 12:00 ч. (българско време)" in text  # 10:00 UTC
    assert f"{BASE}/ambassadors/contacts" in text


def test_an_office_contact_shows_the_offices_note(store, deliver, ambassador, prepare):
    deliver(of("members.ambassador.contact_assigned", source="office", message="Arrives on 1 October.",
               contact={"name": "Rahul Mehta", "kind": "new_international_student", "country": "IN",
                        "language": "en"}))
    text = text_of(sent_mails(store, prepare)[ambassador_address()])
    assert "Офисът Ви възложи нов контакт: Rahul Mehta." in text
    assert "новопристигнал чуждестранен студент" in text and "Бележка от офиса:" in text


def test_a_reply_reaches_the_recipient_in_their_language_signed_with_the_given_name_only(store, deliver, ambassador,
                                                                                          prepare):
    replied = deliver(of("members.ambassador.contact_replied"))
    [delivery] = by_recipient(store, replied.id)[f"contact:{CONTACT}"]
    assert delivery["mentions"] == [AMBASSADOR]
    mail = sent_mails(store, prepare)["priya@example.in"]
    text, whole = text_of(mail), mail.as_string()
    assert mail["Subject"] == "A reply from an ambassador of MU Plovdiv"
    assert "Hello Priya,\nthe hostel costs about 100 euros a month.\n\nGood luck!" in text
    assert "\nГеорги\nAmbassador of MU Plovdiv" in text
    assert "Петров" not in whole and ambassador_address() not in whole


@pytest.mark.parametrize("changes", [{"via": "logged", "message": None, "recipient": None},
                                     {"recipient": None}])
def test_a_logged_contact_or_one_without_an_address_writes_to_nobody(store, deliver, ambassador, changes):
    replied = deliver(of("members.ambassador.contact_replied", **changes))
    assert by_recipient(store, replied.id) == {}


def test_an_overdue_contact_nudges_the_ambassador_once_then_the_office_once(store, deliver, ambassador, prepare):
    nudge = deliver(of("members.ambassador.reply_overdue"))
    deliver(of("members.ambassador.reply_overdue"))  # the same stage told again: nothing more
    escalation = of("members.ambassador.reply_overdue", stage="office", overdue_at="2026-12-11T10:02:00+00:00")
    deliver(escalation)
    deliver(of("members.ambassador.reply_overdue", stage="office"))
    source = f"ambassador-overdue:{CONTACT}"
    assert {d["_id"] for d in store.db.deliveries.find()} == {
        f"{source}:ambassador:{ambassador}:email", f"{source}:office:office:email"}
    assert nudge.id not in {d["event_id"] for d in store.db.deliveries.find()}  # keyed by the fact
    mails = sent_mails(store, prepare)
    assert set(mails) == {ambassador_address(), OFFICE}
    assert mails[ambassador_address()]["Subject"] == "Напомняне: Priya Sharma чака отговор"
    office = text_of(mails[OFFICE])
    assert mails[OFFICE]["Subject"] == "Посланик не е отговорил: Георги Петров"
    assert "Priya Sharma (бъдещ студент, IN)" in office and "11 декември 2026 г., 12:02 ч." in office
    assert f"{BASE}/office/ambassadors" in office


def test_no_office_address_means_no_office_alert(store):
    deliver = consumer_like(store, handlers.subscriptions(public_base_url=BASE))
    escalation = deliver(of("members.ambassador.reply_overdue", stage="office"))
    assert store.db.deliveries.count_documents({}) == 0 and by_recipient(store, escalation.id) == {}


# --------------------------------------------------------------------------- erasure and redelivery

def _asker_everywhere(store, deliver, ambassador, **link):
    """The asker's question, its contact (named by ``link``), a reply and both overdue stages."""
    deliver(of("members.ambassador.question_asked"))
    deliver(of("members.ambassador.contact_assigned", **link))
    deliver(of("members.ambassador.reply_overdue", stage="office", **link))
    deliver(of("members.ambassador.contact_replied", **({k: v for k, v in link.items() if k != "question_id"})))


@pytest.mark.parametrize("link", [{"question_id": QUESTION}, {"contact_id": QUESTION}],
                         ids=["the contact names its question", "the contact is keyed by its question"])
def test_an_askers_erasure_leaves_no_copy_of_their_address_name_or_question(store, deliver, ambassador, prepare,
                                                                            link):
    _asker_everywhere(store, deliver, ambassador, **link)
    assert store.db.deliveries.count_documents({}) == 4
    sent_mails(store, prepare)  # the confirmation, the contact and the alert went; all stay in the log
    deliver(of("members.ambassador.contact_replied", contact_id=link.get("contact_id", CONTACT)))  # waits
    deliver(event("members.ambassador.asker_erased", DATA["members.ambassador.asker_erased"]))
    left = list(store.db.deliveries.find())
    assert len(left) == 5
    for needle in ("priya", "Priya", "hostel"):
        assert not [d["_id"] for d in left if needle in str(d)], needle
    assert {d["status"] for d in left} == {SENT, SKIPPED}
    assert sent_mails(store, prepare) == {}


def test_an_erased_ambassadors_name_leaves_a_reply_not_sent_yet(store, deliver, ambassador, prepare):
    replied = deliver(of("members.ambassador.contact_replied"))
    deliver(MEMBERS.create(MEMBER_ERASED, ambassador, {"member_id": ambassador,
                                                       "erased_at": "2026-12-08T13:00:00+00:00"}, "c"))
    [delivery] = by_recipient(store, replied.id)[f"contact:{CONTACT}"]
    assert delivery["status"] == SKIPPED and "context" not in delivery
    assert sent_mails(store, prepare) == {}


@pytest.mark.parametrize("event_type,changes", [("members.ambassador.contact_replied", {}),
                                                ("members.ambassador.reply_overdue", {"stage": "office"})])
def test_a_message_naming_an_ambassador_after_their_erasure_is_not_stored(store, deliver, ambassador, prepare,
                                                                          event_type, changes):
    """A reply or an office alert that arrives after the ambassador's erasure (no race: the
    events came in that order) would carry their name to a non-member: nothing is stored."""
    deliver(MEMBERS.create(MEMBER_ERASED, ambassador, {"member_id": ambassador,
                                                       "erased_at": "2026-12-08T13:00:00+00:00"}, "c"))
    told = deliver(of(event_type, **changes))
    assert by_recipient(store, told.id) == {}
    assert not [d for d in store.db.deliveries.find() if "Георги" in str(d) or "Петров" in str(d)]
    assert sent_mails(store, prepare) == {}


@pytest.mark.parametrize("event_type,mails", [("members.ambassador.question_asked", 1),
                                              ("members.ambassador.applied", 2)])
def test_a_redelivered_event_sends_nothing_twice(store, deliver, ambassador, prepare, event_type, mails):
    told = of(event_type)
    deliver(told)
    assert len(sent_mails(store, prepare)) == mails
    deliver(told)
    assert store.db.deliveries.count_documents({"event_id": told.id}) == mails
    assert sent_mails(store, prepare) == {}
