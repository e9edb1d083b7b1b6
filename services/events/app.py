"""The events api process: ``create_app()`` is what gunicorn runs."""
from __future__ import annotations

from flask import Flask

from services.events import api, calendar_api, export_api, registrations_api, stats_api, tickets_api
from services.events.causes import api as causes_api
from services.events.store import EventsStore
from shared.config import Config, load
from shared.service import build_api

NAME = "events"


def create_store(config: Config) -> EventsStore:
    return EventsStore(config.mongo_url, config.database_name(NAME))


def create_app(config: Config | None = None) -> Flask:
    config = config or load()
    return build_api(NAME, config, create_store(config),
                     [api.blp, registrations_api.blp, tickets_api.blp, calendar_api.blp, stats_api.blp,
                      causes_api.blp, export_api.blp],
                     description="Events, registrations, waitlists, check-ins, reminders and causes.")
