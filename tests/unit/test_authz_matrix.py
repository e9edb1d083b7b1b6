"""The authorisation matrix (``tests/authz_matrix.py``) played over HTTP against the real
members, events, notifications and awards apps on the session's local store.

The world is built once per module through the services' own APIs and functions: members
who signed up (``signup.register``, as the route does), confirmed their email, were approved
and given roles by the office; their events carried to
the events and notifications read models by those services' own handlers (as their consumers
would); an event, a registration, a segment, a roster import, an announcement. Every cell is
then one request with the caller's token. A route of an app without a row in the matrix, a
row without a route, and a cell that answers otherwise fail the test, each named.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from services.awards import handlers as awards_handlers
from services.awards.app import create_app as awards_app
from services.awards.cycles import judging as award_judging
from services.events import calendar_store
from services.events import handlers as events_handlers
from services.events.app import create_app as events_app
from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.app import create_app as members_app
from services.members.email_change import store as email_change
from services.members.profiles.schemas import SignUpSchema
from services.members.signup import store as signup
from services.members.surveys import store as surveys_store
from services.notifications import handlers as notifications_handlers
from services.notifications.app import create_app as notifications_app
from shared import clock, unsubscribe
from shared.decisionlink import ASKER_CONFIRMATION
from shared.bus.envelope import decode
from shared.config import Config
from tests.authz_matrix import (AMBASSADOR_APPLICATION, AMBASSADOR_CONTACT, AMBASSADOR_QUESTION, ANNOUNCEMENT, AW,
                                AWARD_CATEGORY, AWARD_STATEMENT, CALLERS, CAMPAIGN, CAUSE, MENTOR_OFFER, REQUESTS,
                                ROSTER_CSV, ROSTER_STUDENT, SURVEY, award_cycle_body, table)
from tests.conftest import TOKEN_KEY
from tests.routes import api_routes, fill, plain, variables
from tests.support import bearer, consumer_like

M, E, N = "/api/v1/members", "/api/v1/events", "/api/v1/notifications"
PASSWORD = "a long passphrase 42"
MEDICINE = "medicine"
APPS = {"members": members_app, "events": events_app, "notifications": notifications_app, "awards": awards_app}


@dataclass
class Scene:
    """What a cell's path is filled with, and who "alumnus" (the member of the path) is."""
    fills: dict[str, str]
    self_id: str


