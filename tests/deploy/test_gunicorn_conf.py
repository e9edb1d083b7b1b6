"""deploy/gunicorn.conf.py: environment overrides, defaults, hooks, and only real settings."""
from __future__ import annotations

import importlib.util
from types import ModuleType, SimpleNamespace

import pytest
from gunicorn.config import Config

from .helpers import DEPLOY

CONF = DEPLOY / "gunicorn.conf.py"
OVERRIDES = ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT",
             "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_KEEPALIVE", "GUNICORN_MAX_REQUESTS",
             "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_ACCESSLOG", "LOG_LEVEL",
             "TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS", "PROMETHEUS_MULTIPROC_DIR")


@pytest.fixture
def load_conf(monkeypatch):
    """Import a fresh copy of the config module under the given environment."""
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("alumnet_gunicorn_conf", CONF)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def settings_of(module) -> dict:
    known = Config().settings
    return {k: v for k, v in vars(module).items() if k in known}


def test_defaults(load_conf):
    conf = load_conf()
    assert conf.bind == "0.0.0.0:8000"
    assert conf.workers == 2
    assert conf.worker_class == "gthread"
    assert conf.threads == 4
    assert conf.accesslog is None
    assert conf.max_requests > 0 and 0 < conf.max_requests_jitter < conf.max_requests
    # Workers must finish in-flight requests before the orchestrator's 30s SIGKILL.
    assert conf.graceful_timeout < 30
    # gunicorn outlives nginx's 60s upstream keepalive_timeout, so nginx closes first.
    assert conf.keepalive > 60
    # Forwarded headers are trusted from no one unless TRUSTED_PROXIES names the gateway.
    assert conf.forwarded_allow_ips == ""


def test_forwarded_headers_are_trusted_only_from_the_configured_proxies(load_conf):
    conf = load_conf(TRUSTED_PROXIES="172.30.0.10, 10.0.0.0/8", FORWARDED_ALLOW_IPS="*")
    assert conf.forwarded_allow_ips == "172.30.0.10,10.0.0.0/8"
    config = Config()
    config.set("forwarded_allow_ips", conf.forwarded_allow_ips)  # gunicorn's own validation
    assert "*" not in config.forwarded_allow_ips


def test_environment_overrides(load_conf):
    conf = load_conf(PORT="9123", WEB_CONCURRENCY="5", GUNICORN_THREADS="8", GUNICORN_TIMEOUT="12",
                     GUNICORN_GRACEFUL_TIMEOUT="7", GUNICORN_MAX_REQUESTS="50",
                     GUNICORN_MAX_REQUESTS_JITTER="5", GUNICORN_ACCESSLOG="-", LOG_LEVEL="DEBUG")
    assert conf.bind == "0.0.0.0:9123"
    assert (conf.workers, conf.threads, conf.timeout, conf.graceful_timeout) == (5, 8, 12, 7)
    assert (conf.max_requests, conf.max_requests_jitter) == (50, 5)
    assert conf.accesslog == "-"
    assert conf.loglevel == "debug"


def test_a_malformed_number_stops_with_its_name(load_conf):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        load_conf(WEB_CONCURRENCY="many")


def test_every_setting_is_one_gunicorn_knows_and_accepts(load_conf):
    conf = load_conf()
    public = {k for k, v in vars(conf).items()
              if not k.startswith("_") and not callable(v) and not isinstance(v, ModuleType)}
    known = Config().settings
    assert public - {"annotations"} <= set(known), public - set(known)
    config = Config()
    for name, value in settings_of(conf).items():
        config.set(name, value)  # gunicorn's own validation
    config.set("child_exit", conf.child_exit)
    config.set("on_starting", conf.on_starting)
    assert config.address[0] == ("0.0.0.0", 8000)


def test_child_exit_marks_the_worker_dead(load_conf, tmp_path, monkeypatch):
    from prometheus_client import multiprocess

    dead = []
    monkeypatch.setattr(multiprocess, "mark_process_dead", dead.append)
    conf = load_conf()
    conf.child_exit(None, SimpleNamespace(pid=4321))
    assert dead == []  # not in multiprocess mode: nothing to clean
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf.child_exit(None, SimpleNamespace(pid=4321))
    assert dead == [4321]


def test_on_starting_empties_the_metrics_directory(load_conf, tmp_path, monkeypatch):
    metrics = tmp_path / "prometheus"
    (metrics / "sub").mkdir(parents=True)
    (metrics / "counter_123.db").write_bytes(b"old")
    conf = load_conf(PROMETHEUS_MULTIPROC_DIR=str(metrics))
    conf.on_starting(None)
    assert metrics.is_dir() and list(metrics.iterdir()) == []
    fresh = tmp_path / "new"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(fresh))
    conf.on_starting(None)
    assert fresh.is_dir()
