"""``LazyPattern`` answers as ``re.compile`` does, and compiles only when first used."""

from __future__ import annotations

import re

from linter.util.lazyre import LazyPattern


def test_it_compiles_on_first_use_and_answers_as_re() -> None:
    lazy = LazyPattern(r"^--[ \t]*\+goose[ \t]+(?P<dir>up|down)\b", re.IGNORECASE | re.MULTILINE)
    assert lazy._compiled is None
    eager = re.compile(lazy.source, lazy.flags)
    text = "select 1;\n-- +goose Up\nx\n-- +GOOSE down\n"
    assert lazy.match(text) is None and eager.match(text) is None
    found = lazy.search(text)
    assert found is not None and found["dir"] == "Up"
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert lazy._compiled is not None and lazy.compiled is lazy.compiled
