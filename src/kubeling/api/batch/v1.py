"""batch/v1 types: Job and CronJob with their policies and status.

Field numbers are those of Kubernetes' ``batch/v1/generated.proto`` at release
1.32. Pod templates and ObjectReference are the core/v1 declarations, label
selectors and metadata the meta/v1 ones, all named by ``Ref``.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    INT32,
    INT64,
    STRING,
    TIME,
    Field,
    Kinds,
    ListOf,
    Object,
    Ref,
    list_kind,
)

__all__ = [
    "CronJob",
    "CronJobList",
    "CronJobSpec",
    "CronJobStatus",
    "Job",
    "JobCondition",
    "JobList",
    "JobSpec",
    "JobStatus",
    "JobTemplateSpec",
    "PodFailurePolicy",
    "PodFailurePolicyOnExitCodesRequirement",
    "PodFailurePolicyOnPodConditionsPattern",
    "PodFailurePolicyRule",
    "SuccessPolicy",
    "SuccessPolicyRule",
    "UncountedTerminatedPods",
]

_BATCH = "io.k8s.api.batch.v1."
_KINDS = Kinds(_BATCH, "batch", "v1")
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."

_OBJECT_META = Ref(_META + "ObjectMeta")
_LABEL_SELECTOR = Ref(_META + "LabelSelector")
_POD_TEMPLATE_SPEC = Ref("io.k8s.api.core.v1.PodTemplateSpec")
_OBJECT_REFERENCE = Ref("io.k8s.api.core.v1.ObjectReference")


# --- Job --------------------------------------------------------------------

PodFailurePolicyOnExitCodesRequirement = Object(
    _BATCH + "PodFailurePolicyOnExitCodesRequirement",
    "A requirement on the exit codes of a failed pod's containers.",
    [
        Field("containerName", 1, STRING, "Restricts the check to the container of this name."),
        Field(
            "operator",
            2,
            STRING,
            "The relationship between the exit codes and the values: In or NotIn.",
            required=True,
            enum=("In", "NotIn"),
        ),
        Field(
            "values",
            3,
            ListOf(INT32),
            "The exit codes to check, ordered and without duplicates.",
            required=True,
            list_type="set",
        ),
    ],
)

PodFailurePolicyOnPodConditionsPattern = Object(
    _BATCH + "PodFailurePolicyOnPodConditionsPattern",
    "A pattern matching a pod condition.",
    [
        Field("type", 1, STRING, "The pod condition type to match.", required=True),
        Field("status", 2, STRING, "The pod condition status to match; True by default."),
    ],
)

PodFailurePolicyRule = Object(
    _BATCH + "PodFailurePolicyRule",
    "How a pod failure is handled when the requirements are met.",
    [
        Field(
            "action",
            1,
            STRING,
            "The action taken on a matching pod failure.",
            required=True,
            enum=("Count", "FailIndex", "FailJob", "Ignore"),
        ),
        Field(
            "onExitCodes",
            2,
            PodFailurePolicyOnExitCodesRequirement,
            "The requirement on the container exit codes.",
        ),
        Field(
            "onPodConditions",
            3,
            ListOf(PodFailurePolicyOnPodConditionsPattern),
            "Pod condition patterns, one of which must match.",
            list_type="atomic",
        ),
    ],
)

PodFailurePolicy = Object(
    _BATCH + "PodFailurePolicy",
    "How failed pods count towards the backoffLimit.",
    [
        Field(
            "rules",
            1,
            ListOf(PodFailurePolicyRule),
            "The rules, evaluated in order.",
            required=True,
            list_type="atomic",
        ),
    ],
)

SuccessPolicyRule = Object(
    _BATCH + "SuccessPolicyRule",
    "A rule for declaring a Job succeeded.",
    [
        Field("succeededIndexes", 1, STRING, "Indexes that must all have succeeded, e.g. 1,3-5,7."),
        Field("succeededCount", 2, INT32, "The minimal number of succeeded indexes."),
    ],
)

SuccessPolicy = Object(
    _BATCH + "SuccessPolicy",
    "When a Job can be declared succeeded based on its succeeded indexes.",
    [
        Field(
            "rules",
            1,
            ListOf(SuccessPolicyRule),
            "Alternative rules, evaluated in order.",
            required=True,
            list_type="atomic",
        ),
    ],
)

JobSpec = Object(
    _BATCH + "JobSpec",
    "How a job's execution will look.",
    [
        Field("parallelism", 1, INT32, "The maximum number of pods running at once."),
        Field("completions", 2, INT32, "The desired number of successfully finished pods."),
        Field(
            "activeDeadlineSeconds",
            3,
            INT64,
            "Seconds the job may be active before the system terminates it.",
        ),
        Field("podFailurePolicy", 11, PodFailurePolicy, "How failed pods are handled."),
        Field("successPolicy", 16, SuccessPolicy, "When the job is declared succeeded."),
        Field("backoffLimit", 7, INT32, "Retries before the job is marked failed; 6 by default."),
        Field("backoffLimitPerIndex", 12, INT32, "Retries per index of an Indexed job."),
        Field(
            "maxFailedIndexes",
            13,
            INT32,
            "Failed indexes tolerated before the job is marked failed.",
        ),
        Field("selector", 4, _LABEL_SELECTOR, "A label query over the job's pods."),
        Field("manualSelector", 5, BOOL, "Whether the user picks the pod labels and selector."),
        Field("template", 6, _POD_TEMPLATE_SPEC, "The pod created by the job.", required=True),
        Field(
            "ttlSecondsAfterFinished",
            8,
            INT32,
            "Seconds after finishing when the job may be deleted.",
        ),
        Field(
            "completionMode",
            9,
            STRING,
            "How completions are tracked: NonIndexed (default) or Indexed.",
            enum=("Indexed", "NonIndexed"),
        ),
        Field("suspend", 10, BOOL, "Whether the controller should not create pods."),
        Field(
            "podReplacementPolicy",
            14,
            STRING,
            "When to create replacement pods.",
            enum=("Failed", "TerminatingOrFailed"),
        ),
        Field("managedBy", 15, STRING, "The controller that manages the job."),
    ],
)

JobCondition = Object(
    _BATCH + "JobCondition",
    "The current state of a job.",
    [
        Field("type", 1, STRING, "Type of job condition, e.g. Complete or Failed.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("lastProbeTime", 3, TIME, "Last time the condition was checked."),
        Field("lastTransitionTime", 4, TIME, "Last time the condition changed status."),
        Field("reason", 5, STRING, "Brief reason for the last transition."),
        Field("message", 6, STRING, "Human-readable details about the last transition."),
    ],
)

UncountedTerminatedPods = Object(
    _BATCH + "UncountedTerminatedPods",
    "UIDs of terminated pods not yet counted in the job status.",
    [
        Field("succeeded", 1, ListOf(STRING), "UIDs of succeeded pods.", list_type="set"),
        Field("failed", 2, ListOf(STRING), "UIDs of failed pods.", list_type="set"),
    ],
)

JobStatus = Object(
    _BATCH + "JobStatus",
    "The current state of a Job.",
    [
        Field(
            "conditions",
            1,
            ListOf(JobCondition),
            "The latest observations of the job's state.",
            patch_strategy="merge",
            patch_merge_key="type",
            list_type="atomic",
        ),
        Field("startTime", 2, TIME, "When the controller started processing the job."),
        Field("completionTime", 3, TIME, "When the job completed successfully."),
        Field("active", 4, INT32, "Pending and running pods that are not terminating."),
        Field("succeeded", 5, INT32, "Pods that reached phase Succeeded."),
        Field("failed", 6, INT32, "Pods that reached phase Failed."),
        Field("terminating", 11, INT32, "Pods that are terminating."),
        Field("completedIndexes", 7, STRING, "Completed indexes of an Indexed job, e.g. 1,3-5,7."),
        Field("failedIndexes", 10, STRING, "Failed indexes when backoffLimitPerIndex is set."),
        Field(
            "uncountedTerminatedPods",
            8,
            UncountedTerminatedPods,
            "Terminated pods not yet counted in the status counters.",
        ),
        Field("ready", 9, INT32, "Active pods with a Ready condition."),
    ],
)

Job = _KINDS.kind(
    "Job",
    "The configuration of a single job.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, JobSpec, "The desired behavior of the job."),
        Field("status", 3, JobStatus, "The current status of the job."),
    ],
)

JobList = list_kind(Job, "A list of Jobs.", "The Jobs.")

# --- CronJob ----------------------------------------------------------------

JobTemplateSpec = Object(
    _BATCH + "JobTemplateSpec",
    "The data a Job should have when created from a template.",
    [
        Field("metadata", 1, _OBJECT_META, "Metadata of the jobs created from this template."),
        Field("spec", 2, JobSpec, "The desired behavior of the job."),
    ],
)

CronJobSpec = Object(
    _BATCH + "CronJobSpec",
    "How and when a cron job's jobs run.",
    [
        Field("schedule", 1, STRING, "The schedule in Cron format.", required=True),
        Field("timeZone", 8, STRING, "The time zone of the schedule."),
        Field(
            "startingDeadlineSeconds",
            2,
            INT64,
            "Deadline in seconds for starting a job that missed its time.",
        ),
        Field(
            "concurrencyPolicy",
            3,
            STRING,
            "How concurrent runs are treated: Allow (default), Forbid or Replace.",
            enum=("Allow", "Forbid", "Replace"),
        ),
        Field("suspend", 4, BOOL, "Whether subsequent runs are suspended."),
        Field("jobTemplate", 5, JobTemplateSpec, "The job created on each run.", required=True),
        Field(
            "successfulJobsHistoryLimit",
            6,
            INT32,
            "Successful finished jobs kept; 3 by default.",
        ),
        Field("failedJobsHistoryLimit", 7, INT32, "Failed finished jobs kept; 1 by default."),
    ],
)

CronJobStatus = Object(
    _BATCH + "CronJobStatus",
    "The current state of a cron job.",
    [
        Field(
            "active",
            1,
            ListOf(_OBJECT_REFERENCE),
            "The currently running jobs.",
            list_type="atomic",
        ),
        Field("lastScheduleTime", 4, TIME, "When a job was last scheduled."),
        Field("lastSuccessfulTime", 5, TIME, "When a job last completed successfully."),
    ],
)

CronJob = _KINDS.kind(
    "CronJob",
    "The configuration of a single cron job.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, CronJobSpec, "The desired behavior of the cron job."),
        Field("status", 3, CronJobStatus, "The current status of the cron job."),
    ],
)

CronJobList = list_kind(CronJob, "A list of CronJobs.", "The CronJobs.")
