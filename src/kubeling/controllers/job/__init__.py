"""The Job controller (Kubernetes' ``pkg/controller/job``), one module per concern.

- :mod:`.controller`: informer handlers, ``sync``, deciding and managing the pods;
- :mod:`.pods`: creating and deleting pods (slow start, expectations, indexes);
- :mod:`.status`: counting finished pods into the status, finishing the Job;
- :mod:`.state`: what one sync learns (shared by the three above);
- :mod:`.jobs`: reading a Job's spec and its pods;
- :mod:`.conditions`: the Job's conditions and their two-step finish;
- :mod:`.tracking`: the ``batch.kubernetes.io/job-tracking`` finalizer protocol;
- :mod:`.backoff`: the pod failure back-off;
- :mod:`.indexes`: completion indexes of Indexed Jobs;
- :mod:`.policies`: pod failure policy and success policy;
- :mod:`.util`: whether a Job is finished (for the CronJob and TTL controllers).
"""

from kubeling.controllers.job.controller import JobController

__all__ = ["JobController"]
