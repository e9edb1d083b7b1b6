"""All MongoDB access of the awards service."""
from shared.store import ServiceStore


class AwardsStore(ServiceStore):
    indexes = []
