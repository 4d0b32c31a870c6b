"""``sqlsafe lsp``: a language server over stdio (the ``sqlsafe[lsp]`` extra, pygls).

:mod:`.analysis` lints an editor's buffer with its history, resuming from the model kept
by :mod:`.checkpoints` (neither uses LSP types); :mod:`.positions` converts offsets to LSP
positions in the agreed encoding; :mod:`.diagnostics`, :mod:`.hover`, :mod:`.fixes` and
:mod:`.actions` turn an analysis into LSP answers; :mod:`.server` wires them to pygls.
Only this package imports pygls and lsprotocol.
"""
