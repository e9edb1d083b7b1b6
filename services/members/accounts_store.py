"""MongoDB access for accounts (collections: see model.py)."""
from shared.store import Index

INDEXES: list[Index] = []
