"""The pygls wiring: documents in, diagnostics, hover and code actions out.

Linting runs in one worker thread, one buffer at a time, so the server keeps reading
messages meanwhile; a change cancels the pending lint of its buffer (debounced), and a
lint whose buffer changed while it ran publishes nothing (the next one does).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..analysis.registry import load_rules
from ..inputs.configsearch import CONFIG_FILES
from ..rule import Rule
from ..util.records import record
from .actions import FIX_ALL, Capabilities, code_actions
from .analysis import Analysis, analyse, buffer_config, history_of, ident
from .checkpoints import Checkpoints
from .diagnostics import diagnostics, doc_links
from .fixes import FixCache
from .hover import hover
from .positions import UTF16

_T = TypeVar("_T")
WATCHER_ID = "sqlsafe-watched-files"


@record
class ServerOptions:
    debounce: float = 0.3  # seconds between the last change and the lint of a buffer


def is_sql(path: str | None) -> bool:
    return path is not None and path.lower().endswith(".sql")


class SqlsafeServer(LanguageServer):
    """The language server: what it knows of each open buffer, and its lint thread."""

    def __init__(self, options: ServerOptions, rules: tuple[Rule, ...]) -> None:
        super().__init__("sqlsafe", __version__)
        self.options = options
        self.rules = rules
        self.links = doc_links(rules)
        self.analyses: dict[str, Analysis] = {}  # uri -> the last analysis of the buffer
        self.pending: dict[str, asyncio.Task[None]] = {}  # uri -> its scheduled lint
        self.fixes: dict[str, FixCache] = {}  # uri -> the fixes of its last analysis
        self.checkpoints = Checkpoints()  # (used by the lint thread only)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="sqlsafe-lint")
        self.capabilities = Capabilities()

    # -- buffers ---------------------------------------------------------------------
    def path_of(self, uri: str) -> str | None:
        path = to_fs_path(uri)
        return os.path.abspath(path) if path is not None and is_sql(path) else None

    def buffers(self) -> dict[str, str]:
        """The open SQL buffers' texts (:func:`ident` of their path -> text)."""
        out: dict[str, str] = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            path = self.path_of(uri)
            if path is not None:
                out[ident(path)] = doc.source
        return out

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or UTF16)

    async def in_thread(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, call)

    async def analysis(self, uri: str, again: bool = False) -> Analysis | None:
        """The buffer *uri* linted as it is now (*again*: even when its text is the one
        last linted, as another file of its history changed)."""
        path = self.path_of(uri)
        if path is None or uri not in self.workspace.text_documents:
            return None
        text = self.workspace.get_text_document(uri).source
        last = self.analyses.get(uri)
        if last is not None and last.text == text and not again:
            return last
        buffers = self.buffers()
        try:
            found = await self.in_thread(
                lambda: analyse(path, text, self.rules, buffers, self.checkpoints)
            )
        except Exception as exc:  # a bug must cost one buffer's diagnostics, not the server
            self.log(f"sqlsafe failed on {path}:\n{traceback.format_exc()}")
            found = Analysis(path, text, problem=f"internal error: {exc!r}")
        self.analyses[uri] = found
        return found

    def log(self, message: str) -> None:
        self.window_log_message(types.LogMessageParams(types.MessageType.Error, message))

    # -- linting ---------------------------------------------------------------------
    def schedule(self, uri: str, delay: float, others: bool = False, again: bool = False) -> None:
        """Lint *uri* after *delay* seconds (replacing a lint scheduled before), then,
        with *others*, the other open buffers of its history; *again*: see
        :meth:`analysis`."""
        if self.path_of(uri) is None:
            return
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay, others, again))

    async def _lint_later(self, uri: str, delay: float, others: bool, again: bool) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        found = await self.analysis(uri, again)
        if found is None or uri not in self.workspace.text_documents:
            return
        doc = self.workspace.get_text_document(uri)
        if doc.source != found.text:
            return  # changed while linted: its own lint is scheduled
        self.pending.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=diagnostics(found, self.links, self.encoding),
                version=doc.version,
            )
        )
        if others and found.history is not None:
            self.relint_history(found.history, skip=uri)

    def relint_history(self, history: str, skip: str = "") -> None:
        """Lint again the open buffers linted with the history *history*: the later files
        read the changed one as history, and a later migration may answer a finding of
        an earlier one."""
        for other, analysis in list(self.analyses.items()):
            if other != skip and analysis.history == history:
                self.schedule(other, 0, again=True)

    def relint_all(self) -> None:
        for uri in list(self.analyses):
            self.schedule(uri, 0, again=True)

    def closed(self, uri: str) -> None:
        if self.path_of(uri) is None:
            return
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.analyses.pop(uri, None)
        self.fixes.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def changed_on_disk(self, uri: str) -> None:
        """A file changed outside the editor: a config file re-lints every buffer, a
        migration the buffers linted with its history."""
        path = to_fs_path(uri)
        if path is None:
            return
        if os.path.basename(path) in CONFIG_FILES:
            self.relint_all()
            return
        if not is_sql(path):
            return
        try:
            history = history_of(os.path.abspath(path), buffer_config(path))
        except Exception:  # (a bad config: the buffers say so when linted)
            history = None
        if history is not None:
            self.relint_history(history, skip=uri)


