"""MongoDB access for the alumni roster (collections ``roster`` and ``roster_imports``).

``roster``: one entry per graduate the university lists, ``_id`` the normalised student number::

    {_id, student_number, given_name, middle_name, family_name, given_name_latin,
     family_name_latin, email (lower-case or None), graduation_year, faculty, programme,
     specialty, imported_at, updated_at, last_import_id,
     claimed_by (the member id of the sign-up it verified, or None),
     candidates: [member ids whose sign-up matched it by student number and family name]}

``roster_imports``: one report per import (dry runs are not stored)::

    {_id (hex uuid), filename, by (admin member id), at, dry_run: false,
     counts: {created, updated, unchanged, rejected}, ignored_columns,
     rows: [{row, student_number, status, changed?, errors?}], rows_truncated}

Imports only ever set the fields a file gives; ``claimed_by`` and ``candidates`` belong to
sign-up (``entry_for_email``, ``claim``, ``candidate_for_number``, ``propose``) and erasure
(``release``). An entry is claimed only through its own email; a match by student number and
family name only puts the entry beside the sign-up in the office's queue (``candidates``):
the member sees none of it. An import writes its entries in
unordered bulk writes of ``WRITE_CHUNK``, then stores its report; imports run one at a time
(a lease), so two cannot hand one email to two entries. An import is not one transaction (a
50,000-row file would outlast any sensible transaction): if it fails half-way, running the
same file again completes it, as re-importing is idempotent.
"""
from __future__ import annotations

import uuid

import bson
from pymongo import DESCENDING, InsertOne, UpdateOne
from pymongo.database import Database

from services.members.roster import rules as roster
from shared import clock, translit
from shared.leases import Lease
from shared.store import Index, asc

ROSTER = "roster"
IMPORTS = "roster_imports"
INDEXES: list[Index] = [
    Index(ROSTER, asc("email"), name="roster_email"),
    Index(ROSTER, asc("claimed_by"), name="roster_claimed_by"),
    Index(ROSTER, asc("candidates"), name="roster_candidates"),
    Index(IMPORTS, [("at", DESCENDING), ("_id", DESCENDING)], name="roster_imports_newest"),
]
# Lookups by $in and bulk writes go in chunks: bounded requests whatever the file's size.
# $in lists of 100 measured fastest on SecantusDB, whose $in cost grows with the list (a
# 5,000-row re-import: 2.8 s at 100, 5.1 s at 250, 8 s at 500); MongoDB does not mind.
LOOKUP_CHUNK = 100
WRITE_CHUNK = 1000
LEASE = "members-roster-import"
LEASE_TTL_S = 15 * 60  # far beyond the longest import; frees the lock if a process dies
# A stored report stays well under MongoDB's 16 MB document limit: rows beyond this are
# left out of the stored copy (``rows_truncated``), the answer to the POST still has them all.
MAX_REPORT_ROW_BYTES = 12 * 1024 * 1024
SUMMARY = {"rows": 0}


class ImportInProgress(Exception):
    """Another roster import is running."""



