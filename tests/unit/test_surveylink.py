"""Personal survey links (shared.surveylink): bound to one member and survey, signed for
their own purpose, refused when changed, too old or made with another key."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from shared import surveylink, unsubscribe

KEY = "k" * 32
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)


def test_a_token_names_its_member_and_survey():
    token = surveylink.make_token(KEY, "m1", "s1", NOW)
    assert surveylink.read_token(KEY, token, NOW + timedelta(days=30)) == surveylink.SurveyLink(
        "m1", "s1", NOW)


@given(st.integers(min_value=0, max_value=80), st.sampled_from("AbZ09-_"))
def test_any_changed_character_is_refused(position, replacement):
    token = surveylink.make_token(KEY, "m1", "s1", NOW)
    position %= len(token)
    changed = token[:position] + replacement + token[position + 1:]
    if changed != token:
        with pytest.raises(surveylink.BadSurveyLink):
            surveylink.read_token(KEY, changed, NOW)


def test_another_key_or_an_unsubscribe_token_is_refused():
    with pytest.raises(surveylink.BadSurveyLink):
        surveylink.read_token("other" * 8, surveylink.make_token(KEY, "m1", "s1", NOW), NOW)
    with pytest.raises(surveylink.BadSurveyLink):
        surveylink.read_token(KEY, unsubscribe.make_token(KEY, "m1", "email", "surveys", NOW), NOW)


def test_a_token_too_old_or_from_the_future_is_refused():
    token = surveylink.make_token(KEY, "m1", "s1", NOW)
    with pytest.raises(surveylink.BadSurveyLink):
        surveylink.read_token(KEY, token, NOW + surveylink.MAX_AGE + timedelta(seconds=1))
    with pytest.raises(surveylink.BadSurveyLink):
        surveylink.read_token(KEY, token, NOW - timedelta(hours=1))


def test_the_portal_link_carries_the_token_escaped():
    assert surveylink.portal_link("https://alumni.example.bg/", "s 1", "a.b") == \
        "https://alumni.example.bg/surveys/s%201/answer?t=a.b"
