"""The ``alumnet`` command for operators and developers.

    alumnet dev                      the whole platform in one process (see ``make dev``)
    alumnet api SERVICE              a service's HTTP API under gunicorn
    alumnet worker SERVICE           a service's worker (consumer, outbox relay, timers)
    alumnet portal                   the web portal under gunicorn (it calls the gateway)
    alumnet dead list|replay|purge SERVICE [--id MESSAGE_ID]
    alumnet outbox status [SERVICE...]  events each service has still to publish
    alumnet keys generate DIR        every secret a deployment needs (see alumnet/keys.py)
    alumnet awards rebuild-standings CYCLE_ID   recompute a cycle's standings from the ledger
    alumnet members create-admin ... the first admin (beside `make dev`, its store)
    alumnet members republish        snapshots of current members, to rebuild other services' views
    alumnet token --member ID        an access token for a member of a running `make dev` (dev only)
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from alumnet import service_module
from alumnet.members_cli import members as members_group
from shared.config import SERVICES, SETTINGS, ConfigError, load
from shared import logs, secretcheck

SERVICE = click.Choice(SERVICES)
ROOT = Path(__file__).resolve().parent.parent


def _config_or_exit(require_keys: bool = True):
    try:
        return load(require_keys=require_keys)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _deployable_config_or_exit(service: str, process: str, require_keys: bool = True):
    """The config, or exit naming every missing or published secret (outside dev mode)."""
    config = _config_or_exit(require_keys)
    problems = secretcheck.problems(config, service, process)
    if problems:
        raise click.ClickException(str(ConfigError(problems)))
    return config


@click.group(help=__doc__.split("\n\n")[0])
def main() -> None:
    pass


@main.command()
@click.argument("service", type=SERVICE)
def api(service: str) -> None:
    """Run SERVICE's HTTP API under gunicorn (deploy/gunicorn.conf.py)."""
    _deployable_config_or_exit(service, "api")  # fail before forking workers, naming every bad setting
    _gunicorn(f"services.{service}.app:create_app()")


@main.command()
def portal() -> None:
    """Run the web portal (frontends/portal) under gunicorn (deploy/gunicorn.conf.py).

    It reads only its own settings (PORTAL_API_URL, PORTAL_SESSION_KEY, ...: see
    frontends/portal/settings.py), none of the services'."""
    from frontends.portal.settings import PortalConfigError, load as load_portal_settings
    try:
        load_portal_settings()  # fail before forking workers, naming every bad setting
    except PortalConfigError as exc:
        raise click.ClickException(str(exc)) from None
    _gunicorn("frontends.portal.app:create_app()")


def _gunicorn(app: str) -> None:
    conf = os.environ.get("GUNICORN_CONF", str(ROOT / "deploy" / "gunicorn.conf.py"))
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--config", conf, app])


@main.command()
@click.argument("service", type=SERVICE)
def worker(service: str) -> None:
    """Run SERVICE's worker until SIGTERM."""
    config = _deployable_config_or_exit(service, "worker", require_keys=False)
    logs.configure(f"{service}-worker", config.log_level)
    service_module(service, "worker").create_worker(config).run_forever(config.worker_http_port)


@main.command()
@click.option("--port", default=8080, show_default=True, help="gateway port")
@click.option("--data-dir", default=".dev", show_default=True, help="store data, keys and outbox")
@click.option("--demo/--no-demo", default=True, show_default=True, help="load demo members")
def dev(port: int, data_dir: str, demo: bool) -> None:
    """Run every service, its worker and the gateway in one process, with a local store."""
    from alumnet.dev import run
    run(port=port, data_dir=Path(data_dir), demo=demo)


@main.group()
def dead() -> None:
    """Inspect and replay messages parked in a service's dead-letter queue."""


def _dead_letters(service: str):
    from shared.bus.deadletters import DeadLetters
    return DeadLetters(_config_or_exit(require_keys=False).amqp_url, service)


