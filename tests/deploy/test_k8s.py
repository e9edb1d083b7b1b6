"""The Kubernetes manifests under deploy/k8s: valid, complete, consistent, and locked down."""
from __future__ import annotations

import copy
import posixpath
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared.bus.topology import ServiceQueues

from .helpers import (CONSUMERS, DEPLOY, DOCUMENTED_ENV, GATEWAY_VARIABLES, PORTAL_ENV, SERVICES, load_yaml,
                      load_yaml_documents)
from .keda_schema import SCHEMAS as KEDA_SCHEMAS

K8S = DEPLOY / "k8s"
KEDA = K8S / "overlays" / "keda"
NOT_APPLIED = {"secret.example.yaml"}  # applying placeholders would overwrite real secrets
# The oldest Kubernetes the manifests are written for (deploy/README.md) and the newest whose
# schemas kubernetes-validate bundles: a field removed or renamed in between fails one of them.
KUBERNETES_VERSIONS = ("1.30", "1.37")
# Applied by hand in the broker's and store's namespace, beside the kustomizations.
NAMESPACE_INFRA = "alumnet-infra"


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


# --------------------------------------------------------------------------- schemas

def _all_manifests(objects) -> list[tuple[str, dict]]:
    """Every Kubernetes object of the repository: the kustomization's, the example Secrets, the
    infra namespace's policies and the KEDA overlay's (its custom resources aside)."""
    found = [("kustomization", o) for o in objects]
    for path in (K8S / "secret.example.yaml", K8S / "infra" / "networkpolicy.yaml", KEDA / "infra-networkpolicy.yaml"):
        found += [(path.name, doc) for doc in load_yaml_documents(path)]
    found += [(name, doc) for name, doc in _keda_objects() if doc["apiVersion"] not in KEDA_API_VERSIONS]
    return found


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_matches_the_kubernetes_schema(objects, version):
    # strict: a field the schema does not know (a typo, a field of another version) is an error,
    # where the API server would drop it silently.
    failures = []
    for source, doc in _all_manifests(objects):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{source}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")
    assert not failures, "\n".join(failures)


def test_the_schema_check_refuses_what_the_api_server_would_drop(deployments):
    broken = copy.deepcopy(deployments["events-worker"])
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": 9000}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": "many"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, KUBERNETES_VERSIONS[0], strict=True)


# --------------------------------------------------------------------------- autoscaling

SCALED_ON_CPU = tuple(f"{s}-api" for s in SERVICES) + ("portal",)


def test_the_apis_and_the_portal_scale_on_cpu_from_two_copies(objects, deployments):
    autoscalers = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    assert set(autoscalers) == set(SCALED_ON_CPU), "workers scale on queue depth (overlays/keda), not on CPU"
    for name, hpa in autoscalers.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
        deployment = deployments[name]
        # The autoscaler owns the count: a replicas field would reset it at every apply.
        assert "replicas" not in deployment["spec"], name
        # One copy can be drained (pdb.yaml) while another serves.
        assert hpa["spec"]["minReplicas"] >= 2, name
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"], name
        [metric] = hpa["spec"]["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu", name
        assert metric["resource"]["target"]["type"] == "Utilization", name
        assert 0 < metric["resource"]["target"]["averageUtilization"] <= 90, name
        # Utilization is of the request: without one the autoscaler cannot compute it.
        [container] = pod_containers(deployment)
        assert container["resources"]["requests"]["cpu"], name


def test_fixed_counts_are_left_only_where_nothing_scales(deployments):
    for name, deployment in deployments.items():
        if name not in SCALED_ON_CPU:
            assert deployment["spec"]["replicas"] >= 1, name


# --------------------------------------------------------------------------- the KEDA overlay

KEDA_API_VERSIONS = {"keda.sh/v1alpha1"}
KEDA_NOT_APPLIED = {"infra-networkpolicy.yaml"}  # for the broker's namespace


def _keda_objects() -> list[tuple[str, dict]]:
    kustomization = load_yaml(KEDA / "kustomization.yaml")
    return [(name, doc) for name in kustomization["resources"] if name.endswith(".yaml")
            for doc in load_yaml_documents(KEDA / name)]


@pytest.fixture(scope="module")
def keda_kustomization() -> dict:
    return load_yaml(KEDA / "kustomization.yaml")


@pytest.fixture(scope="module")
def keda_objects() -> dict[tuple[str, str], dict]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in _keda_objects()}


