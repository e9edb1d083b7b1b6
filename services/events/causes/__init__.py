"""Causes (issue 15): volunteering calls with roles and slots, in-kind collections and
campaigns with a public goal; members join, leave and wait their turn, the owner confirms the
hours volunteers gave. ``rules`` (pure), ``store`` (MongoDB), ``api`` + ``schemas`` (HTTP)."""