@dataclass
class World:
    """The four apps' test clients, the callers, and the objects the matrix's paths name."""
    clients: dict
    issue: Callable[..., str]
    config: Config
    emails: itertools.count = field(default_factory=lambda: itertools.count(1))
    relayed: set = field(default_factory=set)
    callers: dict = field(default_factory=dict)  # caller -> (subject, roles), None for anon
    fills: dict = field(default_factory=dict)  # path variable -> the world's object
    variants: dict = field(default_factory=dict)  # variant -> the path variables it fills otherwise
    self_id: str = ""  # the alumnus: the member of the path
    self_email: str = ""
    ticket_code: str = ""
    admin_id: str = ""
    scene_survey: str = ""  # the survey of the cell being played, when its scene made one
    awards: dict = field(default_factory=dict)  # the awards objects the matrix's requests name

    # ------------------------------------------------------------------ services' APIs

    def call(self, service: str, method: str, url: str, status: int, headers: dict | None = None, **kwargs) -> dict:
        response = self.clients[service].open(url, method=method, headers=headers or {}, **kwargs)
        assert response.status_code == status, (method, url, response.get_data(as_text=True))
        return response.get_json(silent=True) or {}

    @property
    def admin(self) -> dict:
        return bearer(self.issue(self.admin_id, "admin"))

    def store(self, service: str):
        return self.clients[service].application.extensions["alumnet"].store

    def db(self, service: str):
        return self.store(service).db

    def sign_up_body(self, **fields) -> dict:
        return {"given_name": "Мария", "family_name": "Иванова", "email": f"member{next(self.emails)}@example.bg",
                "preferred_language": "bg", "consent": {"email": True, "sms": False}, **fields}

    def sign_up(self, **fields) -> str:
        """A sign-up as the route stores it (its schema, then ``signup.register``), without
        the route: the world's many sign-ups stay clear of its per-address rate limits."""
        data = SignUpSchema().load(self.sign_up_body(**fields))
        roles = accounts.roles_for_signup(data.pop("is_student", False))
        return signup.register(self.store("members"), data, roles=roles, correlation_id="authz-matrix",
                               token_key=TOKEN_KEY)["_id"]

    def confirm_email(self, member_id: str) -> None:
        assert signup.confirm_email(self.store("members"), self.confirmation_token_of(member_id), accounts.now())

    def verified(self, roles: list[str] | None = None, **fields) -> dict:
        member_id = self.sign_up(**fields)
        self.confirm_email(member_id)
        member = self.call("members", "POST", f"{M}/{member_id}/approve", 200, self.admin, json={})
        if roles:
            member = self.call("members", "PUT", f"{M}/{member['id']}/roles", 200, self.admin, json={"roles": roles})
        return member

    def members_events(self, event_type: str | None = None) -> list:
        query = {} if event_type is None else {"type": event_type}
        return [decode(doc["body"]) for doc in self.db("members").outbox.find(query).sort("order", 1)]

    def relay(self) -> None:
        """Carry the members service's new events to the events, notifications and awards
        read models, through those services' own handlers."""
        consumers = []
        for service, subscriptions in (("events", events_handlers.subscriptions()),
                                       ("notifications", notifications_handlers.subscriptions()),
                                       ("awards", awards_handlers.subscriptions())):
            consumers.append(({s.event_type for s in subscriptions}, consumer_like(self.store(service), subscriptions)))
        for event in self.members_events():
            if event.id in self.relayed:
                continue
            self.relayed.add(event.id)
            for types, deliver in consumers:
                if event.type in types:
                    deliver(event)

    def event(self, variant: str = "", starts_in: timedelta = timedelta(days=10)) -> dict:
        """A published event for everyone; a ``draft``; or one for an ``audience`` (the
        faculty of medicine: the alumnus's, the unconfirmed's and the pending member's)."""
        starts = clock.now() + starts_in
        body = {"title": {"bg": "Среща", "en": "Reunion"}, "kind": "reunion", "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=4)).isoformat(), "capacity": 100,
                "place": {"name": "Аула", "city": "Пловдив"},
                "audience": {"kind": "faculty", "faculty": MEDICINE} if variant == "audience" else {"kind": "all"}}
        event = self.call("events", "POST", E, 201, self.admin, json=body)
        if variant == "draft":
            return event
        return self.call("events", "POST", f"{E}/{event['id']}/publish", 200, self.admin, json={})

    def register(self, event: dict, member_id: str) -> dict:
        return self.call("events", "POST", f"{E}/{event['id']}/registrations", 201, self.token(member_id), json={})

    def survey_body(self) -> dict:
        """A named survey for everyone, open from an hour ago for a month."""
        now = clock.now()
        return {**SURVEY, "opens_at": (now - timedelta(hours=1)).isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat()}

    def survey(self, variant: str = "") -> dict:
        """An open survey for everyone, or a ``draft``."""
        survey = self.call("members", "POST", f"{M}/surveys", 201, self.admin, json=self.survey_body())
        if variant == "draft":
            return survey
        return self.call("members", "POST", f"{M}/surveys/{survey['id']}/open", 200, self.admin)

    def fresh_survey(self, variant: str) -> Scene:
        self.scene_survey = self.survey(variant)["id"]
        return Scene({**self.fills, "survey_id": self.scene_survey}, self.self_id)

    def submitted_for(self, caller: str) -> dict:
        """The caller's response to the cell's survey, submitted (as the route stores it), when
        the caller is a verified member; no request arguments of its own."""
        identity = self.callers[caller]
        member = identity and self.db("members").members.find_one({"_id": identity[0]})
        if member and member["status"] == "verified":
            store = self.store("members")
            survey = surveys_store.get(store.db, self.scene_survey)
            surveys_store.submit(store, survey, member["_id"], {"town": "Варна"}, clock.now())
        return {}
    def mentor(self) -> str:
        return _mentor(self)

    def question_token(self) -> str:
        """The asker's confirmation link of the world's question (as notifications makes it)."""
        return ASKER_CONFIRMATION.make_token(self.config.link_signing_key, "", self.fills["ambassador_question"],
                                             "confirm", clock.now() + timedelta(hours=72))

    def token(self, member_id: str) -> dict:
        roles = next((r for s, r in filter(None, self.callers.values()) if s == member_id), ("alumnus",))
        return bearer(self.issue(member_id, *roles))

    # ------------------------------------------------------------------ one-time credentials

    def confirmation_token_of(self, member_id: str) -> str:
        [event] = [e for e in self.members_events("members.member.registered") if e.subject == member_id]
        return accounts.decrypt_token(TOKEN_KEY, event.data["encrypted_confirmation_token"])

    def confirmation_token(self) -> str:
        return self.confirmation_token_of(self.sign_up())

    def reset_token_of(self, member: dict) -> str:
        self.call("members", "POST", f"{M}/auth/password-reset", 202, json={"email": member["email"]})
        [event] = [e for e in self.members_events("members.password_reset.requested") if e.subject == member["id"]]
        return accounts.decrypt_token(TOKEN_KEY, event.data["encrypted_token"])

    def reset_token(self) -> str:
        return self.reset_token_of(self.verified())

    def email_change_token(self, member_id: str | None = None) -> str:
        """The link of a change asked for by a fresh member (its own store call, as the route)."""
        member = self.db("members").members.find_one({"_id": member_id or self.verified()["id"]})
        assert email_change.request(self.store("members"), member, self.new_email(), accounts.now(), TOKEN_KEY)
        [event] = self.members_events("members.email_change.requested")[-1:]
        return accounts.decrypt_token(TOKEN_KEY, event.data["encrypted_token"])

    def undo_token(self) -> str:
        member_id = self.verified()["id"]
        assert email_change.confirm(self.store("members"), self.email_change_token(member_id), accounts.now(),
                                    TOKEN_KEY)
        [event] = self.members_events("members.email_change.confirmed")[-1:]
        return accounts.decrypt_token(TOKEN_KEY, event.data["encrypted_undo_token"])

    def set_password(self, member: dict) -> None:
        """The member's password, set as a member sets one: through the password reset."""
        self.call("members", "POST", f"{M}/auth/password-reset/confirm", 204,
                  json={"token": self.reset_token_of(member), "new_password": PASSWORD})

    def new_email(self) -> str:
        return self.sign_up_body()["email"]

    def credentials(self) -> dict:
        return {"email": self.self_email, "password": PASSWORD}

    def refresh_token(self) -> str:
        return accounts_store.issue_refresh_token(self.db("members"), None, self.self_id, accounts.new_family(),
                                                  accounts.now())

    def unsubscribe_token(self) -> str:
        # Links are signed with LINK_SIGNING_KEY where the configuration has one (the
        # encryption key signed them before it existed).
        key = self.config.link_signing_key
        return unsubscribe.make_token(key, self.self_id, "email", "news", clock.now())

    # ------------------------------------------------------------------ scenes

    def scene(self, method: str, route: str, variant: str) -> Scene:
        build = SCENES.get((method, route))
        return build(self, variant) if build else Scene({**self.fills, **self.variants[variant]}, self.self_id)

    def fresh_event(self, variant: str, registered: bool = False) -> Scene:
        event = self.event(variant)
        if registered:
            self.register(event, self.self_id)
        return Scene({**self.fills, "event_id": event["id"]}, self.self_id)


