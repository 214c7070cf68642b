"""CEL, the Common Expression Language, as Kubernetes uses it for validation rules.

CRDs carry rules like ``self.replicas <= self.maxReplicas`` under
``x-kubernetes-validations``; the API server compiles them when the CRD is
written and runs them on every write of a custom resource. This package is
a complete, small CEL implementation written to be read:

===================  ==========================================================
``lexer``            text → tokens
``parser``           tokens → AST (``ast``), macros expanded (``macros``)
``checker``          AST → types (``types``), compile errors with positions
``interpreter``      checked AST + variables → value, with CEL's error rules
``values``           runtime values: ``Uint``, ``Timestamp``, equality...
``functions``        how functions and their overloads are declared
``library/``         the standard library and the Kubernetes extensions
``environment``      the entry point: ``Environment(...).compile(text)``
``openapi``          structural schema → CEL types and values (``self``)
===================  ==========================================================

>>> from kubeling.api.cel import Environment, types
>>> Environment({"self": types.list_of(types.INT)}).compile("self.all(x, x > 0)").evaluate(
...     {"self": [1, 2]}).value
True
"""

from kubeling.api.cel import types
from kubeling.api.cel.environment import Environment, Program
from kubeling.api.cel.errors import CelError, CompileError, CostLimitExceeded, EvalError
from kubeling.api.cel.interpreter import Outcome

__all__ = [
    "CelError",
    "CompileError",
    "CostLimitExceeded",
    "Environment",
    "EvalError",
    "Outcome",
    "Program",
    "types",
]
