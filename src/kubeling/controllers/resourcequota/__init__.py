"""ResourceQuota status: what each namespace uses against its quotas.

- :mod:`~kubeling.controllers.resourcequota.usage`: the evaluators (what a pod,
  a service, a claim or any object uses; scopes), pure and tested as tables.
- :mod:`~kubeling.controllers.resourcequota.controller`: ``resourcequota``, which
  keeps ``status.hard`` and ``status.used`` current.
"""

from kubeling.controllers.resourcequota.controller import ResourceQuotaController

__all__ = ["ResourceQuotaController"]
