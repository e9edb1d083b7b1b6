"""MongoDB reads for a member's data export (GDPR): everything the awards service holds about
one member, gathered from the collections of the features that own them (read only: this
module writes nothing).

- ``member``: the service's copy of them (``readmodel_store``), without its bookkeeping;
- ``ledger``: the engagement rows crediting them (event type, time, units, source ids) and
  their points per cycle and standings category;
- ``nominations.received``: nominations of them, with the statements' text as the nominee sees
  it (not who wrote them, nor which admin redacted one);
- ``nominations.made``: the nominations they wrote, with their own statement only;
- ``judging``: the scores they gave as a judge (without the nomination they scored: judging is
  blind, and the ballot is not theirs to carry off);
- ``results``: the categories they won.

A member the service remembers as erased is ``None``: the erasure removed or anonymised all
of the above (``cycles.store.forget_member``, ``ledger.store.forget_member``), and the answer
is the members service's (404).
"""
from __future__ import annotations

from pymongo.database import Database

from services.awards import readmodel_store
from services.awards.cycles import rules as cycle_rules
from services.awards.cycles.store import CYCLES, NOMINATIONS, SCORES, WINNERS
from services.awards.ledger import rules as ledger_rules
from services.awards.ledger.store import CYCLES as LEDGER_CYCLES
from services.awards.ledger.store import LEDGER, STANDINGS
from shared.web.export import only, read_model_entry

LEDGER_FIELDS = ("event_id", "event_type", "occurred_at", "units", "source", "recorded_at")
NOMINATION_FIELDS = ("cycle_id", "category_id", "status", "details", "submitted_at", "decided_at", "confirmed_at")
SCORE_FIELDS = ("cycle_id", "category_id", "scores", "weighted", "conflict", "at")
WINNER_FIELDS = ("cycle_id", "year", "category_id", "citation", "announced_at")


def export(db: Database, member_id: str) -> dict | None:
    """Everything the awards service holds about ``member_id``; ``None`` once they are erased."""
    if readmodel_store.is_erased(db, None, member_id):
        return None
    received = list(db[NOMINATIONS].find({"nominee_id": member_id}).sort("submitted_at", 1))
    made = list(db[NOMINATIONS].find({"statements.nominator_id": member_id}).sort("submitted_at", 1))
    won = list(db[WINNERS].find({"member_id": member_id}).sort("announced_at", 1))
    cycles = _cycles(db, [d["cycle_id"] for d in (*received, *made, *won)])
    return {
        "member": read_model_entry(readmodel_store.member(db, member_id)),
        "ledger": {
            "rows": [only(row, LEDGER_FIELDS) for row in db[LEDGER].find({"member_id": member_id})
                     .sort("occurred_at", 1)],
            "standings": _standings(db, member_id),
        },
        "nominations": {
            "received": [{**_nomination(n, cycles), "statements": [_statement(s) for s in n["statements"]]}
                         for n in received],
            "made": [{**_nomination(n, cycles), "nominee_id": n["nominee_id"],
                      "statements": [_statement(s) for s in n["statements"] if s["nominator_id"] == member_id]}
                     for n in made],
        },
        "judging": [only(score, SCORE_FIELDS) for score in db[SCORES].find({"judge_id": member_id})],
        "results": [{**only(w, WINNER_FIELDS), "category": _category_title(cycles, w)} for w in won],
    }


def _standings(db: Database, member_id: str) -> list[dict]:
    """Their points per cycle and category, found by the standings' ids (one per registered
    cycle and category)."""
    cycle_ids = [c["_id"] for c in db[LEDGER_CYCLES].find({}, {"_id": 1})]
    ids = [f"{cycle_id}:{category}:{member_id}" for cycle_id in cycle_ids for category in ledger_rules.STANDINGS]
    if not ids:
        return []
    found = db[STANDINGS].find({"_id": {"$in": ids}}).sort([("cycle_id", 1), ("category", 1)])
    return [{"cycle_id": s["cycle_id"], "category": s["category"], "points": ledger_rules.points(s["points"])}
            for s in found]


def _cycles(db: Database, ids: list[str]) -> dict[str, dict]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = db[CYCLES].find({"_id": {"$in": wanted}}, {"year": 1, "title": 1, "categories": 1}, limit=len(wanted))
    return {cycle["_id"]: cycle for cycle in found}


def _category_title(cycles: dict[str, dict], doc: dict):
    cycle = cycles.get(doc["cycle_id"])
    category = cycle_rules.category(cycle, doc["category_id"]) if cycle else None
    return category["title"] if category else None


def _nomination(nomination: dict, cycles: dict[str, dict]) -> dict:
    cycle = cycles.get(nomination["cycle_id"]) or {}
    return {"id": nomination["_id"], **only(nomination, NOMINATION_FIELDS), "year": cycle.get("year"),
            "cycle_title": cycle.get("title"), "category": _category_title(cycles, nomination)}


def _statement(statement: dict) -> dict:
    return {"statement": statement["statement"], "at": statement["at"], "redacted": bool(statement.get("redacted"))}
