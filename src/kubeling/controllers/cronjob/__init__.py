"""The CronJob controller (Kubernetes' ``pkg/controller/cronjob``).

- :mod:`.controller`: informer handlers and ``sync``: active list, history, runs;
- :mod:`.schedule`: which schedule time is due, when to wake next, the run's Job.

Schedules are parsed and stepped by :mod:`kubeling.api.batch.cron`, the same code
the API server validates them with.
"""

from kubeling.controllers.cronjob.controller import CronJobController

__all__ = ["CronJobController"]
