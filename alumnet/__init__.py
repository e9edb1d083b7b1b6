"""The composition root: the ``alumnet`` command that runs services (api, worker), the
all-in-one dev mode and operator tools. It may import every service; nothing imports it."""
import importlib

from shared.config import SERVICES


def service_module(service: str, part: str):
    """``services.<service>.<part>``, for the one place that knows every service."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    return importlib.import_module(f"services.{service}.{part}")