def _fresh_member(world: World, variant: str) -> Scene:
    member_id = world.verified()["id"]
    return Scene({**world.fills, "member_id": member_id}, member_id)


def _fresh_segment(world: World, variant: str) -> Scene:
    segment = world.call("members", "POST", f"{M}/segments", 201, world.admin, json={"name": "Нов", "filter": {}})
    return Scene({**world.fills, "segment_id": segment["id"]}, world.self_id)


def _fresh_feed(world: World, variant: str) -> Scene:
    secret = calendar_store.create(world.store("events"), world.self_id, clock.now())
    return Scene({**world.fills, "secret": secret}, world.self_id)


# ---- mentoring (issue 14): a mentor with an offer, a student's request, a pair.

def _mentor(world: World) -> str:
    """A fresh verified alumnus with an offer (each ask takes one of its places)."""
    mentor_id = world.verified()["id"]
    world.call("members", "PUT", f"{M}/me/mentoring/offer", 200, world.token(mentor_id), json=MENTOR_OFFER)
    return mentor_id


def _asked(world: World, mentor_id: str) -> tuple[str, str]:
    """A fresh verified student's request asking ``mentor_id``: (request id, student id)."""
    student_id = world.verified(is_student=True)["id"]
    request = world.call("members", "POST", f"{M}/me/mentoring/requests", 201, world.token(student_id),
                         json={"mentors": [mentor_id], "message": "Здравейте!"})
    return request["id"], student_id


