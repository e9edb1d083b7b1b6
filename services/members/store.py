"""All MongoDB access of the members service."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from services.members import accounts_store, consent_store, privacy_store
from shared.bus import outbox
from shared.bus.envelope import Envelope
from shared.store import Index, ServiceStore, asc


class EmailTaken(Exception):
    pass


class MembersStore(ServiceStore):
    indexes = [
        Index("members", asc("email"), unique=True, name="email_unique"),
        *accounts_store.INDEXES,
        *consent_store.INDEXES,
        *privacy_store.INDEXES,
    ]

    def register(self, member: dict, event: Envelope) -> None:
        """Store a new member and its ``registered`` event in one transaction."""
        def work(session):
            self.db.members.insert_one(member, session=session)
            outbox.add(self.db, session, event)
        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise EmailTaken(member["email"]) from None

    def get(self, member_id: str) -> dict | None:
        return self.db.members.find_one({"_id": member_id})
