"""The PodSecurity admission plugin: namespace labels choose what pods may ask for.

Kubernetes' ``plugin/pkg/admission/security/podsecurity`` over
``k8s.io/pod-security-admission``. A validating plugin, after
NodeRestriction in the chain:

- **pods** (create, update, and subresources that write the pod spec such as
  ``ephemeralcontainers``): checked against the namespace's ``enforce`` level
  (403 ``pods "x" is forbidden: violates PodSecurity "restricted:latest":
  ...``), its ``audit`` level (an audit annotation
  ``pod-security.kubernetes.io/audit-violations``) and its ``warn`` level (a
  ``Warning`` header ``would violate PodSecurity ...``). An update is checked
  again only when it changes what Kubernetes re-checks (containers added,
  an image, a container's seccomp annotation, an ephemeral container);
  metadata and status updates pass.
- **pod controllers** (Deployments, ReplicaSets, StatefulSets, DaemonSets,
  Jobs, CronJobs, ReplicationControllers, PodTemplates): their pod template
  gets audit and warn only, never enforce: the pods they make are enforced.
- **namespaces**: pod security labels must be valid (422 Invalid otherwise,
  unless an update leaves the same invalid labels); an update that tightens
  ``enforce`` answers with warnings naming the existing pods that would
  violate it (``existing pods in namespace "x" violate the new PodSecurity
  enforce level "restricted:latest"``), checking at most 3000 pods.

The defaults are kube-apiserver's (privileged, latest, every mode) and there
are no exemptions, as without an ``AdmissionConfiguration``.

Built from the API server's registry, reading its watch caches::

    PodSecurityAdmission(
        get_namespace=cached_cluster_getter(registry.lookup("", "v1", "namespaces")),
        list_pods=cached_lister(registry.lookup("", "v1", "pods")),
    )
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.field import FieldError
from kubeling.api.groupversion import GroupKind, GroupResource
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.pod_security.check import Violation, mapping
from kubeling.apiserver.admission.pod_security.levels import (
    DEFAULT_POLICY,
    PRIVILEGED,
    LevelVersion,
    Policy,
    compare_levels,
    policy_to_evaluate,
)
from kubeling.apiserver.admission.pod_security.policy import (
    evaluate,
    forbidden_detail,
    forbidden_reason,
)
from kubeling.apiserver.admission.refusals import forbidden
from kubeling.apiserver.warnings import add_warning

__all__ = ["POD_CONTROLLERS", "PodSecurityAdmission", "pod_template"]

Obj = dict[str, Any]

NAMESPACES: Final = GroupResource("", "namespaces")
PODS: Final = GroupResource("", "pods")
#: Resources whose objects embed a pod template, and where it is.
POD_CONTROLLERS: Final = {
    GroupResource("", "podtemplates"): ("template",),
    GroupResource("", "replicationcontrollers"): ("spec", "template"),
    GroupResource("apps", "replicasets"): ("spec", "template"),
    GroupResource("apps", "deployments"): ("spec", "template"),
    GroupResource("apps", "statefulsets"): ("spec", "template"),
    GroupResource("apps", "daemonsets"): ("spec", "template"),
    GroupResource("batch", "jobs"): ("spec", "template"),
    GroupResource("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template"),
}
#: Pod subresources that never change what the checks read.
IGNORED_POD_SUBRESOURCES: Final = frozenset(
    {"exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"}
)
#: The audit annotations' prefix (``api.AuditAnnotationPrefix``).
ANNOTATION_PREFIX: Final = "pod-security.kubernetes.io/"
#: Upstream's ``defaultNamespaceMaxPodsToCheck``.
MAX_PODS_TO_CHECK: Final = 3000
_SECCOMP_CONTAINER_ANNOTATION: Final = "container.seccomp.security.alpha.kubernetes.io/"

NamespaceGetter = Callable[[str], Awaitable[Obj | None]]
"""``name -> Namespace or None``."""
PodLister = Callable[[str], Awaitable[list[Obj]]]
"""``namespace -> its pods``."""


def pod_template(
    group_resource: GroupResource, obj: Mapping[str, Any]
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The pod metadata and spec a pod controller's object templates (None: no template)."""
    node: object = obj
    for key in POD_CONTROLLERS[group_resource]:
        node = mapping(node).get(key)
        if node is None:
            return None
    template = mapping(node)
    return mapping(template.get("metadata")), mapping(template.get("spec"))


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    labels = mapping(mapping((obj or {}).get("metadata")).get("labels"))
    return {str(k): str(v) for k, v in labels.items()}


def _aggregate(problems: list[FieldError]) -> str:
    """Go's ``ErrorList.ToAggregate().Error()``: one message, or ``[a, b]``."""
    messages = [str(p) for p in problems]
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


