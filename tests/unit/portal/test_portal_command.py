"""`alumnet portal` refuses to start on bad settings, naming each, before gunicorn forks."""
from __future__ import annotations

from click.testing import CliRunner

from alumnet import cli


def test_alumnet_portal_names_every_bad_setting(monkeypatch):
    started = []
    monkeypatch.setattr(cli, "_gunicorn", started.append)
    for name in ("PORTAL_SESSION_KEY", "DEV_MODE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli.main, ["portal"], env={"PORTAL_API_URL": "gateway:8080",
                                                           "PORTAL_API_TIMEOUT_S": "0"})
    assert result.exit_code != 0 and started == []
    for name in ("PORTAL_SESSION_KEY", "PORTAL_API_URL", "PORTAL_API_TIMEOUT_S"):
        assert name in result.output, result.output


def test_alumnet_portal_serves_the_portal_app_with_good_settings(monkeypatch):
    from cryptography.fernet import Fernet
    started = []
    monkeypatch.setattr(cli, "_gunicorn", started.append)
    result = CliRunner().invoke(cli.main, ["portal"], env={"PORTAL_SESSION_KEY": Fernet.generate_key().decode(),
                                                           "PORTAL_API_URL": "http://gateway:8080"})
    assert result.exit_code == 0, result.output
    assert started == ["frontends.portal.app:create_app()"]
