"""ResourceQuota accounting, pure: what objects use and how quota lists add up.

- :mod:`.usage`: the evaluators (what a pod, a service, a claim or any object
  uses; scopes; what a pod must declare);
- :mod:`.resources`: arithmetic and printing of resource lists.

The ResourceQuota controller sums usage over a namespace with them, and the
ResourceQuota admission plugin charges each write with the same code, so the
two never disagree on what an object uses.
"""
