"""New object UIDs: random (version 4) UUIDs, as Kubernetes' ``uuid.NewUUID``.

``uuid.uuid4()`` reads 16 bytes from the kernel per call, and each read lets
another thread take the interpreter: under a stream of creates the API
server's event loop waited for it more than for anything else it does per
object. The random bytes are read 256 UIDs at a time instead; they are the
same kernel randomness.

>>> uid = new_uid()
>>> len(uid), uid[14], uid[19] in "89ab"
(36, '4', True)
"""

from __future__ import annotations

import os
import threading
import uuid

__all__ = ["new_uid"]

_BATCH = 256

_lock = threading.Lock()
_pool = b""
_offset = 0


def new_uid() -> str:
    """A new random UUID in its canonical text form (``"8c9f...-4..."``)."""
    global _pool, _offset
    with _lock:
        if _offset >= len(_pool):
            _pool, _offset = os.urandom(16 * _BATCH), 0
        raw = _pool[_offset : _offset + 16]
        _offset += 16
    return str(uuid.UUID(bytes=raw, version=4))