def _significant_container_update(
    new: Mapping[str, Any],
    old: Mapping[str, Any],
    annotations: Mapping[str, Any],
    old_annotations: Mapping[str, Any],
) -> bool:
    if new.get("image") != old.get("image"):
        return True
    key = _SECCOMP_CONTAINER_ANNOTATION + str(new.get("name") or "")
    return annotations.get(key) != old_annotations.get(key)


def is_significant_pod_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether a pod update changes what the checks read (``isSignificantPodUpdate``).

    Of a stored pod only images, ephemeral containers and (old releases) the
    seccomp annotations can change, so only those are looked at.
    """
    spec, old_spec = mapping(new.get("spec")), mapping(old.get("spec"))
    annotations = mapping(mapping(new.get("metadata")).get("annotations"))
    old_annotations = mapping(mapping(old.get("metadata")).get("annotations"))
    for kind in ("containers", "initContainers"):
        items, old_items = list(spec.get(kind) or ()), list(old_spec.get(kind) or ())
        if len(items) != len(old_items):
            return True
        for container, old_container in zip(items, old_items, strict=True):
            if _significant_container_update(
                mapping(container), mapping(old_container), annotations, old_annotations
            ):
                return True
    old_ephemeral = {
        str(mapping(c).get("name") or ""): mapping(c)
        for c in old_spec.get("ephemeralContainers") or ()
    }
    for container in spec.get("ephemeralContainers") or ():
        container = mapping(container)
        previous = old_ephemeral.get(str(container.get("name") or ""))
        if previous is None or _significant_container_update(
            container, previous, annotations, old_annotations
        ):
            return True
    return False


class PodSecurityAdmission(AdmissionPlugin):
    """``PodSecurity``: a validating plugin, after NodeRestriction in the chain."""

    name = "PodSecurity"
    operations = frozenset({CREATE, UPDATE})

    def __init__(
        self,
        *,
        get_namespace: NamespaceGetter,
        list_pods: PodLister,
        defaults: Policy = DEFAULT_POLICY,
        warn: Callable[[str], None] = add_warning,
        max_pods_to_check: int = MAX_PODS_TO_CHECK,
    ) -> None:
        self._get_namespace = get_namespace
        self._list_pods = list_pods
        self._defaults = defaults
        self._warn = warn
        self._max_pods = max_pods_to_check

    def handles(self, attributes: Attributes) -> bool:
        resource = GroupResource(attributes.group, attributes.resource)
        return attributes.operation in self.operations and (
            resource in (NAMESPACES, PODS) or resource in POD_CONTROLLERS
        )

    async def validate(self, attributes: Attributes) -> None:
        resource = GroupResource(attributes.group, attributes.resource)
        if resource == NAMESPACES:
            await self._validate_namespace(attributes)
        elif resource == PODS:
            await self._validate_pod(attributes)
        else:
            await self._validate_controller(attributes, resource)

    # -- namespaces ----------------------------------------------------------------------

    async def _validate_namespace(self, attributes: Attributes) -> None:
        if attributes.subresource or attributes.obj is None:
            return
        policy, problems = policy_to_evaluate(_labels(attributes.obj), self._defaults)
        refused = errors.invalid(GroupKind("", "Namespace"), attributes.name, problems)
        if attributes.operation == CREATE:
            if problems:
                raise refused
            return
        old_policy, old_problems = policy_to_evaluate(_labels(attributes.old_obj), self._defaults)
        # invalid labels are refused only when they change: a namespace that had
        # them may still be updated otherwise
        if problems and [str(p) for p in problems] != [str(p) for p in old_problems]:
            raise refused
        new, old = policy.enforce, old_policy.enforce
        if (
            new == old
            or new.level == PRIVILEGED
            or (new.version == old.version and compare_levels(new.level, old.level) < 1)
        ):
            return
        for warning in await self.check_existing_pods(attributes.name, new):
            self._warn(warning)

    async def check_existing_pods(self, namespace: str, enforce: LevelVersion) -> list[str]:
        """The warnings for a namespace's pods under a new enforce level
        (``EvaluatePodsInNamespace``): one line per distinct set of reasons."""
        pods = _prioritized(await self._list_pods(namespace))
        total = len(pods)
        pods = pods[: self._max_pods]
        first: dict[str, str] = {}
        counts: dict[str, int] = {}
        for pod in pods:
            meta, spec = mapping(pod.get("metadata")), mapping(pod.get("spec"))
            violations = evaluate(enforce, meta, spec)
            if not violations:
                continue
            reason = forbidden_reason(violations)
            name = str(meta.get("name") or "")
            if reason not in first or name < first[reason]:
                first[reason] = name
            counts[reason] = counts.get(reason, 0) + 1
        warnings = []
        if len(pods) < total:
            warnings.append(
                f"new PodSecurity enforce level only checked against the first {len(pods)} "
                f"of {total} existing pods"
            )
        if first:
            warnings.append(
                f'existing pods in namespace "{namespace}" violate the new PodSecurity enforce '
                f'level "{enforce}"'
            )
        lines = []
        for reason, name in first.items():
            others = counts[reason] - 1
            if others == 0:
                lines.append(f"{name}: {reason}")
            elif others == 1:
                lines.append(f"{name} (and 1 other pod): {reason}")
            else:
                lines.append(f"{name} (and {others} other pods): {reason}")
        return warnings + sorted(lines)

    # -- pods and pod controllers -----------------------------------------------------------

    async def _validate_pod(self, attributes: Attributes) -> None:
        if attributes.subresource in IGNORED_POD_SUBRESOURCES or attributes.obj is None:
            return
        namespace = await self._get_namespace(attributes.namespace)
        if namespace is None:
            raise errors.internal_error(f'failed to lookup namespace "{attributes.namespace}"')
        policy, problems = policy_to_evaluate(_labels(namespace), self._defaults)
        if not problems and policy.fully_privileged():
            return
        pod = attributes.obj
        if attributes.operation == UPDATE and not is_significant_pod_update(
            pod, attributes.old_obj or {}
        ):
            return
        self._evaluate(
            attributes,
            policy,
            problems,
            mapping(pod.get("metadata")),
            mapping(pod.get("spec")),
            enforce=True,
        )

    async def _validate_controller(self, attributes: Attributes, resource: GroupResource) -> None:
        if attributes.subresource or attributes.obj is None:
            return
        namespace = await self._get_namespace(attributes.namespace)
        if namespace is None:
            attributes.annotations[ANNOTATION_PREFIX + "error"] = (
                f'failed to lookup namespace "{attributes.namespace}": not found'
            )
            return
        policy, problems = policy_to_evaluate(_labels(namespace), self._defaults)
        if not problems and policy.warn.level == PRIVILEGED and policy.audit.level == PRIVILEGED:
            return
        template = pod_template(resource, attributes.obj)
        if template is None:
            return
        self._evaluate(attributes, policy, problems, *template, enforce=False)

    def _evaluate(
        self,
        attributes: Attributes,
        policy: Policy,
        problems: list[FieldError],
        meta: Mapping[str, Any],
        spec: Mapping[str, Any],
        *,
        enforce: bool,
    ) -> None:
        """Enforce (pods only), audit and warn, reusing a verdict for the same level."""
        annotations = attributes.annotations
        if problems:
            annotations[ANNOTATION_PREFIX + "error"] = (
                f"Failed to parse policy: {_aggregate(problems)}"
            )
        verdicts: dict[LevelVersion, list[Violation]] = {}

        def verdict(level_version: LevelVersion) -> list[Violation]:
            if level_version not in verdicts:
                verdicts[level_version] = evaluate(level_version, meta, spec)
            return verdicts[level_version]

        refusal = None
        if enforce:
            annotations[ANNOTATION_PREFIX + "enforce-policy"] = str(policy.enforce)
            violations = verdict(policy.enforce)
            if violations:
                refusal = forbidden(
                    attributes,
                    f'violates PodSecurity "{policy.enforce}": {forbidden_detail(violations)}',
                )
        violations = verdict(policy.audit)
        if violations:
            annotations[ANNOTATION_PREFIX + "audit-violations"] = (
                f'would violate PodSecurity "{policy.audit}": {forbidden_detail(violations)}'
            )
        if refusal is not None:
            # no warnings on a request refused anyway
            raise refusal
        violations = verdict(policy.warn)
        if violations:
            self._warn(f'would violate PodSecurity "{policy.warn}": {forbidden_detail(violations)}')


def _prioritized(pods: list[Obj]) -> list[Obj]:
    """One pod per controller first, then the other replicas (``prioritizePods``), so
    that a namespace full of one Deployment's replicas is not all that gets checked."""
    first, later = [], []
    seen: set[str] = set()
    for pod in pods:
        owner = next(
            (
                mapping(ref)
                for ref in mapping(pod.get("metadata")).get("ownerReferences") or ()
                if mapping(ref).get("controller") is True
            ),
            None,
        )
        if owner is None:
            first.append(pod)
            continue
        uid = str(owner.get("uid") or "")
        if uid in seen:
            later.append(pod)
        else:
            seen.add(uid)
            first.append(pod)
    return first + later
