#!/usr/bin/env python3
"""Write a generated Alembic project (for the benchmark and the tests).

    python3 bench/alembic_project.py DIR [--revisions N]

``DIR/alembic.ini``, ``DIR/migrations/env.py`` (which needs a ``DATABASE_URL``: sqlsafe
never runs it) and N revisions in ``DIR/migrations/versions``: a table, then columns,
indexes (concurrently, in an autocommit block), data changes and a branch merged back
every 50 revisions.  File names are random-looking hex ids, as Alembic writes them, so
their order is not the graph's.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

ENV_PY = """\
import os

from alembic import context

context.configure(url=os.environ["DATABASE_URL"], transaction_per_migration=True)
"""

HEADER = '''\
"""revision {n}"""
import sqlalchemy as sa
from alembic import op

revision = "{ident}"
down_revision = {down}
branch_labels = None
depends_on = None

'''

BODIES = (
    """\
def upgrade():
    op.create_table(
        "t{n}",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
    )


def downgrade():
    op.drop_table("t{n}")
""",
    """\
def upgrade():
    op.add_column("t{t}", sa.Column("c{n}", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("t{t}", "c{n}")
""",
    """\
def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_t{t}_{n}", "t{t}", ["name"], postgresql_concurrently=True, if_not_exists=True
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index("ix_t{t}_{n}", table_name="t{t}", postgresql_concurrently=True)
""",
    """\
def upgrade():
    op.execute(
        \"\"\"
        UPDATE t{t}
           SET name = trim(name)
         WHERE id < 1000
        \"\"\"
    )


def downgrade():
    pass
""",
)


def ident(n: int) -> str:
    return hashlib.sha1(str(n).encode()).hexdigest()[:12]


def write_project(root: Path, revisions: int = 200) -> Path:
    """The project in *root*; returns its versions directory."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    heads: list[str] = []
    table = 0
    for n in range(revisions):
        kind = n % len(BODIES)
        if kind == 0:
            table = n
        if not heads:
            down = "None"
        elif len(heads) > 1:
            down = repr(tuple(heads))  # the merge point
        else:
            down = repr(heads[0])
        body = BODIES[kind].format(n=n, t=table)
        (versions / f"{ident(n)}_rev_{n}.py").write_text(
            HEADER.format(n=n, ident=ident(n), down=down) + body
        )
        heads = [ident(n)]
        if n % 50 == 25 and n + 1 < revisions:  # a branch off this revision, merged next
            branch = ident(10_000 + n)
            (versions / f"{branch}_branch_{n}.py").write_text(
                HEADER.format(n=n, ident=branch, down=repr(ident(n)))
                + f"def upgrade():\n    op.execute(\"COMMENT ON TABLE t{table} IS 'branch'\")\n"
            )
            heads = [ident(n), branch]
    return versions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--revisions", type=int, default=200)
    args = parser.parse_args(argv)
    write_project(args.directory, args.revisions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
