"""What the ambassador programme's emails say, and to whom (issue 15, members' ``members.ambassador.*``).

Members (by their contact, in their language; category ``account``: the programme's duties
and decisions about the member's own application are transactional, no consent needed;
email only):

- ``applied`` → the applicant: the acknowledgement (countries and languages they offered; the
  office will answer).
- ``appointed`` / ``declined`` → the member: regions, languages and term / the reason.
- ``contact_assigned`` → the ambassador: who the contact is, the question or the office's
  note, the reply due time (Sofia time) and the contacts page.
- ``reply_overdue`` with ``stage: "ambassador"`` → the ambassador, one nudge per contact.

People who are not members (``Outsider``: an address the event names, a recipient key that is
no member id, no consent: each exists because the person wrote to us or must be told):

- ``question_asked`` → the finder's asker (``asker:<question_id>``), in the language they
  chose: the link that confirms their address (``shared.decisionlink.ASKER_CONFIRMATION``,
  person "", object the question, valid until ``confirm_until``), made when the email is
  built (``handlers.context_for_sending``); the stored delivery keeps only the question id and
  the deadline.
- ``contact_replied`` with ``via: "reply"`` and a recipient → that recipient
  (``contact:<contact_id>``), in their language: the ambassador's message signed with their
  given name only (never their address or family name).
- The office, at ``OFFICE_EMAIL`` (recipient ``office``, in Bulgarian; nothing when the setting
  is empty): ``applied`` → the applicant's name, countries and languages and the office's page;
  ``reply_overdue`` with ``stage: "office"`` → the ambassador and the contact. Both carry a
  member's name, so they ``mention`` that member (their erasure scrubs the alert).

Both overdue stages are keyed by (contact, stage), not by the event: a second event about the
same stage (a replay, a timer that published twice) sends nothing more.

Askers' data is kept only until ``asker_erased``: every delivery holding an asker's address,
name or question is tagged ``asker`` (``question_id`` and/or ``contact_id``), so that event
finds and scrubs them all (``forget_asker``). A finder contact is linked to its question when
the event names ``question_id`` (an optional field this consumer reads), or when the members
service uses the question id as the contact id.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import fields
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.notifications import store as notification_store
from services.notifications.mentoring import Party, name_of
from services.notifications.wording import SOFIA, on_day, when
from shared import clock as clocks
from shared import memberview
from shared.bus.consumer import HandlerContext
from shared.bus.envelope import Envelope

CATEGORY = "account"
APPLIED = "members.ambassador.applied"
APPOINTED, DECLINED = "members.ambassador.appointed", "members.ambassador.declined"
QUESTION_ASKED, CONTACT_ASSIGNED = "members.ambassador.question_asked", "members.ambassador.contact_assigned"
CONTACT_REPLIED, REPLY_OVERDUE = "members.ambassador.contact_replied", "members.ambassador.reply_overdue"
ASKER_ERASED = "members.ambassador.asker_erased"
# The portal's pages the emails link to (frontends/portal: the ambassadors areas).
PROGRAMME_PATH, CONTACTS_PATH, APPLY_PATH = "/me/ambassador", "/ambassadors/contacts", "/ambassadors/apply"
OFFICE_PATH, FINDER_PATH = "/office/ambassadors", "/ambassadors"
# In an asker's stored context: what the confirmation link is made from at send time.
CONFIRM_QUESTION, CONFIRM_UNTIL = "confirm_question_id", "confirm_question_until"
OFFICE_RECIPIENT, OFFICE_LANGUAGE = "office", "bg"

CONTACT_KINDS = {
    "prospective_student": {"bg": "бъдещ студент", "en": "prospective student"},
    "new_international_student": {"bg": "новопристигнал чуждестранен студент", "en": "new international student"},
    "graduate_abroad": {"bg": "випускник в чужбина", "en": "graduate abroad"},
    "finder_question": {"bg": "въпрос от търсачката на посланици", "en": "question from the ambassador finder"},
}
# The signature of a reply whose ambassador has since been erased (the event then names nobody).
NO_NAME = {"bg": "Вашият посланик", "en": "Your ambassador"}


@dataclass(frozen=True)
class Outsider:
    """One email to someone who is not a member (or to the office): the delivery's
    ``recipient`` key, the address, the language, the template and its context; ``asker`` tags
    the delivery for ``forget_asker``; ``mentions`` are the members whose data it carries."""

    recipient: str
    address: str
    language: str
    template: str
    context: dict[str, Any]
    asker: dict[str, str] | None = None
    mentions: list[str] = field(default_factory=list)


def _link(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _language(value: str | None) -> str:
    return value if value in ("bg", "en") else "en"  # the finder is mostly for people abroad


def _kind(kind: str | None, language: str) -> str:
    return CONTACT_KINDS.get(kind or "", {}).get(language) or (kind or "")


def _days(iso: str, language: str) -> str:
    return on_day(date.fromisoformat(iso[:10]), language)


def _regions(regions: list[Mapping[str, Any]]) -> str:
    """``IN (Delhi, Mumbai); DE``: country codes as the office entered them, with the cities."""
    parts = []
    for region in regions or []:
        cities = ", ".join(region.get("cities") or [])
        parts.append(f"{region.get('country', '')} ({cities})" if cities else str(region.get("country", "")))
    return "; ".join(parts)


def asker_tag(data: Mapping[str, Any]) -> dict[str, str]:
    """What ties a delivery to a finder's asker (or an office contact), for ``forget_asker``."""
    tag = {"contact_id": data.get("contact_id"), "question_id": data.get("question_id")}
    return {k: v for k, v in tag.items() if v}