def _fresh_ask(world: World, variant: str) -> Scene:
    mentor_id = _mentor(world)
    request_id, _ = _asked(world, mentor_id)
    return Scene({**world.fills, "request_id": request_id}, mentor_id)


def _fresh_request(world: World, variant: str) -> Scene:
    request_id, student_id = _asked(world, _mentor(world))
    return Scene({**world.fills, "request_id": request_id}, student_id)


def _fresh_pair(world: World, variant: str) -> Scene:
    mentor_id = _mentor(world)
    request_id, _ = _asked(world, mentor_id)
    decided = world.call("members", "POST", f"{M}/mentoring/requests/{request_id}/accept", 200,
                         world.token(mentor_id), json={})
    return Scene({**world.fills, "mentorship_id": decided["ask"]["mentorship_id"]}, mentor_id)


def _ended_pair(world: World, variant: str) -> Scene:
    scene = _fresh_pair(world, variant)
    mentee_id = world.db("members").mentorships.find_one({"_id": scene.fills["mentorship_id"]})["mentee_id"]
    world.call("members", "POST", f"{M}/mentoring/mentorships/{scene.fills['mentorship_id']}/end", 200,
               world.token(mentee_id), json={})
    return scene


def build_mentoring(world: World) -> None:
    """The alumnus mentors the student (an accepted request, an active pair)."""
    world.call("members", "PUT", f"{M}/me/mentoring/offer", 200, world.token(world.self_id), json=MENTOR_OFFER)
    student_id = world.callers["student"][0]
    request = world.call("members", "POST", f"{M}/me/mentoring/requests", 201, world.token(student_id),
                         json={"mentors": [world.self_id], "message": "Здравейте!"})
    decided = world.call("members", "POST", f"{M}/mentoring/requests/{request['id']}/accept", 200,
                         world.token(world.self_id), json={})
    world.fills.update(request_id=request["id"], mentorship_id=decided["ask"]["mentorship_id"])


MENTORING_SCENES = {
    ("DELETE", f"{M}/me/mentoring/offer"): lambda world, variant: Scene(world.fills, _mentor(world)),
    ("POST", f"{M}/mentoring/requests/<request_id>/accept"): _fresh_ask,
    ("POST", f"{M}/mentoring/requests/<request_id>/decline"): _fresh_ask,
    ("POST", f"{M}/mentoring/requests/<request_id>/withdraw"): _fresh_request,
    ("POST", f"{M}/mentoring/mentorships/<mentorship_id>/end"): _fresh_pair,
    ("POST", f"{M}/mentoring/mentorships/<mentorship_id>/feedback"): _ended_pair,
}
# ---- end of mentoring


# ---- awards: cycles, nominations, judging (issue 16). The alumnus is nominated by the other
# alumnus in every cycle; the judge judges them all.

def _award_cycle(world: World, steps: int = 0, decided: bool = False) -> tuple[str, list[str]]:
    """A cycle opened with the world's judge, the alumnus and a second member nominated (and
    confirmed when judging comes), ``steps`` phases advanced from nominations, its category
    decided if ``decided``: (cycle id, nomination ids)."""
    admin, judge = world.admin, world.callers["judge"][0]
    cycle = world.call("awards", "POST", f"{AW}/cycles", 201, admin, json=award_cycle_body([judge]))
    world.call("awards", "POST", f"{AW}/cycles/{cycle['id']}/open", 200, admin)
    nominations = []
    for nominee in (world.self_id, world.awards["nominee"]):
        nomination = world.call("awards", "POST", f"{AW}/cycles/{cycle['id']}/categories/{AWARD_CATEGORY}/nominations",
                                201, world.token(world.callers["other"][0]),
                                json={"nominee_id": nominee, "statement": AWARD_STATEMENT})
        if steps:
            world.call("awards", "POST", f"{AW}/nominations/{nomination['id']}/confirm", 200, world.token(nominee),
                       json={})
        nominations.append(nomination["id"])
    for _ in range(steps):
        world.call("awards", "POST", f"{AW}/cycles/{cycle['id']}/advance", 200, admin)
    if decided:
        world.call("awards", "POST", f"{AW}/cycles/{cycle['id']}/categories/{AWARD_CATEGORY}/winners", 200, admin,
                   json={"nomination_ids": nominations[:1]})
    return cycle["id"], nominations


