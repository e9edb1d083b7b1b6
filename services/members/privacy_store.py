"""MongoDB access for privacy (collections: see model.py)."""
from shared.store import Index

INDEXES: list[Index] = []
