"""The members service's data, as stored (the contract between its modules).

Collections of the ``alumnet_members`` database:

- ``members``: one document per person, ``_id`` a hex uuid (the member id everywhere)::

      {_id, given_name, family_name, given_name_latin, family_name_latin,
       email (lower-case, unique), phone (E.164 or None), preferred_language ("bg"|"en"),
       graduation_year, faculty, programme, specialty, position, employer, city,
       country (ISO 3166), languages [ISO 639-1], interests [str],
       open_to_mentoring, open_to_ambassador, open_to_volunteer, international_graduate,
       visibility: {field group: "private"|"members"|"public"},   # see profiles.py
       in_directory: bool,
       consent: {email: bool, sms: bool},      # current sign-up consents (ledger: consents)
       status: "pending_verification" | "verified" | "rejected" | "erased",
       verification: {status, method: "roster_email"|"admin"|"operator" ("roster_student_number":
                      before number matches stopped verifying), at, by, reason, roster_entry} | None,
       email_confirmed_at: when the member proved the address (None: no password works yet),
       roles: ["alumnus"|"student"|"admin"|"staff"|"judge", ...],   # shared.auth.ROLES
       registered_at, updated_at,
       tokens, city_key, interest_keys, sort_name}   # search fields derived from all the fields

- ``directory``: the directory's projection, one document per listed verified member with
  only the fields it shows to members and search fields derived from those (profiles_store.py)
- ``roster``: the university's alumni roster, ``_id`` the normalised student number;
  ``roster_imports``: the per-row report of each import (roster_store.py)
- ``segments``: ``{_id, name, filter, version, created_by, created_at, saved_at}``
- ``mentor_offers``, ``mentoring_requests``, ``mentorships``, ``mentoring_meetings``: the
  mentoring programme (documents described in ``mentoring/store.py`` and ``mentoring/rules.py``)
- ``ambassador_applications``, ``ambassadors``, ``ambassador_questions``,
  ``ambassador_question_counts``, ``ambassador_contacts``, ``ambassador_activities``: the
  ambassador programme (documents described in ``ambassadors/store.py``)

- ``credentials``: ``{_id: member_id, email, password_hash, created_at, changed_at}``
- ``refresh_tokens``: ``{_id: sha256(token), member_id, family, expires_at, revoked_at}``
- ``login_failures``: throttling counters keyed by pair (account, client address), by account
  and by client address
- ``rate_limits``: request counters per action and client address or email, one per window
- ``email_confirmations``: ``{_id: sha256(token), member_id, email, expires_at, used_at}``
- ``password_resets``: ``{_id: sha256(token), member_id, expires_at, used_at}``
- ``email_changes``: ``{_id: sha256(token), kind: "confirm"|"undo", member_id, old_email,
  new_email, created_at, expires_at, used_at}`` (email_change.py)
- ``consents``: the consent ledger, append-only:
  ``{_id, member_id, channel: "email"|"sms", category, granted: bool, source, at, expires_at}``
- ``surveys``: ``{_id, status: "draft"|"open"|"closed", title, description, sections, opens_at,
  closes_at, audience, anonymous, created_by, created_at, updated_at, opened_at, closed_at,
  audience_size, version}``; ``survey_participation``: ``{_id: "<survey_id>:<member_id>",
  survey_id, member_id, status, draft (anonymous surveys, until the submission), saved_at,
  submitted_at}``; ``survey_responses``: named ``{_id: "<survey_id>:<member_id>", survey_id,
  member_id, status, answers, class, faculty, saved_at, submitted_at, proposals}`` or anonymous
  ``{_id: random uuid4 hex, survey_id, status, answers, class, faculty, submitted_on: day}``
  (surveys/store.py)
- ``erasures``: anonymous tombstones ``{_id: member_id, erased_at, requested_by}``

Erasure removes every personal field of a member from all of these and keeps only the
tombstone (see ``privacy.py``).
"""
