"""The members service's store: its collections' indexes, gathered from the feature store
modules that declare them (the documents are described in ``model.py``)."""
from __future__ import annotations

from services.members.accounts import store as accounts_store
from services.members.ambassadors import store as ambassadors_store
from services.members.consent import store as consent_store
from services.members.email_change import store as email_change
from services.members.mentoring import store as mentoring_store
from services.members.privacy import store as privacy_store
from services.members.profiles import store as profiles_store
from services.members.profiles.store import EmailTaken
from services.members.roster import store as roster_store
from services.members.segments import store as segments_store
from services.members.surveys import store as surveys_store
from services.members.surveys import results_store as survey_results_store
from shared.store import ServiceStore

__all__ = ["EmailTaken", "MembersStore"]


class MembersStore(ServiceStore):
    indexes = [
        profiles_store.EMAIL_UNIQUE,
        *accounts_store.INDEXES,
        *email_change.INDEXES,
        *consent_store.INDEXES,
        *privacy_store.INDEXES,
        *roster_store.INDEXES,
        *profiles_store.INDEXES,
        *segments_store.INDEXES,
        *surveys_store.INDEXES,
        *survey_results_store.INDEXES,
        *mentoring_store.INDEXES,
        *ambassadors_store.INDEXES,
    ]

    def get(self, member_id: str) -> dict | None:
        return self.db.members.find_one({"_id": member_id})
