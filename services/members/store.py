"""The members service's store: its collections' indexes, gathered from the modules that own
them (the documents are described in ``model.py``)."""
from __future__ import annotations

from services.members import (accounts_store, consent_store, email_change, privacy_store, profiles_store, roster_store,
                              segments_store)
from services.members.profiles_store import EmailTaken
from shared.store import Index, ServiceStore, asc

__all__ = ["EmailTaken", "MembersStore"]


class MembersStore(ServiceStore):
    indexes = [
        Index("members", asc("email"), unique=True, name="email_unique"),
        *accounts_store.INDEXES,
        *email_change.INDEXES,
        *consent_store.INDEXES,
        *privacy_store.INDEXES,
        *roster_store.INDEXES,
        *profiles_store.INDEXES,
        *segments_store.INDEXES,
    ]

    def get(self, member_id: str) -> dict | None:
        return self.db.members.find_one({"_id": member_id})
