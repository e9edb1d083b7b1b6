"""The engagement ledger: activity events credited as points, capped per period, into
standings per award cycle and category (``rules.py`` pure, ``store.py`` MongoDB, ``api.py``
routes)."""
