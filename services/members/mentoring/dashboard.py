"""The office's dashboard of the mentoring programme, as rules (pure: the store streams the
documents in, the caller passes ``now``): who takes part by specialty and language, the
requests still waiting and how old they are, each mentor's figures, the stalled pairs and
the feedback of ended ones; and the rows of its CSV export.

- Mentors are the members with an offer (paused ones too); mentees those with a request
  waiting or an active mentorship. A specialty counts once per person however it is
  spelled (``rules.match_key``), shown as first met; a person without one counts nowhere.
- A mentor's acceptance rate and median reply time are ``rules.mentor_stats`` over every
  answer they gave or let expire; a mentor who withdrew the offer keeps a row while they
  have answers or pairs, with no offer figures.
- Stalled pairs are ``rules.is_stalled`` (no meeting for 60 days), oldest silence first.
- Feedback averages are ``rules.feedback_average`` over ended pairs: overall each side's,
  and per mentor what their mentees gave.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from services.members.mentoring import rules

CSV_COLUMNS = ("mentor_id", "given_name", "family_name", "capacity", "active", "pending", "paused",
               "accepted", "declined", "expired", "acceptance_rate", "median_reply_hours",
               "stalled_pairs", "ended_pairs", "feedback_from_mentees")


def by_value(lists: Iterable[Iterable[str | None]]) -> list[dict[str, Any]]:
    """People per value (a specialty, a language): ``[{name, count}]``, most first, then by
    name; each person's list counts a value once however it is spelled."""
    counts: dict[str, int] = {}
    shown: dict[str, str] = {}
    for values in lists:
        keys = {}
        for value in values:
            key = rules.match_key(value)
            if key is not None:
                keys.setdefault(key, " ".join(value.split()))
        for key, name in keys.items():
            shown.setdefault(key, name)
            counts[key] = counts.get(key, 0) + 1
    return [{"name": shown[k], "count": n} for k, n in sorted(counts.items(), key=lambda kn: (-kn[1], kn[0]))]


def mentee_specialties(member: Mapping[str, Any]) -> list[str | None]:
    return [member.get("specialty")]


def age_hours(since: datetime, now: datetime) -> float:
    return round((now - since).total_seconds() / 3600, 1)


def silent_days(mentorship: Mapping[str, Any], now: datetime) -> int:
    """Whole days (the university's calendar) since the pair's last meeting, or its start."""
    since = mentorship["started_at"].astimezone(rules.LOCAL).date()
    if mentorship.get("last_meeting_on") is not None:
        since = max(since, mentorship["last_meeting_on"])
    return (now.astimezone(rules.LOCAL).date() - since).days


def open_request_row(request: Mapping[str, Any], names: Mapping[str, dict], now: datetime) -> dict[str, Any]:
    mentor_id = rules.asked_mentor(request)
    return {"id": request["_id"], "mentee_id": request["mentee_id"], "mentee": names.get(request["mentee_id"], {}),
            "mentor_id": mentor_id, "mentor": names.get(mentor_id, {}), "choice": request["index"] + 1,
            "of": len(request["choices"]), "created_at": request["created_at"], "asked_at": request["asked_at"],
            "deadline": request["deadline"], "age_hours": age_hours(request["created_at"], now)}


def stalled_row(mentorship: Mapping[str, Any], names: Mapping[str, dict], now: datetime) -> dict[str, Any]:
    return {"id": mentorship["_id"], "mentor_id": mentorship["mentor_id"],
            "mentor": names.get(mentorship["mentor_id"], {}), "mentee_id": mentorship["mentee_id"],
            "mentee": names.get(mentorship["mentee_id"], {}), "started_at": mentorship["started_at"],
            "last_meeting_on": mentorship.get("last_meeting_on"), "meetings": mentorship.get("meetings", 0),
            "silent_days": silent_days(mentorship, now)}