def _ballot(world: World, cycle_id: str, nomination_id: str) -> str:
    salt = world.db("awards").award_cycles.find_one({"_id": cycle_id})["ballot_salt"]
    return award_judging.ballot_id(salt, world.callers["judge"][0], nomination_id)


def build_awards(world: World) -> None:
    """Cycles in each phase the routes need: taking nominations (the fills), in judging, in
    results, decided and announced; and a draft (the ``draft`` variant)."""
    world.awards["nominee"] = world.verified()["id"]
    world.relay()
    taking, (nomination, _) = _award_cycle(world)
    judging_cycle, (scored, other) = _award_cycle(world, steps=2)
    results_cycle, (winner, _) = _award_cycle(world, steps=3)
    decided_cycle, _ = _award_cycle(world, steps=3, decided=True)
    announced_cycle, _ = _award_cycle(world, steps=3, decided=True)
    world.call("awards", "POST", f"{AW}/cycles/{announced_cycle}/announce", 200, world.admin)
    draft = world.call("awards", "POST", f"{AW}/cycles", 201, world.admin, json=award_cycle_body())
    world.awards.update(results_nomination=winner, judging=judging_cycle, results=results_cycle,
                        decided=decided_cycle, announced=announced_cycle,
                        scored_ballot=_ballot(world, judging_cycle, scored),
                        conflict_ballot=_ballot(world, judging_cycle, other))
    world.fills.update(cycle_id=taking, category_id=AWARD_CATEGORY, nomination_id=nomination, index="0",
                       ballot_id=world.awards["scored_ballot"])
    world.variants["draft"]["cycle_id"] = draft["id"]


def _award_scene(name: str, **fills: str):
    """A scene on one of the world's award cycles (``name``), with more fills from ``world.awards``."""
    return lambda world, variant: Scene({**world.fills, "cycle_id": world.awards[name],
                                         **{k: world.awards[v] for k, v in fills.items()}}, world.self_id)


def _fresh_award_draft(world: World, variant: str) -> Scene:
    if variant != "draft":
        return Scene(world.fills, world.self_id)
    draft = world.call("awards", "POST", f"{AW}/cycles", 201, world.admin, json=award_cycle_body())
    return Scene({**world.fills, "cycle_id": draft["id"]}, world.self_id)


def _fresh_award_cycle(world: World, variant: str) -> Scene:
    cycle = world.call("awards", "POST", f"{AW}/cycles", 201, world.admin, json=award_cycle_body())
    world.call("awards", "POST", f"{AW}/cycles/{cycle['id']}/open", 200, world.admin)
    return Scene({**world.fills, "cycle_id": cycle["id"]}, world.self_id)


def _fresh_nomination(world: World, variant: str) -> Scene:
    """A fresh verified member nominated (awaiting their decision): the member of the path."""
    nominee = world.verified()["id"]
    world.relay()
    nomination = world.call("awards", "POST",
                            f"{AW}/cycles/{world.fills['cycle_id']}/categories/{AWARD_CATEGORY}/nominations", 201,
                            world.token(world.callers["other"][0]),
                            json={"nominee_id": nominee, "statement": AWARD_STATEMENT})
    return Scene({**world.fills, "nomination_id": nomination["id"]}, nominee)


AWARDS_SCENES = {
    ("POST", f"{AW}/cycles/<cycle_id>/open"): _fresh_award_draft,
    ("POST", f"{AW}/cycles/<cycle_id>/advance"): _fresh_award_cycle,
    ("POST", f"{AW}/nominations/<nomination_id>/confirm"): _fresh_nomination,
    ("POST", f"{AW}/nominations/<nomination_id>/decline"): _fresh_nomination,
    ("GET", f"{AW}/cycles/<cycle_id>/judging"): _award_scene("judging"),
    ("PUT", f"{AW}/cycles/<cycle_id>/judging/<ballot_id>"): _award_scene("judging"),
    ("POST", f"{AW}/cycles/<cycle_id>/judging/<ballot_id>/conflict"): _award_scene("judging",
                                                                                  ballot_id="conflict_ballot"),
    ("GET", f"{AW}/cycles/<cycle_id>/results"): _award_scene("judging"),
    ("POST", f"{AW}/cycles/<cycle_id>/categories/<category_id>/winners"): _award_scene("results"),
    ("POST", f"{AW}/cycles/<cycle_id>/announce"): _award_scene("decided"),
    ("GET", f"{AW}/cycles/<cycle_id>/winners"): _award_scene("announced"),
}
# ---- end of awards
# ---- ambassadors (issue 15): the alumnus is an ambassador, listed, with a contact and a question.

