"""Running part of a job in a forked child process (Linux), with a fallback.

Linting uses at most two processes: :func:`fork_call` runs one part in a forked child
while the caller runs the other, and gets the child's result back pickled.  Anything that
goes wrong in the child makes it return :data:`FAILED`; the caller then does that part
itself, so a child can make a run faster, never different.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar


def parallel_jobs() -> int:
    """Processes sqlsafe may use: ``$SQLSAFE_JOBS`` or the usable CPUs."""
    env = os.environ.get("SQLSAFE_JOBS", "").strip()
    if env.isdigit():
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork(explain: bool = False, jobs: int | None = None) -> bool:
    """Whether a child process may take part (*jobs*: the allowed processes, default
    :func:`parallel_jobs`); never for ``explain``, which reports in statement order."""
    if explain or not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return False
    return (jobs or parallel_jobs()) >= 2


_T = TypeVar("_T")


def fork_call(child: Callable[[], object], parent: Callable[[], _T]) -> tuple[_T, object]:
    """Run *child* in a forked process while *parent* runs here.

    Returns *parent*'s result and *child*'s (sent back pickled), or :data:`FAILED` when
    the child failed in any way; the caller then does the child's work itself.
    """
    import pickle

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(read_fd)
            payload = pickle.dumps(child(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:  # anything: the parent does this part itself
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    try:
        mine = parent()
        with os.fdopen(read_fd, "rb") as inp:
            payload = inp.read()
    except BaseException:
        import signal  # (here: a one-file lint never forks, and signal costs ~0.7 ms)

        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return mine, FAILED
    try:
        return mine, pickle.loads(payload)
    except (ValueError, TypeError, EOFError, pickle.UnpicklingError):
        return mine, FAILED


FAILED = object()  # what ``fork_call`` returns for a child that failed
