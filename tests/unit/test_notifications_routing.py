"""``services.notifications.routing``: who gets a notification on which channel, and when.

Pure functions, so every rule is checked directly with realistic members of the alumni club
(Bulgarian mobile numbers, a Sofia landline that cannot take SMS, consents as the contact read
model stores them):

- transactional messages ignore marketing consent but follow the member's channel choice, and
  fall back to email when that choice gives nothing (``none``, ``digest``, SMS impossible);
- marketing needs a granted, unexpired consent per channel and category; ``none`` skips with
  a reason naming the category; ``digest`` holds until the next digest hour in the member's
  time zone, across both DST changes of 2026;
- SMS waits out the quiet hours (default 22:00-08:00 Europe/Sofia) on both sides of midnight
  unless urgent; no quiet hours, windows within a day and empty windows;
- a property: for any moment and any quiet hours an SMS is never due before ``now``, is due
  at ``now`` outside the window, and at the window's end (local clock) inside it.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from services.notifications.routing import (
    DEFAULT_DIGEST_HOUR,
    DEFAULT_QUIET_HOURS,
    DEFAULT_TIMEZONE,
    Route,
    consented,
    effective,
    mobile,
    next_digest_time,
    quiet_until,
    routes,
)

SOFIA = ZoneInfo("Europe/Sofia")
EMAIL = "maria.ivanova@example.bg"
MOBILE = "+359888123456"
SOFIA_LANDLINE = "+35929876543"
MARKETING = ("news", "events", "mentoring", "awards", "surveys", "causes")
SIGNED_UP = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
# A weekday noon in Sofia (winter time, UTC+2): outside the default quiet hours.
NOON = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def sofia(year, month, day, hour, minute=0) -> datetime:
    """A Sofia wall-clock time as an aware datetime in UTC (what the services pass around)."""
    return datetime(year, month, day, hour, minute, tzinfo=SOFIA).astimezone(UTC)


def consent(granted=True, expires_at=None, at=SIGNED_UP) -> dict:
    return {"granted": granted, "source": "signup", "at": at, "expires_at": expires_at}


def contact(email=EMAIL, phone=MOBILE, *, email_consent=True, sms_consent=True, **overrides) -> dict:
    """A contact as the read model holds it: consents per channel and category."""
    document = {"_id": "6f1c2b9e4d8a4e5f9a0b1c2d", "given_name": "Мария", "family_name": "Иванова",
                "language": "bg", "status": "verified",
                "consents": {"email": {c: consent(email_consent) for c in MARKETING},
                             "sms": {c: consent(sms_consent) for c in MARKETING}}}
    if email is not None:
        document["email"] = email
    if phone is not None:
        document["phone"] = phone
    return {**document, **overrides}


def route(who=None, preferences=None, *, category="events", transactional=False, sms_possible=True,
          urgent=False, now=NOON) -> list[Route]:
    return routes(contact() if who is None else who, preferences, category=category, transactional=transactional,
                  sms_possible=sms_possible, urgent=urgent, now=now)


def choose(category: str, choice: str, **more) -> dict:
    return {"channels": {category: choice}, **more}


def summary(planned: list[Route]) -> list[tuple]:
    return [(r.channel, r.address, r.status, r.due_at, r.reason) for r in planned]


# --------------------------------------------------------------------------- building blocks

@pytest.mark.parametrize(("raw", "expected"), [
    (MOBILE, MOBILE),
    ("0888 123 456", MOBILE),             # national format, read as Bulgarian
    ("+359 88 812 3456", MOBILE),
    ("+359 87 765 4321", "+359877654321"),
    (SOFIA_LANDLINE, None),               # a Sofia landline cannot receive SMS
    ("02 987 6543", None),                # the same landline in national format
    ("12345", None),
    ("not a number", None),
    ("", None),
    (None, None),
])
def test_only_a_valid_mobile_number_is_an_sms_address(raw, expected):
    assert mobile({"phone": raw}) == expected
    assert mobile({}) is None


@pytest.mark.parametrize("raw", ["0800 12 345", "+359 90 123 456"])
def test_toll_free_and_premium_rate_numbers_are_no_sms_address(raw):
    assert mobile({"phone": raw}) is None


def test_effective_preferences_fill_in_the_defaults():
    assert effective(None) == effective({}) == {
        "channels": {}, "quiet_hours": {"start": "22:00", "end": "08:00"}, "timezone": "Europe/Sofia",
        "digest_hour": 8}
    assert (DEFAULT_QUIET_HOURS, DEFAULT_TIMEZONE, DEFAULT_DIGEST_HOUR) == (
        {"start": "22:00", "end": "08:00"}, "Europe/Sofia", 8)
    chosen = {"channels": {"news": "digest"}, "quiet_hours": None, "timezone": "Europe/London", "digest_hour": 19}
    assert effective(chosen) == chosen  # null quiet hours stays null: no quiet hours at all
    effective(chosen)["channels"]["news"] = "none"
    assert chosen["channels"] == {"news": "digest"}  # a copy: the caller's document is untouched


def test_consent_must_be_granted_and_not_expired():
    now = NOON
    assert consented(contact(), "email", "news", now)
    assert not consented(contact(email_consent=False), "email", "news", now)
    assert not consented(contact(consents={}), "email", "news", now)
    assert not consented(contact(consents={"email": {"news": consent()}}), "sms", "news", now)
    assert not consented(contact(consents={"email": {"news": consent()}}), "email", "events", now)
    assert not consented({}, "email", "news", now)
    for expires, expected in ((now + timedelta(days=30), True), (now, False), (now - timedelta(seconds=1), False)):
        who = contact(consents={"sms": {"mentoring": consent(expires_at=expires)}})
        assert consented(who, "sms", "mentoring", now) is expected


# --------------------------------------------------------------------------- transactional

def test_transactional_messages_ignore_marketing_consent():
    refused_everything = contact(email_consent=False, sms_consent=False, consents={})
    assert summary(route(refused_everything, category="account", transactional=True)) == [
        ("email", EMAIL, "queued", NOON, None)]


@pytest.mark.parametrize(("choice", "expected"), [
    ("email", [("email", EMAIL, "queued", NOON, None)]),
    ("sms", [("sms", MOBILE, "queued", NOON, None)]),
    ("email_and_sms", [("email", EMAIL, "queued", NOON, None), ("sms", MOBILE, "queued", NOON, None)]),
])
def test_transactional_messages_go_by_the_members_channel_choice(choice, expected):
    refused = contact(email_consent=False, sms_consent=False)
    assert summary(route(refused, choose("events", choice), category="events", transactional=True)) == expected


@pytest.mark.parametrize("choice", ["none", "digest"])
def test_transactional_messages_fall_back_to_email_now_when_the_choice_gives_nothing(choice):
    planned = route(preferences=choose("account", choice), category="account", transactional=True)
    assert summary(planned) == [("email", EMAIL, "queued", NOON, None)]  # never held for a digest


def test_transactional_sms_without_a_mobile_number_falls_back_to_email():
    for who in (contact(phone=SOFIA_LANDLINE), contact(phone=None), contact(phone="0888 12")):
        assert summary(route(who, choose("events", "sms"), transactional=True)) == [
            ("sms", None, "skipped", NOON, "no mobile number"), ("email", EMAIL, "queued", NOON, None)]


def test_transactional_sms_when_the_message_has_no_sms_form_falls_back_to_email():
    assert summary(route(preferences=choose("events", "sms"), transactional=True, sms_possible=False)) == [
        ("email", EMAIL, "queued", NOON, None)]
    # With both chosen, the email alone goes: no SMS route at all.
    assert summary(route(preferences=choose("events", "email_and_sms"), transactional=True,
                         sms_possible=False)) == [("email", EMAIL, "queued", NOON, None)]


def test_transactional_message_without_an_email_address_is_skipped_with_a_reason():
    assert summary(route(contact(email=None), category="account", transactional=True)) == [
        ("email", None, "skipped", NOON, "no email address")]
    # ...unless the member chose SMS and has a mobile number.
    assert summary(route(contact(email=None), choose("events", "sms"), transactional=True)) == [
        ("sms", MOBILE, "queued", NOON, None)]
    # No email and no usable number: both skipped, each with its reason.
    assert summary(route(contact(email=None, phone=SOFIA_LANDLINE), choose("events", "email_and_sms"),
                         transactional=True)) == [("email", None, "skipped", NOON, "no email address"),
                                                  ("sms", None, "skipped", NOON, "no mobile number")]


def test_transactional_sms_respects_quiet_hours_unless_urgent():
    late = sofia(2026, 11, 26, 23, 30)
    [sms] = route(preferences=choose("events", "sms"), transactional=True, now=late)
    assert (sms.status, sms.due_at) == ("queued", sofia(2026, 11, 27, 8, 0))
    [sms] = route(preferences=choose("events", "sms"), transactional=True, urgent=True, now=late)
    assert (sms.status, sms.due_at) == ("queued", late)


# --------------------------------------------------------------------------- marketing

def test_marketing_needs_consent_for_the_channel_and_the_category():
    who = contact(consents={"email": {"events": consent(), "news": consent(False)},
                            "sms": {"events": consent(False), "news": consent()}})
    assert summary(route(who, category="events")) == [("email", EMAIL, "queued", NOON, None)]
    assert summary(route(who, category="news")) == [
        ("email", EMAIL, "skipped", NOON, "no consent to news by email")]
    assert summary(route(who, category="mentoring")) == [
        ("email", EMAIL, "skipped", NOON, "no consent to mentoring by email")]  # never asked: no
    assert summary(route(who, choose("events", "sms"), category="events")) == [
        ("sms", MOBILE, "skipped", NOON, "no consent to events by sms")]
    assert summary(route(who, choose("news", "email_and_sms"), category="news")) == [
        ("email", EMAIL, "skipped", NOON, "no consent to news by email"), ("sms", MOBILE, "queued", NOON, None)]


def test_an_expired_consent_no_longer_counts():
    who = contact(consents={"email": {"surveys": consent(expires_at=NOON - timedelta(days=1))},
                            "sms": {"surveys": consent(expires_at=NOON + timedelta(days=1))}})
    assert summary(route(who, choose("surveys", "email_and_sms"), category="surveys")) == [
        ("email", EMAIL, "skipped", NOON, "no consent to surveys by email"), ("sms", MOBILE, "queued", NOON, None)]


def test_marketing_switched_off_is_skipped_with_a_reason_naming_the_category():
    for category in ("news", "awards"):
        assert summary(route(preferences=choose(category, "none"), category=category)) == [
            ("email", EMAIL, "skipped", NOON, f"{category} switched off by the member")]
    # Other categories are unaffected by that choice.
    assert summary(route(preferences=choose("news", "none"), category="events")) == [
        ("email", EMAIL, "queued", NOON, None)]


def test_marketing_email_without_an_address_is_skipped_with_a_reason():
    assert summary(route(contact(email=None))) == [("email", None, "skipped", NOON, "no email address")]


def test_marketing_sms_for_a_landline_is_skipped_with_a_reason():
    assert summary(route(contact(phone=SOFIA_LANDLINE), choose("events", "sms"))) == [
        ("sms", None, "skipped", NOON, "no mobile number")]


def test_marketing_for_an_sms_only_member_goes_by_email_when_the_message_has_no_sms_form():
    # The member prefers SMS for news; a news message without an SMS form still reaches them.
    planned = route(preferences=choose("news", "sms"), category="news", sms_possible=False)
    assert summary(planned) == [("email", EMAIL, "queued", NOON, None)]
    refused = route(contact(email_consent=False), choose("news", "sms"), category="news", sms_possible=False)
    assert [r.status for r in refused] == ["skipped"]


def test_an_unknown_choice_is_read_as_email():
    assert summary(route(preferences=choose("events", "carrier pigeon"))) == [("email", EMAIL, "queued", NOON, None)]


def test_email_and_sms_gives_two_routes_each_with_its_own_time():
    late = sofia(2026, 11, 26, 22, 15)
    email, sms = route(preferences=choose("events", "email_and_sms"), now=late)
    assert (email.channel, email.address, email.status, email.due_at) == ("email", EMAIL, "queued", late)
    assert (sms.channel, sms.address, sms.status, sms.due_at) == ("sms", MOBILE, "queued", sofia(2026, 11, 27, 8))


# --------------------------------------------------------------------------- digest

@pytest.mark.parametrize(("now", "due"), [
    # Before 08:00 Sofia: today's digest; after it: tomorrow's.
    (sofia(2026, 11, 26, 7, 59), sofia(2026, 11, 26, 8)),
    (sofia(2026, 11, 26, 8, 0), sofia(2026, 11, 27, 8)),
    (NOON, sofia(2026, 11, 27, 8)),
    (sofia(2026, 12, 31, 23, 30), sofia(2027, 1, 1, 8)),
    # 2026-03-29: clocks go forward at 03:00 EET. 05:30Z is 08:30 EEST: next is the 30th, 05:00Z.
    (datetime(2026, 3, 29, 5, 30, tzinfo=UTC), datetime(2026, 3, 30, 5, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 4, 30, tzinfo=UTC), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),  # 07:30 EEST
    (datetime(2026, 3, 28, 21, 0, tzinfo=UTC), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),  # 23:00 EET
    # 2026-10-25: clocks go back at 04:00 EEST. 05:30Z is 07:30 EET: today 08:00 EET is 06:00Z.
    (datetime(2026, 10, 25, 5, 30, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),
    (datetime(2026, 10, 24, 5, 30, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),  # 08:30 EEST
    (datetime(2026, 10, 25, 6, 30, tzinfo=UTC), datetime(2026, 10, 26, 6, 0, tzinfo=UTC)),
])
def test_digest_holds_marketing_until_the_next_digest_hour_in_sofia(now, due):
    [held] = route(preferences=choose("news", "digest"), category="news", now=now)
    assert (held.channel, held.address, held.status, held.reason) == ("email", EMAIL, "held", None)
    assert held.due_at == due
    local = held.due_at.astimezone(UTC).astimezone(SOFIA)
    assert (local.hour, local.minute) == (8, 0)


def test_digest_uses_the_members_own_hour_and_time_zone():
    preferences = choose("events", "digest", timezone="America/Toronto", digest_hour=18)
    # 2026-11-26 10:00Z is 05:00 in Toronto (EST, UTC-5): today 18:00 EST is 23:00Z.
    [held] = route(preferences=preferences)
    assert held.due_at == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    [held] = route(preferences=preferences, now=datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
    assert held.due_at == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert next_digest_time(NOON, 0, "Europe/Sofia") == sofia(2026, 11, 27, 0)


def test_digest_on_the_night_an_hour_repeats_comes_once():
    # 2026-10-25: Sofia shows 03:00 at 00:00Z (EEST) and again at 01:00Z (EET). What is held
    # after the first pass waits for tomorrow's 03:00, not for the second pass an hour later.
    held_before = next_digest_time(datetime(2026, 10, 24, 23, 0, tzinfo=UTC), 3, "Europe/Sofia")
    held_between = next_digest_time(datetime(2026, 10, 25, 0, 20, tzinfo=UTC), 3, "Europe/Sofia")
    assert held_before == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert held_between == datetime(2026, 10, 26, 1, 0, tzinfo=UTC)


def test_digest_hour_in_a_gap_that_starts_at_midnight_is_when_the_clock_jumps():
    # Cairo, 2026-04-24: at 22:00Z the clock jumps from 00:00 to 01:00 (EET to EEST); its
    # midnight never shows. Before the jump the clock shows the 23rd's 23:xx.
    assert next_digest_time(datetime(2026, 4, 23, 20, 0, tzinfo=UTC), 0, "Africa/Cairo") == datetime(
        2026, 4, 23, 22, 0, tzinfo=UTC)


def test_digest_needs_consent_too_and_is_not_bypassed_by_urgency():
    assert summary(route(contact(email_consent=False), choose("news", "digest"), category="news")) == [
        ("email", EMAIL, "skipped", NOON, "no consent to news by email")]
    [held] = route(preferences=choose("news", "digest"), category="news", urgent=True)
    assert held.status == "held"


# --------------------------------------------------------------------------- SMS quiet hours

def sms_due(now, urgent=False, **preferences) -> datetime:
    [sms] = route(preferences=choose("events", "sms", **preferences), now=now, urgent=urgent)
    assert (sms.channel, sms.address, sms.status) == ("sms", MOBILE, "queued")
    return sms.due_at


@pytest.mark.parametrize(("now", "due"), [
    (NOON, NOON),                                                    # 12:00: outside
    (sofia(2026, 11, 26, 21, 59), sofia(2026, 11, 26, 21, 59)),     # a minute before
    (sofia(2026, 11, 26, 22, 0), sofia(2026, 11, 27, 8, 0)),        # the window starts
    (sofia(2026, 11, 26, 23, 30), sofia(2026, 11, 27, 8, 0)),       # before midnight: tomorrow 08:00
    (sofia(2026, 11, 27, 0, 0), sofia(2026, 11, 27, 8, 0)),
    (sofia(2026, 11, 27, 6, 0), sofia(2026, 11, 27, 8, 0)),         # after midnight: today 08:00
    (sofia(2026, 11, 27, 7, 59), sofia(2026, 11, 27, 8, 0)),
    (sofia(2026, 11, 27, 8, 0), sofia(2026, 11, 27, 8, 0)),         # the window has ended
    (sofia(2026, 7, 14, 23, 30), datetime(2026, 7, 15, 5, 0, tzinfo=UTC)),   # summer: 08:00 EEST
    (sofia(2026, 12, 31, 23, 30), sofia(2027, 1, 1, 8, 0)),         # over the new year
    # The nights the clocks change: still 08:00 on the local clock.
    (sofia(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),
    (sofia(2026, 10, 24, 23, 30), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),
    (datetime(2026, 3, 29, 2, 0, tzinfo=UTC), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),    # 05:00 EEST
    (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),  # 04:00 EET
])
def test_sms_waits_for_the_end_of_the_default_quiet_hours(now, due):
    assert sms_due(now) == due


def test_an_urgent_sms_is_not_delayed():
    late = sofia(2026, 11, 26, 23, 30)
    assert sms_due(late, urgent=True) == late
    assert sms_due(sofia(2026, 11, 27, 6, 0), urgent=True) == sofia(2026, 11, 27, 6, 0)


def test_null_quiet_hours_mean_none():
    for now in (sofia(2026, 11, 26, 23, 30), sofia(2026, 11, 27, 3, 0)):
        assert sms_due(now, quiet_hours=None) == now
        assert quiet_until(now, None, "Europe/Sofia") is None


def test_a_quiet_window_within_a_day():
    lunch = {"start": "13:00", "end": "15:00"}
    assert sms_due(sofia(2026, 11, 26, 12, 59), quiet_hours=lunch) == sofia(2026, 11, 26, 12, 59)
    assert sms_due(sofia(2026, 11, 26, 13, 0), quiet_hours=lunch) == sofia(2026, 11, 26, 15, 0)
    assert sms_due(sofia(2026, 11, 26, 14, 0), quiet_hours=lunch) == sofia(2026, 11, 26, 15, 0)
    assert sms_due(sofia(2026, 11, 26, 15, 0), quiet_hours=lunch) == sofia(2026, 11, 26, 15, 0)
    late = sofia(2026, 11, 26, 23, 30)
    assert sms_due(late, quiet_hours=lunch) == late  # the default night window no longer applies


def test_a_window_that_starts_where_it_ends_is_no_window():
    for now in (sofia(2026, 11, 26, 8, 0), sofia(2026, 11, 26, 23, 30), sofia(2026, 11, 27, 3, 0)):
        assert sms_due(now, quiet_hours={"start": "08:00", "end": "08:00"}) == now


def test_quiet_hours_are_read_on_the_members_own_clock():
    # 23:30 in Sofia is 16:30 in New York (EST): outside the member's night there.
    late_in_sofia = sofia(2026, 11, 26, 23, 30)
    assert sms_due(late_in_sofia, timezone="America/New_York") == late_in_sofia
    # 03:00 in New York: wait until 08:00 New York time (13:00Z).
    night = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert sms_due(night, timezone="America/New_York") == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def test_seconds_inside_the_last_minute_still_wait_for_the_end():
    almost = sofia(2026, 11, 27, 7, 59) + timedelta(seconds=59, microseconds=999_999)
    assert sms_due(almost) == sofia(2026, 11, 27, 8, 0)


def test_sms_in_the_repeated_hour_when_clocks_go_back_still_waits_for_the_window_end():
    # 2026-10-25 01:10Z is 03:10 EET, the second time the Sofia clock shows 03:10 that night.
    now = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)
    due = sms_due(now, quiet_hours={"start": "22:00", "end": "03:30"})
    assert due >= now  # currently 00:30Z (03:30 EEST, the first pass): sent at once, inside quiet hours
    assert due == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_sms_when_the_window_end_falls_in_the_spring_forward_gap_goes_when_the_gap_ends():
    # 2026-03-29 00:59Z is 02:59 EET; a minute later the clock jumps to 04:00 EEST, past 03:30.
    now = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    due = sms_due(now, quiet_hours={"start": "22:00", "end": "03:30"})
    assert due == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # currently 01:30Z, which is 04:30 EEST


def test_sms_when_the_window_end_falls_in_a_gap_that_starts_at_midnight_goes_when_the_gap_ends():
    # Havana, 2026-03-08: at 05:00Z the clock jumps from 00:00 to 01:00 (CST to CDT), so 00:30
    # never shows. At 04:00Z (23:00 on the 7th) a 22:00-00:30 window ends at the jump.
    due = sms_due(datetime(2026, 3, 8, 4, 0, tzinfo=UTC), quiet_hours={"start": "22:00", "end": "00:30"},
                  timezone="America/Havana")
    assert due == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # was 04:30Z: 23:30, inside the window


# --------------------------------------------------------------------------- property

ZONES = (None, "Europe/Sofia", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe",
         "America/Havana")  # Havana's gaps start at midnight
clock = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def _unambiguous(day: date, at: time, zone: ZoneInfo) -> bool:
    """Whether the wall time ``at`` on ``day`` exists exactly once (not in a DST gap or overlap:
    those two cases have their own tests above)."""
    first, second = (datetime.combine(day, at, tzinfo=zone).replace(fold=f) for f in (0, 1))
    return first.utcoffset() == second.utcoffset()


NOW_ZONES = (UTC, SOFIA, ZoneInfo("America/Los_Angeles"))


def _transitions(zone: ZoneInfo) -> list[datetime]:
    """The instants the zone's offset changes in 2026-2027 (exactly: they fall on whole seconds)."""
    out, day = [], datetime(2026, 1, 1, tzinfo=UTC)
    while day.year < 2028:
        low, high = day, day + timedelta(days=1)
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            out.append(high)
        day += timedelta(days=1)
    return out


