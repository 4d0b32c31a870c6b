"""``sqlsafe lsp``: a language server over stdio (the ``sqlsafe[lsp]`` extra, pygls).

:mod:`.analysis` lints an editor's buffer with its history (no LSP types),
:mod:`.positions` converts offsets to LSP positions (UTF-16), :mod:`.diagnostics`,
:mod:`.hover` and :mod:`.actions` turn an analysis into LSP answers, and :mod:`.server`
wires them to pygls. Only this package imports pygls and lsprotocol.
"""
