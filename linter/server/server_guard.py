"""Which migration statements act outside the database they run in.

``sqlsafe trace`` runs untrusted SQL (a pull request's migrations) in a scratch database.
A statement that acts on the cluster (databases, roles and their settings, tablespaces,
``ALTER SYSTEM``, replication) or on the server's host (files, programs, other servers
through ``dblink`` / foreign servers / subscriptions) is never run there: :func:`refusal`
names the reason. It reads the whole parse tree (a function call anywhere in a statement
counts) and the statements and expressions of PL/pgSQL and SQL bodies (``DO`` blocks,
``CREATE FUNCTION``). What it cannot read (dynamic SQL built at run time, a body in another
language) is reported as *unchecked*: the caller decides (see ``linter.server.trace_guard``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Any

from ..sql import pgast
from ..sql.pgast import Node
from ..util.records import record


class Reach(Enum):
    """What a refused statement would reach."""

    CLUSTER = "cluster"  # databases, roles, tablespaces, server settings, replication
    HOST = "host"  # files and programs of the server's host (allowed on request, embedded)
    UNCHECKED = "unchecked"  # code sqlsafe cannot read: dynamic SQL, another language


@record
class Refusal:
    reach: Reach
    reason: str


# statement kinds that act on the cluster, whatever their arguments
_CLUSTER_STATEMENTS: dict[str, str] = {
    "CreatedbStmt": "creates a database",
    "DropdbStmt": "drops a database",
    "AlterDatabaseStmt": "alters a database",
    "AlterDatabaseSetStmt": "changes a database's settings",
    "AlterDatabaseRefreshCollStmt": "alters a database",
    "CreateRoleStmt": "creates a role",
    "AlterRoleStmt": "alters a role",
    "AlterRoleSetStmt": "changes a role's settings",
    "DropRoleStmt": "drops a role",
    "GrantRoleStmt": "changes role membership",
    "CreateTableSpaceStmt": "creates a tablespace",
    "AlterTableSpaceOptionsStmt": "alters a tablespace",
    "DropTableSpaceStmt": "drops a tablespace",
    "AlterSystemStmt": "changes the server configuration (postgresql.auto.conf)",
    "LoadStmt": "loads a shared library into the server",
    "CheckPointStmt": "forces a server-wide checkpoint",
    "ReassignOwnedStmt": "reassigns objects of a role, databases and tablespaces included",
    "DropOwnedStmt": "drops objects and privileges of a role",
    "CreateForeignServerStmt": "defines a foreign server (a connection to another server)",
    "AlterForeignServerStmt": "alters a foreign server",
    "CreateUserMappingStmt": "defines a user mapping (credentials for another server)",
    "AlterUserMappingStmt": "alters a user mapping",
    "DropUserMappingStmt": "drops a user mapping",
    "CreateFdwStmt": "defines a foreign-data wrapper",
    "AlterFdwStmt": "alters a foreign-data wrapper",
    "ImportForeignSchemaStmt": "reads another server through a foreign server",
    "CreateForeignTableStmt": "defines a table on another server",
    "CreateSubscriptionStmt": "subscribes to another server (a replication connection)",
    "AlterSubscriptionStmt": "alters a subscription",
    "DropSubscriptionStmt": "drops a subscription (and its replication slot elsewhere)",
}

# objects that live in shared catalogs: a GRANT, COMMENT, SECURITY LABEL, RENAME, OWNER or
# DROP of one changes the cluster
_SHARED_OBJECTS = {
    "OBJECT_DATABASE": "a database",
    "OBJECT_ROLE": "a role",
    "OBJECT_TABLESPACE": "a tablespace",
    "OBJECT_PARAMETER_ACL": "a server parameter",
    "OBJECT_SUBSCRIPTION": "a subscription",
    "OBJECT_FOREIGN_SERVER": "a foreign server",
    "OBJECT_FDW": "a foreign-data wrapper",
    "OBJECT_USER_MAPPING": "a user mapping",
}

# extensions whose objects reach outside the database: other servers, files, programs,
# the network, background jobs in other databases
_EXTENSIONS = frozenset(
    {
        "dblink",
        "adminpack",
        "pg_cron",
        "pglogical",
        "pg_net",
        "http",
        "pgsql_http",
        "aws_s3",
        "aws_commons",
        "aws_lambda",
        "log_fdw",
        "pg_background",
        "plsh",
        "pljava",
        "orafce_utl_file",
        "pg_partman_bgw",
        "pg_squeeze",
        "pg_repack",
    }
)
_UNTRUSTED_LANGUAGE = re.compile(r"^pl\w*u$|^c$|^internal$")

# server functions that read or write the host's files, run programs, or act on the
# cluster (other sessions, configuration, WAL, replication), called anywhere in a statement
_HOST_FUNCTIONS = frozenset(
    {
        "pg_read_file",
        "pg_read_binary_file",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "pg_logdir_ls",
    }
)
_HOST_PREFIXES = ("pg_ls_", "pg_file_")
_CLUSTER_FUNCTIONS = frozenset(
    {
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_switch_wal",
        "pg_switch_xlog",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_drop_replication_slot",
        "pg_wal_replay_pause",
        "pg_wal_replay_resume",
        "pg_stat_reset_shared",
        "pg_stat_reset_slru",
        "pg_stat_reset_replication_slot",
        "pg_stat_reset_subscription_stats",
        "pg_log_backend_memory_contexts",
        "pg_sync_replication_slots",
    }
)
_CLUSTER_PREFIXES = (
    "dblink",
    "pg_create_",
    "pg_copy_",
    "pg_replication_origin_",
    "pg_replication_slot_",
    "pg_logical_slot_",
)
_SESSION_IDENTITY = frozenset({"role", "session_authorization"})
# catalogs shared by every database of the cluster (and the views over them)
_SHARED_CATALOGS = frozenset(
    {
        "pg_authid",
        "pg_auth_members",
        "pg_database",
        "pg_db_role_setting",
        "pg_tablespace",
        "pg_shdepend",
        "pg_shdescription",
        "pg_shseclabel",
        "pg_replication_origin",
        "pg_subscription",
        "pg_parameter_acl",
        "pg_roles",
        "pg_user",
        "pg_shadow",
        "pg_group",
    }
)
# statements that write, lock or rewrite the relations they name
_WRITES = frozenset(
    {
        "InsertStmt",
        "UpdateStmt",
        "DeleteStmt",
        "MergeStmt",
        "TruncateStmt",
        "AlterTableStmt",
        "LockStmt",
        "VacuumStmt",
        "ClusterStmt",
        "CopyStmt",
        "RenameStmt",
        "CreateTrigStmt",
        "RuleStmt",
        "IndexStmt",
    }
)
_CHECKED_LANGUAGES = frozenset({"plpgsql", "sql"})


def refusal(node: Node) -> Refusal | None:
    """Why the statement *node* (a wrapped parse tree) must not run on a shared server, or
    ``None``. A statement refused for several reasons gets the first found."""
    return next(_refusals(node), None)


def _refusals(node: Node) -> Iterator[Refusal]:
    name = pgast.kind(node)
    fields = pgast.unwrap(node)
    reason = _CLUSTER_STATEMENTS.get(name)
    if reason:
        yield Refusal(Reach.CLUSTER, reason)
    special = _STATEMENT_CHECKS.get(name)
    if special is not None:
        yield from special(fields)
    if name in _WRITES:
        for relation in _targets(fields):
            if not _is_catalog(relation):
                continue
            if relation[1] in _SHARED_CATALOGS:
                yield Refusal(
                    Reach.CLUSTER,
                    f"writes or locks pg_catalog.{relation[1]}, a catalog shared by the cluster",
                )
            elif superuser_only(node) is None:
                # a superuser's write to a catalog can point the server at code on the host
                # (pg_proc.probin, a language's handler) or hand a role a shared catalog
                yield Refusal(
                    Reach.CLUSTER,
                    f"writes the system catalog pg_catalog.{relation[1]} directly (beyond "
                    "switching an index, constraint, NOT NULL or trigger flag)",
                )
    yield from _calls(node)


def _relations(node: Any) -> Iterator[tuple[str | None, str]]:
    """``(schema, name)`` of every relation named in *node*."""
    for sub in pgast.walk(node):
        if pgast.kind(sub) == "RangeVar":
            yield sub["RangeVar"].get("schemaname"), str(sub["RangeVar"].get("relname", ""))
    fields = pgast.unwrap(node)
    target = fields.get("relation")
    if isinstance(target, dict) and "relname" in target:  # an unwrapped RangeVar
        yield target.get("schemaname"), str(target["relname"])


def _targets(fields: Node) -> Iterator[tuple[str | None, str]]:
    """The relations a statement writes, locks or rewrites (not those it only reads)."""
    target = fields.get("relation")
    if isinstance(target, dict) and "relname" in target:
        yield target.get("schemaname"), str(target["relname"])
    elif isinstance(target, dict):
        yield from _relations(target)
    for item in fields.get("relations") or fields.get("rels") or ():
        yield from _relations(item)


def _is_catalog(relation: tuple[str | None, str]) -> bool:
    schema, name = relation
    return schema == "pg_catalog" or (schema is None and name.startswith("pg_"))


def _denied_function(fname: str) -> Refusal | None:
    if fname in _HOST_FUNCTIONS or fname.startswith(_HOST_PREFIXES):
        return Refusal(Reach.HOST, f"calls {fname}(), which reaches the server's files")
    if fname in _CLUSTER_FUNCTIONS or fname.startswith(_CLUSTER_PREFIXES):
        return Refusal(Reach.CLUSTER, f"calls {fname}(), which acts outside the database")
    return None


def _calls(node: Any) -> Iterator[Refusal]:
    """Calls of denied functions: written as calls, or named as the function of an operator,
    aggregate, cast, trigger... (``PROCEDURE = pg_reload_conf``)."""
    for sub in pgast.walk(node):
        name = pgast.kind(sub)
        if name == "String":
            found = _denied_function(str(sub["String"].get("sval", "")).lower())
            if found is not None:
                yield found
            continue
        if name != "FuncCall":
            continue
        call = sub["FuncCall"]
        fname = pgast.func_name(call)
        found = _denied_function(fname)
        if found is not None:
            yield found
        elif fname == "set_config":
            args = call.get("args") or []
            setting = pgast.const_value(args[0]) if args else None
            if not isinstance(setting, str) or setting.lower() in _SESSION_IDENTITY:
                yield Refusal(Reach.CLUSTER, "calls set_config() to change the session's role")


def _copy(fields: Node) -> Iterator[Refusal]:
    if fields.get("is_program"):
        yield Refusal(Reach.HOST, "COPY runs a program on the server's host")
    elif fields.get("filename"):
        way = "reads" if fields.get("is_from") else "writes"
        yield Refusal(Reach.HOST, f"COPY {way} a file on the server's host")


def _variable_set(fields: Node) -> Iterator[Refusal]:
    if str(fields.get("name", "")).lower() in _SESSION_IDENTITY:
        yield Refusal(Reach.CLUSTER, "changes the role the migration runs as")


def _extension(fields: Node) -> Iterator[Refusal]:
    name = str(fields.get("extname", "")).lower()
    if name in _EXTENSIONS or name.endswith("_fdw") or _UNTRUSTED_LANGUAGE.match(name):
        yield Refusal(
            Reach.CLUSTER,
            f"extension {name} reaches outside the database (other servers, files, "
            "programs or the network)",
        )


def _shared_object(fields: Node) -> Iterator[Refusal]:
    for key in ("objtype", "objectType", "removeType", "renameType"):
        what = _SHARED_OBJECTS.get(str(fields.get(key, "")))
        if what:
            yield Refusal(Reach.CLUSTER, f"acts on {what}, which is shared by the cluster")
            return


def _reindex(fields: Node) -> Iterator[Refusal]:
    if fields.get("kind") in ("REINDEX_OBJECT_SYSTEM", "REINDEX_OBJECT_DATABASE"):
        yield Refusal(Reach.CLUSTER, "reindexes system catalogs shared by the cluster")


def _language_statement(fields: Node) -> Iterator[Refusal]:
    name = str(fields.get("plname", "")).lower()
    if _UNTRUSTED_LANGUAGE.match(name):
        yield Refusal(Reach.HOST, f"language {name} runs code on the server's host")


def _do(fields: Node) -> Iterator[Refusal]:
    from ..sql.plpgsql import do_language

    body, language = do_language(fields)
    yield from _body(body, language, "DO block")


def _function(fields: Node) -> Iterator[Refusal]:
    language, body = "sql", None
    for option in fields.get("options") or ():
        elem = pgast.unwrap(option, "DefElem")
        arg = elem.get("arg") or {}
        if elem.get("defname") == "language":
            language = str(pgast.unwrap(arg, "String").get("sval", "")).lower()
        elif elem.get("defname") == "as":
            items = pgast.unwrap(arg, "List").get("items") or []
            texts = pgast.strings(items)
            body = texts[0] if len(texts) == 1 else None  # two items: C object file, symbol
            if len(texts) != 1:
                language = language if language in ("c", "internal") else "c"
    if fields.get("sql_body") is not None:
        return  # BEGIN ATOMIC: part of the parse tree, read by the function-call walk
    params, quoted = _parameters(fields)
    yield from _body(body, language, "function body", params, quoted)


_MODES = {"FUNC_PARAM_OUT": "OUT ", "FUNC_PARAM_TABLE": "OUT ", "FUNC_PARAM_INOUT": "INOUT "}


# types whose text cannot change a statement it is pasted into with format('%s')
_QUOTED_TYPES = frozenset(
    {"regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole", "oid"}
    | {"int2", "int4", "int8", "smallint", "integer", "bigint", "numeric", "bool", "boolean"}
)


def _parameters(fields: Node) -> tuple[str, frozenset[str]]:
    """A parameter list that declares the function's parameter names for PL/pgSQL's parser
    (which looks no type up: every one is ``text``), and the names of the input parameters
    whose type prints as a quoted name or a number."""
    out: list[str] = []
    quoted: set[str] = set()
    for param in fields.get("parameters") or ():
        spec = pgast.unwrap(param, "FunctionParameter")
        mode = str(spec.get("mode", ""))
        name = spec.get("name")
        typed = spec.get("argType") or {}
        type_names = pgast.strings(typed.get("names"))
        if (
            isinstance(name, str)
            and mode in ("", "FUNC_PARAM_IN", "FUNC_PARAM_DEFAULT")
            and type_names
            and type_names[-1].lower() in _QUOTED_TYPES
            and not typed.get("arrayBounds")
        ):
            quoted.add(name)
        declared = f'"{name}" text' if isinstance(name, str) else "text"
        if mode == "FUNC_PARAM_VARIADIC":
            out.append(f"VARIADIC {declared}[]")
        else:
            out.append(_MODES.get(mode, "") + declared)
    return ", ".join(out), frozenset(quoted)


def _body(
    body: str | None,
    language: str,
    what: str,
    params: str = "",
    quoted: frozenset[str] = frozenset(),
) -> Iterator[Refusal]:
    if _UNTRUSTED_LANGUAGE.match(language):
        yield Refusal(Reach.HOST, f"{what} in language {language} runs code on the server's host")
        return
    if language not in _CHECKED_LANGUAGES:
        yield Refusal(Reach.UNCHECKED, f"{what} in language {language} cannot be checked")
        return
    if body is None:
        return
    if language == "sql":
        from ..sql.parsing import parse

        nodes = [s.node for s in parse(body).statements]
        if any(n is None for n in nodes):
            yield Refusal(Reach.UNCHECKED, f"{what} does not parse and cannot be checked")
        for inner in nodes:
            if inner is not None:
                yield from _inner(inner, what)
        return
    from ..sql.plpgsql import read_body

    reading = read_body(body, params, quoted)
    if reading is None:
        yield Refusal(Reach.UNCHECKED, f"{what} does not parse and cannot be checked")
        return
    for statement in reading.statements:
        yield from _inner(statement.node, f"{what} (line {statement.line})")
    for expr in reading.expressions:
        for found in _calls(expr):
            yield Refusal(found.reach, f"{what}: {found.reason}")
    for line in reading.unreadable:
        yield Refusal(
            Reach.UNCHECKED,
            f"{what} (line {line}) runs SQL built at run time, which cannot be checked",
        )


def _inner(node: Node, where: str) -> Iterator[Refusal]:
    for found in _refusals(node):
        yield Refusal(found.reach, f"{where}: {found.reason}")


_STATEMENT_CHECKS = {
    "CopyStmt": _copy,
    "VariableSetStmt": _variable_set,
    "CreateExtensionStmt": _extension,
    "AlterExtensionStmt": _extension,
    "GrantStmt": _shared_object,
    "CommentStmt": _shared_object,
    "SecLabelStmt": _shared_object,
    "AlterOwnerStmt": _shared_object,
    "RenameStmt": _shared_object,
    "DropStmt": _shared_object,
    "ReindexStmt": _reindex,
    "CreatePLangStmt": _language_statement,
    "DoStmt": _do,
    "CreateFunctionStmt": _function,
}


def role_names(node: Any) -> Iterator[str]:
    """Every role named by its name (not ``CURRENT_USER``, ``PUBLIC``...) in *node*."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("roletype") == "ROLESPEC_CSTRING" and "rolename" in item:
                yield str(item["rolename"])
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)


