"""Rule documentation rendered from the rules themselves (``docs/rules/<name>.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .context import SUPPORTED_VERSIONS
from .effects import ALTER_TABLE_FACTS, statement_effects
from .fold import apply_schema
from .locks import LockMode
from .parsing import parse
from .rule import Rule
from .schema import Schema
from .templating import environment


def render_rule(rule: Rule) -> str:
    template = environment().get_template("docs/rule.md.j2")
    module = type(rule).__module__.rsplit(".", 1)[-1]
    return template.render(rule=rule, examples=rule.examples, module=module)


def render_index(rules: tuple[Rule, ...]) -> str:
    template = environment().get_template("docs/index.md.j2")
    return template.render(rules=sorted(rules, key=lambda r: r.code))


def rule_pages(rules: tuple[Rule, ...]) -> dict[str, str]:
    """File name -> content for every rule page plus the index."""
    pages = {f"{r.name}.md": render_rule(r) for r in rules}
    pages["README.md"] = render_index(rules)
    return pages


def write_pages(rules: tuple[Rule, ...], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, content in rule_pages(rules).items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


# ------------------------------------------------------------------------------ lock model
LOCK_MODEL_PAGE = "lock-model.md"

# The schema the lock-model examples run against: every table already exists.
_LOCK_MODEL_SETUP = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(50), note text, total numeric(10,2));
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, amount int);
ALTER TABLE orders ADD CONSTRAINT orders_account_fkey
    FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
CREATE INDEX accounts_email_idx ON accounts (email);
CREATE UNIQUE INDEX accounts_note_key ON accounts (note);
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 (id bigint, at date);
CREATE MATERIALIZED VIEW totals AS SELECT 1 AS one;
"""

LOCK_MODEL_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("CREATE INDEX", "CREATE INDEX accounts_total_idx ON accounts (total)"),
    (
        "CREATE INDEX CONCURRENTLY",
        "CREATE INDEX CONCURRENTLY accounts_total_idx ON accounts (total)",
    ),
    ("DROP INDEX", "DROP INDEX accounts_email_idx"),
    ("DROP INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY accounts_email_idx"),
    ("REINDEX TABLE", "REINDEX TABLE accounts"),
    ("REINDEX INDEX", "REINDEX INDEX accounts_email_idx"),
    ("REINDEX INDEX CONCURRENTLY", "REINDEX INDEX CONCURRENTLY accounts_email_idx"),
    ("ALTER INDEX ... RENAME", "ALTER INDEX accounts_email_idx RENAME TO accounts_mail_idx"),
    ("ALTER TABLE ... RENAME TO", "ALTER TABLE accounts RENAME TO users"),
    ("ALTER TABLE ... RENAME COLUMN", "ALTER TABLE accounts RENAME COLUMN note TO remark"),
    ("DROP TABLE", "DROP TABLE orders"),
    ("TRUNCATE", "TRUNCATE orders"),
    (
        "CREATE TABLE ... REFERENCES",
        "CREATE TABLE payments (id bigint, order_id bigint REFERENCES orders (id))",
    ),
    (
        "CREATE TABLE ... PARTITION OF",
        "CREATE TABLE events_2025 PARTITION OF events "
        "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    ),
    (
        "CREATE TRIGGER",
        "CREATE TRIGGER t BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION f()",
    ),
    ("INSERT", "INSERT INTO orders (id) VALUES (1)"),
    ("UPDATE", "UPDATE orders SET amount = 0"),
    ("DELETE", "DELETE FROM orders WHERE amount = 0"),
    ("VACUUM", "VACUUM accounts"),
    ("VACUUM FULL", "VACUUM FULL accounts"),
    ("ANALYZE", "ANALYZE accounts"),
    ("CLUSTER", "CLUSTER accounts USING accounts_email_idx"),
    ("REFRESH MATERIALIZED VIEW", "REFRESH MATERIALIZED VIEW totals"),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY", "REFRESH MATERIALIZED VIEW CONCURRENTLY totals"),
    ("LOCK TABLE", "LOCK TABLE accounts IN SHARE MODE"),
)

