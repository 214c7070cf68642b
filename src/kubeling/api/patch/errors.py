"""The one exception every patch engine raises, tagged with Kubernetes' HTTP status.

The API server decides the status of a failed patch by *where* it failed, and
the choices are not obvious, so each :class:`PatchError` records the status the
real ``k8s.io/apiserver`` patch handler (``endpoints/handlers/patch.go``) would
answer with; the kubeling handler maps it onto the wire ``Status``:

* 400 BadRequest: the patch document itself is malformed. A JSON patch that is
  not an array of objects, a merge patch that is ``null`` or a scalar, and the
  strategic-merge format errors ``mergepatch.ErrBadPatchFormatFor*`` (bad
  ``$retainKeys``, ``$setElementOrder`` or ``$deleteFromPrimitiveList``). The
  message is shown to the client as is.
* 413 RequestEntityTooLarge: a JSON patch with more than 10000 operations.
* 422 Invalid: a JSON patch operation that does not apply (missing path, failed
  ``test``, bad index) and strategic lists of lists. Kubernetes builds these
  with ``NewGenericServerResponse(422, ...)``, whose client-visible message is
  the fixed "the server rejected our request due to an error in our request";
  the detail below is kept for logs and tests.
* 500 with reason "" (Unknown): every other strategic-merge failure (unknown
  ``$patch`` value, a list item without its merge key, mixed element types).
  apimachinery returns plain Go errors there and the server's fallback turns
  them into a 500 whose message is the error text.
"""

from __future__ import annotations

from http import HTTPStatus

__all__ = ["PatchError"]


class PatchError(Exception):
    """A patch that cannot be applied or created.

    >>> err = PatchError("test failed", code=HTTPStatus.UNPROCESSABLE_ENTITY)
    >>> (str(err), int(err.code))
    ('test failed', 422)
    """

    def __init__(self, message: str, *, code: HTTPStatus) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @classmethod
    def bad_request(cls, message: str) -> PatchError:
        """A malformed patch document (400)."""
        return cls(message, code=HTTPStatus.BAD_REQUEST)

    @classmethod
    def unprocessable(cls, message: str) -> PatchError:
        """A well-formed patch that does not apply (422)."""
        return cls(message, code=HTTPStatus.UNPROCESSABLE_ENTITY)

    @classmethod
    def internal(cls, message: str) -> PatchError:
        """A failure Kubernetes reports as a bare 500 with the error text."""
        return cls(message, code=HTTPStatus.INTERNAL_SERVER_ERROR)
