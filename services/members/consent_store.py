"""MongoDB access for consent (collections: see model.py)."""
from shared.store import Index

INDEXES: list[Index] = []
