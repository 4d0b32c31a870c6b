"""The schema model before each open buffer's file, kept in memory: a buffer linted again
as it is typed resumes from it instead of linting its whole history again.

The model is the one the engine computes after the files before the buffer's (the same
resumption the result cache makes, see :mod:`linter.cache`); it is used only while those
files, their order and the settings are the same (a hash of them says so), and never
between an up migration and its down (:func:`linter.reversal.uncut`). The files after the
buffer's are linted every time: a later migration may answer one of its findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from ..analysis.engine import History, LintResult, lint_histories
from ..inputs.settings import Settings
from ..inputs.source import Source, SourceError
from ..lockmodel.schema import Schema
from ..rule import Rule
from ..state.reversal import uncut

KEPT = 64  # buffers whose model is kept (the ones linted last)


def _key(settings: Settings, sources: Sequence[Source | SourceError]) -> str:
    digest = hashlib.sha256(repr(settings).encode("utf-8", "surrogatepass"))
    for source in sources:
        digest.update(repr(source).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(slots=True)
class Checkpoints:
    """Per buffer (its :func:`~linter.lsp.analysis.ident`): the hash of what comes before
    its file, and the model after that."""

    models: dict[str, tuple[str, Schema]] = field(default_factory=dict)

    def lint(
        self,
        owner: str,
        position: int,
        sources: Sequence[Source | SourceError],
        rules: Sequence[Rule],
        settings: Settings,
        report: Collection[str],
    ) -> LintResult:
        """Lint *sources* (one history, the buffer's file at *position*) with explain on,
        from the model kept for *owner* when the sources before it are unchanged."""
        blocked = uncut(sources)
        cut = position
        while cut > 0 and cut in blocked:
            cut -= 1
        key = _key(settings, sources[:cut])
        held = self.models.get(owner)
        if cut > 0 and held is not None and held[0] == key:
            history = History(list(sources[cut:]), held[1])
        else:
            kept = cut - 1
            history = History(list(sources), None, (lambda p: p == kept) if cut else None)
        [result] = lint_histories([history], rules, settings, report=report, explain=True)
        model = result.models.pop(cut - 1, None)
        if model is not None:
            self.models.pop(owner, None)  # (the most recent last)
            self.models[owner] = (key, model)
            while len(self.models) > KEPT:
                del self.models[next(iter(self.models))]
        return result
