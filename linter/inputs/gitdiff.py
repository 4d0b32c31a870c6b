"""``--diff REF``: which migration files a branch added or changed, from git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..util.records import record


class GitError(Exception):
    """git is missing, this is not a repository, or the ref does not exist."""


@record
class Changes:
    """Absolute, normalised paths of the files added and modified since the ref."""

    added: frozenset[str]
    modified: frozenset[str]

    @property
    def changed(self) -> frozenset[str]:
        return self.added | self.modified


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise GitError("--diff needs git, which is not installed") from exc
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        raise GitError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return proc.stdout


def key(path: str | Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def changed_files(ref: str, cwd: Path | None = None) -> Changes:
    """Files added or modified between the merge base of *ref* and HEAD, and the work tree.

    Untracked files count as added (a new migration not committed yet). Renames are seen
    as a deletion plus an addition; deleted files are not reported.
    """
    where = cwd or Path.cwd()
    top = Path(_git(["rev-parse", "--show-toplevel"], where).strip())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], where)
    try:
        base = _git(["merge-base", ref, "HEAD"], where).strip() or ref
    except GitError:
        base = ref
    out = _git(["diff", "--name-status", "--no-renames", "-z", base, "--"], where)
    added: set[str] = set()
    modified: set[str] = set()
    fields = out.split("\0")
    for status, name in zip(fields[0::2], fields[1::2], strict=False):
        if not name:
            continue
        path = key(top / name)
        if status.startswith("A"):
            added.add(path)
        elif status[:1] in ("M", "T"):
            modified.add(path)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    added.update(key(top / n) for n in untracked.split("\0") if n)
    return Changes(frozenset(added), frozenset(modified))