LOCK_MODEL_ALTER_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("ADD COLUMN (no default)", "ALTER TABLE accounts ADD COLUMN flag boolean"),
    (
        "ADD COLUMN ... DEFAULT constant",
        "ALTER TABLE accounts ADD COLUMN flag boolean DEFAULT false",
    ),
    (
        "ADD COLUMN ... DEFAULT volatile",
        "ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT clock_timestamp()",
    ),
    ("ADD COLUMN ... bigserial", "ALTER TABLE accounts ADD COLUMN n bigserial"),
    (
        "ADD COLUMN ... GENERATED ... STORED",
        "ALTER TABLE accounts ADD COLUMN twice numeric GENERATED ALWAYS AS (total * 2) STORED",
    ),
    (
        "ALTER COLUMN TYPE (varchar widened)",
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100)",
    ),
    ("ALTER COLUMN TYPE (varchar to text)", "ALTER TABLE accounts ALTER COLUMN email TYPE text"),
    (
        "ALTER COLUMN TYPE (numeric scale)",
        "ALTER TABLE accounts ALTER COLUMN total TYPE numeric(10,3)",
    ),
    ("ALTER COLUMN SET NOT NULL", "ALTER TABLE accounts ALTER COLUMN note SET NOT NULL"),
    ("ALTER COLUMN SET DEFAULT", "ALTER TABLE accounts ALTER COLUMN note SET DEFAULT ''"),
    ("DROP COLUMN", "ALTER TABLE accounts DROP COLUMN note"),
    ("ADD CONSTRAINT CHECK", "ALTER TABLE accounts ADD CONSTRAINT c CHECK (total >= 0)"),
    (
        "ADD CONSTRAINT CHECK ... NOT VALID",
        "ALTER TABLE accounts ADD CONSTRAINT c CHECK (total >= 0) NOT VALID",
    ),
    (
        "ADD FOREIGN KEY",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id)",
    ),
    (
        "ADD FOREIGN KEY ... NOT VALID",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) "
        "REFERENCES accounts (id) NOT VALID",
    ),
    (
        "VALIDATE CONSTRAINT (foreign key)",
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fkey",
    ),
    ("ADD UNIQUE", "ALTER TABLE accounts ADD CONSTRAINT u UNIQUE (email)"),
    (
        "ADD UNIQUE USING INDEX",
        "ALTER TABLE accounts ADD CONSTRAINT accounts_note_key "
        "UNIQUE USING INDEX accounts_note_key",
    ),
    ("SET (fillfactor)", "ALTER TABLE accounts SET (fillfactor = 70)"),
    ("SET TABLESPACE", "ALTER TABLE accounts SET TABLESPACE fast"),
    ("SET LOGGED", "ALTER TABLE accounts SET LOGGED"),
    ("ENABLE TRIGGER", "ALTER TABLE accounts ENABLE TRIGGER t"),
    (
        "ATTACH PARTITION",
        "ALTER TABLE events ATTACH PARTITION events_2024 "
        "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    ),
    ("DETACH PARTITION", "ALTER TABLE events DETACH PARTITION events_2024"),
    (
        "DETACH PARTITION CONCURRENTLY",
        "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
    ),
)

_SUBCOMMAND_SQL = {
    "AT_AddColumn": "ADD COLUMN",
    "AT_DropColumn": "DROP COLUMN",
    "AT_AlterColumnType": "ALTER COLUMN ... TYPE",
    "AT_ColumnDefault": "ALTER COLUMN ... SET/DROP DEFAULT",
    "AT_DropNotNull": "ALTER COLUMN ... DROP NOT NULL",
    "AT_SetNotNull": "ALTER COLUMN ... SET NOT NULL",
    "AT_SetStatistics": "ALTER COLUMN ... SET STATISTICS",
    "AT_SetOptions": "ALTER COLUMN ... SET (attribute_option)",
    "AT_ResetOptions": "ALTER COLUMN ... RESET (attribute_option)",
    "AT_SetStorage": "ALTER COLUMN ... SET STORAGE",
    "AT_SetCompression": "ALTER COLUMN ... SET COMPRESSION",
    "AT_AddConstraint": "ADD CONSTRAINT",
    "AT_ValidateConstraint": "VALIDATE CONSTRAINT",
    "AT_DropConstraint": "DROP CONSTRAINT",
    "AT_AlterConstraint": "ALTER CONSTRAINT",
    "AT_EnableTrig": "ENABLE TRIGGER name",
    "AT_DisableTrig": "DISABLE TRIGGER name",
    "AT_EnableTrigAll": "ENABLE TRIGGER ALL",
    "AT_DisableTrigAll": "DISABLE TRIGGER ALL",
    "AT_EnableTrigUser": "ENABLE TRIGGER USER",
    "AT_DisableTrigUser": "DISABLE TRIGGER USER",
    "AT_EnableAlwaysTrig": "ENABLE ALWAYS TRIGGER",
    "AT_EnableReplicaTrig": "ENABLE REPLICA TRIGGER",
    "AT_ClusterOn": "CLUSTER ON",
    "AT_DropCluster": "SET WITHOUT CLUSTER",
    "AT_SetAccessMethod": "SET ACCESS METHOD",
    "AT_SetTableSpace": "SET TABLESPACE",
    "AT_SetLogged": "SET LOGGED",
    "AT_SetUnLogged": "SET UNLOGGED",
    "AT_AttachPartition": "ATTACH PARTITION",
    "AT_DetachPartition": "DETACH PARTITION",
    "AT_DetachPartitionFinalize": "DETACH PARTITION ... FINALIZE",
    "AT_AddIdentity": "ALTER COLUMN ... ADD GENERATED ... AS IDENTITY",
    "AT_SetIdentity": "ALTER COLUMN ... SET GENERATED / SET sequence_option",
    "AT_DropIdentity": "ALTER COLUMN ... DROP IDENTITY",
    "AT_DropExpression": "ALTER COLUMN ... DROP EXPRESSION",
    "AT_SetExpression": "ALTER COLUMN ... SET EXPRESSION",
}


