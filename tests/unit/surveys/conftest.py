"""What the surveys API tests share: the members app (``tests/unit/conftest.py``) with a clock
that stands still, survey definitions, the office's calls, and events read from the outbox
and checked against the catalogue's schema."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from services.members.messages import CATALOG
from shared import clock as clocks
from shared import surveylink
from tests.conftest import LINK_KEY
from tests.support import outbox_events

SURVEYS = "/api/v1/members/surveys"


def t(text: str) -> dict:
    return {"bg": f"{text} (bg)", "en": text}


def choices(*ids: str) -> list[dict]:
    return [{"id": c, "text": t(c)} for c in ids]


# A named survey: "employer" is asked only of those who work, and fills the profile, as do
# the languages; "comment" is a free text.
QUESTIONS = [
    {"id": "works", "kind": "yes_no", "text": t("Do you work?"), "required": True},
    {"id": "employer", "kind": "text", "text": t("Where?"), "required": True, "maps_to": "employer",
     "show_if": {"question": "works", "equals": True}},
    {"id": "langs", "kind": "multiple_choice", "text": t("Languages"), "choices": choices("de", "fr"),
     "maps_to": "languages"},
    {"id": "nps", "kind": "scale", "scale": "nps", "text": t("Recommend us?")},
]


def definition(*, anonymous: bool = False, audience: dict | None = None, opens_in=timedelta(hours=-1),
               closes_in=timedelta(days=14), now=None) -> dict:
    now = now or clocks.now()
    questions = copy.deepcopy(QUESTIONS)
    if anonymous:
        for question in questions:
            question.pop("maps_to", None)
    return {"title": t("Where are you today?"), "description": t("Five minutes."), "anonymous": anonymous,
            "audience": audience or {"kind": "everyone"},
            "opens_at": (now + opens_in).isoformat(), "closes_at": (now + closes_in).isoformat(),
            "sections": [{"id": "today", "title": t("Today"), "questions": questions},
                         {"id": "more", "title": t("More"), "questions": [
                             {"id": "comment", "kind": "text", "text": t("Anything else?")}]}]}


@pytest.fixture
def clock(app):
    """The app's clock, standing at the real now (tokens are issued at the real time)."""
    fixed = clocks.FixedClock(clocks.now())
    app.extensions["alumnet"].clock = fixed
    return fixed


@pytest.fixture
def office(client, admin_headers, clock):
    """The alumni office's calls: ``office.survey(**definition)`` makes a draft,
    ``office.open_survey(**definition)`` makes one and opens it; both return the survey."""
    class Office:
        def survey(self, **kwargs) -> dict:
            response = client.post(SURVEYS, json=definition(now=clock(), **kwargs), headers=admin_headers)
            assert response.status_code == 201, response.get_json()
            return response.get_json()

        def open_survey(self, **kwargs) -> dict:
            survey = self.survey(**kwargs)
            response = client.post(f"{SURVEYS}/{survey['id']}/open", headers=admin_headers)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

    return Office()


def events(db, event_type: str) -> list[dict]:
    """The outbox's events of a type, each of whose data the catalogue's schema accepts."""
    found = outbox_events(db, event_type)
    for event in found:
        assert CATALOG.schemas[event_type].validate(event["data"]) == {}, event
    return found


def link(member_id: str, survey_id: str, at=None) -> dict:
    """The personal link's header, as notifications makes it for the invitation."""
    return {surveylink.HEADER: surveylink.make_token(LINK_KEY, member_id, survey_id, at or clocks.now())}
