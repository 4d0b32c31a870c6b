"""Passwords out of messages: every text built from a DSN goes through :func:`scrub`.

Works on text only (no libpq parsing), so a malformed DSN (an unclosed ``[`` in a URI host,
a bad ``%`` escape, a keyword DSN with a stray token) is redacted as well as a valid one.
When unsure it hides too much rather than too little.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

MASK = "***"
_URI = re.compile(r"^\s*postgres(?:ql)?://", re.IGNORECASE)
# keyword DSN: a quoted value (to its closing quote, or to the end when unclosed), else
# everything up to the next ``keyword=`` (a stray token after the password is hidden too)
_KEYWORD = re.compile(
    r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*(?:'|$)|.*?(?=\s+[A-Za-z_]\w*\s*=|\s*$))",
    re.IGNORECASE | re.DOTALL,
)
_QUERY_PARAM = re.compile(r"[?&]([^=&#]*)=([^&#]*)")
_QUOTED = re.compile(r'"([^"]*)"')
MIN_SCRUBBED = 3  # shorter fragments are not hunted in free text (they would mangle it)


def _spans(dsn: str) -> list[tuple[int, int]]:
    """Positions of every secret in *dsn* (a password, in any spelling)."""
    spans: list[tuple[int, int]] = []
    scheme = _URI.match(dsn)
    if scheme:
        start = scheme.end()
        at = dsn.rfind("@")
        if at >= start:
            colon = dsn.find(":", start, at)
            if colon >= 0:
                spans.append((colon + 1, at))
        for match in _QUERY_PARAM.finditer(dsn, start):
            if unquote(match.group(1)).strip().lower() == "password":
                spans.append(match.span(2))
    else:
        spans.extend(match.span(1) for match in _KEYWORD.finditer(dsn))
    return [(a, b) for a, b in spans if b > a]


def redact(dsn: str) -> str:
    """*dsn* with every password replaced by ``***``."""
    out = dsn
    for start, end in sorted(_spans(dsn), reverse=True):
        out = out[:start] + MASK + out[end:]
    return out


def secrets_of(dsn: str | None) -> list[str]:
    """The secret texts of *dsn* (raw and percent-decoded) and ``$PGPASSWORD``."""
    found: set[str] = set()
    for start, end in _spans(dsn or ""):
        raw = (dsn or "")[start:end]
        found.update({raw, raw.strip("'"), unquote(raw)})
    env = os.environ.get("PGPASSWORD")
    if env:
        found.add(env)
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, dsn: str | None) -> str:
    """*text* (an error message, say) without any secret of *dsn* or ``$PGPASSWORD``.

    A double-quoted fragment that is part of a secret (libpq quotes the token it could
    not read) is hidden whatever its length.
    """
    hidden = secrets_of(dsn)
    for secret in hidden:
        if len(secret) >= MIN_SCRUBBED:
            text = text.replace(secret, MASK)

    def quoted(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner and any(inner in secret for secret in hidden):
            return f'"{MASK}"'
        return match.group(0)

    return _QUOTED.sub(quoted, text)


def describe(dsn: str) -> str:
    """*dsn* for a message: redacted, and scrubbed of ``$PGPASSWORD``."""
    return scrub(redact(dsn), dsn)
