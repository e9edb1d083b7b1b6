"""The awards api process: ``create_app()`` is what gunicorn runs."""
from __future__ import annotations

from flask import Flask

from services.awards.api import blp
from services.awards.cycles import api as cycles_api
from services.awards.export import api as export_api
from services.awards.ledger import api as ledger_api
from services.awards.store import AwardsStore
from shared.config import Config, load
from shared.service import build_api

NAME = "awards"


def create_store(config: Config) -> AwardsStore:
    return AwardsStore(config.mongo_url, config.database_name(NAME))


def create_app(config: Config | None = None) -> Flask:
    config = config or load()
    return build_api(NAME, config, create_store(config), [blp, cycles_api.blp, ledger_api.blp, export_api.blp], description="Annual Alumni awards: cycles, nominations, scores and the engagement ledger.")