def _application(world: World, member_id: str) -> str:
    return world.call("members", "POST", f"{M}/ambassadors/applications", 201, world.token(member_id),
                      json=AMBASSADOR_APPLICATION)["id"]


def _ambassador(world: World, member_id: str) -> dict:
    application_id = _application(world, member_id)
    return world.call("members", "POST", f"{M}/ambassadors/applications/{application_id}/appoint", 200,
                      world.admin, json={})


def _fresh_application(world: World, variant: str) -> Scene:
    return Scene({**world.fills, "application_id": _application(world, world.verified()["id"])}, world.self_id)


def _fresh_ambassador(world: World, variant: str) -> Scene:
    member_id = world.verified()["id"]
    _ambassador(world, member_id)
    return Scene({**world.fills, "member_id": member_id}, member_id)


def build_ambassadors(world: World) -> None:
    public_id = _ambassador(world, world.self_id)["public_id"]
    world.call("members", "PATCH", f"{M}/me/ambassador", 200, world.token(world.self_id),
               json={"listed": True, "public_fields": ["given_name"]})
    contact = world.call("members", "POST", f"{M}/ambassadors/{world.self_id}/contacts", 201, world.admin,
                         json=AMBASSADOR_CONTACT)
    world.call("members", "POST", f"{M}/ambassadors/finder/{public_id}/questions", 202,
               json={**AMBASSADOR_QUESTION, "email": world.new_email()})
    [asked] = world.members_events("members.ambassador.question_asked")[-1:]
    world.fills.update(application_id=_application(world, world.verified()["id"]), public_id=public_id,
                       contact_id=contact["id"], ambassador_question=asked.subject)


AMBASSADOR_SCENES = {
    ("POST", f"{M}/ambassadors/applications"): _fresh_member,
    ("POST", f"{M}/ambassadors/applications/<application_id>/appoint"): _fresh_application,
    ("POST", f"{M}/ambassadors/applications/<application_id>/decline"): _fresh_application,
    ("POST", f"{M}/ambassadors/<member_id>/end"): _fresh_ambassador,
    # <question_id> names a survey's question elsewhere: here the world's finder question.
    ("POST", f"{M}/ambassadors/questions/<question_id>/confirm"): lambda world, variant: Scene(
        {**world.fills, "question_id": world.fills["ambassador_question"]}, world.self_id),
}
# ---- end of ambassadors
# ---- causes (issue 15): causes the alumnus owns, one for medicine, volunteers.

def _cause(world: World, variant: str = "", body: dict = CAUSE, owner_id: str | None = None) -> dict:
    """A published cause for everyone the alumnus owns; a ``draft``; or the office's own for
    an ``audience`` (the faculty of medicine)."""
    body = {**body, "owner_id": owner_id or world.self_id}
    if variant == "audience":
        body.update(owner_id=world.admin_id, audience={"kind": "faculty", "faculty": MEDICINE})
    cause = world.call("events", "POST", f"{E}/causes", 201, world.admin, json=body)
    if variant == "draft":
        return cause
    return world.call("events", "POST", f"{E}/causes/{cause['id']}/publish", 200, world.admin)


def _volunteer(world: World, cause: dict, member_id: str) -> str:
    joined = world.call("events", "POST", f"{E}/causes/{cause['id']}/roles/guide/volunteers", 201,
                        world.token(member_id), json={})
    return joined["volunteer_id"]


def _fresh_cause(world: World, variant: str, joined: bool = False, body: dict = CAUSE) -> Scene:
    cause = _cause(world, variant, body)
    if joined:
        _volunteer(world, cause, world.self_id)
    return Scene({**world.fills, "cause_id": cause["id"]}, world.self_id)


def _fresh_volunteer(world: World, variant: str) -> Scene:
    cause = _cause(world, variant)
    volunteer_id = _volunteer(world, cause, world.callers["student"][0])
    return Scene({**world.fills, "cause_id": cause["id"], "volunteer_id": volunteer_id}, world.self_id)