# Where quiet hours go wrong: a day of 23 or 25 hours, an end in a skipped or repeated hour.
TRANSITIONS = sorted({t for z in (*ZONES[1:], "America/Los_Angeles") for t in _transitions(ZoneInfo(z))})
any_now = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59),
                       timezones=st.sampled_from(NOW_ZONES), allow_imaginary=False)
now_near_a_transition = st.builds(
    lambda at, ms, zone: (at + timedelta(milliseconds=ms)).astimezone(zone),
    st.sampled_from(TRANSITIONS),
    st.one_of(st.sampled_from([0, -1, 1]), st.integers(-26 * 3600_000, 26 * 3600_000)),  # at the jump, too
    st.sampled_from(NOW_ZONES))


@settings(max_examples=600, deadline=None, database=None)
@given(now=st.one_of(any_now, now_near_a_transition), start=clock, end=clock, zone=st.sampled_from(ZONES))
@example(now=sofia(2026, 3, 28, 23, 30), start=time(22), end=time(8), zone=None)
@example(now=sofia(2026, 10, 25, 6, 0), start=time(22), end=time(8), zone=None)
@example(now=sofia(2026, 11, 26, 14, 0), start=time(13), end=time(15), zone="Europe/Sofia")
@example(now=sofia(2026, 11, 26, 14, 0), start=time(8), end=time(8), zone=None)
# Hours before Los Angeles springs forward: 24 hours of its wall clock later are 23 real ones.
@example(now=datetime(2026, 3, 8, 7, 0, tzinfo=UTC).astimezone(ZoneInfo("America/Los_Angeles")),
         start=time(9), end=time(8, 15), zone=None)
