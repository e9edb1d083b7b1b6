"""Frontends of Alumnet: clients of the gateway's public APIs, like any other client."""
