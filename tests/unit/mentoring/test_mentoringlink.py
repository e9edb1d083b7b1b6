"""One-click mentoring decisions (shared.mentoringlink): bound to one mentor, request and
decision, signed for their own purpose, refused when changed or made with another key; a
genuine token past its deadline is still read, and says it has expired."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from shared import mentoringlink, surveylink

KEY = "k" * 32
DEADLINE = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)


def test_a_token_names_its_mentor_request_decision_and_deadline():
    token = mentoringlink.make_token(KEY, "m1", "r1", "accept", DEADLINE)
    link = mentoringlink.read_token(KEY, token)
    assert link == mentoringlink.MentoringLink("m1", "r1", "accept", DEADLINE)
    assert not link.expired(DEADLINE - timedelta(seconds=1)) and link.expired(DEADLINE)


@given(st.integers(min_value=0, max_value=120), st.sampled_from("AbZ09-_"))
def test_any_changed_character_is_refused(position, replacement):
    token = mentoringlink.make_token(KEY, "m1", "r1", "decline", DEADLINE)
    position %= len(token)
    changed = token[:position] + replacement + token[position + 1:]
    if changed != token:
        with pytest.raises(mentoringlink.BadMentoringLink):
            mentoringlink.read_token(KEY, changed)


def test_another_key_or_a_survey_link_is_refused():
    with pytest.raises(mentoringlink.BadMentoringLink):
        mentoringlink.read_token("other" * 8, mentoringlink.make_token(KEY, "m1", "r1", "accept", DEADLINE))
    with pytest.raises(mentoringlink.BadMentoringLink):
        mentoringlink.read_token(KEY, surveylink.make_token(KEY, "m1", "r1", DEADLINE))


def test_only_accept_and_decline_are_decisions():
    with pytest.raises(ValueError):
        mentoringlink.make_token(KEY, "m1", "r1", "maybe", DEADLINE)
    with pytest.raises(ValueError):
        mentoringlink.make_token(KEY, "m1", "r1", "accept", DEADLINE.replace(tzinfo=None))
