"""Revoking a member's access: every token issued before now stops working, in this service
at once and in every other within seconds.

Called inside the transaction of the change that needs it (erasure, a role change, a password
reset, an email change and its undo, each with its own ``reason``): the members api's own row
(``shared.revocations``, read by its token check and by the refresh-token rotation) and
``members.access.revoked`` in the outbox are written with the change, or not at all.
"""
from __future__ import annotations

from datetime import datetime

from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.members.messages import ACCESS_REVOKED, CATALOG
from shared import clock, revocations
from shared.bus import outbox
from shared.logs import current_correlation_id


def revoke(db: Database, session: ClientSession, member_id: str, *, reason: str,
           at: datetime | None = None) -> datetime:
    """Void the member's tokens issued before ``at`` (wall-clock now: tokens' ``iat`` is wall
    time, whatever clock a test gives the service); return that moment."""
    at = at or clock.now()
    revocations.record(db, session, member_id, at)
    outbox.add(db, session, CATALOG.create(ACCESS_REVOKED, member_id, {
        "member_id": member_id, "not_before": at.isoformat(), "reason": reason}, current_correlation_id()))
    return at
