"""ResourceQuota status: what each namespace uses against its quotas.

- :mod:`kubeling.api.quota.usage`: the evaluators (what a pod, a service, a
  claim or any object uses; scopes), pure, shared with the ResourceQuota
  admission plugin, and tested as tables.
- :mod:`~kubeling.controllers.resourcequota.controller`: ``resourcequota``, which
  keeps ``status.hard`` and ``status.used`` current.
"""

from kubeling.controllers.resourcequota.controller import (
    FULL_RESYNC_PERIOD,
    ResourceQuotaController,
)

__all__ = ["FULL_RESYNC_PERIOD", "ResourceQuotaController"]
