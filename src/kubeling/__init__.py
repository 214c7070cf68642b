"""kubeling: Kubernetes, written in Python.

The package is layered (enforced by import-linter, see pyproject.toml):
``cli``/``server`` over the components (``apiserver``, ``controllers``, ...),
over ``client``, over ``storage``, over ``api`` and ``_aio``.
"""

__version__ = "0.1.0"