def _client_creates_files(params: types.InitializeParams) -> bool:
    workspace = params.capabilities.workspace
    edit = workspace.workspace_edit if workspace is not None else None
    if edit is None or not edit.document_changes:
        return False
    return types.ResourceOperationKind.Create in (edit.resource_operations or [])


def _debounce(params: types.InitializeParams, default: float) -> float:
    """``initializationOptions.debounce`` (milliseconds), else the command's option."""
    options: Any = params.initialization_options
    value = options.get("debounce") if isinstance(options, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value) / 1000
    return default


def build_server(options: ServerOptions, rules: tuple[Rule, ...]) -> SqlsafeServer:
    server = SqlsafeServer(options, rules)

    @server.feature(types.INITIALIZE)
    def initialize(ls: SqlsafeServer, params: types.InitializeParams) -> None:
        ls.capabilities = Capabilities(create_files=_client_creates_files(params))
        ls.options = ServerOptions(_debounce(params, ls.options.debounce))

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SqlsafeServer, params: types.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        globs = ["**/*.sql", *(f"**/{name}" for name in CONFIG_FILES)]
        registration = types.Registration(
            id=WATCHER_ID,
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=g) for g in globs]
            ),
        )
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as exc:  # a client that refuses: the buffers are still linted
            ls.log(f"sqlsafe could not watch files: {exc!r}")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: SqlsafeServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: SqlsafeServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.options.debounce, others=True)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: SqlsafeServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.path_of(params.text_document.uri) is None:
            ls.changed_on_disk(params.text_document.uri)  # (a config file saved in the editor)
        else:
            ls.schedule(params.text_document.uri, 0, others=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: SqlsafeServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(
        ls: SqlsafeServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        for change in params.changes:
            if ls.path_of(change.uri) is None or change.uri not in ls.workspace.text_documents:
                ls.changed_on_disk(change.uri)  # (an open migration's buffer is what counts)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: SqlsafeServer, params: types.HoverParams) -> types.Hover | None:
        found = await ls.analysis(params.text_document.uri)
        if found is None:
            return None
        return hover(found, params.position, ls.encoding)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                FIX_ALL,
            ]
        ),
    )
    async def on_code_action(
        ls: SqlsafeServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        found = await ls.analysis(uri)
        if found is None or not found.findings:
            return None
        version = ls.workspace.get_text_document(uri).version
        buffers = ls.buffers()
        encoding = ls.encoding
        only = params.context.only
        cache = ls.fixes.setdefault(uri, FixCache())

        def to_uri(path: str) -> str:
            return str(from_fs_path(path))

        def compute() -> list[types.CodeAction]:
            return code_actions(
                found,
                uri,
                version,
                params.range,
                ls.rules,
                buffers,
                ls.capabilities,
                to_uri,
                encoding,
                only,
                cache,
            )

        try:
            return await ls.in_thread(compute)
        except Exception:
            ls.log(f"sqlsafe code actions failed:\n{traceback.format_exc()}")
            return None

    return server


def serve(options: ServerOptions, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Run the server on *stdin* / *stdout* until the client says exit."""
    # the protocol owns standard output: anything printed by mistake goes to stderr
    sys.stdout = sys.stderr
    # one process: the lint thread must not fork (see linter.forking)
    os.environ["SQLSAFE_JOBS"] = "1"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    server = build_server(options, load_rules())
    server.start_io(stdin, stdout)
