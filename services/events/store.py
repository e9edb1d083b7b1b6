"""The events service's store: its collections' indexes, gathered from the modules that own
them (the documents are described in ``model.py``)."""
from __future__ import annotations

from services.events import (
    calendar_store,
    events_store,
    readmodel_store,
    registrations_store,
    reminders_store,
    tickets_store,
)
from services.events.causes import store as causes_store
from shared.store import ServiceStore


class EventsStore(ServiceStore):
    indexes = [
        *events_store.INDEXES,
        *registrations_store.INDEXES,
        *reminders_store.INDEXES,
        *tickets_store.INDEXES,
        *calendar_store.INDEXES,
        *readmodel_store.INDEXES,
        *causes_store.INDEXES,
    ]
