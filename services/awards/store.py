"""All MongoDB access of the awards service: each feature's store module declares its
collections and indexes (``ledger/store.py``), gathered here."""
from services.awards.ledger import store as ledger_store
from shared.store import ServiceStore


class AwardsStore(ServiceStore):
    indexes = [*ledger_store.INDEXES]
