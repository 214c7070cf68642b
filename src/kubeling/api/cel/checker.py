"""The CEL type checker: gives every node a type, or explains why it cannot.

Kubernetes compiles every validation rule with the type checker on, against
the types of ``self`` and ``oldSelf`` derived from the schema. That is what
turns a typo into a CRD-creation error instead of a surprise at run time::

    ERROR: <input>:1:5: undefined field 'replica'
     | self.replica > 1
     | ....^

The checker walks the tree once, bottom-up:

- a literal has its obvious type, an identifier the type of its declaration
  (a variable, a comprehension variable, or a type name such as ``int``);
- ``a.f`` needs ``a`` to be an object with a field ``f`` (its type), a map
  (its value type) or ``dyn``;
- a call is resolved against the function's overloads (see ``functions``):
  every overload whose parameters accept the argument types is kept, and the
  result type is theirs, or ``dyn`` when they disagree. None left is the
  familiar ``found no matching overload for '_+_' applied to '(int, string)'``;
- a list or map literal has the common type of its elements, or ``dyn``
  when they differ (``validators`` then refuses mixed literals, as
  Kubernetes does: ``[1, 'a']`` is ``expected type 'int' but found
  'string'``);
- a comprehension types its range, binds the loop variable, and checks the
  step against the accumulator.

Type parameters (``A`` in ``size(list(A))``) are bound while matching and
substituted at the end; anything still unknown becomes ``dyn``.

The checker also resolves names: ``optional.of(x)`` parses as a method call
on a variable ``optional``, but no such variable exists and a function
``optional.of`` does, so the call becomes a global call to ``optional.of``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.cel import types
from kubeling.api.cel.ast import (
    Call,
    Comprehension,
    Expr,
    Ident,
    ListExpr,
    Literal,
    MapExpr,
    Select,
)
from kubeling.api.cel.functions import Function, Library, Overload
from kubeling.api.cel.source import Issues
from kubeling.api.cel.types import CelType, Kind
from kubeling.api.cel.values import Duration, Timestamp, TypeValue, Uint

__all__ = ["TYPE_NAMES", "CheckedExpr", "check"]

#: Identifiers that name types: ``type(x) == int``.
TYPE_NAMES: Final[Mapping[str, CelType]] = {
    "int": types.INT,
    "uint": types.UINT,
    "double": types.DOUBLE,
    "bool": types.BOOL,
    "string": types.STRING,
    "bytes": types.BYTES,
    "null_type": types.NULL,
    "list": types.list_of(types.DYN),
    "map": types.map_of(types.DYN, types.DYN),
    "type": types.type_of(types.DYN),
    "google.protobuf.Timestamp": types.TIMESTAMP,
    "google.protobuf.Duration": types.DURATION,
    "optional_type": types.optional_of(types.DYN),
}


@dataclass
class CheckedExpr:
    """A checked tree: its result type, and what the interpreter must know."""

    expr: Expr
    result: CelType
    #: Identifiers that name a type (``int``) rather than a variable: id -> value.
    type_constants: dict[int, TypeValue] = field(default_factory=dict)
    #: Whether the expression refers to each declared variable, by name.
    references: set[str] = field(default_factory=set)
    #: The type of every node, by id (for the checks that follow, see ``validators``).
    types: dict[int, CelType] = field(default_factory=dict)
    #: Selections that read a variable declared with a dotted name
    #: (``authorizer.requestResource``): id -> the variable's name.
    qualified_idents: dict[int, str] = field(default_factory=dict)


def check(
    expr: Expr, variables: Mapping[str, CelType], library: Library, issues: Issues
) -> CheckedExpr:
    """Type-check ``expr``; problems go to ``issues`` (the result is then unusable)."""
    checker = _Checker(variables, library, issues)
    result = checker.visit(expr)
    return CheckedExpr(
        expr,
        checker.final(result),
        checker.type_constants,
        checker.references,
        {node: checker.final(t) for node, t in checker.node_types.items()},
        checker.qualified_idents,
    )


def _literal_type(value: Any) -> CelType:
    if isinstance(value, bool):
        return types.BOOL
    if isinstance(value, int):
        return types.INT
    if isinstance(value, Uint):
        return types.UINT
    if isinstance(value, float):
        return types.DOUBLE
    if isinstance(value, str):
        return types.STRING
    if isinstance(value, bytes):
        return types.BYTES
    if value is None:
        return types.NULL
    if isinstance(value, Timestamp):
        return types.TIMESTAMP
    if isinstance(value, Duration):
        return types.DURATION
    raise AssertionError(f"unexpected literal {value!r}")


def _type_params(t: CelType) -> Iterator[str]:
    if t.kind is Kind.PARAM:
        yield t.name
    for p in t.params:
        yield from _type_params(p)


class _Checker:
    def __init__(self, variables: Mapping[str, CelType], library: Library, issues: Issues) -> None:
        self.variables = variables
        self.library = library
        self.issues = issues
        self.scopes: list[dict[str, CelType]] = []
        self.bindings: types.Bindings = {}
        self.type_constants: dict[int, TypeValue] = {}
        self.qualified_idents: dict[int, str] = {}
        self.references: set[str] = set()
        self.node_types: dict[int, CelType] = {}
        self._fresh = itertools.count(1)

    # -- helpers ----------------------------------------------------------

    def fresh(self) -> CelType:
        return types.param(f"_var{next(self._fresh)}")

    def final(self, t: CelType) -> CelType:
        return types.substitute(t, self.bindings, free_to_dyn=True)

    def error(self, offset: int, message: str) -> CelType:
        self.issues.report(offset, message)
        return types.ERROR

    @contextmanager
    def scope(self, names: Mapping[str, CelType]) -> Iterator[None]:
        self.scopes.append(dict(names))
        try:
            yield
        finally:
            self.scopes.pop()

    def lookup(self, name: str) -> CelType | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.variables:
            self.references.add(name)
            return self.variables[name]
        return None

    def assignable(self, target: CelType, source: CelType) -> bool:
        trial = dict(self.bindings)
        if types.is_assignable(target, source, trial):
            self.bindings = trial
            return True
        return False

    # -- nodes ------------------------------------------------------------

    def visit(self, expr: Expr) -> CelType:
        t = self._visit(expr)
        self.node_types[expr.id] = t
        return t

    def _visit(self, expr: Expr) -> CelType:
        if isinstance(expr, Literal):
            return _literal_type(expr.value)
        if isinstance(expr, Ident):
            return self.visit_ident(expr)
        if isinstance(expr, Select):
            return self.visit_select(expr)
        if isinstance(expr, Call):
            return self.visit_call(expr)
        if isinstance(expr, ListExpr):
            return self.visit_list(expr)
        if isinstance(expr, MapExpr):
            return self.visit_map(expr)
        if isinstance(expr, Comprehension):
            return self.visit_comprehension(expr)
        raise AssertionError(f"unknown node {expr!r}")

    def visit_ident(self, expr: Ident) -> CelType:
        declared = self.lookup(expr.name)
        if declared is not None:
            return declared
        if expr.name in TYPE_NAMES:
            self.type_constants[expr.id] = TypeValue(str(TYPE_NAMES[expr.name].name))
            return types.type_of(TYPE_NAMES[expr.name])
        return self.error(expr.offset, f"undeclared reference to '{expr.name}' (in container '')")

    def visit_select(self, expr: Select) -> CelType:
        qualified = _qualified_name(expr)
        # A variable may be declared with a dotted name, which cel-go resolves
        # before field selection (unless a comprehension variable shadows its root).
        root = qualified.split(".")[0]
        if qualified in self.variables and not any(root in scope for scope in self.scopes):
            self.references.add(qualified)
            self.qualified_idents[expr.id] = qualified
            return self.variables[qualified]
        if qualified in TYPE_NAMES and self.lookup(qualified.split(".")[0]) is None:
            self.type_constants[expr.id] = TypeValue(TYPE_NAMES[qualified].name)
            return types.type_of(TYPE_NAMES[qualified])
        operand = types.substitute(self.visit(expr.operand), self.bindings, free_to_dyn=False)
        optional = expr.optional
        if operand.kind is Kind.OPAQUE and operand.name == "optional_type":
            operand, optional = operand.params[0], True
        found = self.field_type(operand, expr)
        if expr.test_only:
            return types.BOOL
        if found.kind is Kind.ERROR:
            return found
        return types.optional_of(found) if optional else found

    def field_type(self, operand: CelType, expr: Select) -> CelType:
        if operand.is_dyn or operand.kind is Kind.PARAM:
            return types.DYN
        if operand.kind is Kind.OBJECT:
            if expr.field in operand.fields:
                return operand.fields[expr.field]
            return self.error(expr.offset, f"undefined field '{expr.field}'")
        if operand.kind is Kind.MAP and self.assignable(types.STRING, operand.params[0]):
            return operand.params[1]
        return self.error(
            expr.offset, f"type '{self.final(operand)}' does not support field selection"
        )

    def visit_call(self, expr: Call) -> CelType:
        if expr.target is not None:
            namespaced = _qualified_name(expr.target)
            if namespaced and self.lookup(namespaced.split(".")[0]) is None:
                qualified = f"{namespaced}.{expr.function}"
                if qualified in self.library.functions:
                    expr.function, expr.target = qualified, None
        function = self.library.functions.get(expr.function)
        if expr.function == "_?_:_":
            return self.visit_conditional(expr)
        arg_types = [self.visit(arg) for arg in expr.args]
        if expr.target is not None:
            arg_types.insert(0, self.visit(expr.target))
        if function is None:
            return self.error(
                expr.offset, f"undeclared reference to '{expr.function}' (in container '')"
            )
        if any(t.kind is Kind.ERROR for t in arg_types):
            return types.ERROR
        return self.resolve(expr, function, arg_types, member=expr.target is not None)

    def visit_conditional(self, expr: Call) -> CelType:
        condition, truthy, falsy = (self.visit(arg) for arg in expr.args)
        if types.ERROR in (condition, truthy, falsy):
            return types.ERROR
        if not self.assignable(types.BOOL, condition):
            return self._no_overload(expr, [condition, truthy, falsy], member=False)
        if self.assignable(truthy, falsy):
            return types.substitute(truthy, self.bindings, free_to_dyn=False)
        if self.assignable(falsy, truthy):
            return types.substitute(falsy, self.bindings, free_to_dyn=False)
        return self._no_overload(expr, [condition, truthy, falsy], member=False)

    def resolve(
        self, expr: Call, function: Function, arg_types: list[CelType], *, member: bool
    ) -> CelType:
        result: CelType | None = None
        for candidate in function.overloads:
            if candidate.is_member != member or len(candidate.params) != len(arg_types):
                continue
            params, returns = self._instantiate(candidate)
            trial = dict(self.bindings)
            if all(
                types.is_assignable(p, a, trial) for p, a in zip(params, arg_types, strict=True)
            ):
                self.bindings = trial
                returned = types.substitute(returns, self.bindings, free_to_dyn=False)
                if result is None:
                    result = returned
                elif not result.is_dyn and returned != result:
                    result = types.DYN
        if result is None:
            return self._no_overload(expr, arg_types, member=member)
        return result

    def _instantiate(self, candidate: Overload) -> tuple[list[CelType], CelType]:
        """The overload's signature with fresh type variables for its parameters."""
        names = {name for t in (*candidate.params, candidate.result) for name in _type_params(t)}
        fresh = {name: self.fresh() for name in names}
        params = [types.substitute(p, fresh, free_to_dyn=False) for p in candidate.params]
        return params, types.substitute(candidate.result, fresh, free_to_dyn=False)

    def _no_overload(self, expr: Call, arg_types: list[CelType], *, member: bool) -> CelType:
        shown = [str(self.final(t)) for t in arg_types]
        signature = f"({', '.join(shown)})"
        if member:
            signature = f"{shown[0]}.({', '.join(shown[1:])})"
        return self.error(
            expr.offset,
            f"found no matching overload for '{expr.function}' applied to '{signature}'",
        )

    def _join(self, element_types: list[CelType]) -> CelType:
        """The element type of a literal: the common type, or ``dyn`` if they differ.

        (Kubernetes refuses mixed literals, but in a separate check that runs
        after this one: see ``validators``.)
        """
        common: CelType | None = None
        for t in element_types:
            if t.kind is Kind.ERROR:
                continue
            if common is None:
                common = t
            elif self.assignable(common, t):
                common = common if common.is_dyn else t if t.is_dyn else common
            else:
                common = types.DYN
        return common if common is not None else self.fresh()

    def visit_list(self, expr: ListExpr) -> CelType:
        element_types = []
        for index, element in enumerate(expr.elements):
            t = self.visit(element)
            if index in expr.optional_indices:
                t = self._unwrap_optional(element, t)
            element_types.append(t)
        return types.list_of(self._join(element_types))

    def _unwrap_optional(self, element: Expr, t: CelType) -> CelType:
        inner = self.fresh()
        if self.assignable(types.optional_of(inner), t):
            return types.substitute(inner, self.bindings, free_to_dyn=False)
        return self.error(
            element.offset, f"expected type 'optional_type' but found '{self.final(t)}'"
        )

    def visit_map(self, expr: MapExpr) -> CelType:
        keys, values = [], []
        for entry in expr.entries:
            keys.append(self.visit(entry.key))
            value = self.visit(entry.value)
            if entry.optional:
                value = self._unwrap_optional(entry.value, value)
            values.append(value)
        return types.map_of(self._join(keys), self._join(values))

    def visit_comprehension(self, expr: Comprehension) -> CelType:
        range_type = types.substitute(self.visit(expr.iter_range), self.bindings, free_to_dyn=False)
        if range_type.kind in (Kind.LIST, Kind.MAP):
            # a list's loop variable is an element, a map's is a key
            var_type = range_type.params[0]
        elif range_type.kind is Kind.OBJECT:
            var_type = types.STRING
        elif range_type.is_dyn or range_type.kind is Kind.PARAM:
            var_type = types.DYN
        else:
            self.error(
                expr.iter_range.offset,
                f"expression of type '{self.final(range_type)}' cannot be range of a "
                "comprehension (must be list, map, or dynamic)",
            )
            var_type = types.DYN
        accu_type = self.visit(expr.accu_init)
        with self.scope({expr.accu_var: accu_type}):
            with self.scope({expr.iter_var: var_type}):
                condition = self.visit(expr.loop_condition)
                if condition.kind is not Kind.ERROR and not self.assignable(types.BOOL, condition):
                    self.error(
                        expr.loop_condition.offset,
                        f"expected type 'bool' but found '{self.final(condition)}'",
                    )
                step = self.visit(expr.loop_step)
                if step.kind is not Kind.ERROR and not self.assignable(accu_type, step):
                    self.error(
                        expr.loop_step.offset,
                        f"expected type '{self.final(accu_type)}' but found '{self.final(step)}'",
                    )
            return self.visit(expr.result)


def _qualified_name(expr: Expr) -> str:
    """``a.b.c`` for a chain of plain selections on an identifier, else ''."""
    if isinstance(expr, Ident):
        return expr.name
    if isinstance(expr, Select) and not expr.test_only and not expr.optional:
        base = _qualified_name(expr.operand)
        return f"{base}.{expr.field}" if base else ""
    return ""
