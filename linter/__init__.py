"""sqlsafe: static and real-server safety checks for PostgreSQL migrations."""

from __future__ import annotations

__version__ = "0.1.0"
