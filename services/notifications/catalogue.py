"""Which events become which messages: one entry per event type, and one handler for all.

Adding a notification is adding an entry here and its templates
(``templates/email/<template>/<bg|en>.{subject.txt,txt,html}``, and
``templates/sms/<template>/<bg|en>.txt`` if it may go by SMS): the entry names the template,
the category (for consent and preferences), whether it is transactional (about the member's
own account or registration: never blocked by marketing consent), who receives it (member ids
taken from the event, or an ``audience`` of members spread by ``fanout.py``, on its
``channels``, from its ``not_before`` time), whether it is
urgent (bypasses SMS quiet hours) and the template context (built per language, from the
event alone: nothing is fetched from other services at send time). A message about an address
itself (proving a new one, telling the one just replaced) names that ``address``: it goes
there by email, in the language the event names, never to the contact's current address. A message
told differently to each recipient (the two sides of a mentoring pair: ``mentoring.py``) is
``personal``: its template and context per recipient. People who are not members (a finder's
asker, an ambassador's contact, the office: ``ambassadors.Outsider``) are ``outsiders``, by the
address the event or a setting names. A notification may also find its members in this
service's own records (``recipients_in``: the volunteers still waiting when a cause closes),
key its deliveries by a fact instead of the event (``source``: one nudge per overdue contact,
however many events say so), tag them for a later scrub (``tags``), and name the members its
audience's message carries (``mentions``: an award's winner). The handler queues one
delivery per (event, recipient, channel) as ``routing.routes`` decides; the dispatcher sends
each once.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from marshmallow import EXCLUDE, Schema, fields
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.notifications import ambassadors, awards, causes, fanout, mentoring
from services.notifications import store as notification_store
from services.notifications.wording import SOFIA, when
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope

# The member's ticket page in the web app (served behind PUBLIC_BASE_URL): the code itself is
# never in a message.
TICKET_PATH = "/events/{event_id}/ticket"
EVENT_PATH = "/events/{event_id}"
LOGIN_PATH = "/login"
FORGOTTEN_PASSWORD_PATH = "/reset-password"


def where(data: Mapping[str, Any]) -> str:
    place = data.get("place") or {}
    parts = [place.get("name"), place.get("address"), place.get("city")]
    text = ", ".join(p for p in parts if p)
    return text or data.get("online_url") or ""


def starts_in(minutes: int, language: str) -> str:
    """"in 2 hours", "in 1 hour and 40 minutes", "in 1 minute"; in Bulgarian "след 2 часа",
    "след 1 час и 40 минути", "след 1 минута" (a late reminder says the time left, any number)."""
    hours, rest = divmod(minutes, 60)
    if language == "bg":
        parts = [("1 час" if hours == 1 else f"{hours} часа") if hours else "",
                 ("1 минута" if rest == 1 else f"{rest} минути") if rest else ""]
        return "след " + " и ".join(p for p in parts if p)
    parts = [("1 hour" if hours == 1 else f"{hours} hours") if hours else "",
             ("1 minute" if rest == 1 else f"{rest} minutes") if rest else ""]
    return "in " + " and ".join(p for p in parts if p)


def event_context(data: Mapping[str, Any], language: str) -> dict[str, Any]:
    return {"event_title": data["title"][language], "event_when": when(data["starts_at"], data["timezone"], language),
            "event_where": where(data)}


def with_calendar_file(data: Mapping[str, Any], language: str) -> dict[str, Any]:
    """What the dispatcher needs to attach the event as an .ics file (``invites.event_ics``)."""
    return {"calendar_event": {"event_id": data["event_id"], "title": data["title"][language],
                               "starts_at": data["starts_at"], "ends_at": data["ends_at"],
                               "timezone": data["timezone"], "where": where(data),
                               "online_url": data.get("online_url")}}


@dataclass(frozen=True)
class Notification:
    template: str
    category: str
    transactional: bool
    recipients: Callable[[Mapping[str, Any]], list[str]] | None
    context: Callable[[Mapping[str, Any], str, str], dict[str, Any]]
    expects: dict[str, fields.Field] = field(default_factory=dict)
    # Instead of ``recipients``: the audience (``shared.memberview.fits``) to spread it over.
    audience: Callable[[Mapping[str, Any]], dict] | None = None
    urgent: Callable[[Mapping[str, Any], datetime], bool] = lambda data, now: False
    # The email address the event names, sent to instead of the contact's (transactional only).
    address: Callable[[Mapping[str, Any]], str] | None = None
    # An audience notification: the channels it may use (SMS only where its template has an
    # SMS body) and the time its fan-out may start (None: at once).
    channels: tuple[str, ...] = ("email", "sms")
    not_before: Callable[[Mapping[str, Any]], datetime] | None = None
    # A message told differently to each recipient (the two sides of a mentoring pair): its
    # template and context per recipient, in the language the event names for them; then
    # ``template`` and ``context`` are unused (but by an ``audience`` beside it).
    personal: mentoring.Personal | None = None
    # Instead of ``recipients``: the members found in this service's own records (the
    # volunteers of a closed cause still waiting), ``(db, session, data)``.
    recipients_in: Callable[[Database, ClientSession, Mapping[str, Any]], list[str]] | None = None
    # People who are not members (a finder's asker, a contact, the office): their emails,
    # ``(data, public_base_url, office_email)`` (``ambassadors.Outsider``).
    outsiders: ambassadors.Outsiders | None = None
    # The key of the deliveries instead of the event's id: one message per fact, however many
    # events tell it (an overdue contact's stage).
    source: Callable[[Mapping[str, Any]], str] | None = None
    # Fields stored on each member's delivery so that a later event finds it (an asker's data
    # in the ambassador's email: ``ambassadors.forget_asker``).
    tags: Callable[[Mapping[str, Any]], dict] | None = None
    # Members (besides the recipients) whose personal data an audience's message carries: their
    # erasure cancels and scrubs it (``store.forget_member``).
    mentions: Callable[[Mapping[str, Any]], list[str]] | None = None


def starts_within_a_day(data: Mapping[str, Any], now: datetime) -> bool:
    """An event that starts within 24 hours: news about it cannot wait for the morning."""
    return datetime.fromisoformat(data["starts_at"]) - now < timedelta(hours=24)


def _member(data: Mapping[str, Any]) -> list[str]:
    return [data["member_id"]]


def _members(data: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(data.get("member_ids") or []))


def _ticket(data: Mapping[str, Any], base_url: str) -> str:
    return base_url.rstrip("/") + TICKET_PATH.format(event_id=data["event_id"])


def _event_page(data: Mapping[str, Any], base_url: str) -> str:
    return base_url.rstrip("/") + EVENT_PATH.format(event_id=data["event_id"])


EVENT_FIELDS = {"event_id": fields.String(required=True), "title": fields.Dict(required=True),
                "starts_at": fields.String(required=True), "ends_at": fields.String(required=True),
                "timezone": fields.String(required=True),
                "place": fields.Dict(allow_none=True, load_default=None),
                "online_url": fields.String(allow_none=True, load_default=None)}
MEMBER_ID = {"member_id": fields.String(required=True)}
MEMBER_IDS = {"member_ids": fields.List(fields.String(), required=True)}

def _account_links(base_url: str) -> dict[str, str]:
    return {"login_url": base_url.rstrip("/") + LOGIN_PATH,
            "reset_url": base_url.rstrip("/") + FORGOTTEN_PASSWORD_PATH}


# What a message to a named address needs from its event (the contact may not know it).
NAMED_ADDRESS = {**MEMBER_ID, "preferred_language": fields.String(required=True),
                 "given_name": fields.String(required=True)}


def questions_count(n: int, language: str) -> str:
    if language == "bg":
        return "1 въпрос" if n == 1 else f"{n} въпроса"
    return "1 question" if n == 1 else f"{n} questions"


def survey_context(data: Mapping[str, Any], language: str) -> dict[str, Any]:
    """What a survey's emails say. ``survey_id`` becomes the member's personal ``survey_url``
    when the message is built (``handlers.context_for_sending``): a link per recipient."""
    description = data.get("description") or {}
    return {"survey_id": data["survey_id"], "survey_title": data["title"][language],
            "survey_description": description.get(language) or "",
            "survey_questions": questions_count(data["questions"], language),
            "survey_closes": when(data["closes_at"], SOFIA, language), "survey_anonymous": data["anonymous"]}


SURVEY_FIELDS = {"survey_id": fields.String(required=True), "title": fields.Dict(required=True),
                 "description": fields.Dict(allow_none=True, load_default=None),
                 "opens_at": fields.String(required=True), "closes_at": fields.String(required=True),
                 "anonymous": fields.Boolean(required=True), "questions": fields.Integer(required=True),
                 "filter": fields.Dict(allow_none=True, load_default=None),
                 "segment_id": fields.String(allow_none=True, load_default=None)}


def survey_audience(data: Mapping[str, Any]) -> dict:
    """A survey's audience as ``memberview.fits`` reads it: its saved segment, or its member
    filter (``{}``: every verified member)."""
    if data.get("segment_id"):
        return {"kind": "segment", "segment_id": data["segment_id"]}
    return {"kind": "filter", "filter": data.get("filter") or {}}


def _until(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _nothing(data: Mapping[str, Any], language: str, base_url: str) -> dict[str, Any]:
    return {}


def _asker(data: Mapping[str, Any]) -> dict:
    return {"asker": ambassadors.asker_tag(data)}


NOTIFICATIONS: dict[str, Notification] = {
    # The link that proves the new address: to that address. The token stays encrypted until
    # the message is built (handlers.context_for_sending).
    "members.email_change.requested": Notification(
        "email_change_confirm", "account", True, _member,
        lambda d, lang, base: {"new_email": d["new_email"], "encrypted_email_change_token": d["encrypted_token"],
                               "expires_at": _until(d["expires_at"])},
        expects={**NAMED_ADDRESS, "new_email": fields.Email(required=True),
                 "encrypted_token": fields.String(required=True), "expires_at": fields.String(required=True)},
        address=lambda d: d["new_email"]),
    # The address was changed: the OLD address is told, with the link that undoes it.
    "members.email_change.confirmed": Notification(
        "email_changed", "account", True, _member,
        lambda d, lang, base: {"new_email": d["new_email"], "encrypted_undo_token": d["encrypted_undo_token"],
                               "expires_at": _until(d["undo_expires_at"])},
        expects={**NAMED_ADDRESS, "old_email": fields.Email(required=True), "new_email": fields.Email(required=True),
                 "encrypted_undo_token": fields.String(required=True),
                 "undo_expires_at": fields.String(required=True)},
        address=lambda d: d["old_email"]),

    # Someone signed up with a registered address (the sign-up answered as for any address).
    "members.member.signed_up_again": Notification(
        "account_exists", "account", True, _member, lambda d, lang, base: _account_links(base),
        expects=dict(MEMBER_ID)),
    "members.member.verified": Notification(
        "account_verified", "account", True, _member, lambda d, lang, base: {}, expects=dict(MEMBER_ID)),
    "members.member.rejected": Notification(
        "account_rejected", "account", True, _member, lambda d, lang, base: {"reason": d["reason"]},
        expects={**MEMBER_ID, "reason": fields.String(required=True)}),
    "events.registration.confirmed": Notification(
        "registration_confirmed", "events", True, _member,
        lambda d, lang, base: {**event_context(d, lang), "guests": d["guests"], "ticket_url": _ticket(d, base),
                               **with_calendar_file(d, lang)},
        expects={**EVENT_FIELDS, **MEMBER_ID, "guests": fields.Integer(required=True)}),
    "events.registration.waitlisted": Notification(
        "registration_waitlisted", "events", True, _member,
        lambda d, lang, base: {**event_context(d, lang), "position": d["position"]},
        expects={**EVENT_FIELDS, **MEMBER_ID, "position": fields.Integer(required=True)}),
    "events.registration.promoted": Notification(
        "registration_promoted", "events", True, _member,
        lambda d, lang, base: {**event_context(d, lang), "ticket_url": _ticket(d, base),
                               **with_calendar_file(d, lang)},
        expects={**EVENT_FIELDS, **MEMBER_ID}),
    "events.registration.cancelled": Notification(
        "registration_cancelled", "events", True,
        # A cancelled event has its own message; an erased member gets none.
        lambda d: [] if d["reason"] in ("event_cancelled", "erased") else [d["member_id"]],
        lambda d, lang, base: event_context(d, lang),
        expects={**EVENT_FIELDS, **MEMBER_ID, "reason": fields.String(required=True)}),
    "events.event.rescheduled": Notification(
        "event_rescheduled", "events", True, _members,
        lambda d, lang, base: {**event_context(d, lang),
                               "previous_when": when(d["previous"]["starts_at"], d["timezone"], lang)},
        expects={**EVENT_FIELDS, **MEMBER_IDS, "previous": fields.Dict(required=True)},
        urgent=starts_within_a_day),
    "events.event.cancelled": Notification(
        "event_cancelled", "events", True, _members,
        lambda d, lang, base: {**event_context(d, lang), "reason": d.get("reason") or ""},
        expects={**EVENT_FIELDS, **MEMBER_IDS, "reason": fields.String(allow_none=True, load_default=None)},
        urgent=starts_within_a_day),
    "events.reminder.due": Notification(
        "event_reminder", "events", True, _members,
        lambda d, lang, base: {**event_context(d, lang), "starts_in": starts_in(d["minutes_before"], lang)},
        expects={**EVENT_FIELDS, **MEMBER_IDS, "minutes_before": fields.Integer(required=True)},
        urgent=starts_within_a_day),
    # Marketing: needs the member's consent to event news on the channel, spread over the
    # event's audience by the fan-out (the event names no member ids).
    "events.event.published": Notification(
        "event_published", "events", False, None,
        lambda d, lang, base: {**event_context(d, lang), "event_description": d["description"][lang],
                               "event_url": _event_page(d, base)},
        expects={**EVENT_FIELDS, "description": fields.Dict(required=True), "audience": fields.Dict(required=True)},
        audience=lambda d: d["audience"]),
    # Marketing (consent to surveys, List-Unsubscribe), by email only: the point of it is the
    # personal link, which would take most of an SMS. Spread from the survey's opening on; its
    # reminder is the same message with template ``survey_reminder`` (``surveys.py``).
    "members.survey.opened": Notification(
        "survey_invitation", "surveys", False, None, lambda d, lang, base: survey_context(d, lang),
        expects=dict(SURVEY_FIELDS), audience=survey_audience, channels=("email",),
        not_before=lambda d: datetime.fromisoformat(d["opens_at"])),
    # Mentoring (issue 14): each side of the pair told its own message (``mentoring.py``);
    # ``mentoring_<verb>`` is the one the event is named by in logs.
    **{event_type: Notification(
        f"mentoring_{event_type.rsplit('.', 1)[1]}", mentoring.CATEGORY, True, mentoring.told,
        lambda d, lang, base: {},
        expects=dict(mentoring.EXPECTS[event_type]), personal=personal)
       for event_type, personal in mentoring.PERSONAL.items()},

    # Ambassadors (issue 15, ``ambassadors.py``): the programme's decisions and duties to the
    # member; the finder's asker, a contact and the office by the address the event (or the
    # setting) names.
    # An application: the applicant's acknowledgement, and the office's alert to decide on it.
    ambassadors.APPLIED: Notification(
        "ambassador_applied", ambassadors.CATEGORY, True, _member, ambassadors.applied,
        expects=dict(ambassadors.APPLIED_FIELDS), outsiders=ambassadors.office_of_application),
    ambassadors.APPOINTED: Notification(
        "ambassador_appointed", ambassadors.CATEGORY, True, _member, ambassadors.appointed,
        expects=dict(ambassadors.APPOINTED_FIELDS)),
    ambassadors.DECLINED: Notification(
        "ambassador_declined", ambassadors.CATEGORY, True, _member, ambassadors.declined,
        expects=dict(ambassadors.DECLINED_FIELDS)),
    ambassadors.QUESTION_ASKED: Notification(
        "ambassador_question_confirm", ambassadors.CATEGORY, True, None, _nothing,
        expects=dict(ambassadors.QUESTION_FIELDS), outsiders=ambassadors.asker_of),
    ambassadors.CONTACT_ASSIGNED: Notification(
        "ambassador_contact_assigned", ambassadors.CATEGORY, True, _member, ambassadors.contact_assigned,
        expects=dict(ambassadors.ASSIGNED_FIELDS), tags=_asker),
    ambassadors.CONTACT_REPLIED: Notification(
        "ambassador_reply", ambassadors.CATEGORY, True, None, _nothing,
        expects=dict(ambassadors.REPLIED_FIELDS), outsiders=ambassadors.reply_recipient),
    ambassadors.REPLY_OVERDUE: Notification(
        "ambassador_reply_overdue", ambassadors.CATEGORY, True, ambassadors.ambassador_nudged, ambassadors.overdue,
        expects=dict(ambassadors.OVERDUE_FIELDS), outsiders=ambassadors.office_alert,
        source=ambassadors.overdue_source, tags=_asker),

    # Causes (issue 15, ``causes.py``): the announcement needs consent to causes; a volunteer's
    # own sign-up, hours and closing are theirs to know.
    causes.PUBLISHED: Notification(
        "cause_published", causes.CATEGORY, False, None, causes.published,
        expects=dict(causes.PUBLISHED_FIELDS), audience=lambda d: d["audience"], channels=("email",)),
    causes.JOINED: Notification(
        "cause_joined", causes.CATEGORY, True, _member, _nothing,
        expects=dict(causes.JOINED_FIELDS), personal=causes.JOINED_PERSONAL),
    causes.HOURS_CONFIRMED: Notification(
        "cause_hours_confirmed", causes.CATEGORY, True, _member, causes.hours_confirmed,
        expects=dict(causes.HOURS_FIELDS)),
    causes.CLOSED: Notification(
        "cause_closed", causes.CATEGORY, True, None, causes.cause_context,
        expects=dict(causes.CLOSED_FIELDS), recipients_in=causes.still_waiting),

    # Awards (issue 16, ``awards.py``): invitations and announcements need consent to awards;
    # a nominee's decision and a winner's congratulation are theirs (transactional: it applies
    # to the members named, an audience's fan-out is always marketing).
    awards.CYCLE_OPENED: Notification(
        "awards_cycle_opened", awards.CATEGORY, False, None, awards.opened,
        expects=dict(awards.OPENED_FIELDS), audience=awards.audience, channels=("email",)),
    awards.NOMINATION_SUBMITTED: Notification(
        "award_nomination", awards.CATEGORY, True, awards.nominee, awards.submitted,
        expects=dict(awards.SUBMITTED_FIELDS)),
    # The nominee's receipt of their own decision (in their contact's name and language).
    awards.NOMINATION_CONFIRMED: Notification(
        "award_nomination_confirmed", awards.CATEGORY, True, awards.nominee, awards.decided,
        expects=dict(awards.DECIDED_FIELDS)),
    awards.NOMINATION_DECLINED: Notification(
        "award_nomination_declined", awards.CATEGORY, True, awards.nominee, awards.decided,
        expects=dict(awards.DECIDED_FIELDS)),
    awards.WINNER_ANNOUNCED: Notification(
        "award_announced", awards.CATEGORY, True, lambda d: [d["winner_id"]], awards.announced,
        expects=dict(awards.ANNOUNCED_FIELDS), audience=awards.audience, channels=("email",),
        personal=awards.WINNER, mentions=lambda d: [d["winner_id"]]),
}


def handle(event: Envelope, ctx: HandlerContext, *, public_base_url: str, office_email: str = "",
           wake_dispatcher=None, wake_fanout=None) -> None:
    """Queue the event's notification: an audience's becomes a fan-out; each member it names
    with a contact (erased members and members not yet known get nothing) gets it in their
    language, on the channels ``routing.routes`` decides; people who are not members by the
    address the event names. A notification carrying the data of a member since erased (an
    award's winner) is not sent at all, nor a message to a non-member carrying it (an
    ambassador's reply signed with their name): ``holding`` orders it with an erasure
    handled meanwhile."""
    notification = NOTIFICATIONS[event.type]
    if notification.mentions is not None:
        mentioned = notification.mentions(event.data)
        if set(mentioned) - notification_store.holding(ctx.db, ctx.session, mentioned):
            return
    if notification.audience is not None:
        fanout.create_for_event(ctx.db, ctx.session, event, notification)
        if wake_fanout is not None:
            ctx.after_commit.append(wake_fanout)
    source_id = notification.source(event.data) if notification.source else event.id
    if notification.address is not None:
        deliveries = _to_named_address(event, ctx, notification, public_base_url)
    else:
        deliveries = _to_members(event, ctx, notification, public_base_url, source_id)
    if notification.outsiders is not None:
        outsiders = notification.outsiders(event.data, public_base_url, office_email)
        held = notification_store.holding(ctx.db, ctx.session, {m for o in outsiders for m in o.mentions})
        deliveries += ambassadors.outsider_deliveries(
            event, [o for o in outsiders if set(o.mentions) <= held], source_id, notification.category)
    notification_store.queue(ctx.db, ctx.session, deliveries)
    if wake_dispatcher is not None and deliveries:
        ctx.after_commit.append(wake_dispatcher)


def _to_members(event: Envelope, ctx: HandlerContext, notification: Notification, public_base_url: str,
                source_id: str) -> list[dict]:
    if notification.recipients_in is not None:
        named = notification.recipients_in(ctx.db, ctx.session, event.data)
    elif notification.recipients is not None:
        named = notification.recipients(event.data)
    else:
        return []
    now = datetime.now(timezone.utc)
    held = notification_store.holding(ctx.db, ctx.session, named)
    recipients = [m for m in named if m in held]
    contacts = {c["_id"]: c for c in ctx.db[notification_store.CONTACTS].find(
        {"_id": {"$in": recipients}}, session=ctx.session)}
    preferences = {p["_id"]: p for p in ctx.db[notification_store.PREFERENCES].find(
        {"_id": {"$in": recipients}}, session=ctx.session)}
    tags = notification.tags(event.data) if notification.tags else {}
    deliveries = []
    for member_id in recipients:
        contact = contacts.get(member_id)
        if contact is None:
            continue
        template, language = notification.template, None
        if notification.personal is not None:
            template = notification.personal.template(event.data, member_id)
            if template is None:
                continue
            if notification.personal.language is not None:
                language = notification.personal.language(event.data, member_id)
        deliveries += fanout.deliveries_for(
            contact, preferences.get(member_id), source_id=source_id, template=template,
            category=notification.category, transactional=notification.transactional,
            urgent=notification.urgent(event.data, now), now=now, correlation_id=event.correlationid,
            context=_context_for(notification, event.data, member_id, public_base_url), language=language)
    return [{**delivery, **tags} for delivery in deliveries]


def _context_for(notification: Notification, data: Mapping[str, Any], member_id: str,
                 public_base_url: str) -> Callable[[str], dict]:
    """The context of one recipient's message, by language."""
    if notification.personal is not None:
        return lambda language: notification.personal.context(data, member_id, language, public_base_url)
    return lambda language: notification.context(data, language, public_base_url)


def _to_named_address(event: Envelope, ctx: HandlerContext, notification: Notification,
                      public_base_url: str) -> list[dict]:
    """The one email of a notification with an ``address``, unless its member is erased."""
    data = event.data
    if not notification_store.holds(ctx.db, ctx.session, data["member_id"]):
        return []
    language = data["preferred_language"] if data["preferred_language"] in ("bg", "en") else "bg"
    return [notification_store.new_delivery(
        source_id=event.id, recipient=data["member_id"], channel="email", template=notification.template,
        language=language, address=notification.address(data),
        context={"given_name": data["given_name"], **notification.context(data, language, public_base_url)},
        correlation_id=event.correlationid, category=notification.category, marketing=False)]


def subscriptions(*, public_base_url: str, office_email: str = "", wake_dispatcher=None,
                  wake_fanout=None) -> list[Subscription]:
    def expectation(notification: Notification) -> Schema:
        schema = Schema.from_dict(notification.expects, name=f"{notification.template}_expectation")
        return schema(unknown=EXCLUDE)

    return [Subscription(event_type, expectation(notification),
                         lambda event, ctx: handle(event, ctx, public_base_url=public_base_url,
                                                   office_email=office_email, wake_dispatcher=wake_dispatcher,
                                                   wake_fanout=wake_fanout))
            for event_type, notification in NOTIFICATIONS.items()]
