"""The protections of a ``trace``: a scratch database, a role of its own, a statement guard.

``guarded_database`` creates the scratch database ``sqlsafe_trace_<hex>`` on the server
(the embedded one too) and, where the role of the DSN may create roles, a LOGIN role of the
same name with a random password and no other attribute: it owns the scratch database and
the migration runs connected as it (a real login: ``RESET ROLE`` cannot undo it). The role
is dropped after the database. Every statement first goes through :meth:`Guard.decide`:
what acts on the cluster or the host (``linter.server.server_guard``) is skipped with its reason;
so is a statement naming a role the server does not have (sqlsafe creates no role), and,
under the restricted role, one that gives an object to another role. Code the guard cannot
read (dynamic SQL) runs only under the restricted role.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any

from ..sql import pgast
from ..sql.pgast import Node
from ..util.records import record
from .server_guard import Reach, SuperuserOnly, new_owners, refusal, role_names, superuser_only
from .trace_db import DEFAULT_TIMEOUT, TraceError, connect, error_text, scratch_database, server

GUARD_ONLY = (
    "statement guard only: the role of --dsn may not create roles, so the migration runs "
    "as that role; statements that act outside the scratch database are skipped, and code "
    "sqlsafe cannot read (SQL built at run time, bodies in other languages) is skipped too"
)


@record
class Decision:
    skip: str | None = None  # not run, for this reason
    note: str | None = None  # run, with this remark
    privileged: bool = False  # run on the DSN role's own session (an extension)
    superuser: SuperuserOnly | None = None  # run as the restricted role made superuser


@record
class Guard:
    """What may run: the server's roles, the migration's role, the protection in force."""

    roles: frozenset[str]
    session_role: str
    restricted: bool  # the migration runs as a role of its own
    allow_host: bool = False  # server programs and files allowed (embedded server only)
    may_elevate: bool = False  # the server connection's role may make the role superuser

    def decide(self, node: Node | None, conn: Any = None) -> Decision:
        if node is None:
            if self.restricted:
                return Decision()
            return Decision(skip="does not parse, so it cannot be checked: not run")
        found = refusal(node)
        note = None
        if found is not None:
            if found.reach is Reach.UNCHECKED and self.restricted:
                note = f"{found.reason}: it runs as the restricted role {self.session_role}"
            elif not (found.reach is Reach.HOST and self.allow_host):
                return Decision(skip=self._reason(found.reach, found.reason))
        for role in role_names(node):
            if role not in self.roles:
                return Decision(
                    skip=f"names role {role}, which does not exist on the server "
                    "(sqlsafe creates no roles): not run"
                )
        if self.restricted:
            for role in new_owners(node):
                if role != self.session_role:
                    return Decision(
                        skip=f"makes role {role} an owner; the migration runs as the "
                        f"restricted role {self.session_role}, which may not give objects "
                        "away: not run"
                    )
            needs = superuser_only(node) if self.may_elevate else None
            if needs is not None:
                return Decision(
                    note="needs a superuser; run by the restricted role made superuser for "
                    "this statement only (it changes only this database and runs no code "
                    "of the migration)",
                    superuser=needs,
                )
            if conn is not None and _needs_owner_rights(node, conn):
                if conn.execute(_OWN_CODE).fetchone()[0]:
                    return Decision(
                        note="an extension the restricted role may not manage: the role "
                        "of the server connection runs it only while the migration has "
                        "written no function in a procedural language (one could run "
                        "there), and it has: run as the restricted role"
                    )
                return Decision(
                    note="run by the role of the server connection (an extension the "
                    "restricted role may not manage), outside the migration's transaction",
                    privileged=True,
                )
        return Decision(note=note)

    def _reason(self, reach: Reach, reason: str) -> str:
        if reach is Reach.UNCHECKED:
            return f"{reason}, and no restricted role protects this run: not run"
        if reach is Reach.HOST:
            return f"{reason}: not run (see --allow-server-programs)"
        return f"{reason}: not run outside the scratch database"


_TRUSTED = """
SELECT v.trusted FROM pg_available_extension_versions v
JOIN pg_available_extensions e ON e.name = v.name AND e.default_version = v.version
WHERE v.name = %s
"""
_EXTENSION_OWNER = """
SELECT e.extowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
FROM pg_extension e WHERE e.extname = %s
"""


# functions (operators and casts call functions) the migration wrote, in a language that
# is not compiled: an extension script run by a more privileged role could call one
_OWN_CODE = """
SELECT EXISTS (SELECT FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
               WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                 AND l.lanname NOT IN ('c', 'internal'))
