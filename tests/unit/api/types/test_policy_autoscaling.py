"""policy/v1 and autoscaling/v1, v2 types: references, manifests and numbers."""

from __future__ import annotations

from types import ModuleType

import pytest

from kubeling.api import schema
from kubeling.api.autoscaling import v1 as autoscaling_v1
from kubeling.api.autoscaling import v2 as autoscaling_v2
from kubeling.api.policy import v1 as policy
from kubeling.api.schema import MapOf, Object
from tests.unit.api.types.test_core_v1_cluster import (
    META_V1,
    assert_manifest_declared,
    assert_well_formed,
    external_refs,
    import_if_present,
    load,
)

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
EXPECTED_REFS: dict[ModuleType, set[str]] = {
    policy: {
        _META + name
        for name in ("Condition", "DeleteOptions", "LabelSelector", "ListMeta", "ObjectMeta")
    },
    autoscaling_v1: {_META + "ListMeta", _META + "ObjectMeta"},
    autoscaling_v2: {_META + "LabelSelector", _META + "ListMeta", _META + "ObjectMeta"},
}
MODULES = list(EXPECTED_REFS)


@pytest.fixture(autouse=True)
def _owners() -> None:
    """Load meta/v1 once it exists."""
    import_if_present(META_V1)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_external_refs_are_exactly_the_expected_ones(module: ModuleType) -> None:
    """These groups refer outside themselves only to meta/v1, by these names."""
    assert external_refs(module) == EXPECTED_REFS[module]


def test_refs_resolve_once_meta_exists() -> None:
    """Every meta/v1 name referred to is declared by meta/v1, once it is written."""
    if import_if_present(META_V1) is None:
        pytest.skip(f"{META_V1} is not written yet")
    wanted = set().union(*EXPECTED_REFS.values())
    assert sorted(n for n in wanted if n not in schema.DEFINITIONS) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_declarations_are_well_formed(module: ModuleType) -> None:
    """apiVersion/kind first, protobuf numbers everywhere, list/map metadata where it fits."""
    assert_well_formed(module)


@pytest.mark.parametrize(
    ("obj", "field", "number"),
    [
        (policy.PodDisruptionBudgetSpec, "maxUnavailable", 3),
        (policy.PodDisruptionBudgetSpec, "unhealthyPodEvictionPolicy", 4),
        (policy.PodDisruptionBudgetStatus, "expectedPods", 6),
        (policy.PodDisruptionBudgetStatus, "conditions", 7),
        (policy.Eviction, "deleteOptions", 2),
        (autoscaling_v1.ScaleSpec, "replicas", 1),
        (autoscaling_v1.ScaleStatus, "selector", 2),
        (autoscaling_v1.HorizontalPodAutoscalerSpec, "targetCPUUtilizationPercentage", 4),
        (autoscaling_v1.HorizontalPodAutoscalerStatus, "currentCPUUtilizationPercentage", 5),
        (autoscaling_v2.HorizontalPodAutoscalerSpec, "behavior", 5),
        (autoscaling_v2.MetricSpec, "containerResource", 7),
        (autoscaling_v2.MetricSpec, "external", 5),
        (autoscaling_v2.MetricStatus, "containerResource", 7),
        (autoscaling_v2.HPAScalingRules, "stabilizationWindowSeconds", 3),
        (autoscaling_v2.HPAScalingRules, "selectPolicy", 1),
        (autoscaling_v2.ObjectMetricSource, "metric", 3),
        (autoscaling_v2.ObjectMetricStatus, "describedObject", 3),
        (autoscaling_v2.MetricValueStatus, "averageUtilization", 3),
        (autoscaling_v2.MetricTarget, "averageUtilization", 4),
    ],
)
def test_well_known_protobuf_numbers(obj: Object, field: str, number: int) -> None:
    """Numbers as in the groups' generated.proto."""
    assert obj.field(field).proto == number


