"""apps/v1 strategies: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.

Each strategy follows its Kubernetes 1.32 counterpart in
``pkg/registry/apps/<resource>/strategy.go`` (defaults from
``pkg/apis/apps/v1/defaults.go``, rules from ``pkg/apis/apps/validation``):

- Defaults: Deployment ``replicas: 1``, ``RollingUpdate`` with 25%/25%,
  ``revisionHistoryLimit: 10``, ``progressDeadlineSeconds: 600``; ReplicaSet
  ``replicas: 1``; StatefulSet ``replicas: 1``, ``OrderedReady``,
  ``RollingUpdate`` with ``partition: 0``, ``revisionHistoryLimit: 10``,
  ``Retain``/``Retain``; DaemonSet ``RollingUpdate`` with ``maxUnavailable: 1``
  and ``maxSurge: 0``, ``revisionHistoryLimit: 10``. Every pod template is
  defaulted as a Pod (``podtemplates``).
- Status subresource and generation: the controllers own ``status``, which
  is created as Go serializes the zero status (``{"replicas": 0}`` for a
  ReplicaSet...); ``generation`` counts spec changes, and for Deployments also
  annotation changes (they are copied to the ReplicaSets).
- Update rules: selectors are immutable in apps/v1; a StatefulSet may only
  change the fields named in the 1.32 Forbidden message.

Validation messages are upstream's, bad values included (Go ``%#v`` through
``govalues``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import naming
from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, not_supported, required
from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies.govalues import GoValue, go_int_or_string, go_label_selector
from kubeling.apiserver.strategies.podtemplates import (
    as_map,
    child_dict,
    default_pod_template,
    is_int,
    nonnegative,
    selector_errors,
    semantic_equal,
    set_default,
    template_match_errors,
    validate_pod_template,
    zero_template_metadata,
)

__all__ = [
    "TEMPLATE_GENERATION_ANNOTATION",
    "ControllerRevisionStrategy",
    "DaemonSetStrategy",
    "DeploymentStrategy",
    "ReplicaSetStrategy",
    "StatefulSetStrategy",
    "WorkloadStrategy",
    "immutable_selector_errors",
    "int_or_percent_value",
    "validate_int_or_percent",
]

Obj = dict[str, Any]

TEMPLATE_GENERATION_ANNOTATION: Final = "deprecated.daemonset.template.generation"
"""Where apps/v1 keeps a DaemonSet's internal ``spec.templateGeneration``."""

_SPEC: Final = FieldPath("spec")
_SELECTOR: Final = _SPEC.child("selector")
_PERCENT_FMT: Final = "[0-9]+%"
_PERCENT_RE: Final = re.compile("^" + _PERCENT_FMT + r"\Z")
_PERCENT_MSG: Final = "a valid percent string must be a numeric string followed by an ending '%'"
_IMMUTABLE: Final = "field is immutable"


def _spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(obj.get("spec"))


def _percent(value: object) -> int | None:
    """The number of a valid percent string (``"25%"`` → 25), else None."""
    if isinstance(value, str) and _PERCENT_RE.match(value):
        return int(value[:-1])
    return None


def int_or_percent_value(value: object) -> int:
    """``getIntOrPercentValue``: the percent number, the int, or Atoi of a bad string (0)."""
    percent = _percent(value)
    if percent is not None:
        return percent
    if is_int(value):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def validate_int_or_percent(value: object, path: FieldPath) -> list[FieldError]:
    """``ValidatePositiveIntOrPercent``: a valid percent, or an int >= 0."""
    if isinstance(value, str):
        if _percent(value) is None:
            message = naming.regex_error(_PERCENT_MSG, _PERCENT_FMT, "1%", "93%")
            return [invalid(path, go_int_or_string(value), message)]
        return []
    if is_int(value):
        return nonnegative(value, path)
    if value is None:
        return []
    return [invalid(path, value, "must be an integer or percentage (e.g '5%')")]


def _not_more_than_100_percent(value: object, path: FieldPath) -> list[FieldError]:
    percent = _percent(value)
    if percent is None or percent <= 100:
        return []
    return [invalid(path, go_int_or_string(value), "must not be greater than 100%")]


