"""The scheduling framework: statuses, cycle state, extension points and their runtime.

Plugins import from here; the scheduler (queue, cache, cycle) builds on it. See
``docs/scheduler.md`` for how a pod moves through it.
"""
