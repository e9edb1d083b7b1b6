"""STUB of the survey results' tallies (``survey_tallies``): the integrator replaces this file
with the real one (written by another helper, per /work/wt/notes/SURVEYS.md).

The real ``record`` applies -1 for ``before`` and +1 for ``after`` to the "all", class and
faculty tally documents with ``$inc`` (upsert) in the caller's transaction. This stub keeps
the signature the surveys store calls and does nothing.
"""
from __future__ import annotations

from pymongo.client_session import ClientSession
from pymongo.database import Database


def record(db: Database, session: ClientSession, survey: dict, groups: dict, before: dict | None,
           after: dict | None) -> None:
    """STUB: does nothing (see the module docstring)."""