def immutable_selector_errors(
    new: Mapping[str, Any], old: Mapping[str, Any], path: FieldPath = _SELECTOR
) -> list[FieldError]:
    """``spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable``."""
    new_selector = _spec_of(new).get("selector")
    if semantic_equal(new_selector, _spec_of(old).get("selector")):
        return []
    return [invalid(path, go_label_selector(new_selector), _IMMUTABLE)]


def _selector_and_template_errors(spec: Mapping[str, Any]) -> list[FieldError]:
    """A ReplicaSet's (and a Deployment's) selector and ``ValidatePodTemplateSpecForReplicaSet``.

    Both kinds use the same rules and texts: upstream's ReplicaSet rule reuses
    the Deployment's empty-selector message.
    """
    selector = spec.get("selector")
    errs = selector_errors(
        selector, _SPEC.child("selector"), empty_message="empty selector is invalid for deployment"
    )
    try:
        label_selector_as_selector(selector if isinstance(selector, Mapping) else None)
    except SelectorParseError:
        errs.append(
            invalid(_SPEC.child("selector"), go_label_selector(selector), "invalid label selector")
        )
        return errs
    template = spec.get("template")
    errs.extend(template_match_errors(selector, template, spec_path=_SPEC, invalid_message=None))
    errs.extend(
        validate_pod_template(template if template is not None else {}, _SPEC.child("template"))
    )
    errs.extend(
        _always_restart_errors(
            template, deadline_message="activeDeadlineSeconds in ReplicaSet is not Supported"
        )
    )
    return errs


def _always_restart_errors(template: object, *, deadline_message: str) -> list[FieldError]:
    pod_spec = as_map(as_map(template).get("spec"))
    path = _SPEC.child("template", "spec")
    errs: list[FieldError] = []
    restart = pod_spec.get("restartPolicy", "")
    if restart != "Always":
        errs.append(not_supported(path.child("restartPolicy"), restart, ["Always"]))
    deadline = pod_spec.get("activeDeadlineSeconds")
    if deadline is not None:
        errs.append(invalid(path.child("activeDeadlineSeconds"), deadline, deadline_message))
    return errs


class WorkloadStrategy(Strategy):
    """A controller-managed object: status subresource, generation, zero status on create."""

    has_status_subresource = True
    tracks_generation = True
    #: The status Go serializes for the zero value (non-``omitempty`` fields).
    initial_status: ClassVar[Mapping[str, Any]] = {}

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = copy.deepcopy(dict(self.initial_status))

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        return not semantic_equal(new.get("spec"), old.get("spec"))


class DeploymentStrategy(WorkloadStrategy):
    """apps/v1 Deployments."""

    # Kubernetes' status strategy resets only the spec and the labels: the
    # deployment controller writes the revision annotation through /status.
    status_writable_metadata = ("annotations",)

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        set_default(spec, "replicas", 1)
        strategy = child_dict(spec, "strategy")
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
        if strategy["type"] == "RollingUpdate":
            rolling = child_dict(strategy, "rollingUpdate")
            set_default(rolling, "maxUnavailable", "25%")
            set_default(rolling, "maxSurge", "25%")
        set_default(spec, "revisionHistoryLimit", 10)
        set_default(spec, "progressDeadlineSeconds", 600)
        default_pod_template(child_dict(spec, "template"))

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        # annotations are copied to the ReplicaSets, so they count too
        old_annotations = as_map(old.get("metadata")).get("annotations")
        new_annotations = as_map(new.get("metadata")).get("annotations")
        return super().spec_changed(new, old) or not semantic_equal(
            new_annotations, old_annotations
        )

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        return self.validate_metadata(obj, namespaced=namespaced) + self.validate_spec(
            _spec_of(obj)
        )

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced) + immutable_selector_errors(new, old)

    def validate_spec(self, spec: Mapping[str, Any]) -> list[FieldError]:
        """``ValidateDeploymentSpec``."""
        errs = nonnegative(spec.get("replicas"), _SPEC.child("replicas"))
        errs.extend(_selector_and_template_errors(spec))
        errs.extend(self._strategy_errors(as_map(spec.get("strategy"))))
        min_ready = spec.get("minReadySeconds", 0)
        errs.extend(nonnegative(min_ready, _SPEC.child("minReadySeconds")))
        errs.extend(
            nonnegative(spec.get("revisionHistoryLimit"), _SPEC.child("revisionHistoryLimit"))
        )
        deadline = spec.get("progressDeadlineSeconds")
        if is_int(deadline):
            path = _SPEC.child("progressDeadlineSeconds")
            errs.extend(nonnegative(deadline, path))
            if is_int(min_ready) and deadline <= min_ready:
                errs.append(invalid(path, deadline, "must be greater than minReadySeconds"))
        return errs

    @staticmethod
    def _strategy_errors(strategy: Mapping[str, Any]) -> list[FieldError]:
        path = _SPEC.child("strategy")
        kind = strategy.get("type", "")
        rolling = strategy.get("rollingUpdate")
        if kind == "Recreate":
            if rolling is not None:
                return [
                    forbidden(
                        path.child("rollingUpdate"),
                        "may not be specified when strategy `type` is 'Recreate'",
                    )
                ]
            return []
        if kind == "RollingUpdate":
            if not isinstance(rolling, Mapping):
                return [
                    required(
                        path.child("rollingUpdate"), "this should be defaulted and never be nil"
                    )
                ]
            here = path.child("rollingUpdate")
            unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
            errs = validate_int_or_percent(unavailable, here.child("maxUnavailable"))
            errs.extend(validate_int_or_percent(surge, here.child("maxSurge")))
            if int_or_percent_value(unavailable) == 0 and int_or_percent_value(surge) == 0:
                errs.append(
                    invalid(
                        here.child("maxUnavailable"),
                        go_int_or_string(unavailable),
                        "may not be 0 when `maxSurge` is 0",
                    )
                )
            errs.extend(_not_more_than_100_percent(unavailable, here.child("maxUnavailable")))
            return errs
        return [not_supported(path, strategy, ["Recreate", "RollingUpdate"])]


