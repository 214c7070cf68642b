"""batch/v1 strategies: Job selector generation, CronJob schedules, messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.batch import CronJobStrategy, JobStrategy

Obj = dict[str, Any]
UID = "0b5f0d3a-1111-2222-3333-444455556666"


def _job(restart: str | None = "Never", **spec: Any) -> Obj:
    pod: Obj = {"containers": [{"name": "pi", "image": "perl"}]}
    if restart is not None:
        pod["restartPolicy"] = restart
    body: Obj = {"template": {"spec": pod}}
    body.update(spec)
    return {"metadata": {"name": "pi", "namespace": "default", "uid": UID}, "spec": body}


def _created(strategy: Any, obj: Obj) -> Obj:
    strategy.default(obj)
    strategy.prepare_for_create(obj)
    return obj


def _messages(strategy: Any, obj: Obj) -> list[str]:
    return [str(e) for e in strategy.validate(obj, namespaced=True)]


def test_job_defaults_and_generated_selector() -> None:
    """A plain Job gets the 1.32 defaults and the controller-uid selector."""
    obj = _created(JobStrategy(), _job())
    spec = obj["spec"]
    assert {k: spec[k] for k in ("completions", "parallelism", "backoffLimit")} == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
    }
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["manualSelector"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    expected_labels = {
        "batch.kubernetes.io/controller-uid": UID,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID,
        "job-name": "pi",
    }
    assert spec["template"]["metadata"]["labels"] == expected_labels
    assert obj["metadata"]["labels"] == expected_labels
    assert obj["status"] == {}
    assert _messages(JobStrategy(), obj) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"parallelism": 3}, {"parallelism": 3}),
        ({"completions": 5}, {"completions": 5, "parallelism": 1}),
        (
            {"backoffLimitPerIndex": 1, "completionMode": "Indexed", "completions": 2},
            {"backoffLimit": 2147483647},
        ),
        (
            {
                "podFailurePolicy": {
                    "rules": [{"action": "Ignore", "onPodConditions": [{"type": "X"}]}]
                }
            },
            {"podReplacementPolicy": "Failed"},
        ),
    ],
)
def test_job_defaults_table(spec: Obj, expected: Obj) -> None:
    """Parallelism, backoff and replacement defaults depend on what is set."""
    obj = _created(JobStrategy(), _job(**spec))
    assert {k: obj["spec"].get(k) for k in expected} == expected


def test_job_name_from_generate_name_is_labelled_in_validate() -> None:
    """A name generated after prepare_for_create still reaches the job-name labels."""
    obj = _job()
    del obj["metadata"]["name"]
    obj["metadata"]["generateName"] = "pi-"
    _created(JobStrategy(), obj)
    obj["metadata"]["name"] = "pi-abcde"
    assert _messages(JobStrategy(), obj) == []
    assert obj["spec"]["template"]["metadata"]["labels"]["job-name"] == "pi-abcde"


@pytest.mark.parametrize(
    ("restart", "expected"),
    [
        (
            None,
            'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
        ),
        (
            "Always",
            'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
        ),
    ],
)
def test_job_restart_policy(restart: str | None, expected: str) -> None:
    """A Job's pods must not restart Always (the Pod default)."""
    obj = _created(JobStrategy(), _job(restart=restart))
    assert _messages(JobStrategy(), obj) == [expected]


