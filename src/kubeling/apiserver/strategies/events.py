"""Events: one stored object, validated by the version it is written through.

Both Event APIs store core/v1 Events (``api/conversion/events.py``), and the
strategy sees that form, as Kubernetes' event strategy sees its internal type;
field errors therefore name core/v1 fields (``involvedObject.namespace``,
``message``...) whichever API was used, as upstream's do. What differs is how
strict the checks are, after ``pkg/apis/core/validation/events.go``:

- every write: the *legacy* rules. An Event without ``eventTime`` (old style)
  must have ``involvedObject.namespace`` equal to its own namespace (or empty
  in ``default``). One with ``eventTime`` (new style) needs
  ``reportingController`` (a qualified name), ``reportingInstance``,
  ``action`` and ``reason`` (each at most 128 characters) and a ``message`` of
  at most 1024; its involved object may be cluster-scoped in ``default`` and
  ``kube-system`` only.
- through core/v1 (``EventStrategy``): nothing more; the name need only be a
  path segment, and the reporting controller is called ``reportingComponent``
  in messages.
- through events.k8s.io/v1 (``StructuredEventStrategy``): the name is a DNS
  subdomain; new events need ``eventTime``, a ``type`` of Normal or Warning, a
  ``series`` of at least 2 with its ``lastObservedTime``, and none of the
  deprecated fields; updates may not change what the Event reports.

Events are written at a high rate by every component, so there are no
defaults and nothing else.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import naming
from kubeling.api.field import FieldError, FieldPath, invalid, required
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_map
from kubeling.apiserver.strategies.podtemplates import semantic_equal

__all__ = ["EventStrategy", "StructuredEventStrategy"]

_INVOLVED: Final = (
    "kind",
    "namespace",
    "name",
    "uid",
    "apiVersion",
    "resourceVersion",
    "fieldPath",
)
_SHORT_LIMIT: Final = 128  # reportingInstance, action, reason
_NOTE_LIMIT: Final = 1024
_IMMUTABLE: Final = "field is immutable"
_UNSET: Final = "needs to be unset"


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _same(a: object, b: object) -> bool:
    """Go's equality of two field values: empty, zero, null and absent are one."""
    return semantic_equal(a or None, b or None)


def _micro(value: object) -> object:
    """A MicroTime compared at microsecond precision, as upstream tolerates."""
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return moment.astimezone(datetime.UTC)
    return value


class EventStrategy(Strategy):
    """``events`` written through core/v1."""

    name_validator = staticmethod(naming.path_segment_name)
    #: What errors call ``reportingComponent``, in the request's version.
    reporting_controller: ClassVar[str] = "reportingComponent"

    def _legacy(self, obj: Mapping[str, Any]) -> list[FieldError]:
        """``legacyValidateEvent``: what every Event must satisfy."""
        errs: list[FieldError] = []
        meta = as_map(obj.get("metadata"))
        namespace = _text(meta, "namespace")
        involved_ns = _text(as_map(obj.get("involvedObject")), "namespace")
        mismatch = invalid(
            FieldPath("involvedObject", "namespace"), involved_ns, "does not match event.namespace"
        )
        if not obj.get("eventTime"):
            if (not involved_ns and namespace not in ("", "default")) or (
                involved_ns and namespace != involved_ns
            ):
                errs.append(mismatch)
        else:
            if not involved_ns and namespace not in ("default", "kube-system"):
                errs.append(mismatch)
            controller = _text(obj, "reportingComponent")
            path = FieldPath(self.reporting_controller)
            if not controller:
                errs.append(required(path, ""))
            errs.extend(
                invalid(path, controller, msg) for msg in naming.is_qualified_name(controller)
            )
            for key, limit in (
                ("reportingInstance", _SHORT_LIMIT),
                ("action", _SHORT_LIMIT),
                ("reason", _SHORT_LIMIT),
            ):
                value = _text(obj, key)
                if not value:
                    errs.append(required(FieldPath(key), ""))
                if len(value) > limit:
                    errs.append(invalid(FieldPath(key), "", f"can have at most {limit} characters"))
            if len(_text(obj, "message")) > _NOTE_LIMIT:
                errs.append(
                    invalid(FieldPath("message"), "", f"can have at most {_NOTE_LIMIT} characters")
                )
        errs.extend(
            invalid(FieldPath("namespace"), namespace, msg)
            for msg in naming.is_dns1123_subdomain(namespace)
        )
        return errs

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        # upstream checks the object meta only once the Event's own rules pass
        return self._legacy(obj) or self.validate_metadata(obj, namespaced=namespaced)

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        involved = as_map(obj.get("involvedObject"))
        for key in _INVOLVED:
            fields[f"involvedObject.{key}"] = str(involved.get(key) or "")
        fields["reason"] = _text(obj, "reason")
        fields["reportingComponent"] = _text(obj, "reportingComponent")
        # the source component, or for new-style events their reporting controller
        fields["source"] = _text(as_map(obj.get("source")), "component") or _text(
            obj, "reportingComponent"
        )
        fields["type"] = _text(obj, "type")
        return fields


def _series_errors(obj: Mapping[str, Any]) -> list[FieldError]:
    """``validateV1EventSeries``."""
    series = obj.get("series")
    if not isinstance(series, Mapping):
        return []
    errs: list[FieldError] = []
    count = series.get("count")
    if not isinstance(count, int) or count < 2:
        errs.append(invalid(FieldPath("series.count"), "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        errs.append(required(FieldPath("series.lastObservedTime"), ""))
    return errs


class StructuredEventStrategy(EventStrategy):
    """``events`` written through events.k8s.io/v1: the strict rules for new Events."""

    name_validator = staticmethod(naming.name_is_dns_subdomain)
    reporting_controller: ClassVar[str] = "reportingController"

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = [*self._legacy(obj), *self.validate_metadata(obj, namespaced=namespaced)]
        errs.extend(_series_errors(obj))
        if not obj.get("eventTime"):
            errs.append(required(FieldPath("eventTime"), ""))
        kind = _text(obj, "type")
        if kind not in ("Normal", "Warning"):
            errs.append(invalid(FieldPath("type"), "", f"has invalid value: {kind}"))
        for key in ("firstTimestamp", "lastTimestamp", "count"):
            if obj.get(key):
                errs.append(invalid(FieldPath(key), "", _UNSET))
        source = as_map(obj.get("source"))
        if _text(source, "component") or _text(source, "host"):
            errs.append(invalid(FieldPath("source"), "", _UNSET))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = [*self._legacy(new), *self.validate_metadata(new, namespaced=namespaced)]
        if not _same(new.get("series"), old.get("series")):
            errs.extend(_series_errors(new))
        for key, path in (
            ("involvedObject", "involvedObject"),
            ("reason", "reason"),
            ("message", "message"),
            ("source", "source"),
            ("firstTimestamp", "firstTimestamp"),
            ("lastTimestamp", "lastTimestamp"),
            ("count", "count"),
            ("reason", "reason"),  # upstream checks it twice, so its error comes twice
            ("type", "type"),
            ("eventTime", "eventTime"),
            ("action", "action"),
            ("related", "related"),
            ("reportingComponent", "reportingController"),
            ("reportingInstance", "reportingInstance"),
        ):
            before, after = old.get(key), new.get(key)
            if key == "eventTime":
                before, after = _micro(before), _micro(after)
            if not _same(after, before):
                errs.append(invalid(FieldPath(path), new.get(key), _IMMUTABLE))
        return errs
