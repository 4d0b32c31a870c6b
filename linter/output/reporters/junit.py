"""JUnit XML: one test case per finding (a failure) or unreadable file (an error)."""

from __future__ import annotations

from typing import TextIO
from xml.etree import ElementTree as ET

from ...analysis.engine import LintResult
from ...rule import Rule
from .text import summary_line


class JunitReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        suites = ET.Element("testsuites", name="sqlsafe")
        suite = ET.SubElement(
            suites,
            "testsuite",
            name="sqlsafe",
            tests=str(max(1, len(result.findings) + len(result.errors))),
            failures=str(len(result.findings)),
            errors=str(len(result.errors)),
            skipped="0",
        )
        for error in result.errors:
            case = ET.SubElement(suite, "testcase", classname=error.path, name="read file")
            ET.SubElement(
                case, "error", message=error.reason, type="unreadable-file"
            ).text = f"{error.path}: {error.reason}"
        for f in result.findings:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f.path,
                name=f"{f.rule} ({f.code}) at line {f.line}, column {f.column}",
                file=f.path,
                line=str(f.line),
            )
            body = f"{f.path}:{f.line}:{f.column}: {f.severity.value} {f.rule}: {f.message}"
            if f.help:
                body += f"\nSafe alternative: {f.help}"
            if f.sql:
                body += f"\n\n{f.sql}"
            ET.SubElement(case, "failure", message=f.message, type=f.rule).text = body
        if not result.findings and not result.errors:
            ET.SubElement(suite, "testcase", classname="sqlsafe", name=summary_line(result))
        ET.indent(suites)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(ET.tostring(suites, encoding="unicode") + "\n")