def new_owners(node: Node) -> Iterator[str]:
    """Roles *node* makes the owner of something (``OWNER TO``, ``AUTHORIZATION``, ``FOR
    ROLE``), named by their name."""
    fields = pgast.unwrap(node)
    name = pgast.kind(node)
    specs: list[Any] = []
    if name == "AlterOwnerStmt":
        specs.append(fields.get("newowner"))
    elif name == "AlterTableStmt":
        specs.extend(
            pgast.unwrap(cmd, "AlterTableCmd").get("newowner") for cmd in fields.get("cmds") or ()
        )
    elif name == "CreateSchemaStmt":
        specs.append(fields.get("authrole"))
    elif name == "AlterDefaultPrivilegesStmt":
        for option in fields.get("options") or ():
            elem = pgast.unwrap(option, "DefElem")
            if elem.get("defname") == "roles":
                specs.extend(pgast.unwrap(elem.get("arg") or {}, "List").get("items") or ())
    for spec in specs:
        yield from role_names(spec or {})


_TRIGGER_SWITCHES = frozenset(
    {
        "AT_EnableTrig",
        "AT_EnableAlwaysTrig",
        "AT_EnableReplicaTrig",
        "AT_DisableTrig",
        "AT_EnableTrigAll",
        "AT_DisableTrigAll",
        "AT_EnableTrigUser",
        "AT_DisableTrigUser",
    }
)
# the catalog flags a migration may switch as a superuser: whether an index is maintained
# and used, a constraint validated, a column NOT NULL, a trigger enabled. Nothing else:
# another catalog column could point the server at code (pg_proc.probin, a type's input
# function, a trigger's function) or hand the role a catalog (pg_class.relowner).
_CATALOG_FLAGS = {
    "pg_index": frozenset({"indisready", "indisvalid", "indislive", "indcheckxmin"}),
    "pg_constraint": frozenset({"convalidated"}),
    "pg_attribute": frozenset({"attnotnull"}),
    "pg_trigger": frozenset({"tgenabled"}),
}
# operators an expression may use without naming them (IN, BETWEEN, CASE, NULLIF, LIKE...)
_IMPLICIT_OPERATORS = ("=", "<>", "<", ">", "<=", ">=", "~~", "~~*", "!~~", "!~~*")