def mentor_rows(offers: Iterable[Mapping[str, Any]], stats: Mapping[str, Mapping[str, Any]],
                mentorships: Iterable[Mapping[str, Any]], names: Mapping[str, dict],
                now: datetime) -> list[dict[str, Any]]:
    """One row per mentor (an offer, answers or pairs): the offer's places, the
    :func:`rules.mentor_stats` figures, stalled and ended pairs and their mentees' average
    rating; by family name, given name, id."""
    offered = {o["_id"]: o for o in offers}
    pairs: dict[str, list[Mapping[str, Any]]] = {}
    for mentorship in mentorships:
        pairs.setdefault(mentorship["mentor_id"], []).append(mentorship)
    rows = []
    for mentor_id in {*offered, *stats, *pairs}:
        offer, figures, theirs = offered.get(mentor_id), stats.get(mentor_id, {}), pairs.get(mentor_id, [])
        name = names.get(mentor_id, {})
        rows.append({
            "mentor_id": mentor_id, "given_name": name.get("given_name"), "family_name": name.get("family_name"),
            **{k: None if offer is None else offer.get(k, 0) for k in ("capacity", "active", "pending")},
            "paused": None if offer is None else bool(offer.get("paused")),
            **{k: figures.get(k, 0) for k in (rules.ACCEPTED, rules.DECLINED, rules.EXPIRED)},
            "acceptance_rate": figures.get("acceptance_rate"), "median_reply_hours": figures.get("median_reply_hours"),
            "stalled_pairs": sum(rules.is_stalled(m, now) for m in theirs),
            "ended_pairs": sum(m["state"] == rules.ENDED for m in theirs),
            "feedback_from_mentees": rules.feedback_average(theirs, "mentee")})
    return sorted(rows, key=lambda r: (r["family_name"] or "", r["given_name"] or "", r["mentor_id"]))


def csv_row(row: Mapping[str, Any]) -> list[Any]:
    """A mentor's row of the export, in :data:`CSV_COLUMNS` order (rates and hours rounded)."""
    def cell(column: str) -> Any:
        value = row[column]
        if isinstance(value, float):
            return round(value, 2)
        if isinstance(value, bool):
            return "да" if value else "не"
        return value
    return [cell(c) for c in CSV_COLUMNS]


def dashboard(offers: list[Mapping[str, Any]], answers: Iterable[Mapping[str, Any]],
              mentorships: list[Mapping[str, Any]], mentees: Iterable[Mapping[str, Any]],
              open_requests: list[Mapping[str, Any]], open_total: int, names: Mapping[str, dict],
              now: datetime) -> dict[str, Any]:
    """The whole dashboard from what the store read (``mentees``: the profiles of the
    programme's mentees; ``open_requests``: the oldest waiting, ``open_total`` all of them)."""
    mentees = list(mentees)
    stats = rules.mentor_stats(answers)
    active = [m for m in mentorships if m["state"] == rules.ACTIVE]
    ended = [m for m in mentorships if m["state"] == rules.ENDED]
    stalled = sorted((m for m in active if rules.is_stalled(m, now)),
                     key=lambda m: (-silent_days(m, now), m["_id"]))
    return {
        "generated_at": now,
        "totals": {
            "mentors": len(offers), "paused": sum(bool(o.get("paused")) for o in offers),
            "offered": sum(rules.is_offered(o, o.get("active", 0), o.get("pending", 0)) for o in offers),
            "places": sum(o.get("capacity", rules.DEFAULT_CAPACITY) for o in offers),
            "free_places": sum(rules.free_places(o, o.get("active", 0), o.get("pending", 0)) for o in offers),
            "mentees": len(mentees), "open_requests": open_total, "active_pairs": len(active),
            "stalled_pairs": len(stalled), "ended_pairs": len(ended)},
        "mentors_by_specialty": by_value(o.get("specialties") or () for o in offers),
        "mentors_by_language": by_value(o.get("languages") or () for o in offers),
        "mentees_by_specialty": by_value(mentee_specialties(m) for m in mentees),
        "mentees_by_language": by_value(m.get("languages") or () for m in mentees),
        "open_requests": [open_request_row(r, names, now) for r in open_requests],
        "mentors": mentor_rows(offers, stats, mentorships, names, now),
        "stalled": [stalled_row(m, names, now) for m in stalled],
        "ended": {"pairs": len(ended), "with_feedback": sum(bool(m.get("feedback")) for m in ended),
                  "mentor_feedback_average": rules.feedback_average(ended, "mentor"),
                  "mentee_feedback_average": rules.feedback_average(ended, "mentee")},
    }