def test_the_keda_overlay_builds_on_the_base_and_lists_its_files(keda_kustomization, kustomization):
    assert keda_kustomization["resources"][0] == "../.."
    assert keda_kustomization["namespace"] == kustomization["namespace"]
    on_disk = {p.name for p in KEDA.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk - set(keda_kustomization["resources"]) == KEDA_NOT_APPLIED


def test_keda_resources_match_keda_s_custom_resource_structure(keda_objects):
    assert keda_objects
    for (kind, name), doc in keda_objects.items():
        assert doc["apiVersion"] in KEDA_API_VERSIONS, name
        jsonschema.validate(doc, KEDA_SCHEMAS[kind])
    # The check itself is not hollow: a number where KEDA wants a string is refused.
    wrong = copy.deepcopy(next(d for (k, _), d in keda_objects.items() if k == "ScaledObject"))
    wrong["spec"]["triggers"][0]["metadata"]["value"] = 200
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, KEDA_SCHEMAS["ScaledObject"])


def test_each_consuming_worker_scales_on_its_own_inbox(keda_objects, deployments):
    scaled = {d["spec"]["scaleTargetRef"]["name"]: d for (k, _), d in keda_objects.items() if k == "ScaledObject"}
    assert set(scaled) == {f"{s}-worker" for s in CONSUMERS}, "members consumes nothing: nothing to scale on"
    for service in CONSUMERS:
        spec = scaled[f"{service}-worker"]["spec"]
        assert f"{service}-worker" in deployments
        assert spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
        # The worker also relays the outbox and runs timers: never scaled to zero.
        assert spec["minReplicaCount"] >= 1 and "idleReplicaCount" not in spec, service
        assert spec["maxReplicaCount"] > spec["minReplicaCount"], service
        [trigger] = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        metadata = trigger["metadata"]
        assert metadata["queueName"] == ServiceQueues(service, ()).inbox_name
        assert metadata["mode"] == "QueueLength" and int(metadata["value"]) > 0
        assert metadata["protocol"] == "amqp"
        # The connection (with its password) comes from the Secret, never from the repository.
        assert not {"host", "hostFromEnv"} & set(metadata), service
        assert not any("://" in value for value in metadata.values()), service
        auth = keda_objects[("TriggerAuthentication", trigger["authenticationRef"]["name"])]
        assert auth["spec"]["secretTargetRef"] == [{"parameter": "host", "name": f"{service}-secrets", "key": "AMQP_URL"}]


def test_the_connection_keda_reads_is_in_the_services_secret():
    secrets = {doc["metadata"]["name"]: doc for doc in load_yaml_documents(K8S / "secret.example.yaml")}
    for service in CONSUMERS:
        assert urlsplit(secrets[f"{service}-secrets"]["stringData"]["AMQP_URL"]).scheme in ("amqp", "amqps")


def test_the_overlay_carries_no_secret(keda_objects):
    assert not [name for (kind, name) in keda_objects if kind == "Secret"]


def test_keda_owns_the_replica_count_of_what_it_scales(keda_kustomization, keda_objects, deployments):
    targets = {(p["target"]["kind"], p["target"]["name"]): p["patch"] for p in keda_kustomization["patches"]}
    scaled = {d["spec"]["scaleTargetRef"]["name"] for (k, _), d in keda_objects.items() if k == "ScaledObject"}
    assert {name for kind, name in targets if kind == "Deployment"} == scaled
    for (_, name), patch in targets.items():
        assert "replicas" in deployments[name]["spec"]  # the field the patch removes exists
        assert yaml.safe_load(patch) == [{"op": "remove", "path": "/spec/replicas"}], name


