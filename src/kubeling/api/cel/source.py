"""Expression text, positions in it, and compile errors shown as cel-go shows them.

Every token and AST node remembers its *offset*: the index of its first
character in the expression. Errors are reported from offsets; only when a
message is shown is the offset turned into a line and a column, and the
offending line is printed with a caret under the column, exactly as cel-go
(and so Kubernetes) prints it::

    ERROR: <input>:1:6: undeclared reference to 'slef' (in container '')
     | 1 + slef.x
     | ....^

Lines count from 1, and the column in the header counts from 1, while the
caret line has as many dots as there are characters before the column.
Characters outside the ASCII range get full-width dots and caret (U+FF0E and
U+FF3E), as cel-go draws them, so the caret lines up in a terminal.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Issue", "Issues", "Source"]


class Source:
    """The text of one expression, with line starts for position lookups.

    >>> src = Source("a &&\\n  b")
    >>> src.line_and_column(7)
    (2, 2)
    """

    def __init__(self, text: str, description: str = "<input>") -> None:
        self.text = text
        self.description = description
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)

    def line_and_column(self, offset: int) -> tuple[int, int]:
        """1-based line, 0-based column (in characters) of an offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line]

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end]


@dataclass(frozen=True)
class Issue:
    """One compile error at an offset of the source."""

    offset: int
    message: str

    def display(self, source: Source) -> str:
        """``ERROR: <input>:L:C: message`` with the source line and a caret."""
        line, column = source.line_and_column(self.offset)
        text = f"ERROR: {source.description}:{line}:{column + 1}: {self.message}"
        snippet = source.line_text(line).replace("\t", " ")
        dots = "".join("." if ord(char) < 128 else "\uff0e" for char in snippet[:column])
        under = snippet[column : column + 1]
        caret = "^" if not under or ord(under) < 128 else "\uff3e"
        return f"{text}\n | {snippet}\n | {dots}{caret}"


class Issues:
    """The compile errors of one expression, in source order when shown."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._issues: list[Issue] = []

    def report(self, offset: int, message: str) -> None:
        """Record an error; the same message at the same place is kept once."""
        issue = Issue(offset, message)
        if issue not in self._issues:
            self._issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.report(issue.offset, issue.message)

    def __bool__(self) -> bool:
        return bool(self._issues)

    def __iter__(self) -> Iterator[Issue]:
        return iter(sorted(self._issues, key=lambda issue: issue.offset))

    def __str__(self) -> str:
        return "\n".join(issue.display(self.source) for issue in self)
