"""All MongoDB access of the events service."""
from shared.store import ServiceStore


class EventsStore(ServiceStore):
    indexes = []
