"""The HTTP side every service shares: app factory, problem responses, request ids,
health and metrics endpoints, and idempotent POSTs."""