@dead.command("list")
@click.argument("service", type=SERVICE)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per message")
def dead_list(service: str, as_json: bool) -> None:
    """List parked messages with their errors."""
    parked = _dead_letters(service).list()
    for item in parked:
        if as_json:
            click.echo(json.dumps({"message_id": item.message_id, "type": item.event_type, "error": item.error,
                                   "attempts": item.attempts, "parked_at": item.parked_at}, ensure_ascii=False))
        else:
            click.echo(f"{item.message_id}  {item.event_type or '(undecodable)'}  attempts={item.attempts}"
                       f"  parked={item.parked_at}\n    {item.error}")
    if not as_json:
        click.echo(f"{len(parked)} parked message(s) in {service}.dead")


@dead.command("replay")
@click.argument("service", type=SERVICE)
@click.option("--id", "message_id", help="replay only this message (default: all)")
def dead_replay(service: str, message_id: str | None) -> None:
    """Move parked messages back into SERVICE's inbox."""
    click.echo(f"replayed {_dead_letters(service).replay(message_id)} message(s)")


@dead.command("purge")
@click.argument("service", type=SERVICE)
@click.option("--id", "message_id", help="purge only this message (default: all)")
@click.confirmation_option(prompt="Delete parked messages for good?")
def dead_purge(service: str, message_id: str | None) -> None:
    """Delete parked messages."""
    click.echo(f"purged {_dead_letters(service).purge(message_id)} message(s)")


@main.group()
def outbox() -> None:
    """The events each service has stored and still has to publish (its outbox)."""


@outbox.command("status")
@click.argument("services", nargs=-1, type=SERVICE)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per service")
@click.option("--data-dir", default=".dev", show_default=True, type=click.Path(path_type=Path),
              help="a running `make dev`'s data folder, used when MONGO_URL is not set")
def outbox_status(services: tuple[str, ...], as_json: bool, data_dir: Path) -> None:
    """Per service (default: all), read from its own database: events `new` (not yet
    confirmed by the broker) and `deferred` (returned or nacked, being retried), the age of the
    oldest of them, and when the broker last confirmed one. A growing backlog with an old
    oldest event means the relay is not publishing (worker down, broker unreachable); deferred
    events mean the broker refuses them (no queue bound to their type, permissions)."""
    from datetime import datetime, timezone

    from pymongo.errors import PyMongoError

    from alumnet import devstate
    from shared.bus import outbox as outbox_store
    from shared.store import client_for
    try:
        config = load(devstate.environment(data_dir), require_keys=False)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    client = client_for(config.mongo_url)
    if not as_json:
        click.echo(f"{'service':14} {'new':>8} {'deferred':>8}  {'oldest waiting':16} last sent")
    for service in services or SERVICES:
        try:
            backlog = outbox_store.backlog(client[config.database_name(service)])
        except PyMongoError as exc:
            raise click.ClickException(f"{service}: cannot read its outbox: {exc}") from None
        now = datetime.now(timezone.utc)
        age = backlog.oldest_age_s(now)
        if as_json:
            click.echo(json.dumps({
                "service": service, "new": backlog.new, "deferred": backlog.deferred, "oldest_age_s": age,
                "oldest_at": backlog.oldest_at.isoformat() if backlog.oldest_at else None,
                "last_sent_at": backlog.last_sent_at.isoformat() if backlog.last_sent_at else None}))
        else:
            sent = "-" if backlog.last_sent_at is None else (
                f"{backlog.last_sent_at:%Y-%m-%d %H:%M:%S}Z ({_duration((now - backlog.last_sent_at).total_seconds())} ago)")
            click.echo(f"{service:14} {backlog.new:>8} {backlog.deferred:>8}  "
                       f"{'-' if age is None else _duration(age):16} {sent}")


