"""The awards service's store: its collections' indexes, gathered from the modules that own
them (cycles, the engagement ledger, the view of members)."""
from services.awards import readmodel_store
from services.awards.cycles import store as cycles_store
from services.awards.ledger import store as ledger_store
from shared.store import ServiceStore


class AwardsStore(ServiceStore):
    indexes = [*cycles_store.INDEXES, *ledger_store.INDEXES, *readmodel_store.INDEXES]