def build_causes(world: World) -> None:
    """A published cause the alumnus owns, the student volunteering; the alumnus's draft; the
    office's cause for medicine."""
    cause = _cause(world)
    world.fills.update(cause_id=cause["id"], role_id="guide",
                       volunteer_id=_volunteer(world, cause, world.callers["student"][0]))
    world.variants["draft"]["cause_id"] = _cause(world, "draft")["id"]
    world.variants["audience"]["cause_id"] = _cause(world, "audience")["id"]


CAUSES_SCENES = {
    ("POST", f"{E}/causes/<cause_id>/close"): _fresh_cause,
    ("POST", f"{E}/causes/<cause_id>/progress"): lambda world, variant: _fresh_cause(world, variant, body=CAMPAIGN),
    ("POST", f"{E}/causes/<cause_id>/roles/<role_id>/volunteers"): _fresh_cause,
    ("DELETE", f"{E}/causes/<cause_id>/roles/<role_id>/volunteers/me"):
        lambda world, variant: _fresh_cause(world, variant, joined=True),
    ("POST", f"{E}/causes/<cause_id>/volunteers/<volunteer_id>/hours"): _fresh_volunteer,
}
# ---- end of causes


# Rows whose cells change what the next cell would see are played on fresh objects per cell.
SCENES = {
    ("POST", f"{M}/<member_id>/reject"): _fresh_member,
    ("DELETE", f"{M}/<member_id>"): _fresh_member,
    ("DELETE", f"{M}/segments/<segment_id>"): _fresh_segment,
    ("POST", f"{E}/<event_id>/cancel"): World.fresh_event,
    ("POST", f"{E}/<event_id>/registrations"): World.fresh_event,
    ("DELETE", f"{E}/<event_id>/registrations/mine"): lambda world, variant: world.fresh_event(variant, True),
    ("DELETE", f"{E}/<event_id>/registrations/<member_id>"): lambda world, variant: world.fresh_event(variant, True),
    ("GET", f"{E}/calendar-feeds/<secret>.ics"): _fresh_feed,
    ("DELETE", f"{M}/surveys/<survey_id>"): World.fresh_survey,
    ("POST", f"{M}/surveys/<survey_id>/open"): World.fresh_survey,
    ("POST", f"{M}/surveys/<survey_id>/close"): World.fresh_survey,
    ("PUT", f"{M}/surveys/<survey_id>/response"): World.fresh_survey,
    ("POST", f"{M}/surveys/<survey_id>/response/submit"): World.fresh_survey,
    ("POST", f"{M}/surveys/<survey_id>/proposals"): World.fresh_survey,
    **MENTORING_SCENES,
    **AWARDS_SCENES,
    **AMBASSADOR_SCENES,
    **CAUSES_SCENES,
}


BUILT: dict[str, World] = {}


@pytest.fixture
def world(make_config, issue_token) -> World:
    """The world, built by the module's first test and kept for the others: ``make_config``
    is per test, and building the world for each would be slow. Its databases are the first
    test's, which nothing drops."""
    if "world" not in BUILT:
        BUILT["world"] = build_world(make_config(AMQP_URL="memory://"), issue_token)
    return BUILT["world"]


