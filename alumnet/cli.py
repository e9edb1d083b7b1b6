"""The ``alumnet`` command for operators and developers.

    alumnet dev                      the whole platform in one process (see ``make dev``)
    alumnet api SERVICE              a service's HTTP API under gunicorn
    alumnet worker SERVICE           a service's worker (consumer, outbox relay, timers)
    alumnet dead list|replay|purge SERVICE [--id MESSAGE_ID]
    alumnet keys generate DIR        a JWT signing key pair
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
from shared import logs

SERVICE = click.Choice(SERVICES)
ROOT = Path(__file__).resolve().parent.parent


def _config_or_exit(require_keys: bool = True):
    try:
        return load(require_keys=require_keys)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(help=__doc__.split("\n\n")[0])
def main() -> None:
    pass


@main.command()
@click.argument("service", type=SERVICE)
def api(service: str) -> None:
    """Run SERVICE's HTTP API under gunicorn (deploy/gunicorn.conf.py)."""
    _config_or_exit()  # fail before forking workers, with every bad setting named
    conf = os.environ.get("GUNICORN_CONF", str(ROOT / "deploy" / "gunicorn.conf.py"))
    argv = [sys.executable, "-m", "gunicorn", "--config", conf, f"services.{service}.app:create_app()"]
    os.execv(sys.executable, argv)


@main.command()
@click.argument("service", type=SERVICE)
def worker(service: str) -> None:
    """Run SERVICE's worker until SIGTERM."""
    config = _config_or_exit(require_keys=False)
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
def keys() -> None:
    """JWT key management."""


@keys.command("generate")
@click.argument("directory", type=click.Path(file_okay=False))
def keys_generate(directory: str) -> None:
    """Write an Ed25519 key pair: jwt-private.pem (members only) and jwt-public.pem."""
    from shared.auth import generate_keypair
    private, public = generate_keypair(directory)
    click.echo(f"wrote {private} and {public}")


main.add_command(members_group)


@keys.command("token")
def keys_token() -> None:
    """Print a new TOKEN_ENCRYPTION_KEY (Fernet) for members and notifications."""
    from cryptography.fernet import Fernet
    click.echo(Fernet.generate_key().decode())


@main.command("settings")
def settings() -> None:
    """List every environment setting with its default."""
    for name, setting in SETTINGS.items():
        default = "(required)" if setting.default is None else repr(setting.default)
        click.echo(f"{name:22} {default:40} {setting.help}")


if __name__ == "__main__":
    main()
