"""The events service: Events, registrations, waitlists, check-ins and reminders."""
