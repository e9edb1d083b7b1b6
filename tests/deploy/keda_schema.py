"""The part of KEDA's custom resources (keda.sh/v1alpha1, KEDA 2.x) that deploy/k8s/overlays/keda
uses, as JSON schemas: no package ships KEDA's CRD schemas offline, and the Kubernetes schemas
of kubernetes-validate do not cover custom resources. Written from the CRDs' openAPIV3Schema
(keda/config/crd/bases); closed (additionalProperties false) where a misspelt field would be
silently ignored by the cluster. Trigger metadata is a map of strings in the CRD: a number
there is refused by the API server, which YAML makes easy to write."""
from __future__ import annotations

_OBJECT_META = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}

_REPLICAS = {"type": "integer", "minimum": 0}


def _custom_resource(kind: str, spec: dict) -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {"const": "keda.sh/v1alpha1"}, "kind": {"const": kind},
                       "metadata": _OBJECT_META, "spec": spec},
        "additionalProperties": False,
    }


SCALED_OBJECT = _custom_resource("ScaledObject", {
    "type": "object",
    "required": ["scaleTargetRef", "triggers"],
    "properties": {
        "scaleTargetRef": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "kind": {"type": "string"},
                           "apiVersion": {"type": "string"}, "envSourceContainerName": {"type": "string"}},
            "additionalProperties": False,
        },
        "pollingInterval": {"type": "integer", "minimum": 1},
        "cooldownPeriod": {"type": "integer", "minimum": 0},
        "initialCooldownPeriod": {"type": "integer", "minimum": 0},
        "idleReplicaCount": _REPLICAS,
        "minReplicaCount": _REPLICAS,
        "maxReplicaCount": _REPLICAS,
        "fallback": {"type": "object"},
        "advanced": {"type": "object"},
        "triggers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["type", "metadata"],
                "properties": {
                    "type": {"type": "string"},
                    "name": {"type": "string"},
                    "useCachedMetrics": {"type": "boolean"},
                    "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    "authenticationRef": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"},
                                       "kind": {"enum": ["TriggerAuthentication",
                                                         "ClusterTriggerAuthentication"]}},
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
})

TRIGGER_AUTHENTICATION = _custom_resource("TriggerAuthentication", {
    "type": "object",
    "properties": {
        "secretTargetRef": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["parameter", "name", "key"],
                "properties": {"parameter": {"type": "string"}, "name": {"type": "string"},
                               "key": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "env": {"type": "array"},
        "configMapTargetRef": {"type": "array"},
        "podIdentity": {"type": "object"},
        "hashiCorpVault": {"type": "object"},
        "azureKeyVault": {"type": "object"},
        "awsSecretManager": {"type": "object"},
        "gcpSecretManager": {"type": "object"},
    },
    "additionalProperties": False,
})

SCHEMAS = {"ScaledObject": SCALED_OBJECT, "TriggerAuthentication": TRIGGER_AUTHENTICATION}