@record
class SuperuserOnly:
    """What a statement that needs a superuser (and nothing beyond) uses: the names of its
    functions and operators, and the system catalogs it names as written."""

    names: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()


def superuser_only(node: Node) -> SuperuserOnly | None:
    """For a statement that needs a superuser but only changes the database it runs in and
    runs no code a migration could have written: the names of the functions and operators
    it uses (which must resolve to PostgreSQL's own, see ``linter.server.trace_guard``); else
    ``None``. Those statements: ``ALTER TABLE ... ENABLE/DISABLE TRIGGER`` of a user table
    (``ALL`` takes a superuser: foreign keys' system triggers), and an ``UPDATE`` of one of
    the catalog flags in ``_CATALOG_FLAGS`` that reads only system catalogs."""
    name = pgast.kind(node)
    fields = pgast.unwrap(node)
    if name == "AlterTableStmt":
        cmds = [pgast.unwrap(cmd, "AlterTableCmd") for cmd in fields.get("cmds") or ()]
        if _is_catalog(next(_targets(fields), (None, ""))):
            return None
        if cmds and all(cmd.get("subtype") in _TRIGGER_SWITCHES for cmd in cmds):
            return SuperuserOnly()
        return None
    if name != "UpdateStmt":
        return None
    target = next(_targets(fields), (None, ""))
    flags = _CATALOG_FLAGS.get(target[1]) if _is_catalog(target) else None
    columns = [pgast.unwrap(t, "ResTarget") for t in fields.get("targetList") or ()]
    if (
        flags is None
        or not columns
        or any(c.get("name") not in flags or c.get("indirection") for c in columns)
        or fields.get("returningList")
    ):
        return None
    relations = list(_relations(node))
    if not relations or not all(_is_catalog(r) and r[1] not in _SHARED_CATALOGS for r in relations):
        return None
    names: set[str] = set(_IMPLICIT_OPERATORS)
    for sub in pgast.walk(node):
        kind = pgast.kind(sub)
        if kind == "FuncCall":
            qualified = pgast.strings(sub["FuncCall"].get("funcname"))
            if len(qualified) > 1 and qualified[0] != "pg_catalog":
                return None
            names.add(qualified[-1])
        elif kind == "A_Expr":
            qualified = pgast.strings(sub["A_Expr"].get("name"))
            if len(qualified) > 1 and qualified[0] != "pg_catalog":
                return None
            names.update(qualified[-1:])
        elif kind == "TypeCast":
            type_names = pgast.strings(
                pgast.unwrap(sub, "TypeCast").get("typeName", {}).get("names")
            )
            if len(type_names) > 1 and type_names[0] != "pg_catalog":
                return None
        elif kind in ("RangeFunction", "WithClause", "CommonTableExpr"):
            return None
    written = {f"{schema}.{rel}" if schema else rel for schema, rel in relations}
    return SuperuserOnly(tuple(sorted(names)), tuple(sorted(written)))
