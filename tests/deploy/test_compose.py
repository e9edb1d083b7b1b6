"""docker-compose.yml and the RabbitMQ and MongoDB files it mounts, checked without Docker."""
from __future__ import annotations

import importlib
import json
import re
import shlex
import sys
from urllib.parse import unquote, urlsplit

import pytest

from alumnet import keys
from shared.config import SETTINGS

from .helpers import CONSUMERS, DEPLOY, DOCUMENTED_ENV, GATEWAY_VARIABLES, PORTAL_ENV, ROOT, SERVICES, load_yaml

COMPOSE_FILE = ROOT / "docker-compose.yml"
DEFINITIONS = DEPLOY / "rabbitmq" / "definitions.json"
PROCESS_KINDS = ("api", "worker")

RETRY_TTLS_MS = {"1s": 1000, "10s": 10000, "60s": 60000}


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def definitions() -> dict:
    return json.loads(DEFINITIONS.read_text())


def alumnet_processes(services):
    for service in SERVICES:
        for kind in PROCESS_KINDS:
            name = f"{service}-{kind}"
            yield name, kind, service, services[name]


def command_of(entry) -> list[str]:
    command = entry["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def env_of(entry) -> dict:
    env = entry.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def test_every_service_has_an_api_and_a_worker_from_one_image(services):
    images = {(repr(entry.get("image")), repr(entry.get("build")))
              for _, _, _, entry in alumnet_processes(services)}
    assert len(images) == 1, images
    image, build = next(iter(images))
    assert image != "None" and build != "None"


def test_commands_run_the_right_process(services):
    for name, kind, service, entry in alumnet_processes(services):
        assert command_of(entry) == ["alumnet", kind, service], name


def test_every_container_has_a_healthcheck(services):
    for name, entry in services.items():
        if name == "mailpit":
            continue  # the mailpit image declares its own HEALTHCHECK
        test = entry.get("healthcheck", {}).get("test")
        assert test and not entry["healthcheck"].get("disable"), name


def test_process_healthchecks_probe_their_own_port(services):
    for name, kind, _, entry in alumnet_processes(services):
        assert entry["healthcheck"]["test"][:4] == ["CMD", "python", "/app/deploy/healthcheck.py", kind], name


def test_scalable_services_have_no_fixed_name_or_host_port(services):
    for name, _, _, entry in alumnet_processes(services):
        assert "container_name" not in entry, name
        assert "ports" not in entry, name
    assert not any("container_name" in entry for entry in services.values())


def test_every_container_has_resource_limits(services):
    for name, entry in services.items():
        limits = entry.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("memory") and limits.get("cpus"), name


def test_processes_set_only_documented_variables(compose, services):
    assert set(compose["x-common-env"]) <= DOCUMENTED_ENV
    for name, _, _, entry in alumnet_processes(services):
        unknown = set(env_of(entry)) - DOCUMENTED_ENV
        assert not unknown, f"{name} sets undocumented {sorted(unknown)}"


def test_processes_get_the_common_env(compose, services):
    common = compose["x-common-env"]
    for name, _, _, entry in alumnet_processes(services):
        env = env_of(entry)
        assert {key: env.get(key) for key in common} == common, name


def test_only_the_members_api_holds_the_signing_key(services):
    for name, _, _, entry in alumnet_processes(services):
        env = env_of(entry)
        secrets = {s["source"] if isinstance(s, dict) else s for s in entry.get("secrets", [])}
        assert "jwt_public" in secrets and env["JWT_PUBLIC_KEY_FILE"], name
        holds_private = "JWT_PRIVATE_KEY_FILE" in env or "jwt_private" in secrets
        assert holds_private == (name == "members-api"), name


def test_secrets_come_from_deploy_secrets(compose):
    for name, secret in compose["secrets"].items():
        assert secret["file"].startswith("./deploy/secrets/"), name


def test_each_process_reads_its_own_secrets_file(services):
    for name, _, service, entry in alumnet_processes(services):
        assert entry["env_file"] == f"./deploy/secrets/{service}.env", name


def test_no_secret_is_written_in_the_compose_file(compose, services):
    secret_settings = {name for name, setting in SETTINGS.items() if setting.secret}
    for name, entry in services.items():
        assert not set(env_of(entry)) & secret_settings, name
        assert "DEV_MODE" not in env_of(entry), name  # it would accept published secrets
    assert not set(compose["x-common-env"]) & secret_settings
    text = COMPOSE_FILE.read_text()
    assert "@rabbitmq" not in text and "@mongo" not in text  # no credentials in a URL


def test_every_container_is_hardened(services):
    for name, entry in services.items():
        assert entry.get("read_only") is True, name
        assert entry.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in entry.get("security_opt", []), name
        assert str(entry.get("user", "")).split(":")[0] not in ("0", "root"), name


def test_apis_believe_forwarded_headers_from_the_gateway_only(compose, services):
    gateway_address = services["gateway"]["networks"]["default"]["ipv4_address"]
    for name, kind, _, entry in alumnet_processes(services):
        if kind == "api":
            assert env_of(entry)["TRUSTED_PROXIES"] == gateway_address, name


def test_processes_wait_for_a_healthy_broker_and_store(services):
    for name, _, _, entry in alumnet_processes(services):
        depends = entry["depends_on"]
        for infra in ("rabbitmq", "mongo"):
            assert depends[infra]["condition"] == "service_healthy", name


def test_interpolations_have_defaults():
    # `docker compose up` must work without a .env file.
    text = COMPOSE_FILE.read_text()
    for match in re.finditer(r"\$\{([^}]*)\}", text):
        assert ":-" in match.group(1), match.group(0)


def test_mounted_host_files_exist(services):
    for name, entry in services.items():
        for volume in entry.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_gateway_routes_to_each_api(services):
    gateway = services["gateway"]
    assert gateway["image"].startswith("nginxinc/nginx-unprivileged:1.27")
    env = env_of(gateway)
    assert set(env) >= GATEWAY_VARIABLES
    for service in SERVICES:
        assert env[f"{service.upper()}_API"] == f"{service}-api:8000"
    mounts = [v for v in gateway["volumes"] if "/etc/nginx/templates/" in v]
    assert mounts and mounts[0].startswith("./deploy/nginx/alumnet.conf.template:")
    assert mounts[0].split(":")[1].endswith(".template")
    for service in (*SERVICES, "portal"):
        name = service if service == "portal" else f"{service}-api"
        assert gateway["depends_on"][name]["condition"] == "service_healthy"
    assert env["PORTAL_UPSTREAM"] == "portal:8000"


def test_mongo_is_a_replica_set(compose, services):
    mongo = services["mongo"]
    assert mongo["image"].startswith("mongo:7")
    assert "--replSet" in mongo["command"]
    replica_set = mongo["command"][mongo["command"].index("--replSet") + 1]
    assert f"replicaSet={replica_set}" in keys.generate.__kwdefaults__["mongo_options"]
    script = (DEPLOY / "mongo" / "init-replica-set.js").read_text()
    assert f'_id: "{replica_set}"' in script
    assert "init-replica-set.js" in " ".join(mongo["healthcheck"]["test"])


def test_mongo_runs_with_authentication(compose, services):
    mongo = services["mongo"]
    assert "--keyFile" in mongo["command"]
    assert env_of(mongo)["MONGO_INITDB_ROOT_PASSWORD_FILE"].startswith("/run/secrets/")
    assert any(v.endswith(":/docker-entrypoint-initdb.d/create-users.js:ro") for v in mongo["volumes"])
    script = (DEPLOY / "mongo" / "create-users.js").read_text()
    assert 'db: "alumnet_" + service' in script and compose["x-common-env"]["MONGO_DB_PREFIX"] == "alumnet_"
    assert "-u root" in mongo["healthcheck"]["test"][1]


def test_rabbitmq_loads_the_topology_and_the_generated_users(services):
    rabbitmq = services["rabbitmq"]
    assert rabbitmq["image"].startswith("rabbitmq:3.13-management")
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    directory = re.search(r"^load_definitions\s*=\s*(\S+)", conf, re.M).group(1)
    assert any(v.startswith(f"./deploy/rabbitmq/definitions.json:{directory}/") for v in rabbitmq["volumes"])
    [users] = [s for s in rabbitmq["secrets"] if s["source"] == "rabbitmq_users"]
    assert users["target"].startswith(directory + "/")
    # Imported in name order: the topology (with the vhost) before the users.
    assert sorted([v.split(":")[1] for v in rabbitmq["volumes"] if directory in v] + [users["target"]])[-1] \
        == users["target"]


def test_definitions_declare_the_exchange(definitions):
    vhosts = {v["name"] for v in definitions["vhosts"]}
    [exchange] = [e for e in definitions["exchanges"] if e["name"] == "alumnet.events"]
    assert exchange["type"] == "topic" and exchange["durable"] and not exchange["auto_delete"]
    for item in definitions["exchanges"] + definitions["queues"] + definitions["bindings"]:
        assert item["vhost"] in vhosts


@pytest.mark.parametrize("service", CONSUMERS)
def test_definitions_declare_the_consumer_queues(definitions, service):
    queues = {q["name"]: q for q in definitions["queues"]}
    inbox = queues[f"{service}.inbox"]
    assert inbox["durable"] and inbox["arguments"]["x-queue-type"] == "quorum"
    assert inbox["arguments"]["x-dead-letter-routing-key"] == f"{service}.dead"
    for suffix, ttl in RETRY_TTLS_MS.items():
        retry = queues[f"{service}.retry.{suffix}"]
        assert retry["durable"]
        # quorum: only quorum queues dead-letter at least once (a retry is never dropped)
        assert retry["arguments"]["x-queue-type"] == "quorum"
        assert retry["arguments"]["x-dead-letter-strategy"] == "at-least-once"
        assert retry["arguments"]["x-message-ttl"] == ttl
        assert retry["arguments"]["x-dead-letter-exchange"] == f"{service}.requeue"
        assert retry["arguments"]["x-dead-letter-routing-key"] == f"{service}.inbox"
    assert queues[f"{service}.dead"]["durable"]


def test_notifications_inbox_gets_registrations(definitions):
    assert {
        (b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]
    } >= {("alumnet.events", "notifications.inbox", "members.member.registered")}


def test_policies_match_existing_queues(definitions):
    names = [q["name"] for q in definitions["queues"]]
    for policy in definitions["policies"]:
        assert any(re.search(policy["pattern"], name) for name in names), policy["name"]
        target = policy["definition"].get("dead-letter-routing-key")
        assert target is None or target in names


def test_definitions_match_the_code_topology(definitions):
    """Queue arguments must equal what workers declare, or RabbitMQ refuses the declare."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    topology = importlib.import_module("shared.bus.topology")
    queues = {q["name"]: q for q in definitions["queues"]}
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    for service in CONSUMERS:
        service_queues = topology.ServiceQueues(service, ())
        requeue = service_queues.requeue()
        assert exchanges[requeue.name]["type"] == requeue.type and exchanges[requeue.name]["durable"]
        for queue in service_queues.all_queues():
            assert queue.name in queues
            assert queues[queue.name]["arguments"] == (queue.queue_arguments or {}), queue.name
            assert queues[queue.name]["durable"] == queue.durable, queue.name
            # retries, parking and replays reach the queue through the service's own exchange
            by_name = {(b.exchange.name, queue.name, b.routing_key) for b in queue.bindings
                       if b.exchange.name == requeue.name}
            assert by_name == {(requeue.name, queue.name, queue.name)} and by_name <= bindings, queue.name
    assert topology.EXCHANGE_NAME == "alumnet.events"


def test_the_definitions_carry_no_users_or_passwords(definitions):
    assert definitions["users"] == [] and definitions["permissions"] == []
    assert "password" not in DEFINITIONS.read_text()


def test_generated_broker_users_match_the_definitions_and_the_urls(definitions, tmp_path):
    keys.generate(tmp_path)
    users = json.loads((tmp_path / "rabbitmq-users.json").read_text())
    assert {v["name"] for v in users["vhosts"]} <= {v["name"] for v in definitions["vhosts"]}
    by_name = {u["name"]: u for u in users["users"]}
    assert set(by_name) == set(SERVICES) | {keys.OPS_USER}
    for service in SERVICES:
        env = dict(line.split("=", 1) for line in (tmp_path / f"{service}.env").read_text().splitlines())
        url = urlsplit(env["AMQP_URL"])
        assert url.username == service and url.path == "/" + keys.VHOST
        assert keys.check_password(unquote(url.password), by_name[service]["password_hash"])
        [topic] = [t for t in users["topic_permissions"] if t["user"] == service]
        assert topic["exchange"] == "alumnet.events" and topic["write"] == f"^{service}\\."
        [rights] = [p for p in users["permissions"] if p["user"] == service]
        assert ".*" not in (rights["configure"], rights["write"], rights["read"])
        # The default exchange reaches every service's queues; the shared one is the deployment's.
        assert not re.search(rights["write"], "amq.default")
        assert not re.search(rights["configure"], "alumnet.events")
        assert re.search(rights["write"], f"{service}.requeue") and re.search(rights["configure"], f"{service}.inbox")


def test_password_hash_round_trip():
    encoded = keys.password_hash("s3cret")
    assert keys.check_password("s3cret", encoded)
    assert not keys.check_password("other", encoded)


def test_secret_files_are_what_the_key_generator_writes(compose, services, tmp_path):
    written = {path.name for path in keys.generate(tmp_path)}
    mounted = {secret["file"].rsplit("/", 1)[1] for secret in compose["secrets"].values()}
    env_files = {entry["env_file"].rsplit("/", 1)[1] for _, _, _, entry in alumnet_processes(services)}
    env_files.add(services["portal"]["env_file"].rsplit("/", 1)[1])
    assert mounted | env_files <= written


# --------------------------------------------------------------------------- the portal

def test_the_portal_runs_from_the_same_image_behind_the_gateway(services):
    portal, api = services["portal"], services["members-api"]
    assert (portal["image"], portal["build"]) == (api["image"], api["build"])
    assert command_of(portal) == ["alumnet", "portal"]
    env = env_of(portal)
    assert env["PORTAL_API_URL"] == "http://gateway:8080"
    assert env["PORTAL_TRUSTED_PROXIES"] == "1"  # the gateway, and no one in front of it
    assert set(env) <= PORTAL_ENV, sorted(set(env) - PORTAL_ENV)
    assert "ports" not in portal  # reached through the gateway only
    assert "/healthz" in portal["healthcheck"]["test"] and "api" in portal["healthcheck"]["test"]
    assert portal["deploy"]["resources"]["limits"]["memory"]


def test_the_portals_session_key_comes_from_its_own_secrets_file(services, tmp_path):
    portal = services["portal"]
    assert portal["env_file"] == "./deploy/secrets/portal.env"
    assert "PORTAL_SESSION_KEY" not in env_of(portal) and "DEV_MODE" not in env_of(portal)
    keys.generate(tmp_path)
    line = (tmp_path / "portal.env").read_text().strip()
    name, value = line.split("=", 1)
    assert name == "PORTAL_SESSION_KEY"
    from frontends.portal.settings import load as load_portal
    assert load_portal({"PORTAL_SESSION_KEY": value}).session_key == value  # a Fernet key it accepts
    # Not any service's key: the portal shares no secret with them.
    assert value not in "".join(p.read_text() for p in tmp_path.glob("*.env") if p.name != "portal.env")
    assert not portal.get("secrets")  # no JWT key either: it verifies nothing itself


def test_the_gateway_believes_the_portal_from_its_fixed_address_only(services):
    portal_address = services["portal"]["networks"]["default"]["ipv4_address"]
    gateway = env_of(services["gateway"])
    assert gateway["PORTAL_REAL_IP_FROM"] == portal_address
    assert portal_address != services["gateway"]["networks"]["default"]["ipv4_address"]
