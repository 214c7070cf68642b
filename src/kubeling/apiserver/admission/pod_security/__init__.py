"""The PodSecurity admission plugin and the Pod Security Standards it enforces.

- :mod:`.levels`: levels, versions and a namespace's policy from its labels;
- :mod:`.check`: what a check is, and the readers checks share;
- :mod:`.baseline`, :mod:`.restricted`: the checks of each level, per version;
- :mod:`.policy`: evaluating a pod at a level and version, and the verdict text;
- :mod:`.plugin`: the admission plugin (pods, pod controllers, namespaces).
"""

from kubeling.apiserver.admission.pod_security.plugin import PodSecurityAdmission

__all__ = ["PodSecurityAdmission"]
