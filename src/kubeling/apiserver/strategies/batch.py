"""batch/v1 strategies: Job and CronJob.

Following ``pkg/registry/batch/{job,cronjob}/strategy.go``,
``pkg/apis/batch/v1/defaults.go`` and ``pkg/apis/batch/validation`` of 1.32:

- Job defaults: ``completions``/``parallelism`` 1 when both are unset,
  ``parallelism`` 1, ``backoffLimit`` 6 (the int32 maximum with
  ``backoffLimitPerIndex``), ``completionMode: NonIndexed``, ``suspend:
  false``, ``manualSelector: false``, ``podReplacementPolicy``
  (``Failed`` with a ``podFailurePolicy``, else ``TerminatingOrFailed``),
  pod-failure-policy condition ``status: "True"``; and the pod template as a
  Pod's.
- Selector generation (``generate_selector``): unless ``manualSelector`` is
  true, the template gets ``controller-uid``/``job-name`` and their
  ``batch.kubernetes.io/`` twins, and the selector matches
  ``batch.kubernetes.io/controller-uid=<uid>``. Upstream does this inside
  ``Validate`` (its TODO: "move UID generation earlier"), once the name
  from ``generateName`` exists. Here ``prepare_for_create`` does it when the
  name is known and ``validate`` finishes it for a name generated in between
  (the store hands ``validate`` the very dict it will write). A Job without
  labels takes its template's labels, which then include the generated ones,
  as a Job read back from a real cluster shows.
- Updates: the selector, ``completionMode``, ``podFailurePolicy``,
  ``backoffLimitPerIndex`` and ``managedBy`` are immutable; ``completions``
  only changes for Indexed Jobs, together with ``parallelism``; the template
  only changes, while a never-started Job is suspended, in its scheduling
  directives (node affinity, node selector, tolerations, scheduling gates,
  labels, annotations).
- CronJob defaults: ``concurrencyPolicy: Allow``, ``suspend: false``,
  history limits 3 and 1; the schedule is parsed as Kubernetes does
  (:mod:`kubeling.api.batch.cron`), ``timeZone`` must be a known IANA zone.

The ``spec.template: Invalid value: ...: field is immutable`` message shows
the template as JSON, not as upstream's ``core.PodTemplateSpec{...}`` dump.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import naming
from kubeling.api.batch.cron import (
    CronParseError,
    load_location_error,
    parse_standard,
)
from kubeling.api.field import (
    FieldError,
    FieldPath,
    forbidden,
    invalid,
    not_supported,
    required,
)
from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.apiserver.strategies._checks import required_one_of
from kubeling.apiserver.strategies.apps import WorkloadStrategy, immutable_selector_errors
from kubeling.apiserver.strategies.govalues import go_label_selector
from kubeling.apiserver.strategies.podtemplates import (
    as_list,
    as_map,
    child_dict,
    default_pod_template,
    is_int,
    nonnegative,
    selector_errors,
    semantic_equal,
    set_default,
    template_match_errors,
    validate_annotations,
    validate_pod_template,
    zero_template_metadata,
)

__all__ = [
    "CONTROLLER_UID_LABEL",
    "JOB_NAME_LABEL",
    "LEGACY_CONTROLLER_UID_LABEL",
    "LEGACY_JOB_NAME_LABEL",
    "CronJobStrategy",
    "JobStrategy",
    "generate_selector",
]

Obj = dict[str, Any]

LEGACY_JOB_NAME_LABEL: Final = "job-name"
JOB_NAME_LABEL: Final = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL: Final = "controller-uid"
CONTROLLER_UID_LABEL: Final = "batch.kubernetes.io/controller-uid"

_SPEC: Final = FieldPath("spec")
_MAX_INT32: Final = 2**31 - 1
_MAX_PARALLELISM_INDEXED: Final = 100_000
_IMMUTABLE: Final = "field is immutable"
_COMPLETION_MODES: Final = ("NonIndexed", "Indexed")
_REPLACEMENT_POLICIES: Final = ("TerminatingOrFailed", "Failed")


def _spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(obj.get("spec"))


def _manual(spec: Mapping[str, Any]) -> bool:
    return spec.get("manualSelector") is True


def generate_selector(job: Obj) -> None:
    """Label the template and select ``batch.kubernetes.io/controller-uid=<uid>``.

    Labels the user already set are left alone (validation then reports a
    conflicting value). Needs ``metadata.name`` and ``metadata.uid``.
    """
    meta = as_map(job.get("metadata"))
    name, uid = str(meta.get("name") or ""), str(meta.get("uid") or "")
    spec = child_dict(job, "spec")
    template = child_dict(spec, "template")
    labels = child_dict(zero_template_metadata(template), "labels")
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(key, name)
    for key in (LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL):
        labels.setdefault(key, uid)
    selector = child_dict(spec, "selector")
    child_dict(selector, "matchLabels").setdefault(CONTROLLER_UID_LABEL, uid)
    job_meta = child_dict(job, "metadata")
    if not job_meta.get("labels"):
        job_meta["labels"] = dict(labels)


def _has_label_errors(
    labels: Mapping[str, Any], path: FieldPath, key: str, expected: str
) -> list[FieldError]:
    """``ValidateHasLabel``."""
    here = path.child("labels").key(key)
    if key not in labels:
        return [required(here, "")]
    if labels[key] != expected:
        return [invalid(here, labels[key], f"must be '{expected}'")]
    return []


def _job_spec_errors(spec: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """``validateJobSpec``: the rules a Job and a CronJob's jobTemplate share."""
    errs: list[FieldError] = []
    for key in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ):
        errs.extend(nonnegative(spec.get(key), path.child(key)))
    mode = spec.get("completionMode")
    per_index = spec.get("backoffLimitPerIndex")
    if per_index is not None:
        errs.extend(nonnegative(per_index, path.child("backoffLimitPerIndex")))
        if mode != "Indexed":
            errs.append(
                forbidden(path.child("backoffLimitPerIndex"), "requires indexed completion mode")
            )
    max_failed = spec.get("maxFailedIndexes")
    if max_failed is not None:
        errs.extend(nonnegative(max_failed, path.child("maxFailedIndexes")))
        if per_index is None:
            errs.append(
                required(
                    path.child("backoffLimitPerIndex"),
                    "when maxFailedIndexes is specified",
                )
            )
    if mode is not None:
        if mode not in _COMPLETION_MODES:
            errs.append(not_supported(path.child("completionMode"), mode, list(_COMPLETION_MODES)))
        if mode == "Indexed":
            completions, parallelism = spec.get("completions"), spec.get("parallelism")
            if completions is None:
                errs.append(required(path.child("completions"), "when completion mode is Indexed"))
            if is_int(parallelism) and parallelism > _MAX_PARALLELISM_INDEXED:
                errs.append(
                    invalid(
                        path.child("parallelism"),
                        parallelism,
                        f"must be less than or equal to {_MAX_PARALLELISM_INDEXED} "
                        "when completion mode is Indexed",
                    )
                )
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        if replacement not in _REPLACEMENT_POLICIES:
            errs.append(
                not_supported(
                    path.child("podReplacementPolicy"), replacement, list(_REPLACEMENT_POLICIES)
                )
            )
        elif spec.get("podFailurePolicy") is not None and replacement != "Failed":
            errs.append(not_supported(path.child("podReplacementPolicy"), replacement, ["Failed"]))
    template = spec.get("template")
    errs.extend(validate_pod_template(template or {}, path.child("template")))
    restart = as_map(as_map(template).get("spec")).get("restartPolicy", "")
    restart_path = path.child("template", "spec", "restartPolicy")
    if restart in ("Always", ""):
        errs.append(required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(not_supported(restart_path, restart, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(
            invalid(
                restart_path,
                restart,
                'only "Never" is supported when podFailurePolicy is specified',
            )
        )
    return errs


def _validate_job_spec(spec: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """``ValidateJobSpec``: ``validateJobSpec`` plus the selector rules."""
    errs = _job_spec_errors(spec, path)
    selector = spec.get("selector")
    errs.extend(selector_errors(selector, path.child("selector"), empty_message=None))
    errs.extend(
        template_match_errors(selector, spec.get("template"), spec_path=path, invalid_message=None)
    )
    return errs


def _generated_selector_errors(job: Mapping[str, Any]) -> list[FieldError]:
    """``ValidateGeneratedSelector``: the generated labels are there and right."""
    spec = _spec_of(job)
    if _manual(spec) or spec.get("selector") is None:
        return []
    meta = as_map(job.get("metadata"))
    name, uid = str(meta.get("name") or ""), str(meta.get("uid") or "")
    errs: list[FieldError] = []
    if not uid:
        errs.append(required(FieldPath("metadata", "uid"), ""))
    labels = as_map(as_map(as_map(spec.get("template")).get("metadata")).get("labels"))
    path = _SPEC.child("template", "metadata")
    expected = {
        LEGACY_CONTROLLER_UID_LABEL: uid,
        LEGACY_JOB_NAME_LABEL: name,
        CONTROLLER_UID_LABEL: uid,
        JOB_NAME_LABEL: name,
    }
    for key, value in expected.items():
        errs.extend(_has_label_errors(labels, path, key, value))
    selector = spec.get("selector")
    try:
        parsed = label_selector_as_selector(selector if isinstance(selector, Mapping) else None)
    except SelectorParseError:
        return errs
    if not parsed.matches(expected):
        errs.append(
            invalid(
                _SPEC.child("selector"),
                go_label_selector(selector),
                "`selector` not auto-generated",
            )
        )
    return errs


_SCHEDULING_FIELDS: Final = ("nodeSelector", "tolerations", "schedulingGates")


def _comparable_template(template: object, other: object, *, scheduling_mutable: bool) -> object:
    """The old template with what may change (when allowed) taken from the new one."""
    if not scheduling_mutable or not isinstance(template, Mapping):
        return template
    result = copy.deepcopy(dict(template))
    new = as_map(other)
    meta = dict(as_map(result.get("metadata")))
    new_meta = as_map(new.get("metadata"))
    for key in ("labels", "annotations"):
        meta[key] = new_meta.get(key)
    result["metadata"] = meta
    spec = dict(as_map(result.get("spec")))
    new_spec = as_map(new.get("spec"))
    for key in _SCHEDULING_FIELDS:
        spec[key] = new_spec.get(key)
    affinity = dict(as_map(spec.get("affinity")))
    new_affinity = new_spec.get("affinity")
    if new_affinity is None:
        affinity.pop("nodeAffinity", None)
    else:
        affinity["nodeAffinity"] = as_map(new_affinity).get("nodeAffinity")
    spec["affinity"] = affinity or None
    result["spec"] = spec
    return result


class JobStrategy(WorkloadStrategy):
    """batch/v1 Jobs."""

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        if spec.get("completions") is None and spec.get("parallelism") is None:
            spec["completions"] = 1
            spec["parallelism"] = 1
        set_default(spec, "parallelism", 1)
        if spec.get("backoffLimit") is None:
            per_index = spec.get("backoffLimitPerIndex") is not None
            spec["backoffLimit"] = _MAX_INT32 if per_index else 6
        template = child_dict(spec, "template")
        template_labels = as_map(template.get("metadata")).get("labels")
        meta = child_dict(obj, "metadata")
        if isinstance(template_labels, Mapping) and not meta.get("labels"):
            meta["labels"] = dict(template_labels)
        set_default(spec, "completionMode", "NonIndexed")
        set_default(spec, "suspend", False)
        set_default(spec, "manualSelector", False)
        failure_policy = spec.get("podFailurePolicy")
        if isinstance(failure_policy, dict):
            for rule in as_list(failure_policy.get("rules")):
                for pattern in as_list(as_map(rule).get("onPodConditions")):
                    if isinstance(pattern, dict) and not pattern.get("status"):
                        pattern["status"] = "True"
        if spec.get("podReplacementPolicy") is None:
            spec["podReplacementPolicy"] = (
                "Failed" if failure_policy is not None else "TerminatingOrFailed"
            )
        default_pod_template(template)

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        meta = as_map(obj.get("metadata"))
        if not _manual(_spec_of(obj)) and meta.get("name"):
            generate_selector(obj)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        if isinstance(obj, dict) and not _manual(_spec_of(obj)):
            # a name from generateName arrived after prepare_for_create
            generate_selector(obj)
        errs = self._validate(obj, namespaced=namespaced)
        return errs

    def _validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        errs.extend(_generated_selector_errors(obj))
        spec = _spec_of(obj)
        errs.extend(_validate_job_spec(spec, _SPEC))
        completions = spec.get("completions")
        if spec.get("completionMode") == "Indexed" and is_int(completions) and completions > 0:
            name = str(as_map(obj.get("metadata")).get("name", ""))
            hostname = f"{name}-{completions - 1}"
            if naming.is_dns1123_label(hostname):
                errs.append(
                    invalid(
                        FieldPath("metadata", "name"),
                        name,
                        f"will not able to create pod with invalid DNS label: {hostname}",
                    )
                )
        return errs

    def validate_metadata(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = super().validate_metadata(obj, namespaced=namespaced)
        annotations = as_map(obj.get("metadata")).get("annotations")
        errs.extend(validate_annotations(annotations, FieldPath("metadata", "annotations")))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self._validate(new, namespaced=namespaced)
        new_spec, old_spec = _spec_of(new), _spec_of(old)
        errs.extend(self._completions_update_errors(new_spec, old_spec))
        errs.extend(immutable_selector_errors(new, old))
        suspended = old_spec.get("suspend") is True
        not_started = as_map(old.get("status")).get("startTime") is None
        new_template = new_spec.get("template")
        old_template = _comparable_template(
            old_spec.get("template"), new_template, scheduling_mutable=suspended and not_started
        )
        if not semantic_equal(new_template, old_template):
            errs.append(invalid(_SPEC.child("template"), new_template, _IMMUTABLE))
        for key in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy"):
            if not semantic_equal(new_spec.get(key), old_spec.get(key)):
                errs.append(invalid(_SPEC.child(key), new_spec.get(key), _IMMUTABLE))
        return errs

    @staticmethod
    def _completions_update_errors(
        new: Mapping[str, Any], old: Mapping[str, Any]
    ) -> list[FieldError]:
        """``validateCompletions``: only Indexed Jobs scale, with parallelism in tandem."""
        path = _SPEC.child("completions")
        completions = new.get("completions")
        if completions == old.get("completions"):
            return []
        if new.get("completionMode") != "Indexed":
            return [invalid(path, completions, _IMMUTABLE)]
        if completions is None:
            return []
        if completions != new.get("parallelism"):
            return [
                invalid(path, completions, "can only be modified in tandem with spec.parallelism")
            ]
        return []

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        fields["status.successful"] = str(as_map(obj.get("status")).get("succeeded", 0))
        return fields


# IANA rules for a zone name's components, plus the legacy 0-9 and +.
_TZ_PART: Final = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}\Z")
_CONCURRENCY: Final = ("Allow", "Forbid", "Replace")


def _time_zone_errors(zone: object, path: FieldPath) -> list[FieldError]:
    """``validateTimeZone``."""
    if zone is None:
        return []
    text = str(zone)
    if not text:
        return [invalid(path, text, "timeZone must be nil or non-empty string")]
    for part in text.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.match(part):
            return [invalid(path, text, f"unknown time zone {text}")]
    errs: list[FieldError] = []
    if text.lower() == "local":
        errs.append(
            invalid(
                path,
                text,
                "timeZone must be an explicit time zone as defined in "
                "https://www.iana.org/time-zones",
            )
        )
    problem = load_location_error(text)
    if problem is not None:
        errs.append(invalid(path, text, problem))
    return errs


def _schedule_errors(
    schedule: str, *, allow_tz: bool, time_zone: object, path: FieldPath
) -> list[FieldError]:
    """``validateScheduleFormat``."""
    errs: list[FieldError] = []
    try:
        parse_standard(schedule)
    except CronParseError as err:
        errs.append(invalid(path, schedule, str(err)))
    if allow_tz and "TZ" in schedule and time_zone is not None:
        errs.append(
            invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule")
        )
    elif not allow_tz and "TZ" in schedule:
        errs.append(
            invalid(
                path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            )
        )
    return errs


class CronJobStrategy(WorkloadStrategy):
    """batch/v1 CronJobs."""

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        if not spec.get("concurrencyPolicy"):
            spec["concurrencyPolicy"] = "Allow"
        set_default(spec, "suspend", False)
        set_default(spec, "successfulJobsHistoryLimit", 3)
        set_default(spec, "failedJobsHistoryLimit", 1)
        job_template = child_dict(spec, "jobTemplate")
        zero_template_metadata(job_template)
        default_pod_template(child_dict(child_dict(job_template, "spec"), "template"))

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        errs.extend(self._spec_errors(_spec_of(obj), None))
        name = str(as_map(obj.get("metadata")).get("name", ""))
        if len(name) > naming.DNS1035_LABEL_MAX_LENGTH - 11:
            errs.append(
                invalid(FieldPath("metadata", "name"), name, "must be no more than 52 characters")
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate_metadata(new, namespaced=namespaced)
        errs.extend(self._spec_errors(_spec_of(new), _spec_of(old)))
        return errs

    @staticmethod
    def _spec_errors(spec: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
        """``validateCronJobSpec``."""
        errs: list[FieldError] = []
        schedule = spec.get("schedule")
        zone = spec.get("timeZone")
        if not schedule:
            errs.append(required(_SPEC.child("schedule"), ""))
        else:
            allow_tz = old is not None and "TZ" in str(old.get("schedule", ""))
            errs.extend(
                _schedule_errors(
                    str(schedule), allow_tz=allow_tz, time_zone=zone, path=_SPEC.child("schedule")
                )
            )
        errs.extend(
            nonnegative(spec.get("startingDeadlineSeconds"), _SPEC.child("startingDeadlineSeconds"))
        )
        if old is None or old.get("timeZone") != zone:
            errs.extend(_time_zone_errors(zone, _SPEC.child("timeZone")))
        policy = spec.get("concurrencyPolicy", "")
        errs.extend(required_one_of(policy, _SPEC.child("concurrencyPolicy"), _CONCURRENCY))
        errs.extend(_job_template_errors(as_map(spec.get("jobTemplate"))))
        for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            errs.extend(nonnegative(spec.get(key), _SPEC.child(key)))
        return errs


def _job_template_errors(job_template: Mapping[str, Any]) -> list[FieldError]:
    """``ValidateJobTemplateSpec``: no selector of its own, never a manual one."""
    path = _SPEC.child("jobTemplate", "spec")
    spec = as_map(job_template.get("spec"))
    errs = _job_spec_errors(spec, path)
    selector = spec.get("selector")
    if selector is not None:
        errs.append(
            invalid(
                path.child("selector"),
                go_label_selector(selector),
                "`selector` will be auto-generated",
            )
        )
    if spec.get("manualSelector") is True:
        errs.append(not_supported(path.child("manualSelector"), True, ["nil", "false"]))
    return errs
