"""The Kubernetes manifests under deploy/k8s: valid, complete, consistent, and locked down."""
from __future__ import annotations

import posixpath

import pytest

from .helpers import DEPLOY, DOCUMENTED_ENV, GATEWAY_VARIABLES, PORTAL_ENV, SERVICES, load_yaml, load_yaml_documents

K8S = DEPLOY / "k8s"
NOT_APPLIED = {"secret.example.yaml"}  # applying placeholders would overwrite real secrets


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return load_yaml(K8S / "kustomization.yaml")


@pytest.fixture(scope="module")
def objects(kustomization) -> list[dict]:
    found = []
    for name in kustomization["resources"]:
        found += load_yaml_documents(K8S / name)
    return found


@pytest.fixture(scope="module")
def deployments(objects) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}


@pytest.fixture(scope="module")
def k8s_services(objects) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}


@pytest.fixture(scope="module")
def generated(kustomization) -> dict[str, dict]:
    return {g["name"]: g for g in kustomization["configMapGenerator"]}


def read_env_file(path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
            values[key.strip()] = value
    return values


def pod_containers(deployment):
    return deployment["spec"]["template"]["spec"]["containers"]


def test_every_listed_file_exists_and_parses(kustomization, generated):
    for name in kustomization["resources"]:
        documents = load_yaml_documents(K8S / name)
        assert documents, name
        for doc in documents:
            assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], name
    for generator in generated.values():
        for name in generator.get("files", []) + generator.get("envs", []):
            assert (K8S / name).is_file(), name


def test_no_manifest_is_forgotten(kustomization):
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk - listed == NOT_APPLIED


