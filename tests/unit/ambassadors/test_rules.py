"""The ambassador rules without I/O: who may apply, the term (days in Sofia), the finder card
(only what was made public), a contact's reply target and overdue stages with a clock, the
reply that counts, the asker's retention and the report's arithmetic."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from services.members.ambassadors import rules

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=timezone.utc)
TARGET, ESCALATE = timedelta(hours=48), timedelta(hours=24)


def contact(**fields) -> dict:
    return {"state": rules.OPEN, "assigned_at": NOW, "due_at": rules.due_at(NOW, TARGET), "nudged_at": None,
            "escalated_at": None, **fields}


# --- who may apply ---------------------------------------------------------------------------

@pytest.mark.parametrize("member,refusal", [
    ({"status": "verified", "roles": ["alumnus"]}, None),
    ({"status": "verified", "roles": ["student"]}, None),
    ({"status": "pending_verification", "roles": ["alumnus"]}, "not_verified"),
    ({"status": "verified", "roles": ["staff"]}, "not_alumnus_or_student"),
    ({"status": "verified", "roles": ["admin"]}, "not_alumnus_or_student"),
    ({}, "not_verified"),
])
def test_verified_alumni_and_students_may_apply(member, refusal):
    assert rules.applicant_refusal(member) == refusal


def test_an_application_names_countries_in_upper_case_and_languages_once():
    loaded = rules.ApplicationSchema().load({"motivation": "Защото обичам Пловдив.", "countries": ["in", "bg"],
                                             "languages": ["en"]})
    assert loaded["countries"] == ["IN", "BG"] and loaded["cities"] == [] and loaded["faculty"] is None
    with pytest.raises(ValidationError) as bad:
        rules.ApplicationSchema().load({"motivation": " ", "countries": ["XX"], "languages": ["en", "en"]})
    assert set(bad.value.messages) == {"motivation", "countries", "languages"}


# --- the term ----------------------------------------------------------------------------------

def test_the_default_term_is_one_year_from_today_in_sofia():
    late_evening = datetime(2027, 2, 28, 22, 30, tzinfo=timezone.utc)   # already 1 March in Sofia
    assert rules.default_term(late_evening) == (date(2027, 3, 1), date(2028, 2, 29))
    assert rules.default_term(datetime(2028, 2, 29, 9, tzinfo=timezone.utc)) == (date(2028, 2, 29), date(2029, 2, 27))


def test_a_term_is_active_from_its_first_to_its_last_day_unless_ended():
    ambassador = {"term_starts": "2027-02-01", "term_ends": "2027-12-31", "ended_at": None}
    assert rules.is_active(ambassador, NOW)
    assert not rules.is_active(ambassador, NOW - timedelta(days=1))
    assert rules.is_active(ambassador, datetime(2027, 12, 31, 21, 59, tzinfo=timezone.utc))
    assert not rules.is_active(ambassador, datetime(2027, 12, 31, 22, 0, tzinfo=timezone.utc))  # 1 Jan in Sofia
    assert not rules.is_active({**ambassador, "ended_at": NOW}, NOW)


def test_a_term_ends_after_it_starts_and_lasts_at_most_five_years():
    assert rules.term_errors(date(2027, 2, 1), date(2027, 2, 1)) == {}
    assert "term_ends" in rules.term_errors(date(2027, 2, 1), date(2027, 1, 31))
    assert "term_ends" in rules.term_errors(date(2027, 2, 1), date(2032, 2, 2))


def test_regions_from_an_application_keep_its_cities_only_for_a_single_country():
    assert rules.regions_from({"countries": ["IN"], "cities": ["Pune"]}) == [{"country": "IN", "cities": ["Pune"]}]
    assert rules.regions_from({"countries": ["IN", "NP"], "cities": ["Pune"]}) == [
        {"country": "IN", "cities": []}, {"country": "NP", "cities": []}]


# --- the finder card ------------------------------------------------------------------------------

MEMBER = {"given_name": "Priya", "family_name": "Sharma", "faculty": "medicine", "programme": "Medicine (English)",
          "graduation_year": 2020, "city": "Pune", "country": "IN", "languages": ["en", "hi", "mr"],
          "email": "priya@example.in", "phone": "+919812345678", "_id": "f" * 32}
AMBASSADOR = {"_id": "f" * 32, "public_id": "pub", "regions": [{"country": "IN", "cities": ["Pune"]}],
              "languages": ["en"], "bio": {"bg": "Здравейте", "en": "Hello"}}
# The card's key for each public field.
SHOWN_AS = {**{f: f for f in rules.PROFILE_PUBLIC}, "languages": "spoken_languages", "bio": "bio"}


@pytest.mark.parametrize("field", rules.PUBLIC_FIELDS)
def test_the_card_shows_a_field_only_when_it_is_public(field):
    hidden = rules.finder_card({**AMBASSADOR, "public_fields": []}, MEMBER)
    shown = rules.finder_card({**AMBASSADOR, "public_fields": [field]}, MEMBER)
    assert set(hidden) == {"public_id", "regions", "languages"}
    assert hidden["regions"] == [{"country": "IN", "cities": []}]
    if field == "regions":
        assert shown["regions"] == [{"country": "IN", "cities": ["Pune"]}]
    else:
        assert set(shown) - set(hidden) == {SHOWN_AS[field]}
    assert not {"_id", "member_id", "email", "phone"} & set(shown)


# --- contacts ----------------------------------------------------------------------------------

def test_a_contact_is_due_after_its_target_and_overdue_from_then_while_open():
    open_contact = contact()
    assert open_contact["due_at"] == NOW + TARGET
    assert not rules.is_overdue(open_contact, NOW + TARGET - timedelta(seconds=1))
    assert rules.is_overdue(open_contact, NOW + TARGET)
    assert not rules.is_overdue({**open_contact, "state": rules.REPLIED}, NOW + TARGET)


def test_the_ambassador_is_nudged_once_then_the_office_told_once_after_the_escalation_delay():
    overdue_at = NOW + TARGET
    assert not rules.nudge_due(contact(), overdue_at - timedelta(seconds=1))
    assert rules.nudge_due(contact(), overdue_at)
    nudged = contact(nudged_at=overdue_at)
    assert not rules.nudge_due(nudged, overdue_at + ESCALATE)
    assert not rules.escalation_due(nudged, overdue_at + ESCALATE - timedelta(seconds=1), ESCALATE)
    assert rules.escalation_due(nudged, overdue_at + ESCALATE, ESCALATE)
    assert not rules.escalation_due({**nudged, "escalated_at": overdue_at + ESCALATE}, overdue_at + ESCALATE, ESCALATE)
    assert not rules.escalation_due({**nudged, "state": rules.REPLIED}, overdue_at + ESCALATE, ESCALATE)
    assert not rules.escalation_due(contact(), overdue_at + ESCALATE, ESCALATE)   # never nudged


def test_a_reply_is_within_target_up_to_the_due_time_and_counts_its_seconds():
    assert rules.within_target(contact(), NOW + TARGET)
    assert not rules.within_target(contact(), NOW + TARGET + timedelta(seconds=1))
    assert rules.reply_seconds(contact(), NOW + timedelta(hours=5, minutes=30)) == 19800


def test_a_logged_contact_and_an_activity_have_happened():
    today = date(2027, 2, 1)
    assert rules.log_errors({"on": today}, contact(), NOW) == {}
    assert "on" in rules.log_errors({"on": today + timedelta(days=1)}, contact(), NOW)
    assert "on" in rules.log_errors({"on": today - timedelta(days=1)}, contact(), NOW)
    assert rules.activity_errors({"on": today}, NOW) == {}
    assert "on" in rules.activity_errors({"on": today + timedelta(days=1)}, NOW)


# --- the asker's retention ------------------------------------------------------------------------

def test_an_asker_is_erased_after_the_retention_or_thirty_days_past_an_unconfirmed_deadline():
    question = {"state": rules.CONFIRMED, "erase_after": NOW + timedelta(days=365),
                "confirm_until": NOW + rules.CONFIRM_WITHIN}
    assert not rules.question_erase_due(question, NOW + timedelta(days=364))
    assert rules.question_erase_due(question, NOW + timedelta(days=365))
    unconfirmed = {**question, "state": rules.PENDING_CONFIRMATION}
    assert not rules.question_erase_due(unconfirmed, NOW + rules.CONFIRM_WITHIN + timedelta(days=29))
    assert rules.question_erase_due(unconfirmed, NOW + rules.CONFIRM_WITHIN + timedelta(days=30))
    assert not rules.question_erase_due({**question, "state": rules.ERASED}, NOW + timedelta(days=400))


def test_the_rate_key_of_an_address_holds_no_address():
    key = rules.email_key("arjun@example.in")
    assert "arjun" not in key and key == rules.email_key("arjun@example.in") != rules.email_key("ravi@example.in")


# --- the report ---------------------------------------------------------------------------------

def test_the_median_of_none_is_none_and_of_an_even_count_the_mean_of_the_middle_two():
    assert rules.median([]) is None
    assert rules.median([3, 1, 2]) == 2
    assert rules.median([4, 1, 3, 2]) == 2.5


def test_the_report_counts_per_ambassador_and_country():
    a, b = "a" * 32, "b" * 32
    ambassadors = [{"_id": a, "regions": [{"country": "IN"}, {"country": "NP"}]}, {"_id": b, "regions": []}]
    contacts = [
        {"member_id": a, "country": "IN", "replied_at": NOW, "reply_seconds": 3600, "within_target": True},
        {"member_id": a, "country": "IN", "replied_at": NOW, "reply_seconds": 3 * 86400, "within_target": False},
        {"member_id": a, "country": "IN", "replied_at": NOW, "reply_seconds": 7200, "within_target": True},
        {"member_id": a, "country": "IN", "replied_at": None, "reply_seconds": None, "within_target": None},
        {"member_id": b, "country": "DE", "replied_at": None, "reply_seconds": None, "within_target": None},
    ]
    activities = [{"member_id": a, "kind": "school_talk", "people_reached": 120, "place": {"country": "IN"}},
                  {"member_id": a, "kind": "fair", "people_reached": 300, "place": {"country": "IN"}},
                  {"member_id": a, "kind": "fair", "people_reached": 5, "place": {"country": "NP"}}]
    rows = rules.report_rows(ambassadors, {a: "Priya Sharma", b: None}, contacts, activities)
    by = {(r["member_id"], r["country"]): r for r in rows}
    assert set(by) == {(a, "IN"), (a, "NP"), (b, "DE")}
    india = by[a, "IN"]
    assert (india["contacts"], india["replied"], india["replied_within_target"]) == (4, 3, 2)
    assert india["median_reply_hours"] == 2.0
    assert india["activities"] == {"conversation": 0, "school_talk": 1, "fair": 1, "referral": 0, "event_hosted": 0}
    assert india["people_reached"] == 420
    assert by[a, "NP"]["contacts"] == 0 and by[a, "NP"]["median_reply_hours"] is None
    assert by[a, "NP"]["activities"]["fair"] == 1 and by[a, "NP"]["people_reached"] == 5
    assert [r["name"] for r in rows] == ["Priya Sharma", "Priya Sharma", None]


def test_the_report_period_defaults_to_the_twelve_months_up_to_today():
    assert rules.period(None, None, NOW) == (date(2026, 2, 2), date(2027, 2, 1))
    assert rules.period(None, date(2026, 12, 31), NOW) == (date(2026, 1, 1), date(2026, 12, 31))
    assert rules.period(date(2026, 6, 1), None, NOW) == (date(2026, 6, 1), date(2027, 2, 1))
