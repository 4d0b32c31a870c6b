"""The import path plugin rules used before ``linter.plugin``: ``from linter.context import
Context, Report`` (``docs/plugins.md`` of earlier releases) keeps working.

New plugins import everything from :mod:`linter.plugin`.
"""

from __future__ import annotations

from .plugin import Context, FileInfo, Report, Settings, TxState

__all__ = ["Context", "FileInfo", "Report", "Settings", "TxState"]
