"""The members service's data, as stored (the contract between its modules).

Collections of the ``alumnet_members`` database:

- ``members``: one document per person, ``_id`` a hex uuid (the member id everywhere)::

      {_id, given_name, family_name, email (lower-case, unique), phone (E.164 or None),
       preferred_language ("bg"|"en"), graduation_year, faculty, programme,
       consent: {email: bool, sms: bool},      # current sign-up consents (ledger: consents)
       status: "pending_verification" | "verified" | "rejected" | "erased",
       roles: ["alumnus"|"student"|"admin"|"judge", ...],
       registered_at}

- ``credentials``: ``{_id: member_id, email, password_hash, created_at, changed_at}``
- ``refresh_tokens``: ``{_id: sha256(token), member_id, family, expires_at, revoked_at}``
- ``login_failures``: throttling counters keyed by account and by client address
- ``password_resets``: ``{_id: sha256(token), member_id, expires_at, used_at}``
- ``consents``: the consent ledger, append-only:
  ``{_id, member_id, channel: "email"|"sms", category, granted: bool, source, at, expires_at}``
- ``erasures``: anonymous tombstones ``{_id: member_id, erased_at, requested_by}``

Erasure removes every personal field of a member from all of these and keeps only the
tombstone (see ``privacy.py``).
"""
