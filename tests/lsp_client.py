"""A small language-server client for the tests: JSON-RPC with LSP framing over a
subprocess's stdin/stdout, a reader thread, and waits with timeouts (no mocks: the real
``sqlsafe lsp`` process answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

TIMEOUT = 20.0


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def utf16_offset(text: str, line: int, character: int) -> int:
    """The character offset in *text* of an LSP position (UTF-16 columns)."""
    lines = text.split("\n")
    start = sum(len(piece) + 1 for piece in lines[:line])
    units = 0
    at = start
    while at < len(text) and units < character and text[at] != "\n":
        units += 2 if ord(text[at]) > 0xFFFF else 1
        at += 1
    return at


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    """*text* with LSP ``TextEdit``s applied (their ranges refer to the text as given)."""
    spans = []
    for edit in edits:
        rng = edit["range"]
        start = utf16_offset(text, rng["start"]["line"], rng["start"]["character"])
        end = utf16_offset(text, rng["end"]["line"], rng["end"]["character"])
        spans.append((start, end, edit["newText"]))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


class LspClient:
    """``sqlsafe lsp`` run as a subprocess in *cwd*."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.stderr = open(cwd / "lsp-stderr.txt", "w+b")
        env = {**os.environ, "SQLSAFE_CACHE_DIR": str(cwd / ".cache")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "linter", "lsp", *args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        self.next_id = 0
        self.lock = threading.Condition()
        self.responses: dict[int, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # -- the wire --------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            message = _read_message(stdout)
            if message is None:
                with self.lock:
                    self.lock.notify_all()
                return
            if "method" in message and "id" in message:  # a request from the server
                self.server_requests.append(message)
                self._send({"id": message["id"], "result": None})
            with self.lock:
                if "method" not in message:
                    self.responses[message["id"]] = message
                elif "id" not in message:
                    message["received"] = time.perf_counter()
                    self.notifications.append(message)
                self.lock.notify_all()

    def _wait(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = ready()
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    self.stderr.seek(0)
                    log = self.stderr.read().decode("utf-8", "replace")
                    raise AssertionError(f"timed out waiting for {what}; server stderr:\n{log}")
                self.lock.wait(min(left, 0.5))

    # -- requests and notifications --------------------------------------------------
    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"id": ident, "method": method, "params": params})
        reply = self._wait(lambda: self.responses.get(ident), timeout, f"the reply to {method}")
        if "error" in reply:
            raise AssertionError(f"{method} failed: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def published(self, doc: str) -> list[dict[str, Any]]:
        """Every publishDiagnostics for *doc* so far."""
        with self.lock:
            return [
                n["params"]
                for n in self.notifications
                if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == doc
            ]

    def diagnostics_after(
        self, doc: str, count: int, timeout: float = TIMEOUT
    ) -> list[dict[str, Any]]:
        """The diagnostics of the first publication for *doc* after the *count* first."""

        def ready() -> Any:
            found = self.published(doc)
            return found[count:] and found[count]

        return list(self._wait(ready, timeout, f"diagnostics for {doc}")["diagnostics"])

    # -- the session -----------------------------------------------------------------
    def initialize(self, root: Path, options: dict[str, Any] | None = None) -> Any:
        capabilities = {
            "workspace": {
                "workspaceEdit": {"documentChanges": True, "resourceOperations": ["create"]},
                "didChangeWatchedFiles": {"dynamicRegistration": True},
            },
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": []}}},
                "publishDiagnostics": {"versionSupport": True},
            },
        }
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri(root),
                "capabilities": capabilities,
                "initializationOptions": options or {},
            },
        )
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        doc = uri(path)
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": doc,
                    "languageId": "sql",
                    "version": version,
                    "text": path.read_text() if text is None else text,
                }
            },
        )
        return doc

    def change(self, doc: str, text: str, version: int) -> None:
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": doc, "version": version},
                "contentChanges": [{"text": text}],
            },
        )

    def close(self) -> int:
        """shutdown, exit; the server's exit code."""
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            return self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.stderr.close()


def _read_message(stream: IO[bytes]) -> dict[str, Any] | None:
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    if length is None:
        return None
    body = stream.read(length)
    message: dict[str, Any] = json.loads(body)
    return message