def secrets_read(node, found: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every Secret the manifests read, by name, with the keys they read from it by name
    (``envFrom`` reads them all and names none)."""
    found = {} if found is None else found
    if isinstance(node, dict):
        if "secretRef" in node:  # envFrom
            found.setdefault(node["secretRef"]["name"], set())
        if "secretKeyRef" in node:  # env valueFrom
            found.setdefault(node["secretKeyRef"]["name"], set()).add(node["secretKeyRef"]["key"])
        if "secretName" in node:  # a volume
            found.setdefault(node["secretName"], set()).update(i["key"] for i in node.get("items", []))
        for value in node.values():
            secrets_read(value, found)
    elif isinstance(node, list):
        for value in node:
            secrets_read(value, found)
    return found


def test_the_example_secrets_are_the_ones_the_manifests_read(objects, kustomization):
    """secret.example.yaml is what an operator copies and fills in: each Secret a pod reads is
    there under the name and in the namespace the pod looks in, with every key it reads (a
    renamed or missing one leaves the pod unable to start), and there is no other."""
    examples = {}
    for doc in load_yaml_documents(K8S / "secret.example.yaml"):
        assert doc["kind"] == "Secret", doc["metadata"]["name"]
        assert doc["metadata"]["namespace"] == kustomization["namespace"], doc["metadata"]["name"]
        examples[doc["metadata"]["name"]] = set(doc["stringData"])
    read = secrets_read(objects)
    assert set(read) == set(examples)
    for name, keys in read.items():
        assert keys <= examples[name], (name, keys - examples[name])


def test_namespace_is_declared(kustomization, objects):
    namespaces = [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"]
    assert namespaces == [kustomization["namespace"]]


def test_each_service_has_api_and_worker_deployments(deployments):
    for service in SERVICES:
        for kind in ("api", "worker"):
            [container] = pod_containers(deployments[f"{service}-{kind}"])
            # args, not command, so the image's tini entrypoint stays PID 1.
            assert "command" not in container
            assert container["args"] == ["alumnet", kind, service]
            assert container["image"] == "alumnet"
        assert deployments[f"{service}-api"]["spec"]["replicas"] >= 2


def test_every_deployment_has_probes_and_resources(deployments):
    for name, deployment in deployments.items():
        for container in pod_containers(deployment):
            for probe in ("readinessProbe", "livenessProbe"):
                assert container.get(probe, {}).get("httpGet"), f"{name}: {probe}"
            for bound in ("requests", "limits"):
                amounts = container.get("resources", {}).get(bound, {})
                assert amounts.get("cpu") and amounts.get("memory"), f"{name}: {bound}"


def test_alumnet_probes_use_the_health_endpoints(deployments):
    for name, deployment in deployments.items():
        if name == "gateway":
            continue
        [container] = pod_containers(deployment)
        port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
        # The portal depends on nothing it could wait for: a down api gives a friendly page.
        assert container["readinessProbe"]["httpGet"]["path"] == ("/healthz" if name == "portal" else "/readyz"), name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in container:
                assert container[probe]["httpGet"]["port"] in port_names, name
        expected = 8000 if name.endswith("-api") or name == "portal" else 9000
        assert list(port_names.values()) == [expected], name


def test_every_deployment_runs_non_root(deployments):
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        pod_context = pod.get("securityContext", {})
        for container in pod_containers(deployment):
            context = {**pod_context, **container.get("securityContext", {})}
            assert context.get("runAsNonRoot") is True, name
            assert context.get("runAsUser", 0) != 0, name
            assert context.get("allowPrivilegeEscalation") is False, name
            assert "ALL" in context.get("capabilities", {}).get("drop", []), name


def test_selectors_match_pod_labels(deployments, k8s_services, objects):
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    for name, service in k8s_services.items():
        assert any(service["spec"]["selector"].items() <= labels.items() for labels in pod_labels), name
    for budget in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(selector.items() <= labels.items() for labels in pod_labels), budget["metadata"]["name"]


def test_each_api_has_a_service(k8s_services):
    for service in SERVICES:
        ports = k8s_services[f"{service}-api"]["spec"]["ports"]
        assert [p["port"] for p in ports] == [8000]


def test_config_names_only_documented_variables(generated):
    config = read_env_file(K8S / generated["alumnet-config"]["envs"][0])
    assert set(config) <= DOCUMENTED_ENV
    assert "DEV_MODE" not in config  # it would accept published secrets
    secrets = [doc for doc in load_yaml_documents(K8S / "secret.example.yaml")
               if doc["metadata"]["name"].endswith("-secrets")]
    assert {doc["metadata"]["name"] for doc in secrets} == {f"{s}-secrets" for s in (*SERVICES, "portal")}
    for doc in secrets:
        if doc["metadata"]["name"] == "portal-secrets":
            assert set(doc["stringData"]) == {"PORTAL_SESSION_KEY"}
            continue
        assert set(doc["stringData"]) <= DOCUMENTED_ENV
        assert not set(doc["stringData"]) & set(config)
        assert {"AMQP_URL", "MONGO_URL"} <= set(doc["stringData"])


def test_processes_use_the_config_and_only_documented_variables(deployments, generated):
    for name, deployment in deployments.items():
        if name in ("gateway", "portal"):
            continue
        [container] = pod_containers(deployment)
        refs = {(k, v["name"]) for ref in container["envFrom"] for k, v in ref.items()}
        # Each service's own Secret: its own broker and store users, never another's.
        service = name.rsplit("-", 1)[0]
        assert refs == {("configMapRef", "alumnet-config"), ("secretRef", f"{service}-secrets")}
        assert {e["name"] for e in container.get("env", [])} <= DOCUMENTED_ENV, name


def test_key_files_are_mounted_where_the_config_says(deployments, generated):
    config = read_env_file(K8S / generated["alumnet-config"]["envs"][0])
    for name, deployment in deployments.items():
        if name in ("gateway", "portal"):
            continue
        [container] = pod_containers(deployment)
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        files = set()
        for mount in container["volumeMounts"]:
            secret = volumes[mount["name"]].get("secret")
            if secret:
                assert secret["secretName"] == "alumnet-jwt"
                files |= {posixpath.join(mount["mountPath"], i["path"]) for i in secret["items"]}
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert config["JWT_PUBLIC_KEY_FILE"] in files, name
        private = env.get("JWT_PRIVATE_KEY_FILE")
        assert (private is not None) == (name == "members-api"), name
        assert private is None or private in files
        assert len(files) == (2 if name == "members-api" else 1), name


def test_gateway_renders_the_same_template(deployments, generated):
    copy = K8S / generated["gateway-templates"]["files"][0]
    assert copy.read_text() == (DEPLOY / "nginx" / "alumnet.conf.template").read_text(), (
        "deploy/k8s/gateway.conf.template must be a copy of deploy/nginx/alumnet.conf.template")
    gateway = deployments["gateway"]
    [container] = pod_containers(gateway)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert set(env) == GATEWAY_VARIABLES
    for service in SERVICES:
        assert env[f"{service.upper()}_API"] == f"{service}-api:8000"
    assert env["PORTAL_UPSTREAM"] == "portal:8000"
    volumes = {v["name"]: v for v in gateway["spec"]["template"]["spec"]["volumes"]}
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == "/etc/nginx/templates"]
    config_map = volumes[mount["name"]]["configMap"]
    assert config_map["name"] == "gateway-templates"
    assert all(item["path"].endswith(".template") for item in config_map["items"])
    assert container["ports"][0]["containerPort"] == int(env["GATEWAY_LISTEN"])


# --------------------------------------------------------------------------- network policies

def _policies(objects) -> list[dict]:
    return [o for o in objects if o["kind"] == "NetworkPolicy"]


def _selects(policy, labels: dict) -> bool:
    selector = policy["spec"]["podSelector"]
    return selector.get("matchLabels", {}).items() <= labels.items() and not selector.get("matchExpressions")


def test_ingress_is_denied_unless_a_policy_allows_it(objects):
    assert any(p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"]
               and not p["spec"].get("ingress") for p in _policies(objects))


def test_only_the_gateway_reaches_the_apis_and_nothing_reaches_the_workers(objects, deployments):
    gateway_labels = deployments["gateway"]["spec"]["template"]["metadata"]["labels"]
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        rules = [rule for p in _policies(objects) if _selects(p, labels) for rule in p["spec"].get("ingress", [])]
        if name == "gateway":
            assert rules, "the gateway must be reachable"
        elif name.endswith("-worker"):
            assert rules == [], name
        else:
            assert rules, name
            for rule in rules:
                peers = rule["from"]
                assert peers and all(set(peer) == {"podSelector"} and
                                     peer["podSelector"]["matchLabels"].items() <= gateway_labels.items()
                                     for peer in peers), name
                assert [port["port"] for port in rule["ports"]] == [8000], name


def test_only_apis_and_workers_reach_the_broker_and_the_store():
    policies = load_yaml_documents(K8S / "infra" / "networkpolicy.yaml")
    targets = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p for p in policies}
    assert set(targets) == {"rabbitmq", "mongo"}
    for target, policy in targets.items():
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        for rule in policy["spec"]["ingress"]:
            for peer in rule["from"]:
                if "namespaceSelector" in peer:
                    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "alumnet"}
                    [expression] = peer["podSelector"]["matchExpressions"]
                    assert expression["key"] == "app.kubernetes.io/component"
                    assert sorted(expression["values"]) == ["api", "worker"]
                else:  # the service's own peers (cluster, replica set)
                    assert peer == {"podSelector": {"matchLabels": {"app.kubernetes.io/name": target}}}


# --------------------------------------------------------------------------- the portal

def test_the_portal_runs_alone_with_its_own_secret(deployments, k8s_services):
    portal = deployments["portal"]
    [container] = pod_containers(portal)
    assert container["args"] == ["alumnet", "portal"]
    assert container["image"] == pod_containers(deployments["members-api"])[0]["image"]
    # Its own Secret only: no service's broker or store users, no JWT key, not the services' config.
    assert container["envFrom"] == [{"secretRef": {"name": "portal-secrets"}}]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert set(env) <= PORTAL_ENV, sorted(set(env) - PORTAL_ENV)
    assert "DEV_MODE" not in env and "PORTAL_SESSION_KEY" not in env
    assert env["PORTAL_TRUSTED_PROXIES"] == "1"
    gateway_port = k8s_services["gateway"]["spec"]["ports"][0]["port"]
    assert env["PORTAL_API_URL"] in ("http://gateway", f"http://gateway:{gateway_port}")
    assert not any("secret" in v for v in portal["spec"]["template"]["spec"]["volumes"])
    assert [p["port"] for p in k8s_services["portal"]["spec"]["ports"]] == [8000]


def test_the_gateway_believes_the_portals_pods(deployments):
    [container] = pod_containers(deployments["gateway"])
    env = {e["name"]: e["value"] for e in container["env"]}
    import ipaddress
    assert ipaddress.ip_network(env["PORTAL_REAL_IP_FROM"]).is_private
