"""What notifications does with the events it consumes.

Each handler only stores: the contact read model and the deliveries to make. Sending happens
after commit, in the delivery dispatcher, so a redelivered event can never send twice.

Every handler is safe to run twice on the same event (the consumer's inbox already
deduplicates by event id; the effects are idempotent besides): contacts are set, not added
to; a delivery's id is (event, recipient, channel); consent decisions only replace older ones.

An erased member is remembered by id only (``store.ERASED``): a late event about them (a
retry, a replay from the dead-letter queue) never brings their contact or a delivery back.

Password reset: the event carries the reset token encrypted (Fernet, key shared by members
and notifications only). The delivery stores it still encrypted; ``context_for_sending``
turns it into the reset link when the message is built, so the clear token exists only in
the worker's memory and the email itself.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from cryptography.fernet import Fernet
from marshmallow import EXCLUDE, Schema, fields, validate

from services.notifications import ambassadors, awards, catalogue, causes, mentoring, routing, surveys
from services.notifications import store as notification_store
from shared import decisionlink, memberview, mentoringlink, revocations, surveylink, unsubscribe
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope
from shared.web import idempotency

CHANNELS = ("email", "sms")
# Notifications' own events that no service consumes yet (the delivery log's): the worker keeps
# them a week in the ``notifications.events`` stream (``ServiceQueues.event_log``) instead of
# having them returned unroutable and deferred in the outbox for ever. tests/contract checks
# that every registered event type is consumed somewhere or kept by such a pattern.
EVENT_LOG = ("notifications.delivery.*",)
RESET_PATH = "/reset-password"
CONFIRM_PATH = "/confirm-email"
# Encrypted token in a delivery's context -> the link it becomes at send time, and its page.
ENCRYPTED_LINKS = (("encrypted_token", "reset_link", RESET_PATH),
                   ("encrypted_confirmation_token", "confirm_link", CONFIRM_PATH),
                   ("encrypted_email_change_token", "change_link", "/confirm-email-change"),
                   ("encrypted_undo_token", "undo_link", "/undo-email-change"))
# One-click decision links made at send time (``shared.decisionlink``): the object's id and the
# deadline kept in a delivery's context -> ``<decision>_url`` per decision of the kind; the
# token's person is the recipient member, or nobody (a finder's asker is no member).
DECISION_LINKS = ((awards.DECIDE_NOMINATION, awards.DECIDE_BY, decisionlink.NOMINATION_DECISION, True),
                  (ambassadors.CONFIRM_QUESTION, ambassadors.CONFIRM_UNTIL, decisionlink.ASKER_CONFIRMATION, False))


class MemberRegistered(memberview.KeptFields):
    member_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(required=True)
    consent = fields.Dict(required=True)
    registered_at = fields.AwareDateTime(required=True)
    status = fields.String(load_default="pending_verification")
    encrypted_confirmation_token = fields.String(allow_none=True, load_default=None)


class ConsentDecision(memberview.Expectation):
    # Names, not a fixed list: a channel or category added later is stored, not a parked
    # message; the pattern keeps them safe as field names of the contact document.
    channel = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z_]{0,31}\Z"))
    category = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z_]{0,31}\Z"))
    granted = fields.Boolean(required=True)
    source = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(allow_none=True, load_default=None)


class ConsentChanged(ConsentDecision):
    member_id = fields.String(required=True)


class MemberSnapshot(memberview.MemberSnapshot):
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    preferred_language = fields.String(required=True)
    consent = fields.Dict(required=True)
    consents = fields.List(fields.Nested(ConsentDecision), required=True)


class SurveyCompleted(memberview.Expectation):
    survey_id = fields.String(required=True)
    member_id = fields.String(required=True)


class SurveyClosed(memberview.Expectation):
    survey_id = fields.String(required=True)
    closed_at = fields.AwareDateTime(required=True)


class PasswordResetRequested(memberview.Expectation):
    member_id = fields.String(required=True)
    email = fields.Email(required=True)
    preferred_language = fields.String(required=True)
    given_name = fields.String(required=True)
    encrypted_token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _wake(ctx: HandlerContext, wake_dispatcher) -> None:
    if wake_dispatcher is not None:
        ctx.after_commit.append(wake_dispatcher)


def _contact(data: dict) -> dict:
    """The contact fields of a sign-up or a snapshot."""
    return {
        **{k: data[k] for k in memberview.KEPT if k in data},
        "email": data["email"],
        "phone": data.get("phone"),
        "language": data["preferred_language"],
        "consent": data["consent"],
        "status": data.get("status", "pending_verification"),
    }


def _decision(data: dict) -> dict:
    return {"granted": data["granted"], "source": data["source"], "at": _time(data["at"]),
            "expires_at": _time(data.get("expires_at"))}


def on_member_registered(event: Envelope, ctx: HandlerContext, wake_dispatcher=None) -> None:
    data = event.data
    member_id = data["member_id"]
    if not notification_store.holds(ctx.db, ctx.session, member_id):
        return  # a late copy of the sign-up of someone who has since been erased
    notification_store.upsert_contact(ctx.db, ctx.session, member_id, _contact(data), _time(data["registered_at"]))
    # The sign-up flags are the first consent decision for every category of their channel
    # (as in the members service's ledger); a later decision that arrived first is kept.
    notification_store.apply_consents(ctx.db, ctx.session, member_id, {
        (channel, category): {"granted": bool(data["consent"].get(channel, False)), "source": "signup",
                              "at": _time(data["registered_at"]), "expires_at": None}
        for channel in CHANNELS for category in routing.MARKETING_CATEGORIES}, only_if_absent=True)
    # The welcome email is transactional (it confirms the sign-up): no marketing consent needed.
    notification_store.queue_delivery(
        ctx.db, ctx.session, event_id=event.id, recipient=member_id, channel="email",
        template="welcome", language=data["preferred_language"], address=data["email"],
        context={"given_name": data["given_name"], "family_name": data["family_name"],
                 **({"encrypted_confirmation_token": data["encrypted_confirmation_token"]}
                    if data.get("encrypted_confirmation_token") else {})},
        correlation_id=event.correlationid,
    )
    _wake(ctx, wake_dispatcher)


# members.member.updated fields -> contact fields.
CONTACT_FIELDS = {"given_name": "given_name", "family_name": "family_name", "email": "email", "phone": "phone",
                  "preferred_language": "language"}


def on_member_updated(event: Envelope, ctx: HandlerContext) -> None:
    """A new address, number, language or name is used from the next message on; profile
    fields keep audiences right."""
    data = event.data
    if not notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        return
    changed = data["changed"]
    fields = {**{k: v for k, v in changed.items() if k in memberview.KEPT},
              **{CONTACT_FIELDS[k]: v for k, v in changed.items() if k in CONTACT_FIELDS}}
    if fields:
        notification_store.upsert_contact(ctx.db, ctx.session, data["member_id"], fields, _time(data["updated_at"]))


def on_member_verified(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    if notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        known = {k: data[k] for k in ("graduation_year", "faculty") if data.get(k) is not None}
        notification_store.upsert_contact(ctx.db, ctx.session, data["member_id"], {"status": "verified", **known},
                                          _time(data["verified_at"]))


def on_member_rejected(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    if notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        notification_store.upsert_contact(ctx.db, ctx.session, data["member_id"], {"status": "rejected"},
                                          _time(data["rejected_at"]))


def on_segment_saved(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    memberview.save_segment(ctx.db[notification_store.SEGMENTS], ctx.session, data["segment_id"], data["filter"],
                            data["version"])


def on_segment_deleted(event: Envelope, ctx: HandlerContext) -> None:
    memberview.delete_segment(ctx.db[notification_store.SEGMENTS], ctx.session, event.data["segment_id"])


def on_member_erased(event: Envelope, ctx: HandlerContext, forget_parked: Callable[[str], int] | None = None) -> None:
    """Forget the member: contact gone, deliveries anonymised, queued ones never sent, survey
    completions gone, stored replies about them deleted, and the parked messages that mention them removed
    (``forget_parked``: a failure there retries the whole erasure)."""
    data = event.data
    notification_store.forget_member(ctx.db, ctx.session, data["member_id"], _time(data["erased_at"]))
    surveys.on_member_erased(event, ctx)
    causes.forget_member(ctx.db, ctx.session, data["member_id"])
    idempotency.purge_member(ctx.db, ctx.session, data["member_id"])
    if forget_parked is not None:
        forget_parked(data["member_id"])


def on_consent_changed(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    if not notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        return
    notification_store.apply_consent(ctx.db, ctx.session, data["member_id"], data["channel"], data["category"],
                                     _decision(data))


def on_member_snapshot(event: Envelope, ctx: HandlerContext) -> None:
    """A republished member (``alumnet members republish``): the contact merged as a sign-up's
    is, at the time of the member's last change the snapshot includes, and each latest consent
    decision applied as a ``consent.changed`` is (a newer one held stays). Nothing is sent:
    the welcome email belongs to the sign-up."""
    data = event.data
    member_id = data["member_id"]
    if not notification_store.holds(ctx.db, ctx.session, member_id):
        return
    notification_store.upsert_contact(ctx.db, ctx.session, member_id, _contact(data), _time(data["as_of"]))
    notification_store.apply_consents(ctx.db, ctx.session, member_id, {
        (decision["channel"], decision["category"]): _decision(decision) for decision in data["consents"]})


def on_password_reset_requested(event: Envelope, ctx: HandlerContext, wake_dispatcher=None) -> None:
    """Queue the reset email: transactional, so no marketing consent is needed. The token
    stays encrypted in the delivery (see ``context_for_sending``)."""
    data = event.data
    if not notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        return
    expires_at = _time(data["expires_at"])
    notification_store.queue_delivery(
        ctx.db, ctx.session, event_id=event.id, recipient=data["member_id"], channel="email",
        template="password_reset", language=data["preferred_language"], address=data["email"],
        context={"given_name": data["given_name"], "encrypted_token": data["encrypted_token"],
                 "expires_at": expires_at.strftime("%Y-%m-%d %H:%M UTC")},
        correlation_id=event.correlationid,
    )
    _wake(ctx, wake_dispatcher)


def context_for_sending(delivery: dict, *, token_key: str, public_base_url: str, link_key: str = "",
                        now: datetime | None = None) -> dict:
    """The template context of a delivery at send time: each encrypted token becomes its link
    (``ENCRYPTED_LINKS``: the ``reset_link``, the welcome email's ``confirm_link``, an email
    change's ``change_link`` and ``undo_link``; decrypted now, never stored in clear); a survey's
    email gets its recipient's personal ``survey_url`` (``shared.surveylink``, signed with
    ``link_key``); a mentor's ``mentoring_requested`` email gets its ``accept_url`` and
    ``decline_url`` (``shared.mentoringlink``: that mentor, that request, each decision, valid
    until the ask's deadline); a nominee's ``award_nomination`` its ``confirm_url`` and
    ``decline_url``, a finder's asker their ``confirm_url`` (``DECISION_LINKS``); a marketing
    delivery gets its one-click
    ``unsubscribe_url`` (a token for its member, channel and category signed with ``link_key``). Raises
    ``cryptography.fernet.InvalidToken`` if the token cannot be decrypted (a wrong key: the
    delivery cannot be built, and retrying will not help)."""
    context = dict(delivery.get("context") or {})
    for field, link, path in ENCRYPTED_LINKS:
        encrypted = context.pop(field, None)
        if encrypted is not None:
            token = Fernet(token_key.encode()).decrypt(encrypted.encode()).decode()
            context[link] = f"{public_base_url.rstrip('/')}{path}?token={quote(token, safe='')}"
    survey_id = context.get("survey_id")
    if survey_id:  # a survey's invitation or reminder: the link is this recipient's own
        token = surveylink.make_token(link_key, delivery["recipient"], survey_id, now or datetime.now(timezone.utc))
        context["survey_url"] = surveylink.portal_link(public_base_url, survey_id, token)
    request_id = context.get(mentoring.DECIDE_REQUEST)
    if request_id:  # the asked mentor's links: theirs alone, until the ask's deadline
        deadline = datetime.fromisoformat(context[mentoring.DECIDE_DEADLINE])
        for decision in mentoringlink.DECISIONS:
            token = mentoringlink.make_token(link_key, delivery["recipient"], request_id, decision, deadline)
            context[f"{decision}_url"] = mentoringlink.portal_link(public_base_url, request_id, token)
    for id_field, deadline_field, kind, by_recipient in DECISION_LINKS:
        object_id = context.get(id_field)
        if object_id:  # a nominee's CONFIRM / DECLINE, an asker's CONFIRM: until the deadline
            deadline = datetime.fromisoformat(context[deadline_field])
            person = delivery["recipient"] if by_recipient else ""
            for decision in kind.decisions:
                token = kind.make_token(link_key, person, object_id, decision, deadline)
                context[f"{decision}_url"] = kind.portal_link(public_base_url, object_id, token)
    if delivery.get("marketing"):
        token = unsubscribe.make_token(link_key, delivery["recipient"], delivery["channel"], delivery["category"],
                                       now or datetime.now(timezone.utc))
        context["unsubscribe_url"] = unsubscribe.link(public_base_url, token)
    return context


def _expecting(fields_: dict, name: str) -> Schema:
    return Schema.from_dict(fields_, name=name)(unknown=EXCLUDE)


def _both(first: Subscription, then: Subscription) -> Subscription:
    """One subscription running two handlers of the same event type (the read model's, then
    the notification's), expecting what either needs."""
    fields_ = {**first.schema.declared_fields, **then.schema.declared_fields}
    schema = Schema.from_dict(fields_, name=f"{first.schema.__class__.__name__}AndNotification")(unknown=EXCLUDE)

    def handler(event: Envelope, ctx: HandlerContext) -> None:
        first.handler(event, ctx)
        then.handler(event, ctx)
    return Subscription(first.event_type, schema, handler)


def subscriptions(wake_dispatcher=None, public_base_url: str = "http://localhost:8080",
                  wake_fanout=None, forget_parked: Callable[[str], int] | None = None,
                  survey_reminder_lead: timedelta = surveys.DEFAULT_REMINDER_LEAD,
                  office_email: str = "") -> list[Subscription]:
    """Every event notifications consumes: the read model's, password reset's and the surveys'
    own handlers here, and the notifications of ``catalogue.NOTIFICATIONS`` (after the own
    handler, where both use an event)."""
    survey_opened = Schema.from_dict(catalogue.SURVEY_FIELDS, name="SurveyOpened")(unknown=EXCLUDE)
    own = [
        Subscription("members.member.registered", MemberRegistered(),
                     lambda event, ctx: on_member_registered(event, ctx, wake_dispatcher)),
        Subscription(memberview.SNAPSHOT, MemberSnapshot(), on_member_snapshot),
        Subscription("members.member.updated", memberview.MemberUpdated(), on_member_updated),
        Subscription("members.member.erased", memberview.MemberErased(),
                     lambda event, ctx: on_member_erased(event, ctx, forget_parked)),
        Subscription("members.member.verified", memberview.MemberVerified(), on_member_verified),
        Subscription("members.member.rejected", memberview.MemberRejected(), on_member_rejected),
        Subscription("members.segment.saved", memberview.SegmentSaved(), on_segment_saved),
        Subscription("members.segment.deleted", memberview.SegmentDeleted(), on_segment_deleted),
        Subscription("members.consent.changed", ConsentChanged(), on_consent_changed),
        Subscription("members.password_reset.requested", PasswordResetRequested(),
                     lambda event, ctx: on_password_reset_requested(event, ctx, wake_dispatcher)),
        Subscription(surveys.OPENED, survey_opened,
                     lambda event, ctx: surveys.on_opened(event, ctx, survey_reminder_lead)),
        Subscription("members.survey.completed", SurveyCompleted(), surveys.on_completed),
        Subscription("members.survey.closed", SurveyClosed(), surveys.on_closed),
        Subscription(ambassadors.ASKER_ERASED, _expecting(ambassadors.ERASED_FIELDS, "AskerErased"),
                     ambassadors.on_asker_erased),
        Subscription(causes.JOINED, _expecting(causes.JOINED_FIELDS, "VolunteerJoined"), causes.on_joined),
        Subscription(causes.LEFT, _expecting(causes.LEFT_FIELDS, "VolunteerLeft"), causes.on_left),
        revocations.subscription(),  # for the api's token check; nothing is sent
    ]
    by_type = {s.event_type: s for s in own}
    for notification in catalogue.subscriptions(public_base_url=public_base_url, office_email=office_email,
                                                wake_dispatcher=wake_dispatcher, wake_fanout=wake_fanout):
        mine = by_type.get(notification.event_type)
        by_type[notification.event_type] = _both(mine, notification) if mine else notification
    return list(by_type.values())
