"""A member's data export from the awards service (GDPR): ``store.py`` reads, ``api.py`` the
route."""