def test_definition_names_and_kinds() -> None:
    """The two HPA versions differ in their definition names; Scale is autoscaling/v1."""
    assert autoscaling_v1.HorizontalPodAutoscaler.name == (
        "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler"
    )
    assert autoscaling_v2.HorizontalPodAutoscaler.name == (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler"
    )
    assert autoscaling_v1.Scale.gvk == schema.GroupVersionKind("autoscaling", "v1", "Scale")
    assert policy.Eviction.gvk == schema.GroupVersionKind("policy", "v1", "Eviction")
    assert policy.PodDisruptionBudgetSpec.field("selector").patch_strategy == "replace"
    assert policy.PodDisruptionBudgetStatus.field("disruptedPods").type == MapOf(schema.TIME)
    assert set(autoscaling_v2.HorizontalPodAutoscalerStatus.required()) == {"desiredReplicas"}


HPA_V2 = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 70}
  - type: Pods
    pods:
      metric:
        name: http_requests_per_second
        selector:
          matchLabels: {verb: GET}
      target: {type: AverageValue, averageValue: 1k}
  - type: ContainerResource
    containerResource:
      name: memory
      container: web
      target: {type: AverageValue, averageValue: 500Mi}
  - type: Object
    object:
      describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}
      metric: {name: requests_per_second}
      target: {type: Value, value: 10k}
  - type: External
    external:
      metric: {name: queue_messages_ready}
      target: {type: AverageValue, averageValue: "30"}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      selectPolicy: Max
      policies:
      - {type: Percent, value: 100, periodSeconds: 15}
      - {type: Pods, value: 4, periodSeconds: 15}
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
      - {type: Percent, value: 100, periodSeconds: 15}
status:
  observedGeneration: 1
  lastScaleTime: "2024-05-01T10:00:00Z"
  currentReplicas: 3
  desiredReplicas: 4
  currentMetrics:
  - type: Resource
    resource:
      name: cpu
      current: {averageUtilization: 85, averageValue: 340m}
  - type: Pods
    pods:
      metric: {name: http_requests_per_second}
      current: {averageValue: "1200"}
  conditions:
  - type: AbleToScale
    status: "True"
    lastTransitionTime: "2024-05-01T10:00:00Z"
    reason: ReadyForNewScale
    message: recommended size matches current size
"""

HPA_V1 = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  targetCPUUtilizationPercentage: 80
status:
  currentReplicas: 2
  desiredReplicas: 2
  currentCPUUtilizationPercentage: 40
  lastScaleTime: "2024-05-01T10:00:00Z"
"""

SCALE = """
apiVersion: autoscaling/v1
kind: Scale
metadata: {name: web, namespace: default, resourceVersion: "4711"}
spec: {replicas: 5}
status: {replicas: 3, selector: app=web}
"""

PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec:
  minAvailable: 50%
  selector:
    matchLabels: {app: web}
  unhealthyPodEvictionPolicy: AlwaysAllow
status:
  observedGeneration: 1
  disruptionsAllowed: 1
  currentHealthy: 3
  desiredHealthy: 2
  expectedPods: 3
  disruptedPods: {web-0: "2024-05-01T10:00:00Z"}
  conditions:
  - type: DisruptionAllowed
    status: "True"
    reason: SufficientPods
    message: ""
    observedGeneration: 1
    lastTransitionTime: "2024-05-01T10:00:00Z"
"""

EVICTION = """
apiVersion: policy/v1
kind: Eviction
metadata: {name: web-0, namespace: default}
deleteOptions: {gracePeriodSeconds: 30, preconditions: {uid: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}}
"""


@pytest.mark.parametrize(
    "text",
    [HPA_V2, HPA_V1, SCALE, PDB, EVICTION],
    ids=["hpa-v2", "hpa-v1", "scale", "poddisruptionbudget", "eviction"],
)
def test_manifest_fields_are_declared(text: str) -> None:
    """Every field of a realistic manifest is declared, with the right JSON type."""
    assert_manifest_declared(load(text))
