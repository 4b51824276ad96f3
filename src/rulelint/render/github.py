"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=rules/a.yaml,line=211,title=rulelint (RL302)::message``. Severity info
becomes ``notice``. Paths are relative to the repository root (GitHub resolves them
against the checkout, whatever the step's working directory). Escaping follows the
Actions runner: in the message ``%``, CR and LF are percent-encoded; in properties also
``:`` and ``,``. A line break inside the message's own parts (a rule value quoted into it,
a witness value) is first written as its visible escape (``util.lines.escape_controls``, as
``--format concise`` does), so the only breaks in an annotation are the ones between its
parts (message, witness, ruleset), which GitHub shows as separate lines.

Run-level notes (hit-log rows skipped, git dates unavailable, questions left unanswered)
follow the findings as ``::notice title=rulelint::...`` lines, so they show in the run's
annotations too.
"""

from __future__ import annotations

from rulelint.engine import Report
from rulelint.render.locations import RepoPaths
from rulelint.render.text import format_event
from rulelint.report.findings import Finding, Severity
from rulelint.util.lines import escape_controls

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, paths: RepoPaths) -> str:
    props: list[tuple[str, str]] = []
    if f.file:
        props.append(("file", paths.best(f.file)))
        if f.line:
            props.append(("line", str(f.line)))
            if f.column:
                props.append(("col", str(f.column)))
    props.append(("title", f"rulelint ({f.code})"))
    message = escape_controls(f.message)
    if f.witness is not None:
        message += f"\nwitness: {escape_controls(format_event(f.witness))}"
    if f.ruleset and not f.file:
        message += f"\nruleset: {escape_controls(f.ruleset)}"
    head = ",".join(f"{k}={escape_property(escape_controls(v))}" for k, v in props)
    return f"::{COMMAND[f.severity]} {head}::{escape_data(message)}"


def notice(note: str) -> str:
    return f"::notice title={escape_property('rulelint')}::{escape_data(escape_controls(note))}"


def render(report: Report) -> str:
    paths = RepoPaths(report.project.settings)
    out = [annotation(f, paths) + "\n" for f in report.findings]
    out += [notice(n) + "\n" for n in report.notices]
    return "".join(out)