class ReplicaSetStrategy(WorkloadStrategy):
    """apps/v1 ReplicaSets."""

    initial_status: ClassVar[Mapping[str, Any]] = {"replicas": 0}

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        set_default(spec, "replicas", 1)
        default_pod_template(child_dict(spec, "template"))

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        spec = _spec_of(obj)
        errs = self.validate_metadata(obj, namespaced=namespaced)
        errs.extend(nonnegative(spec.get("replicas"), _SPEC.child("replicas")))
        errs.extend(nonnegative(spec.get("minReadySeconds"), _SPEC.child("minReadySeconds")))
        errs.extend(_selector_and_template_errors(spec))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced) + immutable_selector_errors(new, old)

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        replicas = as_map(obj.get("status")).get("replicas", 0)
        fields["status.replicas"] = str(replicas)
        return fields


_STS_MUTABLE: Final = (
    "replicas",
    "template",
    "updateStrategy",
    "minReadySeconds",
    "ordinals",
    "persistentVolumeClaimRetentionPolicy",
)


class StatefulSetStrategy(WorkloadStrategy):
    """apps/v1 StatefulSets."""

    initial_status: ClassVar[Mapping[str, Any]] = {"availableReplicas": 0, "replicas": 0}

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        if not spec.get("podManagementPolicy"):
            spec["podManagementPolicy"] = "OrderedReady"
        update = child_dict(spec, "updateStrategy")
        if not update.get("type"):
            update["type"] = "RollingUpdate"
            if update.get("rollingUpdate") is None:
                update["rollingUpdate"] = {}
        rolling = update.get("rollingUpdate")
        if update["type"] == "RollingUpdate" and isinstance(rolling, dict):
            set_default(rolling, "partition", 0)
        retention = child_dict(spec, "persistentVolumeClaimRetentionPolicy")
        for key in ("whenDeleted", "whenScaled"):
            if not retention.get(key):
                retention[key] = "Retain"
        set_default(spec, "replicas", 1)
        set_default(spec, "revisionHistoryLimit", 10)
        default_pod_template(child_dict(spec, "template"))
        claims = spec.get("volumeClaimTemplates")
        if isinstance(claims, list):
            for claim in claims:
                if isinstance(claim, dict):
                    _default_claim_template(claim)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        return self.validate_metadata(obj, namespaced=namespaced) + self.validate_spec(
            _spec_of(obj)
        )

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_rest = {k: v for k, v in _spec_of(new).items() if k not in _STS_MUTABLE}
        old_rest = {k: v for k, v in _spec_of(old).items() if k not in _STS_MUTABLE}
        if not semantic_equal(new_rest, old_rest):
            errs.append(
                forbidden(
                    _SPEC,
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                    "'minReadySeconds' are forbidden",
                )
            )
        return errs

    def validate_spec(self, spec: Mapping[str, Any]) -> list[FieldError]:
        """``ValidateStatefulSetSpec``."""
        errs: list[FieldError] = []
        policy = spec.get("podManagementPolicy", "")
        if not policy:
            errs.append(required(_SPEC.child("podManagementPolicy"), ""))
        elif policy not in ("OrderedReady", "Parallel"):
            errs.append(
                invalid(
                    _SPEC.child("podManagementPolicy"),
                    policy,
                    "must be 'OrderedReady' or 'Parallel'",
                )
            )
        errs.extend(self._update_strategy_errors(as_map(spec.get("updateStrategy"))))
        claim_policy = spec.get("persistentVolumeClaimRetentionPolicy")
        if isinstance(claim_policy, Mapping):
            here = _SPEC.child("persistentVolumeClaimRetentionPolicy")
            for key in ("whenDeleted", "whenScaled"):
                value = claim_policy.get(key, "")
                if value not in ("Retain", "Delete"):
                    errs.append(not_supported(here.child(key), value, ["Retain", "Delete"]))
        ordinals = spec.get("ordinals")
        if isinstance(ordinals, Mapping):
            errs.extend(nonnegative(ordinals.get("start"), _SPEC.child("ordinals", "start")))
        errs.extend(nonnegative(spec.get("replicas"), _SPEC.child("replicas")))
        errs.extend(nonnegative(spec.get("minReadySeconds"), _SPEC.child("minReadySeconds")))
        selector = spec.get("selector")
        errs.extend(
            selector_errors(
                selector,
                _SPEC.child("selector"),
                empty_message="empty selector is invalid for statefulset",
            )
        )
        try:
            label_selector_as_selector(selector if isinstance(selector, Mapping) else None)
        except SelectorParseError:
            errs.append(invalid(_SPEC.child("selector"), go_label_selector(selector), ""))
        else:
            template = spec.get("template")
            errs.extend(template_match_errors(selector, template, spec_path=_SPEC))
            errs.extend(validate_pod_template(template or {}, _SPEC.child("template")))
        errs.extend(
            _always_restart_errors(spec.get("template"), deadline_message="must not be specified")
        )
        return errs

    @staticmethod
    def _update_strategy_errors(update: Mapping[str, Any]) -> list[FieldError]:
        path = _SPEC.child("updateStrategy")
        kind = update.get("type", "")
        rolling = update.get("rollingUpdate")
        if not kind:
            return [required(path, "")]
        if kind == "OnDelete":
            if rolling is not None:
                return [
                    invalid(
                        path.child("rollingUpdate"),
                        _go_sts_rolling_update(rolling),
                        "only allowed for updateStrategy 'RollingUpdate'",
                    )
                ]
            return []
        if kind == "RollingUpdate":
            if isinstance(rolling, Mapping):
                return nonnegative(
                    rolling.get("partition"), path.child("rollingUpdate", "partition")
                )
            return []
        return [invalid(path, update, "must be 'RollingUpdate' or 'OnDelete'")]