@dataclass(frozen=True, slots=True)
class LockRow:
    """One statement of the lock-model page, as the model computes it for some versions."""

    label: str
    sql: str
    versions: str  # "all", "10-11", "12+"
    locks: str
    rewrites: str
    scans: str
    transactional: bool


def _version_ranges(
    results: list[tuple[int, tuple[str, str, str, bool]]],
) -> list[tuple[str, tuple[str, str, str, bool]]]:
    out: list[tuple[list[int], tuple[str, str, str, bool]]] = []
    for version, value in results:
        if out and out[-1][1] == value:
            out[-1][0].append(version)
        else:
            out.append(([version], value))
    last = SUPPORTED_VERSIONS.stop - 1
    rows = []
    for versions, value in out:
        lo, hi = versions[0], versions[-1]
        if len(out) == 1:
            label = "all"
        elif hi == last:
            label = f"{lo}+"
        elif lo == hi:
            label = str(lo)
        else:
            label = f"{lo}-{hi}"
        rows.append((label, value))
    return rows


def _lock_rows(examples: tuple[tuple[str, str], ...]) -> list[LockRow]:
    setup = Schema()
    for stmt in parse(_LOCK_MODEL_SETUP).statements:
        setup = apply_schema(setup, stmt.node)
    setup = setup.end_file()
    rows: list[LockRow] = []
    for label, sql in examples:
        (stmt,) = parse(sql).statements
        results = []
        for version in SUPPORTED_VERSIONS:
            effects = statement_effects(stmt.node, setup, version)
            locks = ", ".join(
                f"`{rel.split('.', 1)[1]}`: `{mode.value}`" for rel, mode in effects.locks.items()
            )
            results.append(
                (
                    version,
                    (
                        locks or "none",
                        ", ".join(r.split(".", 1)[1] for r in effects.rewrites) or "no",
                        ", ".join(r.split(".", 1)[1] for r in effects.scans) or "no",
                        effects.transactional,
                    ),
                )
            )
        for versions, (locks, rewrites, scans, transactional) in _version_ranges(results):
            rows.append(LockRow(label, sql, versions, locks, rewrites, scans, transactional))
    return rows


def render_lock_model() -> str:
    """``docs/lock-model.md``: lock modes, ALTER TABLE facts and computed examples."""
    facts = [
        (_SUBCOMMAND_SQL.get(name, name), name, fact) for name, fact in ALTER_TABLE_FACTS.items()
    ]
    template = environment().get_template("docs/lock-model.md.j2")
    return template.render(
        modes=list(LockMode),
        facts=facts,
        statements=_lock_rows(LOCK_MODEL_STATEMENTS),
        alters=_lock_rows(LOCK_MODEL_ALTER_EXAMPLES),
        setup=_LOCK_MODEL_SETUP.strip(),
        examples=[*LOCK_MODEL_STATEMENTS, *LOCK_MODEL_ALTER_EXAMPLES],
        versions=f"{SUPPORTED_VERSIONS.start}-{SUPPORTED_VERSIONS.stop - 1}",
    )
