"""Alumnet's common library: configuration, web, auth, store and message bus.

It knows no service: services import it, never the reverse.
"""
