"""batch/v1 types: references, realistic manifests and well-known numbers."""

from __future__ import annotations

import pytest

from kubeling.api import schema
from kubeling.api.batch import v1 as batch
from kubeling.api.schema import ListOf, Object
from tests.unit.api.types.test_core_v1_cluster import (
    CORE_V1_POD,
    META_V1,
    assert_manifest_declared,
    assert_well_formed,
    external_refs,
    import_if_present,
    load,
)

META_REFS = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
}
POD_REFS = {"io.k8s.api.core.v1.ObjectReference", "io.k8s.api.core.v1.PodTemplateSpec"}
OWNERS = {META_V1: META_REFS, CORE_V1_POD: POD_REFS}


@pytest.fixture(autouse=True)
def _owners() -> None:
    """Load the owners of referenced types that exist."""
    for owner in OWNERS:
        import_if_present(owner)


def test_external_refs_are_exactly_the_expected_ones() -> None:
    """batch/v1 refers outside itself to meta/v1 and the Pod closure only, by these names."""
    assert external_refs(batch) == META_REFS | POD_REFS


@pytest.mark.parametrize("owner", sorted(OWNERS))
def test_refs_resolve_once_their_owner_exists(owner: str) -> None:
    """Every name expected from an owner module is declared by it, once it is written."""
    if import_if_present(owner) is None:
        pytest.skip(f"{owner} is not written yet")
    assert sorted(n for n in OWNERS[owner] if n not in schema.DEFINITIONS) == []


def test_declarations_are_well_formed() -> None:
    """apiVersion/kind first, protobuf numbers everywhere, list/map metadata where it fits."""
    assert_well_formed(batch)


@pytest.mark.parametrize(
    ("obj", "field", "number"),
    [
        (batch.JobSpec, "parallelism", 1),
        (batch.JobSpec, "template", 6),
        (batch.JobSpec, "backoffLimit", 7),
        (batch.JobSpec, "podFailurePolicy", 11),
        (batch.JobSpec, "backoffLimitPerIndex", 12),
        (batch.JobSpec, "managedBy", 15),
        (batch.JobSpec, "successPolicy", 16),
        (batch.JobStatus, "terminating", 11),
        (batch.JobStatus, "failedIndexes", 10),
        (batch.JobStatus, "ready", 9),
        (batch.CronJobSpec, "timeZone", 8),
        (batch.CronJobSpec, "jobTemplate", 5),
        (batch.CronJobStatus, "lastScheduleTime", 4),
        (batch.CronJobStatus, "lastSuccessfulTime", 5),
    ],
)
def test_well_known_protobuf_numbers(obj: Object, field: str, number: int) -> None:
    """Numbers as in batch/v1 generated.proto."""
    assert obj.field(field).proto == number


def test_patch_metadata() -> None:
    """Job conditions merge by type for patches but are atomic for server-side apply."""
    conditions = batch.JobStatus.field("conditions")
    assert (conditions.patch_strategy, conditions.patch_merge_key) == ("merge", "type")
    assert (conditions.list_type, conditions.list_map_keys) == ("atomic", ())
    assert batch.UncountedTerminatedPods.field("failed").list_type == "set"
    values = batch.PodFailurePolicyOnExitCodesRequirement.field("values")
    assert (values.type, values.list_type) == (ListOf(schema.INT32), "set")
    assert set(batch.CronJobSpec.required()) == {"schedule", "jobTemplate"}
    assert batch.CronJob.gvk == schema.GroupVersionKind("batch", "v1", "CronJob")


JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  namespace: default
  labels: {batch.kubernetes.io/job-name: pi}
spec:
  parallelism: 2
  completions: 5
  completionMode: Indexed
  backoffLimitPerIndex: 1
  maxFailedIndexes: 2
  activeDeadlineSeconds: 600
  ttlSecondsAfterFinished: 100
  suspend: false
  manualSelector: false
  podReplacementPolicy: Failed
  managedBy: kubernetes.io/job-controller
  selector:
    matchLabels: {batch.kubernetes.io/controller-uid: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: pi, operator: In, values: [42]}
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget, status: "True"}]
  successPolicy:
    rules: [{succeededIndexes: 0-2, succeededCount: 2}]
  template:
    metadata:
      labels: {app: pi}
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl:5.34
        command: [perl, -Mbignum=bpi, -wle, print bpi(2000)]
status:
  startTime: "2024-05-01T10:00:00Z"
  active: 2
  succeeded: 2
  failed: 1
  terminating: 0
  ready: 2
  completedIndexes: 0-1
  failedIndexes: "3"
  uncountedTerminatedPods:
    succeeded: [5d1c8a7e-3f2b-4e6d-9c0a-1b2c3d4e5f60]
    failed: []
  conditions:
  - type: SuccessCriteriaMet
    status: "True"
    lastProbeTime: "2024-05-01T10:05:00Z"
    lastTransitionTime: "2024-05-01T10:05:00Z"
    reason: SuccessPolicy
    message: Matched rules at index 0
"""

CRON_JOB = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: default}
spec:
  schedule: "*/15 * * * *"
  timeZone: Europe/Berlin
  startingDeadlineSeconds: 200
  concurrencyPolicy: Forbid
  suspend: false
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata:
      labels: {app: backup}
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: busybox:1.36
            args: [/bin/sh, -c, date]
status:
  active:
  - apiVersion: batch/v1
    kind: Job
    name: backup-28573245
    namespace: default
    uid: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
    resourceVersion: "4711"
  lastScheduleTime: "2024-05-01T10:15:00Z"
  lastSuccessfulTime: "2024-05-01T10:00:40Z"
"""


@pytest.mark.parametrize("text", [JOB, CRON_JOB], ids=["job", "cronjob"])
def test_manifest_fields_are_declared(text: str) -> None:
    """Every field of a realistic manifest is declared, with the right JSON type."""
    assert_manifest_declared(load(text))