def build_world(config: Config, issue_token) -> World:
    world = World({name: create(config).test_client() for name, create in APPS.items()}, issue_token, config)
    # The office's first admin, as `alumnet members create-admin` makes them.
    world.admin_id = signup.register(world.store("members"), {
        "given_name": "Офис", "family_name": "Алумни", "email": "office@example.bg", "preferred_language": "bg",
        "consent": {"email": False, "sms": False}}, roles=["admin"], operator=True, correlation_id="test")["_id"]
    alumnus = world.verified(faculty=MEDICINE, graduation_year=2010)
    world.set_password(alumnus)  # the login row logs in as the alumnus
    world.self_id, world.self_email = alumnus["id"], alumnus["email"]
    unconfirmed = world.sign_up(faculty=MEDICINE)
    pending = world.sign_up(faculty=MEDICINE)
    world.confirm_email(pending)
    world.callers = {
        "anon": None,
        "unconf": (unconfirmed, ("alumnus",)),
        "pending": (pending, ("alumnus",)),
        "alumnus": (alumnus["id"], ("alumnus",)),
        "student": (world.verified(is_student=True)["id"], ("student",)),
        "staff": (world.verified(roles=["staff"])["id"], ("staff",)),
        "judge": (world.verified(roles=["judge"])["id"], ("judge",)),
        "admin": (world.admin_id, ("admin",)),
        "other": (world.verified()["id"], ("alumnus",)),
    }
    segment = world.call("members", "POST", f"{M}/segments", 201, world.admin, json={"name": "Всички", "filter": {}})
    report = world.call("members", "POST", f"{M}/roster/imports", 201, world.admin, data=ROSTER_CSV,
                        content_type="text/csv; charset=utf-8")
    world.relay()
    # Happening today: open for registration until it starts, its door open from 6 hours before.
    event = world.event(starts_in=timedelta(hours=2))
    draft, for_medicine = world.event("draft", timedelta(hours=2)), world.event("audience", timedelta(hours=2))
    world.ticket_code = world.register(event, alumnus["id"])["ticket_code"]
    announcement = world.call("notifications", "POST", f"{N}/announcements", 202, world.admin, json=ANNOUNCEMENT)
    survey, draft_survey = world.survey(), world.survey("draft")
    world.fills = {"member_id": alumnus["id"], "event_id": event["id"], "segment_id": segment["id"],
                   "import_id": report["id"], "student_number": ROSTER_STUDENT, "announcement_id": announcement["id"],
                   "survey_id": survey["id"], "question_id": "town",
                   "fmt": "png", "secret": "no-such-feed", "filename": "swagger-ui.css"}
    # A variant row plays its route on another object: the pending member, a draft, an
    # event for an audience.
    world.variants = {"": {}, "pending": {"member_id": pending}, "draft": {"event_id": draft["id"], "survey_id": draft_survey["id"]},
                      "audience": {"event_id": for_medicine["id"]}}
    build_mentoring(world)
    build_awards(world)
    build_ambassadors(world)
    build_causes(world)
    return world


def answer(world: World, service: str, method: str, rule: str, variant: str, caller: str) -> tuple[int, str]:
    """Play one cell: the status, and the problem's title or detail to explain a difference."""
    route = plain(rule)
    scene = world.scene(method, route, variant)
    identity = world.callers[caller]
    if caller == "alumnus":
        identity = (scene.self_id, identity[1])
    headers = {} if identity is None else bearer(world.issue(identity[0], *identity[1]))
    request = REQUESTS.get((method, route), {})
    request = request(world, caller) if callable(request) else request
    response = world.clients[service].open(fill(rule, scene.fills), method=method, headers=headers, **request)
    body = response.get_json(silent=True)
    detail = (body.get("detail") or body.get("title") or "") if isinstance(body, dict) else ""
    return response.status_code, str(detail)[:120]


def matches(cell: str, status: int) -> bool:
    return 200 <= status < 300 if cell == "ok" else int(cell) == status


def shown(status: int) -> str:
    return "ok" if 200 <= status < 300 else str(status)


@pytest.mark.parametrize("service", list(APPS))
def test_every_route_answers_every_caller_as_the_matrix_says(world, service):
    expected = table()
    prefix = f"/api/v1/{service}"
    routes = {(method, plain(rule)): rule for method, rule in api_routes(world.clients[service].application)}
    problems, unplayable = [], set()
    for (method, route), rule in routes.items():
        unknown = [name for name in variables(rule) if name not in world.fills]
        if unknown:
            problems.append(f"{method} {route}: the world has no object for <{'>, <'.join(unknown)}>; "
                            "make one in the world fixture and add it to its fills")
            unplayable.add((method, route))
        if (method, route, "") not in expected:
            now = "" if unknown else " (it answers now: " + " ".join(
                shown(answer(world, service, method, rule, "", caller)[0]) for caller in CALLERS) + ")"
            problems.append(f"no row for {method} {route} in tests/authz_matrix.py{now}")
    for (method, route, variant), row in expected.items():
        if not (route == prefix or route.startswith(prefix + "/")):
            continue
        if (method, route) not in routes:
            problems.append(f"a row for {method} {route}, which {service} does not serve")
            continue
        if (method, route) in unplayable:
            continue
        for caller in CALLERS:
            status, detail = answer(world, service, method, routes[method, route], variant, caller)
            if not matches(row[caller], status):
                name = f"{method} {route}" + (f" [{variant}]" if variant else "")
                problems.append(f"{name} as {caller}: expected {row[caller]}, got {status} {detail}")
    assert not problems, "\n".join(problems)