"""


def _needs_owner_rights(node: Node, conn: Any) -> bool:
    """An extension statement the restricted role may not run: creating an untrusted
    extension, or changing one it does not own."""
    name = pgast.kind(node)
    fields = pgast.unwrap(node)
    if name == "CreateExtensionStmt":
        row = conn.execute(_TRUSTED, (fields.get("extname"),)).fetchone()
        return bool(row is not None and not row[0])
    extension: Any = None
    if name in ("AlterExtensionStmt", "AlterExtensionContentsStmt"):
        extension = fields.get("extname")
    elif fields.get("objtype") == "OBJECT_EXTENSION":  # COMMENT ON EXTENSION
        extension = pgast.unwrap(fields.get("object") or {}, "String").get("sval")
    elif name == "DropStmt" and fields.get("removeType") == "OBJECT_EXTENSION":
        names = pgast.strings(fields.get("objects"))
        extension = names[0] if len(names) == 1 else None
    if not isinstance(extension, str):
        return False
    row = conn.execute(_EXTENSION_OWNER, (extension,)).fetchone()
    return bool(row is not None and not row[0])


@record
class GuardedDatabase:
    dsn: str  # where the migration runs, as whom it runs
    admin_dsn: str  # the same database as the role of the server connection
    guard: Guard
    protection: str  # one sentence for the output


@contextlib.contextmanager
def guarded_database(
    dsn: str | None,
    *,
    allow_host: bool = False,
    prefix: str = "sqlsafe_trace_",
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Iterator[GuardedDatabase]:
    """A scratch database on the server of *dsn* (or a throwaway embedded one), and the
    role and guard the migration runs under; everything is dropped after (the role has the
    database's name: :func:`linter.server.trace_db.drop_scratch` drops both)."""
    if allow_host and dsn:
        raise TraceError(
            "--allow-server-programs applies to the embedded server only: with --dsn, "
            "server programs and files are never allowed"
        )
    with (
        server(dsn, timeout) as base,
        scratch_database(base, prefix, timeout) as db,
        connect(db, timeout=timeout) as admin,
    ):
        yield _prepare(admin, db, embedded=not dsn, allow_host=allow_host)


def _prepare(admin: Any, db: str, *, embedded: bool, allow_host: bool) -> GuardedDatabase:
    from psycopg.conninfo import conninfo_to_dict

    name = str(conninfo_to_dict(db)["dbname"])
    me, may_create = admin.execute(
        "SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if allow_host:
        protection = (
            "statement guard; server programs and files allowed (--allow-server-programs, "
            "embedded server): the migration runs as the embedded server's superuser"
        )
        return GuardedDatabase(db, db, _guard(admin, me, False, True), protection)
    if not may_create:
        return GuardedDatabase(db, db, _guard(admin, me, False, False), GUARD_ONLY)
    restricted, why_not = _restricted_role(admin, db, name, me)
    if restricted is None:
        protection = (
            f"statement guard only: a role of its own could not be used ({why_not}); "
            f"the migration runs as {me}"
        )
        return GuardedDatabase(db, db, _guard(admin, me, False, False), protection)
    where = "embedded server" if embedded else "server"
    protection = (
        f"restricted role {name} (LOGIN only, owner of the scratch database, dropped after) "
        f"and statement guard, on the {where}"
    )
    return GuardedDatabase(restricted, db, _guard(admin, name, True, False), protection)


def _guard(admin: Any, role: str, restricted: bool, allow_host: bool) -> Guard:
    roles = frozenset(str(r) for (r,) in admin.execute("SELECT rolname FROM pg_roles"))
    row = admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return Guard(roles, role, restricted, allow_host, may_elevate=bool(row and row[0]))


def _restricted_role(admin: Any, db: str, name: str, me: str) -> tuple[str | None, str]:
    """Create the LOGIN role *name*, make it the owner of the scratch database and log in as
    it; ``(its DSN, "")``, or ``(None, why not)`` (the role is then dropped after)."""
    from psycopg.conninfo import make_conninfo

    password = secrets.token_urlsafe(24)
    try:
        admin.execute(
            f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
            f"NOBYPASSRLS INHERIT PASSWORD '{password}'"
        )
    except Exception as exc:
        return None, f"cannot create a role: {error_text(exc)}"
    restricted = make_conninfo(db, user=name, password=password)
    try:
        with connect(restricted) as probe:
            probe.execute("SELECT 1")
    except TraceError as exc:
        return None, f"the server refuses a password login for it: {exc}"
    try:
        superuser = admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not superuser.fetchone()[0]:  # CREATEROLE: become a member, to hand it the database
            admin.execute(f'GRANT "{name}" TO "{me}"')
        admin.execute(f'ALTER DATABASE "{name}" OWNER TO "{name}"')
        with contextlib.suppress(Exception):
            admin.execute(f'ALTER SCHEMA public OWNER TO "{name}"')
    except Exception as exc:
        return None, f"cannot hand it the scratch database: {error_text(exc)}"
    return restricted, ""


_NOT_COMPILED = "(SELECT oid FROM pg_language WHERE lanname NOT IN ('c', 'internal'))"
_SYSTEM = "(SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'))"
# whether code the migration wrote could run in a statement, or in the observation queries
# around it, when the session is a superuser: a temporary relation (searched before the
# catalog), a function in a procedural language named like one the statement calls or like
# one of PostgreSQL's own (a better-matching overload is chosen over the catalog's), any
# operator or cast backed by such a function, a catalog name that resolves elsewhere
_MIGRATION_CODE = f"""
WITH written AS (
    SELECT p.oid, p.proname FROM pg_proc p
    WHERE p.pronamespace NOT IN {_SYSTEM} AND p.prolang IN {_NOT_COMPILED})
SELECT EXISTS (SELECT FROM pg_class WHERE relnamespace = pg_my_temp_schema())
    OR EXISTS (SELECT FROM written w WHERE w.proname = ANY(%(names)s)
               OR EXISTS (SELECT FROM pg_proc b WHERE b.proname = w.proname
                          AND b.pronamespace = 'pg_catalog'::regnamespace))
    OR EXISTS (SELECT FROM pg_operator o JOIN written w ON w.oid = o.oprcode)
    OR EXISTS (SELECT FROM pg_cast c JOIN written w ON w.oid = c.castfunc)
    OR EXISTS (SELECT FROM unnest(%(relations)s::text[]) AS r(name)
               LEFT JOIN pg_class c ON c.oid = to_regclass(r.name)
               WHERE c.oid IS NULL OR c.relnamespace <> 'pg_catalog'::regnamespace)
"""


@contextlib.contextmanager
def superuser_for(conn: Any, admin: Any, guard: Guard, needs: SuperuserOnly) -> Iterator[None]:
    """Make the restricted role a superuser while one statement runs on *conn*, when nothing
    the migration wrote (a function, operator or cast in a procedural language, a temporary
    relation, a catalog name that resolves elsewhere) could run in it; else leave it as it
    is (the statement then fails as it would for the role)."""
    params = {"names": list(needs.names), "relations": list(needs.relations)}
    if conn.execute(_MIGRATION_CODE, params).fetchone()[0]:
        yield
        return
    role = guard.session_role
    admin.execute(f'ALTER ROLE "{role}" SUPERUSER')
    try:
        yield
    finally:
        admin.execute(f'ALTER ROLE "{role}" NOSUPERUSER')
        if _failed_transaction(conn):
            conn.execute("ROLLBACK")  # as after any failed statement; the check needs it
        _forget_superuser(conn, role)


# a system catalog everyone may read that this transaction has not locked yet
_UNLOCKED_CATALOG = """
SELECT c.oid::regclass::text FROM pg_class c
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r'
  AND aclcontains(c.relacl, makeaclitem(0, c.relowner, 'SELECT', false))
  AND NOT EXISTS (SELECT FROM pg_locks l WHERE l.pid = pg_backend_pid()
                  AND l.locktype = 'relation' AND l.relation = c.oid)
ORDER BY c.relname LIMIT 1
"""


def _forget_superuser(conn: Any, role: str) -> None:
    """Make the session see that its role is no superuser any more, and check it.

    A backend caches whether its role is a superuser and drops the cache when it reads
    the catalog invalidations other sessions sent: at the start of a transaction, or on
    a lock it did not hold yet. Inside the migration's transaction, reading a catalog it
    has not touched yet takes such a lock."""
    row = conn.execute(_UNLOCKED_CATALOG).fetchone()
    if row is not None:
        conn.execute(f"SELECT FROM {row[0]} LIMIT 0")
    still = conn.execute("SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')")
    if still.fetchone()[0]:
        raise TraceError(f"the trace's role {role} is still a superuser: trace stopped")


def _failed_transaction(conn: Any) -> bool:
    from psycopg.pq import TransactionStatus

    return bool(conn.info.transaction_status == TransactionStatus.INERROR)


def guarded_run(conn: Any, admin: Any, guard: Guard | None, decision: Decision) -> Any:
    """The context a statement runs in: made superuser for it, or with the migration's
    search_path on the server connection's session, when *decision* says so."""
    if guard is not None and decision.superuser is not None:
        return superuser_for(conn, admin, guard, decision.superuser)
    if decision.privileged:
        return _migration_path(conn, admin)
    return contextlib.nullcontext()


SAFE_PATH = "pg_catalog, pg_temp"


def system_path(admin: Any) -> None:
    """Resolve names on a session of the server connection's role in the system catalog
    only: a function or operator the migration wrote (in ``public``) can never be
    called there in place of PostgreSQL's own."""
    admin.execute(f"SET search_path = {SAFE_PATH}")


@contextlib.contextmanager
def _migration_path(conn: Any, admin: Any) -> Iterator[None]:
    """The migration's search_path on *admin* while a statement of the migration runs
    there (``CREATE EXTENSION`` puts its objects in the first schema of the path)."""
    path = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    admin.execute("SELECT set_config('search_path', %s, false)", (path,))
    try:
        yield
    finally:
        system_path(admin)
