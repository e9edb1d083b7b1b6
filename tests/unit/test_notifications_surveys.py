"""Survey invitations and the one reminder (issue 13), as notifications sends them.

Events are created with the members catalogue and handled as the consumer does; the fan-out
loop and the reminder timer run as the worker runs them, on a test clock; sending goes
through the real dispatcher into a recording provider.

Checked: the invitation reaches exactly the survey's audience (a member filter, ``{}`` for
everyone, or a saved segment), only with consent to ``surveys`` and by email only, not
before the survey opens, once however often the event comes; each email carries the
RFC 8058 unsubscribe pair for ``surveys`` and a personal link whose token names that member
and that survey; the reminder is due ``min(3 days, half the open period)`` before the close,
goes once (two timers racing create one) and only to the invited who have not completed;
a close stops the invitation and the reminder; erasure forgets a member's completions.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlparse

import pytest

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import (
    CONSENT_CHANGED,
    MEMBER_ERASED,
    SEGMENT_SAVED,
    SURVEY_CLOSED,
    SURVEY_COMPLETED,
    SURVEY_OPENED,
)
from services.notifications import handlers, surveys
from services.notifications.fanout import FanoutSpreader
from services.notifications.store import QUEUED, SENT, SKIPPED
from services.notifications.surveys import SurveyReminders, reminder_due_at, reminder_fanout_id
from services.notifications.worker import fanout_context
from shared import memberfilter, memberview, surveylink, unsubscribe
from shared.clock import FixedClock
from tests.support import consumer_like
from tests.unit.test_notifications_fanout import BASE, by_recipient, dispatch, member, without_account_mail

SURVEY = "9b2e4c6a8d0f4e1a3c5b7d9f1e3a5c7b"
OPENS = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
CLOSES = datetime(2026, 12, 21, 22, 0, tzinfo=timezone.utc)
REMINDER_DUE = CLOSES - timedelta(days=3)


@pytest.fixture
def config(make_config):
    return make_config(AMQP_URL="memory://")


@pytest.fixture
def store(notifications_store):
    return notifications_store


@pytest.fixture
def deliver(store):
    return consumer_like(store, handlers.subscriptions(public_base_url=BASE))


@pytest.fixture
def clock():
    return FixedClock(OPENS - timedelta(hours=1))


@pytest.fixture
def spreader(store, clock):
    return FanoutSpreader(store, fanout_context(BASE), page=3, clock=clock)


@pytest.fixture
def prepare(config):
    return lambda delivery: handlers.context_for_sending(delivery, token_key=config.token_encryption_key,
                                                         link_key=config.link_signing_key, public_base_url=BASE)


def opened(*, filter_=None, segment_id=None, survey_id=SURVEY, anonymous=False):
    return MEMBERS.create(SURVEY_OPENED, survey_id, {
        "survey_id": survey_id, "title": {"bg": "Къде сте днес?", "en": "Where are you today?"},
        "description": {"bg": "Пет минути за профила на випуска.", "en": "Five minutes for your class's profile."},
        "opens_at": OPENS.isoformat(), "closes_at": CLOSES.isoformat(), "anonymous": anonymous, "questions": 12,
        "filter": filter_ if segment_id is None else None, "segment_id": segment_id,
        "opened_at": (OPENS - timedelta(days=2)).isoformat()}, "corr-survey")


def completed(member_id: str, survey_id: str = SURVEY):
    return MEMBERS.create(SURVEY_COMPLETED, survey_id, {
        "survey_id": survey_id, "member_id": member_id, "anonymous": False,
        "completed_at": (OPENS + timedelta(days=1)).isoformat()}, "c")


def closed(survey_id: str = SURVEY):
    return MEMBERS.create(SURVEY_CLOSED, survey_id, {"survey_id": survey_id,
                                                     "closed_at": (OPENS + timedelta(days=2)).isoformat()}, "c")


def withdrew_surveys(deliver, member_id: str) -> None:
    deliver(MEMBERS.create(CONSENT_CHANGED, member_id, {
        "member_id": member_id, "channel": "email", "category": "surveys", "granted": False,
        "source": "unsubscribe_link", "at": "2026-11-30T10:00:00+00:00"}, "c"))


def invited_and_sent(store, deliver, spreader, clock, prepare, event) -> None:
    """Open the survey, let the clock reach its opening, spread and send the invitations."""
    deliver(event)
    clock.at = OPENS + timedelta(minutes=1)
    spreader.spread_all()
    dispatch(store, prepare, clock)


def reminders_of(store) -> dict[str, list[dict]]:
    return by_recipient(store, reminder_fanout_id(SURVEY))


# --------------------------------------------------------------------------- invitations

def test_the_invitation_reaches_exactly_the_filter_audience_with_surveys_consent_by_email_only(
        store, deliver, spreader, clock):
    in_class = [member(deliver, n) for n in range(1, 5)]                    # class of 2006
    texting = member(deliver, 5, phone="+359888123456", sms_consent=True)  # would take SMS too
    store.save_preferences(texting, {"channels": {"surveys": "email_and_sms"}})
    refused = member(deliver, 6)
    withdrew_surveys(deliver, refused)
    other_class, pending = member(deliver, 7, year=2010), member(deliver, 8, verified=False)
    gone = member(deliver, 9)
    deliver(MEMBERS.create(MEMBER_ERASED, gone, {"member_id": gone, "erased_at": OPENS.isoformat()}, "c"))

    event = deliver(opened(filter_={"graduation_year_from": 2006, "graduation_year_to": 2006}))
    assert spreader.spread_all() == 0  # not before the survey opens
    assert store.db.deliveries.count_documents({"event_id": event.id}) == 0
    clock.at = OPENS
    assert spreader.spread_all() == 1
    queued = by_recipient(store, event.id)
    assert set(queued) == {*in_class, texting, refused}
    assert all([d["channel"] for d in deliveries] == ["email"] for deliveries in queued.values())
    assert {queued[m][0]["status"] for m in (*in_class, texting)} == {QUEUED}
    assert queued[refused][0]["status"] == SKIPPED and queued[refused][0]["reason"] == "no consent to surveys by email"
    assert {d["template"] for ds in queued.values() for d in ds} == {"survey_invitation"}
    assert other_class not in queued and pending not in queued and gone not in queued
    # The same event again and a second spread queue nobody twice.
    deliver(event)
    store.db.fanouts.update_one({"_id": event.id}, {"$set": {"status": "spreading"}})
    spreader.spread_all()
    assert store.db.deliveries.count_documents({"event_id": event.id}) == 6
    assert store.db.fanouts.count_documents({}) == 1 and store.db.surveys.count_documents({}) == 1


def test_an_empty_filter_invites_every_verified_member(store, deliver, spreader, clock):
    everyone = {member(deliver, 1), member(deliver, 2, year=1990), member(deliver, 3, city="Варна")}
    member(deliver, 4, verified=False)
    event = deliver(opened(filter_={}))
    clock.at = OPENS
    spreader.spread_all()
    assert set(by_recipient(store, event.id)) == everyone


def test_a_segment_audience_follows_the_segment(store, deliver, spreader, clock):
    mentors = {member(deliver, n, year=2005, mentoring=True) for n in (1, 2)}
    member(deliver, 3, year=2005), member(deliver, 4, year=2005, mentoring=True, city="Варна")
    deliver(MEMBERS.create(SEGMENT_SAVED, "s" * 32, {
        "segment_id": "s" * 32, "name": "Plovdiv mentors", "version": 1, "saved_at": OPENS.isoformat(),
        "filter": {"city": "Пловдив", "open_to_mentoring": True}}, "c"))
    event = deliver(opened(segment_id="s" * 32))
    clock.at = OPENS
    spreader.spread_all()
    assert set(by_recipient(store, event.id)) == mentors


def test_each_invitation_carries_its_members_own_link_and_the_surveys_unsubscribe(
        store, deliver, spreader, clock, prepare, config):
    maria, ivan = member(deliver, 1), member(deliver, 2, language="en")
    without_account_mail(store)
    event = deliver(opened(filter_={}))
    clock.at = OPENS
    spreader.spread_all()
    email, _ = dispatch(store, prepare, clock)
    subjects = {m["To"]: m["Subject"] for m in email.sent}
    mails = {m["To"]: message_from_bytes(m.as_bytes(), policy=policy.default) for m in email.sent}
    assert set(mails) == {"m1@example.bg", "m2@example.bg"}
    now = datetime.now(timezone.utc)
    for member_id, address in ((maria, "m1@example.bg"), (ivan, "m2@example.bg")):
        mail = mails[address]
        text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
        [link] = [word for word in text.split() if "/surveys/" in word]
        assert link.startswith(f"{BASE}/surveys/{SURVEY}/answer?t=")
        token = parse_qs(urlparse(link).query)["t"][0]
        opened_by = surveylink.read_token(config.link_signing_key, token, now)
        assert (opened_by.member_id, opened_by.survey_id) == (member_id, SURVEY)
        assert link.replace("&", "&amp;") in html
        unsubscribe_url = mail["List-Unsubscribe"].strip("<>")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        request = unsubscribe.read_token(config.link_signing_key, unsubscribe_url.split("token=", 1)[1], now)
        assert (request.member_id, request.channel, request.category) == (member_id, "email", "surveys")
        assert store.delivery(f"{event.id}:{member_id}:email")["status"] == SENT
        assert "survey_url" not in store.delivery(f"{event.id}:{member_id}:email")["context"]  # made at send time
    bg = mails["m1@example.bg"]
    assert subjects["m1@example.bg"] == "Анкета на Алумни клуба: Къде сте днес?"
    body = bg.get_body(("plain",)).get_content()
    assert "12 въпроса" in body and "22 декември 2026 г., 00:00 ч." in body  # Sofia time
    assert "Анкетата е лична" in body
    en = mails["m2@example.bg"].get_body(("plain",)).get_content()
    assert "12 questions" in en and "22 December 2026, 00:00" in en


def test_an_invitation_held_for_the_digest_keeps_the_members_own_link(store, deliver, spreader, clock, prepare,
                                                                        config):
    from services.notifications.digest import DigestBuilder
    maria = member(deliver, 1)
    store.save_preferences(maria, {"channels": {"surveys": "digest"}, "digest_hour": 8, "timezone": "Europe/Sofia"})
    event = deliver(opened(filter_={}))
    clock.at = OPENS
    spreader.spread_all()
    held = store.delivery(f"{event.id}:{maria}:email")
    assert held["status"] == "held"
    assert DigestBuilder(store, prepare).build_due(now=held["due_at"] + timedelta(minutes=1)) == 1
    [digest] = store.db.deliveries.find({"recipient": maria, "template": "digest"})
    [link] = [w for item in digest["context"]["items"] for w in item["text"].split() if "/surveys/" in w]
    token = parse_qs(urlparse(link).query)["t"][0]
    assert surveylink.read_token(config.link_signing_key, token, datetime.now(timezone.utc)).member_id == maria


def test_an_anonymous_survey_says_so(store, deliver, spreader, clock, prepare):
    member(deliver, 1)
    without_account_mail(store)
    deliver(opened(filter_={}, anonymous=True))
    clock.at = OPENS
    spreader.spread_all()
    [mail] = dispatch(store, prepare, clock)[0].sent
    assert "Анкетата е анонимна" in mail.get_body(("plain",)).get_content()


def test_a_close_before_the_opening_time_invites_nobody_in_either_order(store, deliver, spreader, clock):
    member(deliver, 1)
    first = deliver(opened(filter_={}))
    deliver(closed())
    late = opened(filter_={}, survey_id="a" * 32)
    deliver(closed("a" * 32))
    deliver(late)  # the opening arrives after its close (a retried message)
    clock.at = OPENS
    assert spreader.spread_all() == 0
    assert store.db.deliveries.count_documents({"event_id": {"$in": [first.id, late.id]}}) == 0
    assert {f["status"] for f in store.db.fanouts.find()} == {"cancelled"}


# --------------------------------------------------------------------------- the reminder

def test_the_reminder_is_due_three_days_before_the_close_or_halfway_through_a_short_survey():
    assert reminder_due_at(OPENS, CLOSES) == CLOSES - timedelta(days=3)
    assert reminder_due_at(OPENS, OPENS + timedelta(days=2)) == OPENS + timedelta(days=1)
    assert reminder_due_at(OPENS, OPENS + timedelta(seconds=90), timedelta(days=3)) == OPENS + timedelta(seconds=45)


def test_the_reminder_goes_once_and_only_to_the_invited_who_have_not_completed(
        store, deliver, spreader, clock, prepare):
    answered, waiting, unsubscribed_later = member(deliver, 1), member(deliver, 2), member(deliver, 3)
    refused = member(deliver, 4)
    withdrew_surveys(deliver, refused)
    without_account_mail(store)
    invited_and_sent(store, deliver, spreader, clock, prepare, opened(filter_={}))
    joined_later = member(deliver, 5)  # verified after the invitations went: never invited
    deliver(completed(answered))
    deliver(completed(answered))  # redelivered
    timers = [SurveyReminders(store, clock=clock), SurveyReminders(store, clock=clock)]
    clock.at = REMINDER_DUE - timedelta(minutes=1)
    assert [t.run_due() for t in timers] == [0, 0]
    clock.at = REMINDER_DUE
    withdrew_surveys(deliver, unsubscribed_later)
    assert sum(t.run_due() for t in timers) == 1
    assert [t.run_due() for t in timers] == [0, 0]
    spreader.spread_all()
    reminded = reminders_of(store)
    assert set(reminded) == {waiting, unsubscribed_later}
    assert reminded[unsubscribed_later][0]["reason"] == "no consent to surveys by email"
    assert answered not in reminded and refused not in reminded and joined_later not in reminded
    email, _ = dispatch(store, prepare, clock)
    [mail] = [m for m in email.sent if m["To"] == "m2@example.bg"]
    assert mail["Subject"].startswith("Напомняне: анкетата „Къде сте днес?“")
    assert mail["List-Unsubscribe"] and f"/surveys/{SURVEY}/answer?t=" in mail.get_body(("plain",)).get_content()


def test_two_timers_racing_create_one_reminder(store, deliver, spreader, clock, prepare):
    member(deliver, 1)
    invited_and_sent(store, deliver, spreader, clock, prepare, opened(filter_={}))
    clock.at = REMINDER_DUE
    timers = [SurveyReminders(store, clock=clock) for _ in range(4)]
    start, created = threading.Barrier(len(timers)), []

    def run(timer: SurveyReminders) -> None:
        start.wait()
        created.append(timer.run_due())
    threads = [threading.Thread(target=run, args=(t,)) for t in timers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [0, 0, 0, 1]
    assert store.db.fanouts.count_documents({"_id": reminder_fanout_id(SURVEY)}) == 1


def test_no_reminder_after_the_close(store, deliver, spreader, clock, prepare):
    member(deliver, 1)
    invited_and_sent(store, deliver, spreader, clock, prepare, opened(filter_={}))
    deliver(closed())
    clock.at = REMINDER_DUE
    assert SurveyReminders(store, clock=clock).run_due() == 0
    assert store.fanout(reminder_fanout_id(SURVEY)) is None


def test_a_close_skips_the_queued_reminders_and_a_completion_its_own(store, deliver, spreader, clock, prepare):
    first, second, third = member(deliver, 1), member(deliver, 2), member(deliver, 3)
    invited_and_sent(store, deliver, spreader, clock, prepare, opened(filter_={}))
    clock.at = REMINDER_DUE
    SurveyReminders(store, clock=clock).run_due()
    spreader.spread_all()
    deliver(completed(first))  # answered after the reminder was queued: it is not sent
    assert reminders_of(store)[first][0]["reason"] == "survey completed"
    deliver(closed())
    reminded = reminders_of(store)
    assert {reminded[m][0]["status"] for m in (second, third)} == {SKIPPED}
    assert reminded[second][0]["reason"] == "survey closed"
    email, _ = dispatch(store, prepare, clock)
    assert not [m for m in email.sent if m["Subject"].startswith("Напомняне")]


def test_a_redelivered_opening_adds_nothing_and_keeps_the_reminder_sent(store, deliver, spreader, clock, prepare):
    member(deliver, 1)
    event = opened(filter_={})
    invited_and_sent(store, deliver, spreader, clock, prepare, event)
    clock.at = REMINDER_DUE
    assert SurveyReminders(store, clock=clock).run_due() == 1
    deliver(event)
    assert SurveyReminders(store, clock=clock).run_due() == 0
    assert store.db.fanouts.count_documents({}) == 2


def test_erasure_forgets_the_members_completions(store, deliver):
    maria, ivan = member(deliver, 1), member(deliver, 2)
    deliver(completed(maria))
    deliver(completed(ivan))
    deliver(MEMBERS.create(MEMBER_ERASED, maria, {"member_id": maria, "erased_at": OPENS.isoformat()}, "c"))
    deliver(completed(maria))  # a late copy brings nothing back
    assert [c["member_id"] for c in store.db.survey_completions.find()] == [ivan]


def test_the_contact_view_keeps_every_field_a_member_filter_reads():
    read = {*memberfilter.FILTERED_FIELDS, *memberfilter.NAME_FIELDS, *memberfilter.TEXT_FIELDS, "city"}
    assert read <= set(memberview.KEPT)


def test_the_reminders_lead_and_the_timers_interval_are_settings(make_config, store):
    from services.notifications.worker import create_worker
    from shared.config import ConfigError
    assert make_config().survey_reminder_lead_s == surveys.DEFAULT_REMINDER_LEAD.total_seconds()
    worker = create_worker(make_config(AMQP_URL="memory://", SURVEY_REMINDER_INTERVAL_S="0.25"))
    assert worker.loops["survey-reminders"].interval_s == 0.25
    with pytest.raises(ConfigError, match="SURVEY_REMINDER_LEAD_S"):
        make_config(SURVEY_REMINDER_LEAD_S="soon")
    short_lead = consumer_like(store, handlers.subscriptions(public_base_url=BASE,
                                                             survey_reminder_lead=timedelta(seconds=20)))
    short_lead(opened(filter_={}))
    assert store.db.surveys.find_one({"_id": SURVEY})["reminder_due_at"] == CLOSES - timedelta(seconds=20)