# --------------------------------------------------------------------------- expectations

APPLIED_FIELDS = {"application_id": fields.String(required=True), "member_id": fields.String(required=True),
                  "member": fields.Nested(Party, required=True),
                  "countries": fields.List(fields.String(), required=True),
                  "languages": fields.List(fields.String(), required=True)}
APPOINTED_FIELDS = {"member_id": fields.String(required=True), "member": fields.Nested(Party, required=True),
                    "regions": fields.List(fields.Dict(), required=True),
                    "languages": fields.List(fields.String(), required=True),
                    "term_starts": fields.String(required=True), "term_ends": fields.String(required=True)}
DECLINED_FIELDS = {"member_id": fields.String(required=True), "member": fields.Nested(Party, required=True),
                   "reason": fields.String(allow_none=True, load_default=None)}


class Asker(memberview.Expectation):
    name = fields.String(required=True)
    email = fields.Email(required=True)
    language = fields.String(allow_none=True, load_default=None)


class Contact(memberview.Expectation):
    name = fields.String(allow_none=True, load_default=None)
    kind = fields.String(allow_none=True, load_default=None)
    country = fields.String(allow_none=True, load_default=None)
    language = fields.String(allow_none=True, load_default=None)


class Recipient(memberview.Expectation):
    name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(required=True)
    language = fields.String(allow_none=True, load_default=None)


QUESTION_FIELDS = {"question_id": fields.String(required=True), "asker": fields.Nested(Asker, required=True),
                   "confirm_until": fields.String(required=True)}
# ``question_id`` is not in the contract's contact events: read when a producer adds it.
QUESTION_LINK = {"question_id": fields.String(allow_none=True, load_default=None)}
ASSIGNED_FIELDS = {"contact_id": fields.String(required=True), "member_id": fields.String(required=True),
                   "ambassador": fields.Nested(Party, required=True), "contact": fields.Nested(Contact, required=True),
                   "source": fields.String(required=True), "message": fields.String(allow_none=True, load_default=None),
                   "due_at": fields.String(required=True), **QUESTION_LINK}
REPLIED_FIELDS = {"contact_id": fields.String(required=True), "member_id": fields.String(required=True),
                  "ambassador": fields.Nested(Party, required=True), "via": fields.String(required=True),
                  "message": fields.String(allow_none=True, load_default=None),
                  "recipient": fields.Nested(Recipient, allow_none=True, load_default=None), **QUESTION_LINK}
