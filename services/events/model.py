"""The events service's data, as stored (the contract between its modules).

Collections of the ``alumnet_events`` database:

- ``events``: ``_id`` a hex uuid::

      {_id, title: {bg, en}, description: {bg, en}, kind, status: "draft"|"published"|"cancelled",
       starts_at, ends_at (UTC), timezone (IANA, default Europe/Sofia),
       place: {name, address, city} | None, online_url | None,
       capacity: int | None (None: unlimited), guests_allowed: int (guests per member, 0: none),
       registration_opens_at | None, registration_closes_at | None (None: until it starts),
       audience: {kind: "all"|"graduation_years"|"faculty"|"segment",
                  year_from, year_to, faculty, segment_id},
       cover_image_url | None, reminders: [minutes before the start, ...] (default [1440, 60]),
       seats_taken: int        # confirmed people (members and their guests), never > capacity
       waitlist_length: int    # waitlisted registrations
       waitlist_seq: int       # last FIFO position handed out
       created_by, created_at, updated_at, published_at, cancelled_at, cancel_reason}

- ``registrations``: one per (event, member), ``_id`` = ``"<event_id>:<member_id>"``::

      {_id, event_id, member_id (None once the member is erased), guests: int, party: 1 + guests,
       status: "confirmed"|"waitlisted"|"cancelled",
       position: int (FIFO order of the waitlist; set when waitlisted),
       ticket_code: str | None (unguessable, a confirmed registration's check-in code),
       registered_at, confirmed_at, promoted_at, cancelled_at, cancel_reason,
       checked_in_at, checked_in_by, anonymised_at}

- ``reminders``: ``{_id: "<event_id>:<minutes>", event_id, minutes, due_at,
  status: "pending"|"sent"|"void", claimed_by, sent_at}`` (one per configured offset)
- ``calendar_feeds``: ``{_id: sha256(secret), member_id, created_at}`` (a member's feed URL)
- ``members``: read model from members events: ``{_id: member_id, status, graduation_year,
  faculty, ...the fields shared.memberfilter reads, erased_at}``
- ``segments``: read model ``{_id: segment_id, filter, version}`` from members segment events
- ``causes``, ``cause_volunteers``, ``cause_hours``: the causes feature's, described in
  ``causes/store.py``
"""