def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def existing_entries(db: Database, numbers: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for chunk in _chunks(sorted(set(numbers)), LOOKUP_CHUNK):
        found.update((doc["_id"], doc) for doc in db[ROSTER].find({"_id": {"$in": chunk}}))
    return found


def email_owners(db: Database, emails: list[str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for chunk in _chunks(sorted(set(emails)), LOOKUP_CHUNK):
        for doc in db[ROSTER].find({"email": {"$in": chunk}}, {"email": 1}):
            owners.setdefault(doc["email"], doc["_id"])
    return owners


def run_import(db: Database, parsed: roster.RosterFile, *, filename: str | None, by: str,
               dry_run: bool) -> dict:
    """Import a checked file and return its report (stored unless ``dry_run``).

    Raises ``ImportInProgress`` if another import holds the lease (dry runs take none: they
    write nothing).
    """
    lease = None
    if not dry_run:
        lease = Lease(db, LEASE, ttl_s=LEASE_TTL_S)
        if not lease.acquire():
            raise ImportInProgress()
    try:
        report = {"_id": uuid.uuid4().hex, "filename": filename, "by": by, "at": clock.now(), "dry_run": dry_run}
        valid = [row for row in parsed.rows if not row.errors]
        outcomes = roster.plan(
            parsed,
            existing_entries(db, [row.student_number for row in valid]),
            email_owners(db, [row.values["email"] for row in valid if row.values.get("email")]),
            import_id=report["_id"], now=report["at"])
        report.update(counts=roster.counts(outcomes), ignored_columns=parsed.ignored_columns,
                      rows=[outcome.report() for outcome in outcomes], rows_truncated=False)
        if dry_run:
            return {**report, "_id": None}
        _write(db, outcomes)
        db[IMPORTS].insert_one(_storable(report))
        return report
    finally:
        if lease is not None:
            lease.release()


def _write(db: Database, outcomes: list[roster.Outcome]) -> None:
    operations = []
    for outcome in outcomes:
        if outcome.document is not None:
            operations.append(InsertOne(outcome.document))
        elif outcome.changes is not None:
            operations.append(UpdateOne({"_id": outcome.row.student_number}, {"$set": outcome.changes}))
    for chunk in _chunks(operations, WRITE_CHUNK):
        db[ROSTER].bulk_write(chunk, ordered=False)


def _storable(report: dict) -> dict:
    size, kept = 0, []
    for row in report["rows"]:
        size += len(bson.encode(row))
        if size > MAX_REPORT_ROW_BYTES:
            return {**report, "rows": kept, "rows_truncated": True}
        kept.append(row)
    return report


def get_import(db: Database, import_id: str) -> dict | None:
    return db[IMPORTS].find_one({"_id": import_id})


def list_imports(db: Database, page: int, per_page: int) -> tuple[list[dict], int]:
    """Reports newest first, without their rows."""
    total = db[IMPORTS].count_documents({})
    items = list(db[IMPORTS].find({}, SUMMARY).sort([("at", DESCENDING), ("_id", DESCENDING)])
                 .skip((page - 1) * per_page).limit(per_page))
    return items, total


def get_entry(db: Database, student_number: str) -> dict | None:
    return db[ROSTER].find_one({"_id": roster.normalise_student_number(student_number)})


# --------------------------------------------------------------------------- sign-up

def _same_name(given: str, *stored: str | None) -> bool:
    wanted = translit.words(given)
    return bool(wanted) and any(translit.words(name) == wanted for name in stored if name)


def entry_for_email(db: Database, session, email: str) -> dict | None:
    """The unclaimed roster entry carrying ``email`` (already normalised lower-case), or None."""
    return db[ROSTER].find_one({"email": email, "claimed_by": None}, session=session)


def candidate_for_number(db: Database, session, *, student_number: str | None, family_name: str) -> dict | None:
    """The roster entry a sign-up's student number and family name point to, or None.

    The family name must equal the entry's Cyrillic or Latin one once both are folded
    ("Иванова" is "Ivanova"): numbers are sequential and guessable, a name ties one to a
    person. Entries carrying an email never match this way (only their email claims them),
    nor do claimed ones. A candidate verifies nobody: an admin decides.
    """
    number = roster.normalise_student_number(student_number or "")
    if not number:
        return None
    entry = db[ROSTER].find_one({"_id": number, "claimed_by": None, "email": None}, session=session)
    if entry is not None and _same_name(family_name, entry.get("family_name"), entry.get("family_name_latin")):
        return entry
    return None


def propose(db: Database, session, entry_id: str, member_id: str) -> None:
    """Show ``entry_id`` beside the member's sign-up in the office's queue."""
    db[ROSTER].update_one({"_id": entry_id}, {"$addToSet": {"candidates": member_id}}, session=session)


def candidates_of(db: Database, member_ids: list[str]) -> dict[str, dict]:
    """member id -> the roster entry its sign-up matched by number (for the office's view)."""
    found: dict[str, dict] = {}
    for chunk in _chunks(sorted(set(member_ids)), LOOKUP_CHUNK):
        for entry in db[ROSTER].find({"candidates": {"$in": chunk}}):
            for member_id in set(entry.get("candidates", [])) & set(chunk):
                found.setdefault(member_id, entry)
    return found


def claim(db: Database, session, entry_id: str, member_id: str) -> bool:
    """Mark an entry as the member's, only if nobody claimed it first; True if this did."""
    result = db[ROSTER].update_one({"_id": entry_id, "claimed_by": None},
                                   {"$set": {"claimed_by": member_id}}, session=session)
    return result.modified_count == 1


def release(db: Database, session, member_id: str) -> None:
    """Unclaim the member's entries (erasure): the roster is the university's list, not the
    member's data, so the entry stays and can verify a new sign-up."""
    db[ROSTER].update_many({"claimed_by": member_id}, {"$set": {"claimed_by": None}}, session=session)
    db[ROSTER].update_many({"candidates": member_id}, {"$pull": {"candidates": member_id}}, session=session)
