"""A checksum in front of every file the caches store: a changed byte is a miss.

The result cache (:mod:`linter.output.cache`: its index and its schema models) and the replay
(:mod:`linter.output.replay`: its header) store each entry as ``blake2b(payload) + payload``; a
payload read back is used only when its digest matches, so a bit flipped on disk, a
truncated write or an edited file is never read as a result. The replay's output, in
its checked header, has a CRC-32 (:func:`crc`). This module imports only ``_blake2`` (the
replay runs before anything else is imported), and ``binascii`` when :func:`crc` is used.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

DIGEST_SIZE = 20


def digest(payload: bytes | memoryview) -> bytes:
    """The checksum of *payload* (``DIGEST_SIZE`` bytes)."""
    return blake2b(payload, digest_size=DIGEST_SIZE).digest()


def seal(payload: bytes) -> bytes:
    """*payload* with its digest in front (what :func:`unseal` checks)."""
    return digest(payload) + payload


def unseal(data: bytes) -> memoryview | None:
    """The payload of *data* made by :func:`seal`, or ``None`` when its digest does not
    match (a corrupt, truncated or foreign file)."""
    view = memoryview(data)
    if len(view) < DIGEST_SIZE:
        return None
    payload = view[DIGEST_SIZE:]
    if digest(payload) != view[:DIGEST_SIZE]:
        return None
    return payload


def crc(payload: bytes | memoryview, value: int = 0) -> int:
    """CRC-32 of *payload* (continued from *value*: the CRC of the bytes before it), for a
    large payload read on a hot path (the replay's stored output): about 1 ms for the
    corpus's 6.4 MB where ``blake2b`` takes 9 (a warm replay is ~60 ms). It catches every
    burst of up to 32 flipped bits, and misses a random change with a chance of 2**-32.
    ``binascii`` (~0.15 ms) is imported only when it is called."""
    from binascii import crc32

    return crc32(payload, value)


def name_digest(text: str) -> str:
    """The hex digest that names the file stored for *text* (the replay's file names)."""
    return blake2b(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]
