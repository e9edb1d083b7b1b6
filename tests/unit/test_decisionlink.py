"""One-click decision links (shared.decisionlink): bound to one person, object and decision,
signed per kind, refused when changed, made with another key or of another kind; a genuine
token past its deadline is still read and says it has expired."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from shared import mentoringlink
from shared.decisionlink import ASKER_CONFIRMATION, NOMINATION_DECISION, BadDecisionLink, DecisionLink

KEY = "k" * 32
DEADLINE = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)


def test_a_token_names_its_person_object_decision_and_deadline():
    link = NOMINATION_DECISION.read_token(KEY, NOMINATION_DECISION.make_token(KEY, "m1", "n1", "decline", DEADLINE))
    assert link == DecisionLink("m1", "n1", "decline", DEADLINE)
    assert not link.expired(DEADLINE - timedelta(seconds=1)) and link.expired(DEADLINE)


def test_an_asker_who_is_no_member_has_an_empty_person():
    token = ASKER_CONFIRMATION.make_token(KEY, "", "q1", "confirm", DEADLINE)
    assert ASKER_CONFIRMATION.read_token(KEY, token).person_id == ""


@given(st.integers(min_value=0, max_value=160), st.sampled_from("AbZ09-_"))
def test_any_changed_character_is_refused(position, replacement):
    token = NOMINATION_DECISION.make_token(KEY, "m1", "n1", "confirm", DEADLINE)
    position %= len(token)
    changed = token[:position] + replacement + token[position + 1:]
    if changed != token:
        with pytest.raises(BadDecisionLink):
            NOMINATION_DECISION.read_token(KEY, changed)


def test_another_key_another_kind_or_a_mentoring_link_is_refused():
    token = NOMINATION_DECISION.make_token(KEY, "m1", "n1", "confirm", DEADLINE)
    with pytest.raises(BadDecisionLink):
        NOMINATION_DECISION.read_token("other" * 8, token)
    with pytest.raises(BadDecisionLink):
        ASKER_CONFIRMATION.read_token(KEY, token)
    with pytest.raises(BadDecisionLink):
        NOMINATION_DECISION.read_token(KEY, mentoringlink.make_token(KEY, "m1", "n1", "accept", DEADLINE))


def test_only_the_kinds_decisions_and_aware_deadlines_are_made():
    with pytest.raises(ValueError):
        ASKER_CONFIRMATION.make_token(KEY, "", "q1", "decline", DEADLINE)
    with pytest.raises(ValueError):
        NOMINATION_DECISION.make_token(KEY, "m1", "n1", "confirm", DEADLINE.replace(tzinfo=None))


def test_the_portal_link_opens_the_kinds_page_with_the_token_quoted():
    url = NOMINATION_DECISION.portal_link("https://alumni.example/", "n/1", "a.b")
    assert url == "https://alumni.example/awards/nominations/n%2F1/decide?t=a.b"