def test_job_wrong_generated_label() -> None:
    """A conflicting controller-uid label is reported with upstream's text."""
    obj = _job()
    obj["spec"]["template"]["metadata"] = {"labels": {"controller-uid": "other"}}
    _created(JobStrategy(), obj)
    assert (
        f"spec.template.metadata.labels[controller-uid]: Invalid value: \"other\": must be '{UID}'"
    ) in _messages(JobStrategy(), obj)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda s: s.update(completions=3),
            "spec.completions: Invalid value: 3: field is immutable",
        ),
        (
            lambda s: s["template"]["spec"].update(restartPolicy="OnFailure"),
            "spec.template: Invalid value:",
        ),
        (
            lambda s: s.update(completionMode="Indexed"),
            'spec.completionMode: Invalid value: "Indexed": field is immutable',
        ),
        (
            lambda s: s.update(
                selector={"matchLabels": {"batch.kubernetes.io/controller-uid": UID, "x": "y"}}
            ),
            "spec.selector: Invalid value: v1.LabelSelector{",
        ),
    ],
)
def test_job_update_immutables(mutate: Any, expected: str) -> None:
    """Job updates keep the selector, template, completions and mode."""
    strategy = JobStrategy()
    old = _created(strategy, _job())
    new = copy.deepcopy(old)
    mutate(new["spec"])
    messages = [str(e) for e in strategy.validate_update(new, old, namespaced=True)]
    assert any(m.startswith(expected) for m in messages), messages


def test_suspended_job_may_change_scheduling_directives() -> None:
    """A suspended, never-started Job may change its node selector."""
    strategy = JobStrategy()
    old = _created(strategy, _job(suspend=True))
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    assert strategy.validate_update(new, old, namespaced=True) == []
    old["spec"]["suspend"] = False
    assert strategy.validate_update(new, old, namespaced=True) != []


def test_indexed_job_scales_in_tandem() -> None:
    """Indexed Jobs change completions only together with parallelism."""
    strategy = JobStrategy()
    old = _created(strategy, _job(completionMode="Indexed", completions=2, parallelism=2))
    new = copy.deepcopy(old)
    new["spec"]["completions"] = 4
    assert [str(e) for e in strategy.validate_update(new, old, namespaced=True)] == [
        "spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism"
    ]
    new["spec"]["parallelism"] = 4
    assert strategy.validate_update(new, old, namespaced=True) == []


def _cronjob(schedule: str, **spec: Any) -> Obj:
    body: Obj = {
        "schedule": schedule,
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "containers": [{"name": "c", "image": "busybox"}],
                    }
                }
            }
        },
    }
    body.update(spec)
    return {"metadata": {"name": "tick", "namespace": "default"}, "spec": body}


def test_cronjob_defaults() -> None:
    """CronJobs default their policy, suspension and history limits."""
    obj = _created(CronJobStrategy(), _cronjob("*/1 * * * *"))
    spec = obj["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"]) == ("Allow", False)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    assert spec["jobTemplate"]["metadata"] == {"creationTimestamp": None}
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]
    assert _messages(CronJobStrategy(), obj) == []


@pytest.mark.parametrize(
    ("schedule", "zone", "expected"),
    [
        ("x", None, 'spec.schedule: Invalid value: "x": expected exactly 5 fields, found 1: [x]'),
        (
            "TZ=UTC * * * * *",
            None,
            'spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in '
            "schedule, use timeZone field instead",
        ),
        (
            "* * * * *",
            "Mars/Olympus",
            'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
        ),
        (
            "* * * * *",
            "Local",
            'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as '
            "defined in https://www.iana.org/time-zones",
        ),
        (
            "* * * * *",
            "",
            'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string',
        ),
        ("", None, "spec.schedule: Required value"),
    ],
)
def test_cronjob_schedule_messages(schedule: str, zone: str | None, expected: str) -> None:
    """Bad schedules and zones get upstream's messages."""
    extra = {} if zone is None else {"timeZone": zone}
    obj = _created(CronJobStrategy(), _cronjob(schedule, **extra))
    assert expected in _messages(CronJobStrategy(), obj)


def test_cronjob_known_zone_and_job_template_rules() -> None:
    """A real zone is fine; a jobTemplate may not bring its own selector."""
    obj = _created(CronJobStrategy(), _cronjob("0 3 * * *", timeZone="Europe/Berlin"))
    assert _messages(CronJobStrategy(), obj) == []
    obj["spec"]["jobTemplate"]["spec"]["manualSelector"] = True
    assert _messages(CronJobStrategy(), obj) == [
        'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", '
        '"false"'
    ]
