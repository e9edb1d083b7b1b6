"""The members worker runs the mentoring expiry timer with its settings: the interval and the
deadline (``MENTORING_EXPIRY_INTERVAL_S``, ``MENTORING_DEADLINE_S``), and a deadline set
shorter expires asks sooner."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.members.app import create_app
from services.members.mentoring import expiry
from services.members.mentoring.api import programme
from services.members.worker import create_worker
from shared.clock import FixedClock
from shared.config import ConfigError
from tests.unit.mentoring.conftest import NOW


def test_the_worker_runs_the_timer_at_the_set_interval(make_config):
    worker = create_worker(make_config(AMQP_URL="memory://", MENTORING_EXPIRY_INTERVAL_S="0.5"))
    assert worker.loops["mentoring-expiry"].interval_s == 0.5
    with pytest.raises(ConfigError, match="MENTORING_DEADLINE_S"):
        make_config(MENTORING_DEADLINE_S="three days")


def test_a_shorter_deadline_expires_asks_sooner(make_config, people_of):
    config = make_config(AMQP_URL="memory://", MENTORING_DEADLINE_S="86400")
    assert programme(config).deadline == timedelta(hours=24)
    app = create_app(config)
    clock = FixedClock(NOW)
    app.extensions["alumnet"].clock = clock
    mentor, mentee = people_of(app)
    request = app.test_client().post("/api/v1/members/me/mentoring/requests", headers=mentee["headers"],
                                     json={"mentors": [mentor["id"]], "message": "Здравейте"}).get_json()
    assert request["deadline"] == (NOW + timedelta(hours=24)).isoformat()
    clock.advance(hours=24)
    assert expiry.run_once(app.extensions["alumnet"].store, programme(config).deadline, clock) == 1


@pytest.fixture
def people_of(issue_token):
    """A mentor with an offer and a verified student, made through ``app``'s API."""
    from tests.support import bearer, signed_up_id
    from tests.unit.mentoring.conftest import OFFER

    def make(app):
        client, admin = app.test_client(), bearer(issue_token("a" * 32, "admin"))
        made = []
        for n, (student, role) in enumerate(((False, "alumnus"), (True, "student"))):
            member_id = signed_up_id(client, {"given_name": "Ана", "family_name": "Петрова",
                                              "email": f"timer{n}@example.bg", "preferred_language": "bg",
                                              "consent": {"email": True, "sms": False}, "is_student": student,
                                              "graduation_year": 2010})
            assert client.post(f"/api/v1/members/{member_id}/approve", json={}, headers=admin).status_code == 200
            made.append({"id": member_id, "headers": bearer(issue_token(member_id, role))})
        assert client.put("/api/v1/members/me/mentoring/offer", json=OFFER, headers=made[0]["headers"]).status_code \
            == 200
        return made
    return make
