"""The members service: people, their profiles and consents; the platform's source of truth
about who is who."""
