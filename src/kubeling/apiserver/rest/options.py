"""Request options, parsed once from the query string (and the DELETE body).

Each parser checks its values and raises a 400 BadRequest ``StatusError`` with
the message Kubernetes gives, so handlers deal only in typed options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeling.api import errors, fields, labels
from kubeling.api.field import forbidden
from kubeling.apiserver.request_info import query_flag

__all__ = ["DeleteOptions", "ListOptions", "WriteOptions"]


_INT64 = range(-(2**63), 2**63)


def _int(query: Mapping[str, str], name: str) -> int | None:
    """An int64 query parameter, as Kubernetes reads one; 400 if it is not one."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value not in _INT64:
        raise errors.bad_request(f'invalid value for {name}: "{raw}"') from None
    return value


def _bool(query: Mapping[str, str], name: str) -> bool:
    return query_flag(query.get(name))


@dataclass(frozen=True, slots=True)
class ListOptions:
    """``?labelSelector=&fieldSelector=&limit=&continue=&resourceVersion=...``."""

    label_selector: labels.Selector = field(default_factory=labels.everything)
    field_selector: fields.Selector = field(default_factory=fields.everything)
    limit: int = 0
    continue_token: str | None = None
    resource_version: str = ""
    resource_version_match: str = ""
    timeout_seconds: int | None = None
    allow_watch_bookmarks: bool = False
    send_initial_events: bool | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> ListOptions:
        try:
            label_selector = labels.parse(query.get("labelSelector", ""))
        except labels.SelectorParseError as err:
            raise errors.bad_request(f"unable to parse requirement: {err}") from err
        try:
            field_selector = fields.parse(query.get("fieldSelector", ""))
        except fields.FieldSelectorParseError as err:
            raise errors.bad_request(str(err)) from err
        limit = _int(query, "limit") or 0
        if limit < 0:
            raise errors.bad_request(f"invalid value for limit: {limit}")
        token = query.get("continue") or None
        rv = query.get("resourceVersion", "")
        match = query.get("resourceVersionMatch", "")
        if match not in ("", "Exact", "NotOlderThan"):
            raise errors.bad_request(
                f'resourceVersionMatch: Unsupported value: "{match}": '
                'supported values: "Exact", "NotOlderThan"'
            )
        if token and rv and rv != "0":
            raise errors.bad_request(
                "specifying resource version is not allowed when using continue"
            )
        if rv and rv != "0":
            try:
                if int(rv) <= 0:
                    raise ValueError
            except ValueError:
                raise errors.bad_request(f'invalid resource version "{rv}"') from None
        initial = query.get("sendInitialEvents")
        return cls(
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=token,
            resource_version=rv,
            resource_version_match=match,
            timeout_seconds=_int(query, "timeoutSeconds"),
            allow_watch_bookmarks=_bool(query, "allowWatchBookmarks"),
            send_initial_events=None if initial is None else query_flag(initial),
        )

    def check_for(self, *, watch: bool) -> None:
        """Kubernetes' ListOptions validation of what differs between a list and a
        watch (``resourceVersionMatch``, the watch-list ``sendInitialEvents``): 422
        Invalid ``ListOptions.meta.k8s.io ""`` when they are misused."""
        problems = []
        if not watch and self.resource_version_match and not self.resource_version:
            problems.append(
                forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            )
        if not watch and self.send_initial_events is not None:
            problems.append(
                forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list")
            )
        if (
            watch
            and self.send_initial_events is not None
            and self.resource_version_match != "NotOlderThan"
        ):
            problems.append(
                forbidden(
                    "resourceVersionMatch",
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                )
            )
        if watch and self.resource_version_match and self.send_initial_events is None:
            problems.append(
                forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents "
                    "is provided",
                )
            )
        if problems:
            raise errors.invalid("ListOptions.meta.k8s.io", "", problems)


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """``?dryRun=All&fieldManager=&fieldValidation=&force=`` on create/update/patch."""

    dry_run: bool = False
    field_manager: str = ""
    field_validation: str = "Strict"
    force: bool = False

    def as_json(self, kind: str) -> dict[str, Any]:
        """The options as admission sees them: ``CreateOptions``, ``UpdateOptions``
        or ``PatchOptions`` (``kind``) of ``meta.k8s.io/v1``.

        >>> WriteOptions(dry_run=True, field_manager="kubectl").as_json("CreateOptions")
        {'kind': 'CreateOptions', 'apiVersion': 'meta.k8s.io/v1', 'dryRun': ['All'], \
'fieldManager': 'kubectl'}
        """
        out: dict[str, Any] = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
        if self.dry_run:
            out["dryRun"] = ["All"]
        if self.field_manager:
            out["fieldManager"] = self.field_manager
        if kind == "PatchOptions" and self.force:
            out["force"] = True
        return out

    @classmethod
    def parse(cls, query: Mapping[str, str], *, user_agent: str = "") -> WriteOptions:
        """The options of a write; the field manager defaults, as in Kubernetes, to
        the User-Agent up to its first "/" (``kubectl``, ``OpenAPI-Generator``)."""
        dry = query.get("dryRun", "")
        if dry not in ("", "All"):
            raise errors.bad_request(f'dryRun: Unsupported value: "{dry}": supported values: "All"')
        validation = query.get("fieldValidation", "") or "Strict"
        if validation not in ("Ignore", "Warn", "Strict"):
            raise errors.bad_request(
                f'fieldValidation: Unsupported value: "{validation}": '
                'supported values: "Ignore", "Strict", "Warn"'
            )
        manager = query.get("fieldManager", "")
        if len(manager) > 128:
            raise errors.bad_request("fieldManager: Too long: may not be more than 128 bytes")
        if not manager and user_agent:
            manager = user_agent.split("/", 1)[0][:128]
        return cls(
            dry_run=dry == "All",
            field_manager=manager,
            field_validation=validation,
            force=_bool(query, "force"),
        )


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    """metav1.DeleteOptions, from a JSON body or the query string."""

    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_resource_version: str | None = None
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        """The options as admission sees them: a ``meta.k8s.io/v1 DeleteOptions``.

        >>> DeleteOptions(grace_period_seconds=0).as_json()
        {'kind': 'DeleteOptions', 'apiVersion': 'meta.k8s.io/v1', 'gracePeriodSeconds': 0}
        """
        out: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1"}
        if self.grace_period_seconds is not None:
            out["gracePeriodSeconds"] = self.grace_period_seconds
        preconditions = {
            key: value
            for key, value in (
                ("uid", self.precondition_uid),
                ("resourceVersion", self.precondition_resource_version),
            )
            if value
        }
        if preconditions:
            out["preconditions"] = preconditions
        if self.propagation_policy:
            out["propagationPolicy"] = self.propagation_policy
        if self.dry_run:
            out["dryRun"] = ["All"]
        return out

    @classmethod
    def parse(cls, query: Mapping[str, str], body: Mapping[str, Any] | None) -> DeleteOptions:
        source: dict[str, Any] = dict(body or {})
        if "gracePeriodSeconds" in query:
            source["gracePeriodSeconds"] = _int(query, "gracePeriodSeconds")
        if "propagationPolicy" in query:
            source["propagationPolicy"] = query["propagationPolicy"]
        if "orphanDependents" in query and "propagationPolicy" not in source:
            source["orphanDependents"] = _bool(query, "orphanDependents")
        if "dryRun" in query:
            source["dryRun"] = [query["dryRun"]]
        grace = source.get("gracePeriodSeconds")
        if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
            raise errors.bad_request("gracePeriodSeconds must be an integer")
        policy = source.get("propagationPolicy")
        orphan = source.get("orphanDependents")
        if policy is not None and orphan is not None:
            raise errors.bad_request("orphanDependents and propagationPolicy cannot both be set")
        if orphan is not None:
            policy = "Orphan" if orphan else "Background"
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise errors.bad_request(
                f'propagationPolicy: Unsupported value: "{policy}": '
                'supported values: "Foreground", "Background", "Orphan"'
            )
        pre = source.get("preconditions") or {}
        if not isinstance(pre, Mapping):
            raise errors.bad_request("preconditions must be an object")
        dry = source.get("dryRun") or []
        if not isinstance(dry, list) or any(d != "All" for d in dry):
            raise errors.bad_request('dryRun: Unsupported value: supported values: "All"')
        return cls(
            grace_period_seconds=grace,
            propagation_policy=policy,
            precondition_uid=pre.get("uid"),
            precondition_resource_version=pre.get("resourceVersion"),
            dry_run=bool(dry),
        )