OVERDUE_FIELDS = {"contact_id": fields.String(required=True), "member_id": fields.String(required=True),
                  "ambassador": fields.Nested(Party, required=True), "contact": fields.Nested(Contact, required=True),
                  "stage": fields.String(required=True), "due_at": fields.String(required=True),
                  "overdue_at": fields.String(required=True), **QUESTION_LINK}
ERASED_FIELDS = {"question_id": fields.String(required=True)}


# --------------------------------------------------------------------------- members

def applied(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {"ambassador_countries": ", ".join(data["countries"]), "ambassador_languages": ", ".join(data["languages"]),
            "programme_url": _link(base, PROGRAMME_PATH)}


def appointed(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {"ambassador_regions": _regions(data["regions"]), "ambassador_languages": ", ".join(data["languages"]),
            "term_starts": _days(data["term_starts"], language), "term_ends": _days(data["term_ends"], language),
            "programme_url": _link(base, PROGRAMME_PATH)}


def declined(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    return {"reason": data.get("reason") or "", "programme_url": _link(base, PROGRAMME_PATH)}


def contact_assigned(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    contact = data["contact"]
    return {"contact_name": contact.get("name") or "", "contact_kind": _kind(contact.get("kind"), language),
            "contact_country": contact.get("country") or "", "contact_language": contact.get("language") or "",
            "from_finder": data["source"] == "finder", "contact_message": data.get("message") or "",
            "reply_due": when(data["due_at"], SOFIA, language), "contacts_url": _link(base, CONTACTS_PATH)}


def overdue(data: Mapping[str, Any], language: str, base: str) -> dict[str, Any]:
    contact = data["contact"]
    return {"contact_name": contact.get("name") or "", "contact_kind": _kind(contact.get("kind"), language),
            "contact_country": contact.get("country") or "", "reply_due": when(data["due_at"], SOFIA, language),
            "contacts_url": _link(base, CONTACTS_PATH)}


def ambassador_nudged(data: Mapping[str, Any]) -> list[str]:
    return [data["member_id"]] if data["stage"] == "ambassador" else []


def overdue_source(data: Mapping[str, Any]) -> str:
    """Once per contact and stage, whatever number of events says so."""
    return f"ambassador-overdue:{data['contact_id']}:{data['stage']}"


# --------------------------------------------------------------------------- people who are not members

def asker_of(data: Mapping[str, Any], base: str, office_email: str) -> list[Outsider]:
    asker = data["asker"]
    language = _language(asker.get("language"))
    return [Outsider(f"asker:{data['question_id']}", asker["email"], language, "ambassador_question_confirm",
                     {"asker_name": asker["name"], "confirm_until": when(data["confirm_until"], SOFIA, language),
                      CONFIRM_QUESTION: data["question_id"], CONFIRM_UNTIL: data["confirm_until"]},
                     asker={"question_id": data["question_id"]})]


def reply_recipient(data: Mapping[str, Any], base: str, office_email: str) -> list[Outsider]:
    recipient, message = data.get("recipient"), data.get("message")
    if data["via"] != "reply" or not recipient or not message:
        return []  # logged (told some other way), or nobody to write to
    language = _language(recipient.get("language"))
    signature = (data.get("ambassador") or {}).get("given_name") or NO_NAME[language]
    return [Outsider(f"contact:{data['contact_id']}", recipient["email"], language, "ambassador_reply",
                     {"recipient_name": recipient.get("name") or "", "ambassador_given_name": signature,
                      "reply_message": message, "finder_url": _link(base, FINDER_PATH)},
                     asker=asker_tag(data), mentions=[data["member_id"]])]


def _to_office(office_email: str, template: str, context: dict[str, Any], **tags: Any) -> list[Outsider]:
    """The office's email (in ``OFFICE_LANGUAGE``), or none when ``OFFICE_EMAIL`` is empty."""
    if not office_email:
        return []
    return [Outsider(OFFICE_RECIPIENT, office_email, OFFICE_LANGUAGE, template, context, **tags)]


def office_alert(data: Mapping[str, Any], base: str, office_email: str) -> list[Outsider]:
    if data["stage"] != "office":
        return []
    language, contact = OFFICE_LANGUAGE, data["contact"]
    return _to_office(office_email, "ambassador_reply_overdue_office", {
        "ambassador_name": name_of(data.get("ambassador"), language), "contact_name": contact.get("name") or "",
        "contact_kind": _kind(contact.get("kind"), language), "contact_country": contact.get("country") or "",
        "reply_due": when(data["due_at"], SOFIA, language), "overdue_since": when(data["overdue_at"], SOFIA, language),
        "office_url": _link(base, OFFICE_PATH)}, asker=asker_tag(data), mentions=[data["member_id"]])


def office_of_application(data: Mapping[str, Any], base: str, office_email: str) -> list[Outsider]:
    """The office is told of a new application, to decide on it from its page."""
    return _to_office(office_email, "ambassador_applied_office", {
        "applicant_name": name_of(data.get("member"), OFFICE_LANGUAGE),
        "ambassador_countries": ", ".join(data["countries"]), "ambassador_languages": ", ".join(data["languages"]),
        "office_url": _link(base, OFFICE_PATH)}, mentions=[data["member_id"]])


def outsider_deliveries(event: Envelope, outsiders: list[Outsider], source_id: str, category: str) -> list[dict]:
    """The delivery documents of emails to people who are not members."""
    deliveries = []
    for outsider in outsiders:
        delivery = notification_store.new_delivery(
            source_id=source_id, recipient=outsider.recipient, channel="email", template=outsider.template,
            language=outsider.language, address=outsider.address, context=outsider.context,
            correlation_id=event.correlationid, category=category, marketing=False)
        if outsider.asker:
            delivery["asker"] = outsider.asker
        if outsider.mentions:
            delivery["mentions"] = outsider.mentions
        deliveries.append(delivery)
    return deliveries


# --------------------------------------------------------------------------- the asker's erasure

def forget_asker(db: Database, session: ClientSession | None, question_id: str) -> int:
    """Scrub every delivery holding the asker's address, name or question: the confirmation
    email, the ambassador's contact email, the replies and the office's alert about the contact
    the question became. What still waits is never sent; address, context and error text go;
    ids, template, status and times stay for the log. Returns how many were scrubbed."""
    deliveries = db[notification_store.DELIVERIES]
    contacts = {question_id} | {d["asker"]["contact_id"] for d in deliveries.find(
        {"asker.question_id": question_id, "asker.contact_id": {"$exists": True}}, {"asker": 1}, session=session)}
    mine = {"$or": [{"asker.question_id": question_id}, {"asker.contact_id": {"$in": sorted(contacts)}}]}
    now = clocks.now()
    deliveries.update_many({**mine, "status": {"$in": [notification_store.QUEUED, notification_store.HELD]}},
                           {"$set": {"status": notification_store.SKIPPED, "skipped_at": now,
                                     "reason": "asker erased"}}, session=session)
    return deliveries.update_many(
        {**mine, "asker_erased_at": {"$exists": False}},
        {"$unset": {"address": "", "context": "", "last_error": ""}, "$set": {"asker_erased_at": now}},
        session=session).modified_count


def on_asker_erased(event: Envelope, ctx: HandlerContext) -> None:
    forget_asker(ctx.db, ctx.session, event.data["question_id"])


# Every template an ambassador event may use (each with its bg/en subject, text and HTML).
TEMPLATES = ("ambassador_applied", "ambassador_applied_office", "ambassador_appointed", "ambassador_declined",
             "ambassador_contact_assigned", "ambassador_reply_overdue", "ambassador_reply_overdue_office",
             "ambassador_question_confirm", "ambassador_reply")

Outsiders = Callable[[Mapping[str, Any], str, str], list[Outsider]]