def _go_sts_rolling_update(rolling: object) -> object:
    data = as_map(rolling)
    if data.get("maxUnavailable") is not None:
        return rolling
    partition = data.get("partition", 0)
    return GoValue(
        f"apps.RollingUpdateStatefulSetStrategy{{Partition:{partition}, "
        "MaxUnavailable:(*intstr.IntOrString)(nil)}"
    )


def _default_claim_template(claim: Obj) -> None:
    """A volumeClaimTemplate gets a PersistentVolumeClaim's defaults."""
    zero_template_metadata(claim)
    spec = child_dict(claim, "spec")
    set_default(spec, "volumeMode", "Filesystem")
    status = child_dict(claim, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


class DaemonSetStrategy(WorkloadStrategy):
    """apps/v1 DaemonSets (with the ``deprecated.daemonset.template.generation`` annotation)."""

    initial_status: ClassVar[Mapping[str, Any]] = {
        "currentNumberScheduled": 0,
        "desiredNumberScheduled": 0,
        "numberMisscheduled": 0,
        "numberReady": 0,
    }

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        update = child_dict(spec, "updateStrategy")
        if not update.get("type"):
            update["type"] = "RollingUpdate"
        if update["type"] == "RollingUpdate":
            rolling = child_dict(update, "rollingUpdate")
            set_default(rolling, "maxUnavailable", 1)
            set_default(rolling, "maxSurge", 0)
        set_default(spec, "revisionHistoryLimit", 10)
        default_pod_template(child_dict(spec, "template"))

    @staticmethod
    def _template_generation(obj: Mapping[str, Any]) -> int:
        annotations = as_map(as_map(obj.get("metadata")).get("annotations"))
        try:
            return int(str(annotations.get(TEMPLATE_GENERATION_ANNOTATION, "0")))
        except ValueError:
            return 0

    @staticmethod
    def _set_template_generation(obj: Obj, generation: int) -> None:
        annotations = child_dict(child_dict(obj, "metadata"), "annotations")
        annotations[TEMPLATE_GENERATION_ANNOTATION] = str(generation)

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        self._set_template_generation(obj, max(self._template_generation(obj), 1))

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        generation = self._template_generation(old)
        if not semantic_equal(_spec_of(new).get("template"), _spec_of(old).get("template")):
            generation += 1
        self._set_template_generation(new, generation)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        spec = _spec_of(obj)
        errs = self.validate_metadata(obj, namespaced=namespaced)
        selector = spec.get("selector")
        if isinstance(selector, Mapping):
            errs.extend(selector_errors(selector, _SPEC.child("selector"), empty_message=None))
        template = spec.get("template")
        try:
            label_selector_as_selector(selector if isinstance(selector, Mapping) else None)
        except SelectorParseError:
            pass
        else:
            errs.extend(
                template_match_errors(selector, template, spec_path=_SPEC, invalid_message=None)
            )
        if isinstance(selector, Mapping) and not (
            selector.get("matchLabels") or selector.get("matchExpressions")
        ):
            errs.append(
                invalid(
                    _SPEC.child("selector"),
                    go_label_selector(selector),
                    "empty selector is invalid for daemonset",
                )
            )
        errs.extend(validate_pod_template(template or {}, _SPEC.child("template")))
        errs.extend(
            _always_restart_errors(
                template, deadline_message="activeDeadlineSeconds in DaemonSet is not Supported"
            )
        )
        errs.extend(nonnegative(spec.get("minReadySeconds"), _SPEC.child("minReadySeconds")))
        errs.extend(self._update_strategy_errors(as_map(spec.get("updateStrategy"))))
        errs.extend(
            nonnegative(spec.get("revisionHistoryLimit"), _SPEC.child("revisionHistoryLimit"))
        )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced) + immutable_selector_errors(new, old)

    @staticmethod
    def _update_strategy_errors(update: Mapping[str, Any]) -> list[FieldError]:
        path = _SPEC.child("updateStrategy")
        kind = update.get("type", "")
        if kind == "OnDelete":
            return []
        if kind != "RollingUpdate":
            return [not_supported(path, update, ["RollingUpdate", "OnDelete"])]
        rolling = update.get("rollingUpdate")
        if not isinstance(rolling, Mapping):
            return [required(path.child("rollingUpdate"), "")]
        here = path.child("rollingUpdate")
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        errs = validate_int_or_percent(unavailable, here.child("maxUnavailable"))
        errs.extend(validate_int_or_percent(surge, here.child("maxSurge")))
        errs.extend(_not_more_than_100_percent(unavailable, here.child("maxUnavailable")))
        errs.extend(_not_more_than_100_percent(surge, here.child("maxSurge")))
        has_unavailable = int_or_percent_value(unavailable) != 0
        has_surge = int_or_percent_value(surge) != 0
        if has_unavailable and has_surge:
            errs.append(
                invalid(
                    here.child("maxSurge"),
                    go_int_or_string(surge),
                    "may not be set when maxUnavailable is non-zero",
                )
            )
        elif not has_unavailable and not has_surge:
            errs.append(required(here.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
        return errs


class ControllerRevisionStrategy(Strategy):
    """apps/v1 ControllerRevisions: ``data`` never changes; ``revision`` may (controllers
    renumber a revision when a set rolls back to its template)."""

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        if obj.get("data") is None:
            errs.append(required(FieldPath("data"), "data is mandatory"))
        errs.extend(nonnegative(obj.get("revision", 0), FieldPath("revision")))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        if not semantic_equal(new.get("data"), old.get("data")):
            errs.append(invalid(FieldPath("data"), new.get("data"), _IMMUTABLE))
        return errs