def test_keda_may_reach_the_broker_and_nothing_else():
    [policy] = load_yaml_documents(KEDA / "infra-networkpolicy.yaml")
    assert policy["metadata"]["namespace"] == NAMESPACE_INFRA
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "rabbitmq"}}
    [rule] = policy["spec"]["ingress"]
    assert {p["port"] for p in rule["ports"]} == {5672, 5671}


# --------------------------------------------------------------------------- egress

def _matches(selector: dict, labels: dict) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", "only In is read here"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _egress_rules(objects, labels: dict) -> list[dict]:
    return [rule for p in _policies(objects) if "Egress" in p["spec"]["policyTypes"]
            and _matches(p["spec"]["podSelector"], labels) for rule in p["spec"].get("egress", [])]


def _peer_kind(peer: dict, deployments) -> str:
    """What a peer is: dns, rabbitmq, mongo, internet, or the name of a Deployment here."""
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        assert block["cidr"] == "0.0.0.0/0"
        private = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
        # The pod network is not "the internet": every private range is cut out.
        assert private <= set(block["except"])
        return "internet"
    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
    if namespace == "kube-system":
        assert peer["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
        return "dns"
    if namespace == NAMESPACE_INFRA:
        return peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
    assert "namespaceSelector" not in peer, peer
    chosen = [name for name, d in deployments.items()
              if _matches(peer["podSelector"], d["spec"]["template"]["metadata"]["labels"])]
    assert chosen, peer
    return "+".join(sorted(chosen))


def _reach(objects, deployments, name) -> dict[str, set[tuple[int, str]]]:
    labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
    reach: dict[str, set] = {}
    for rule in _egress_rules(objects, labels):
        assert rule.get("to") and rule.get("ports"), f"{name}: an egress rule without peers or ports allows all"
        for peer in rule["to"]:
            for port in rule["ports"]:
                reach.setdefault(_peer_kind(peer, deployments), set()).add((port["port"], port["protocol"]))
    return reach


def test_egress_is_denied_unless_a_policy_allows_it(objects):
    assert any(p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Egress"]
               and not p["spec"].get("egress") for p in _policies(objects))


def test_every_pod_resolves_names_and_reaches_only_what_its_role_needs(objects, deployments, generated):
    config = read_env_file(K8S / generated["alumnet-config"]["envs"][0])
    broker = {(5672, "TCP"), (5671, "TCP")}
    store = {(27017, "TCP")}
    apis = "+".join(sorted(f"{s}-api" for s in SERVICES))
    [gateway_port] = [p["containerPort"] for p in pod_containers(deployments["gateway"])[0]["ports"]]
    for name in deployments:
        reach = _reach(objects, deployments, name)
        assert reach.pop("dns") == {(53, "UDP"), (53, "TCP")}, name
        if name.endswith(("-api", "-worker")):
            assert reach.pop("rabbitmq") == broker, name
            assert reach.pop("mongo") == store, name
            if name == "notifications-worker":
                ports = {port for port, _ in reach.pop("internet")}
                assert int(config["SMTP_PORT"]) in ports and urlsplit(config["SMS_API_URL"]).scheme == "https"
                assert ports == {25, 465, 587, 443}, name
        elif name == "gateway":
            assert reach.pop(apis) == {(8000, "TCP")}
            assert reach.pop("portal") == {(8000, "TCP")}
        elif name == "portal":
            assert reach.pop("gateway") == {(gateway_port, "TCP")}
        assert reach == {}, f"{name} reaches more than its role needs: {sorted(reach)}"


def test_egress_to_the_broker_and_store_matches_what_their_namespace_lets_in(objects):
    allowed = {}
    for policy in load_yaml_documents(K8S / "infra" / "networkpolicy.yaml"):
        target = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        allowed[target] = {p["port"] for rule in policy["spec"]["ingress"] if "ports" in rule for p in rule["ports"]}
    for policy in _policies(objects):
        for rule in policy["spec"].get("egress", []):
            for peer in rule["to"]:
                namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                if namespace == NAMESPACE_INFRA:
                    target = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    assert {p["port"] for p in rule["ports"]} <= allowed[target], policy["metadata"]["name"]