def _duration(seconds: float) -> str:
    """A coarse age for people: ``42s``, ``5min 3s``, ``2h 10min``, ``3d 4h``."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}min {seconds % 60}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}min"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


@main.group()
def awards() -> None:
    """Operator commands of the awards service."""


@awards.command("rebuild-standings")
@click.argument("cycle_id")
def awards_rebuild_standings(cycle_id: str) -> None:
    """Recompute CYCLE_ID's standings from the engagement ledger under the cycle's own rules
    (the same result as the incremental path; safe while the worker runs)."""
    from services.awards.app import create_store
    from services.awards.ledger import store as ledger_store
    store = create_store(_config_or_exit(require_keys=False))
    try:
        ledger_store.rebuild(store.db, cycle_id)
    except ledger_store.UnknownCycle:
        raise click.ClickException(f"no cycle {cycle_id!r} is registered with the ledger") from None
    click.echo(f"rebuilt the standings of {cycle_id}")


@main.command()
@click.option("--member", "member_id", required=True, help="the member's id (the token's subject)")
@click.option("--data-dir", default=".dev", show_default=True, type=click.Path(path_type=Path),
              help="the running `make dev`'s data folder")
def token(member_id: str, data_dir: Path) -> None:
    """Print an access token for a member of a running `make dev`, with the member's roles (a
    bare JWT: send it as `Authorization: Bearer <token>`). Dev mode only: in a deployment,
    tokens come from logging in."""
    from alumnet import devstate
    from services.members.accounts import rules as accounts
    from services.members.app import create_store
    from shared.auth import TokenIssuer
    try:
        config = load(devstate.environment(data_dir), require_keys=False)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not config.dev_mode or not config.jwt_private_key_file:
        raise click.ClickException("alumnet token works beside `make dev` only; elsewhere, log in.")
    issued_at = accounts.issue_time()  # before the roles are read, as a login does
    member = create_store(config).db.members.find_one({"_id": member_id}, {"roles": 1, "status": 1})
    if member is None or not accounts.can_log_in(member):
        raise click.ClickException(f"no member {member_id!r} who may log in")
    issuer = TokenIssuer.from_file(config.jwt_private_key_file, config.jwt_issuer, config.jwt_audience,
                                   config.jwt_access_ttl)
    click.echo(issuer.issue(member_id, accounts.roles_of(member), issued_at=issued_at))


@main.group()
def keys() -> None:
    """Make the secrets of a deployment (deploy/README.md says where each one goes)."""


@keys.command("generate")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--amqp-host", default="rabbitmq:5672", show_default=True, help="broker host:port in each AMQP_URL")
@click.option("--mongo-host", default="mongo:27017", show_default=True, help="MongoDB host(s) in each MONGO_URL")
@click.option("--mongo-options", default="replicaSet=rs0", show_default=True, help="MONGO_URL query options")
def keys_generate(directory: str, amqp_host: str, mongo_host: str, mongo_options: str) -> None:
    """Write every secret into DIRECTORY: the JWT key pair, the token and link keys, per-service
    broker and MongoDB users (SERVICE.env holds a service's secret settings), and the portal's
    session key (portal.env)."""
    from alumnet.keys import generate
    try:
        written = generate(directory, amqp_host=amqp_host, mongo_host=mongo_host, mongo_options=mongo_options)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")


@keys.command("jwt")
@click.argument("directory", type=click.Path(file_okay=False))
def keys_jwt(directory: str) -> None:
    """Write a new Ed25519 pair: jwt-private.pem (members api only) and jwt-public.pem."""
    from shared.auth import generate_keypair
    private, public = generate_keypair(directory)
    click.echo(f"wrote {private} and {public}")


@keys.command("token")
def keys_token() -> None:
    """Print a new TOKEN_ENCRYPTION_KEY (Fernet) for members and notifications."""
    from alumnet.keys import new_token_key
    click.echo(new_token_key())


@keys.command("session")
def keys_session() -> None:
    """Print a new PORTAL_SESSION_KEY (Fernet) for the portal."""
    from alumnet.keys import new_token_key
    click.echo(new_token_key())


@keys.command("link")
def keys_link() -> None:
    """Print a new LINK_SIGNING_KEY for members, notifications and awards."""
    from alumnet.keys import new_link_key
    click.echo(new_link_key())


@keys.command("password")
def keys_password() -> None:
    """Print a new password and its RabbitMQ hash (for a definitions file)."""
    from alumnet.keys import new_password, password_hash
    password = new_password()
    click.echo(f"{password}\n{password_hash(password)}")


main.add_command(members_group)


@main.command("settings")
def settings() -> None:
    """List every environment setting with its default."""
    for name, setting in SETTINGS.items():
        default = ("(required)" if setting.default is None else "(secret: no default)" if setting.secret
                   and not setting.default else repr(setting.default))
        click.echo(f"{name:22} {default:40} {setting.help}")


if __name__ == "__main__":
    main()