# At the instant London springs forward, a window that ends in the skipped hour has ended and
# the next one (starting in the same gap) has begun: its end is tomorrow's 01:01.
@example(now=datetime(2026, 3, 29, 1, 0, tzinfo=UTC), start=time(1, 15), end=time(1, 1), zone="Europe/London")
# New York falls back overnight: a 23 h 45 min window of its clock lasts 24 h 45 min.
@example(now=datetime(2026, 10, 31, 10, 14, 59, tzinfo=UTC), start=time(5, 30), end=time(5, 15),
         zone="America/New_York")
def test_an_sms_is_never_due_before_now_and_inside_the_window_waits_for_its_end(now, start, end, zone):
    quiet = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
    preferences = choose("events", "sms", quiet_hours=quiet, **({"timezone": zone} if zone else {}))
    tz = ZoneInfo(zone or "Europe/Sofia")
    local = now.astimezone(tz)
    minute, s, e = local.hour * 60 + local.minute, start.hour * 60 + start.minute, end.hour * 60 + end.minute
    inside = (s <= minute < e) if s < e else (minute >= s or minute < e) if s > e else False
    if inside:
        assume(_unambiguous(local.date() + timedelta(days=0 if minute < e else 1), end, tz))

    [sms] = route(preferences=preferences, now=now)

    assert sms.status == "queued" and sms.due_at >= now
    if not inside:
        assert sms.due_at == now
    else:
        # In UTC: ``now + timedelta`` on an aware datetime adds wall-clock time in now's own zone.
        # A window shorter than a day of wall clock lasts up to 25 real hours over a fall-back.
        assert now < sms.due_at <= now.astimezone(UTC) + timedelta(hours=25)
        due_local = sms.due_at.astimezone(UTC).astimezone(tz)  # the member's real wall clock then
        assert (due_local.hour, due_local.minute, due_local.second, due_local.microsecond) == (
            end.hour, end.minute, 0, 0)
