"""MongoDB access for survey results: the tallies kept as responses are submitted, and the
reads of the responses the results need (free texts a page at a time, the CSV export).

``survey_tallies``: ``{_id: "<survey_id>|<by>|<key>|<shard>", survey_id, by: "all"|"class"|
"faculty", key, respondents, q: {question_id: {answered, choices: {id: n}, other, values:
{key: n}, yes, no}}}`` (what counts what: ``results.py``); a group's counts are the sums over
its :data:`SHARDS` documents.

Why the counts stay right under concurrent submissions: :func:`record` is one ``$inc`` per
tally document (upserted), written in the caller's transaction beside the response itself.
``$inc`` adds to whatever is stored, so two submissions never overwrite each other's count;
two transactions incrementing the same document conflict, and the loser is retried whole
by ``with_transaction`` (response and counts together), so a count is never applied
without its response or twice. Every submission counts in the survey's "all" group, so one
document per group would make concurrent submissions take turns (16 connections: 28
submissions/s, p99 2.7 s in bench/surveys.py); each group is therefore kept in
:data:`SHARDS` documents and a submission picks one at random, and a read sums them.

Reading results costs one query of the tallies whatever the number of responses; the
responses are read only for free texts (a page) and the export (a cursor, in batches).
"""
from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.members.surveys import results
from shared.store import Index, asc

SURVEYS = "surveys"
TALLIES = "survey_tallies"
RESPONSES = "survey_responses"
SUBMITTED = "submitted"
EXPORT_BATCH = 500
# Documents per tally group: concurrent submissions rarely meet on one, and a read of a
# breakdown still takes one query over (groups x SHARDS) small documents.
SHARDS = 8
# Newest first: named responses carry the moment, anonymous ones only the day (and a
# random id, which orders a day's texts in no telling way).
NEWEST = [("submitted_at", DESCENDING), ("submitted_on", DESCENDING), ("_id", DESCENDING)]
INDEXES: list[Index] = [
    Index(TALLIES, asc("survey_id", "by", "key"), name="survey_tallies_by"),
    Index(RESPONSES, [("survey_id", ASCENDING), ("status", ASCENDING), *NEWEST], name="survey_responses_newest"),
    Index(RESPONSES, asc("survey_id", "status", "_id"), name="survey_responses_export"),
]


def get_survey(db: Database, survey_id: str) -> dict | None:
    return db[SURVEYS].find_one({"_id": survey_id})


def record(db: Database, session: ClientSession | None, survey: Mapping[str, Any],
           groups: Mapping[str, Any], before: Mapping[str, Any] | None,
           after: Mapping[str, Any] | None) -> None:
    """Take ``before`` away from the tallies and add ``after`` (answer sets already through
    ``rules.drop_hidden``; either may be None), on the survey's "all" document and the
    respondent's class and faculty documents, in the caller's transaction. ``groups`` are
    the class and faculty the response was first counted under (what the response keeps),
    so that taking it away hits the documents it was added to."""
    net = results.change(survey, before, after)
    if net:
        _add(db, session, survey["_id"], {group: net for group in results.group_keys(groups)},
             shard=random.randrange(SHARDS))


def _add(db: Database, session: ClientSession | None, survey_id: str,
         increments: Mapping[tuple[str, str], Mapping[str, int]], shard: int = 0) -> None:
    """``$inc`` each tally document ``(by, key)`` of ``shard`` by its increments (upserted), one command."""
    db[TALLIES].bulk_write([
        UpdateOne({"_id": results.tally_id(survey_id, by, key, shard)},
                  {"$inc": dict(inc), "$setOnInsert": {"survey_id": survey_id, "by": by, "key": key}}, upsert=True)
        for (by, key), inc in increments.items()], ordered=True, session=session)


def recount(db: Database, survey: Mapping[str, Any], session: ClientSession | None = None) -> None:
    """Make a survey's tallies again from its submitted responses: the sums of what
    :func:`record` would have added for each, written over the old tallies. For a repair,
    or responses loaded in bulk (bench/surveys.py); not while the survey takes submissions,
    whose counts between the read and the write would be lost."""
    sums: dict[tuple[str, str], dict[str, int]] = {}
    for response in submitted(db, survey["_id"]):
        net = results.change(survey, None, response.get("answers") or {})
        for group in results.group_keys({"class": response.get("class"), "faculty": response.get("faculty")}):
            counts = sums.setdefault(group, {})
            for path, n in net.items():
                counts[path] = counts.get(path, 0) + n
    db[TALLIES].delete_many({"survey_id": survey["_id"]}, session=session)
    if sums:
        _add(db, session, survey["_id"], sums)


def tallies(db: Database, survey_id: str, by: str | None = None) -> tuple[dict | None, list[dict]]:
    """The survey's "all" tally (None before any response) and, with ``by``, the tallies of
    that breakdown's groups: one query."""
    wanted = [results.ALL] if by is None else [results.ALL, by]
    shards: dict[tuple[str, str], list[dict]] = {}
    for tally in db[TALLIES].find({"survey_id": survey_id, "by": {"$in": wanted}}):
        shards.setdefault((tally["by"], tally["key"]), []).append(tally)
    merged = {group: results.merged(docs) for group, docs in shards.items()}
    totals = merged.pop((results.ALL, results.ALL), None)
    return totals, list(merged.values())


def texts_page(db: Database, survey_id: str, field: str, page: int, per_page: int) -> tuple[list[dict], int]:
    """Submitted responses whose ``field`` holds a text with something other than spaces,
    newest first: one page of them (answers, and who and when as stored) and their number."""
    query = {"survey_id": survey_id, "status": SUBMITTED, field: {"$regex": r"\S"}}
    collection = db[RESPONSES]
    total = collection.count_documents(query)
    cursor = collection.find(query, {"answers": 1, "member_id": 1, "submitted_at": 1}).sort(NEWEST) \
        .skip((page - 1) * per_page).limit(per_page)
    return list(cursor), total


def submitted(db: Database, survey_id: str) -> Iterator[dict]:
    """Every submitted response of a survey, in batches from one cursor (never all at once),
    by id: the member's for a named survey, random for an anonymous one."""
    cursor = db[RESPONSES].find({"survey_id": survey_id, "status": SUBMITTED},
                                {"answers": 1, "member_id": 1, "class": 1, "faculty": 1, "submitted_at": 1},
                                batch_size=EXPORT_BATCH).sort("_id", ASCENDING)
    with cursor:
        yield from cursor
