"""``sqlsafe fix`` on a buffer: its rewrite of one finding or of the whole file, as
workspace edits (the changed text, and the new migration files statements move to)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from ..analysis.engine import Finding
from ..api import STDIN, gather
from ..inputs.layouts import MigrationUnit, history_root
from ..inputs.source import Source
from ..rule import Rule
from ..util.records import record
from ..writers.fix_order import HistoryOrder, migration_folder, place_steps
from ..writers.fixer import FixResult, fix_unit
from ..writers.scaffold import timeouts
from .analysis import Analysis, ident
from .positions import PositionMap

Key = tuple[str, int, int]  # a finding's rule, line and column


@record
class BufferFix:
    """What ``sqlsafe fix`` does to the buffer: its new text, and the new files (path,
    text) statements moved out of it go to."""

    fixed: str
    files: tuple[tuple[str, str], ...] = ()


def fix_buffer(
    analysis: Analysis,
    rules: Sequence[Rule],
    buffers: Mapping[str, str],
    select: Callable[[Finding], bool] | None = None,
) -> BufferFix | None:
    """The buffer fixed as ``sqlsafe fix`` fixes the file (only the findings *select*
    accepts, when given), or ``None`` when nothing changes or the new files have no place
    in the history."""
    config = analysis.config
    if config is None:
        return None
    mine = ident(analysis.path)
    texts = {**buffers, mine: analysis.text}
    inputs = gather([STDIN], config, analysis.path, texts)
    timeout, statement = timeouts(config.extra, None)
    history: list[Source] = [u.source() for u in inputs.baseline if isinstance(u, MigrationUnit)]
    text = analysis.text
    files: list[tuple[str, str]] = []
    for unit in inputs.units:
        if not isinstance(unit, MigrationUnit):
            continue
        source = unit.source()
        if ident(unit.path) != mine or not _covers(unit, select, analysis):
            if unit.applies:
                history.append(source)
            continue
        result = fix_unit(unit, history, rules, config.settings, (timeout, statement), text, select)
        placed = _placed(unit, result, timeout, statement)
        if placed is None:
            return None
        text = result.fixed
        files.extend(placed)
        break
    if text == analysis.text and not files:
        return None
    return BufferFix(text, tuple(files))


def _covers(unit: MigrationUnit, select: Callable[[Finding], bool] | None, a: Analysis) -> bool:
    """Whether *unit* (one section of a goose or dbmate file) holds the selected finding."""
    if select is None:
        return True
    where = PositionMap(a.text)  # (1-based lines and character columns: any encoding)
    for finding in a.findings:
        if select(finding):
            at = where.offset_of(finding.line, finding.column)
            return at < len(unit.text) and not unit.text[at].isspace()
    return False


def _placed(
    unit: MigrationUnit, result: FixResult, timeout: str, statement: str
) -> list[tuple[str, str]] | None:
    """The new files of *result* (absolute path, text), as ``sqlsafe fix`` names them."""
    if not result.new_steps:
        return []
    path = Path(unit.path)
    root = Path(unit.history) if unit.history else history_root(path)
    folder = migration_folder(unit)
    order = HistoryOrder.read(root, unit.layout)
    placement = place_steps(path, folder, result.new_steps, order, timeout, statement)
    if placement.refusal is not None:
        return None
    return [(os.path.abspath(folder / out.path), out.text) for out in placement.files]


def buffer_edits(original: str, fixed: str, where: PositionMap) -> list[types.TextEdit]:
    """Edits turning *original* into *fixed*: per block of lines that differ, the text
    inserted or replaced (a few pieces, as ``fix`` inserts keywords and statements), else
    the block with its common start and end left out; the rest stays as it was."""
    before = original.splitlines(keepends=True)
    after = fixed.splitlines(keepends=True)
    starts = [0]
    for line in before:
        starts.append(starts[-1] + len(line))
    edits: list[types.TextEdit] = []
    lines = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            continue
        old, new = "".join(before[i1:i2]), "".join(after[j1:j2])
        at = starts[i1]
        for a1, a2, b1, b2 in _pieces(old, new):
            edits.append(types.TextEdit(where.range(at + a1, at + a2), new[b1:b2]))
    return edits


_CHARACTER_DIFF_LIMIT = 4000  # (characters of a changed block: beyond, it is replaced whole)


def _pieces(old: str, new: str) -> list[tuple[int, int, int, int]]:
    """The spans of *old* to replace by spans of *new*: at most three, else one."""
    if len(old) + len(new) <= _CHARACTER_DIFF_LIMIT:
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        found = [
            (a1, a2, b1, b2) for tag, a1, a2, b1, b2 in matcher.get_opcodes() if tag != "equal"
        ]
        if len(found) <= 3:
            return found
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return [(head, len(old) - tail, head, len(new) - tail)]


def workspace_edit(
    uri: str,
    version: int | None,
    original: str,
    fix: BufferFix,
    to_uri: Callable[[str], str],
    where: PositionMap,
) -> types.WorkspaceEdit:
    edits = buffer_edits(original, fix.fixed, where)
    if not fix.files:
        return types.WorkspaceEdit(changes={uri: edits})
    changes: list[
        types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile
    ] = []
    if fix.fixed != original:
        changes.append(
            types.TextDocumentEdit(
                types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits
            )
        )
    for path, text in fix.files:
        new = to_uri(path)
        changes.append(
            types.CreateFile(uri=new, options=types.CreateFileOptions(ignore_if_exists=False))
        )
        origin = types.Range(types.Position(0, 0), types.Position(0, 0))
        changes.append(
            types.TextDocumentEdit(
                types.OptionalVersionedTextDocumentIdentifier(uri=new, version=None),
                [types.TextEdit(origin, text)],
            )
        )
    return types.WorkspaceEdit(document_changes=changes)


def same_finding(key: tuple[str, int, int]) -> Callable[[Finding], bool]:
    def select(other: Finding) -> bool:
        return (other.rule, other.line, other.column) == key

    return select


@dataclass(slots=True)
class FixCache:
    """The fixes computed for one analysis of a buffer: clients ask for code actions at
    every move of the cursor, and each fix lints the history again."""

    analysis: Analysis | None = None
    found: dict[Key | None, BufferFix | None] = field(default_factory=dict)

    def get(
        self, analysis: Analysis, key: Key | None, compute: Callable[[], BufferFix | None]
    ) -> BufferFix | None:
        if self.analysis is not analysis:
            self.analysis, self.found = analysis, {}
        if key not in self.found:
            self.found[key] = compute()
        return self.found[key]
