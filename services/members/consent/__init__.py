"""The consent ledger: consent per channel and category, with its history."""
