"""Failure families that are known and being fixed on other branches (issue 14).

The CI slice fails on anything the harness finds *except* a family listed here; each entry
names the branch fixing it and has a strict-xfail regression test in
tests/test_fuzz_regressions.py. Remove an entry when its fix is merged into main (the
regression test then passes and its xfail comes off too).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .harness import Case, Failure

ODD_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def _odd_breaks(case: Case) -> bool:
    return ODD_BREAKS.search(case.text) is not None


def _write(f: Failure) -> bool:
    return "--apply" in f.command or "--output" in f.command or "--diff" in f.command


def _tagged(case: Case) -> bool:
    return "!!" in case.text


def _huge(case: Case) -> bool:
    return re.search(r"\d{300}", case.text) is not None


# family -> (reason, predicate); the regression test of each is named in the reason
KNOWN: dict[str, tuple[str, Callable[[Failure, Case], bool]]] = {
    "line-breaks": (
        "NEL/U+2028/U+2029/CR-only line breaks in the editor (fuzz-linebreak-*, fuzz-cr-1): "
        "fixed on branch write",
        lambda f, c: _odd_breaks(c) and _write(f) and (
            f.kind in ("timeout", "apply-changed-untouched-bytes", "apply-changed-decision",
                       "apply-wrote-invalid-file")
            or (f.kind == "internal-error" and "IndexError" in f.detail)),
    ),
    "kind-change": (
        "a removal changes a field's inferred kind (fuzz-kindchange-1): fixed on branch write",
        lambda f, c: f.kind in ("apply-changed-kind", "output-changed-kind"),
    ),
    "symlinks": (
        "writes replace a symlink by a regular file (fuzz-symlink-1): fixed on branch write",
        lambda f, c: f.kind == "apply-replaced-symlink",
    ),
    "output-drops-schema-errors": (
        "--output drops schema-error rules (fuzz-output-drops-1): fixed on branch write",
        lambda f, c: f.kind == "output-dropped-rules",
    ),
    "anchors": (
        "anchors in emitted YAML (fuzz-anchors-1): fixed on branch write",
        lambda f, c: f.kind in ("output-unreadable", "output-wrote-invalid-file", "apply-wrote-invalid-file",
                                "output-oracle-cannot-read", "apply-oracle-cannot-read")
        and "anchor" in f.detail,
    ),
    "explicit-tags": (
        "explicit tags (fuzz-tags-*): fixed on branch readers",
        lambda f, c: _tagged(c) and f.kind == "internal-error"
        and any(e in f.detail for e in ("KeyError", "AttributeError", "ValueError", "TypeError",
                                        "IndexError: string index", "RepresenterError")),
    ),
    "event-json": (
        "eval --event with JSON nested 5,000 deep or an int of more than 4,300 digits "
        "(fuzz-event-*): fixed on branch readers",
        lambda f, c: f.kind == "internal-error" and f.command.startswith("rulelint eval")
        and ("RecursionError" in f.detail or "4300 digits" in f.detail),
    ),
    "mark-reviewed-id": (
        "review --mark-reviewed on a file with a non-string id: internal error TypeError "
        "(fuzz-markreviewed-1; new, reported by the fuzzer): to fix on branch review",
        lambda f, c: f.kind == "internal-error" and "--mark-reviewed" in f.command
        and "unhashable" in f.detail,
    ),
    "output-unconvertible": (
        "--output when a value could not be converted: huge ints, tagged words, invalid dates "
        "(fuzz-hugeint-1, fuzz-tags-3, fuzz-dates-1): fixed on branch write/readers",
        lambda f, c: f.kind == "internal-error" and "--output" in f.command
        and ("RepresenterError" in f.detail or (_huge(c) and "ValueError" in f.detail)),
    ),
}


def known_family(f: Failure, case: Case) -> str | None:
    for family, (_reason, pred) in KNOWN.items():
        if pred(f, case):
            return family
    return None
