"""Write, reload, verify, restore: the one way rulelint changes rule files.

Every command that writes rules (``suggest-merge --apply`` and ``--output``; meant for
``remove --apply`` and ``review --mark-reviewed`` too) hands this module the new bytes of
each file and what the rule set must be once they are written::

    planned = Planned.after(rs, {id(keep): merged_rule_data}, gone_entries, prove=True)
    write_back({path: new_bytes}, {path: original_bytes_or_None}, reload, [planned])

``write_back`` then

1. checks every target first (``util.atomicio.check_target``: symlinks resolved, only
   regular files, no hard links) so that a refusal writes nothing;
2. writes each file with ``write_atomic`` (``expect=`` the original bytes: a file changed
   since it was read is refused, right before its rename);
3. reloads through ``reload()``, which must be the normal loader (``engine.load_rules``,
   the code path of ``check``), and compares, per planned ruleset: no new RL001-RL005 error
   in a written file; the same rule count (every entry, valid or not); the same field kinds
   for every field a rule uses (the old kinds: a rewrite that would change a kind must
   declare it); the same rules in the same evaluation order, each with the planned id,
   action, priority, enabled flag and box (and, for a rule planned as unchanged or whose
   data is given, the same content, metadata included); and, when ``Planned.prove`` is set,
   the exact proof (``equivalence.first_difference``) that the loaded rules decide every
   event as the old rules did, under the old kinds;
4. on any failure (including a failed write of a later file) puts every written file back
   from the bytes held in memory (``write_atomic`` again, expecting the bytes it wrote; a
   file it created is removed) and raises ``WriteBackError`` (a ``ConfigError``: exit 2)
   whose message names the file, the reason, and the witness event when decisions differ.
   Should a file change again between our write and the restore, it is not overwritten:
   its original is saved beside it as ``FILE.rulelint-orig`` and the message says so.

It returns the reloaded project, so the caller can report from what is really on disk.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.algebra.sets import Domain
from rulelint.consolidate.equivalence import first_difference
from rulelint.consolidate.suggest import GLOB_FIELD, rule_slots
from rulelint.load.model import validate_rule
from rulelint.load.project import Project, RuleEntry, RuleSet
from rulelint.util import progress
from rulelint.util.atomicio import check_target, remove_created, write_atomic
from rulelint.util.errors import ConfigError

_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, default=str).encode


class WriteBackError(ConfigError):
    """The written files were not what was planned; the originals are back."""


@dataclass(frozen=True)
class PlannedRule:
    id: str
    action: str
    priority: int
    enabled: bool
    box: dict | None
    exact: bool = True
    content: str | None = None  # canonical content the loaded rule must have; None: any
    where: str = ""  # for messages: file:line of the rule it comes from


@dataclass
class Planned:
    """What one ruleset must be once the files are written."""

    ruleset: str
    rules: list[PlannedRule]  # evaluation order
    slot_count: int
    domains: dict[str, Domain]  # the kinds every used field must keep (the old ones)
    old: RuleSet | None = None  # prove the loaded rules decide like this one's
    errors_before: Counter = field(default_factory=Counter)  # (file, code) of known errors

    @classmethod
    def after(
        cls,
        rs: RuleSet,
        replaced: Mapping[int, dict[str, Any]] | None = None,
        gone: Iterable[RuleEntry] = (),
        prove: bool = True,
    ) -> Planned:
        """``rs`` with the rules ``replaced`` (``id(entry)`` -> new rule data, in place)
        and the rules ``gone`` deleted; every other rule unchanged. ``prove``: the result
        must also decide exactly like ``rs`` (merges, redundant removals)."""
        replaced = replaced or {}
        gone_ids = {id(r) for r in gone}
        defaults = _defaults(rs)
        rules = []
        for r in rs.rules:
            if id(r) in gone_ids:
                continue
            data = replaced.get(id(r))
            rules.append(_unchanged(r) if data is None else _from_data(r, data, rs, defaults))
        removed = len(gone_ids)
        return cls(rs.name, rules, rs.slot_count - removed, dict(rs.domains),
                   rs if prove else None)


def _defaults(rs: RuleSet) -> dict[str, dict[str, Any] | None]:
    out: dict[str, dict[str, Any] | None] = {}
    for info in rs.files:
        h = info.header
        out[info.source.display] = (
            h.defaults.model_dump(exclude_none=True) if h is not None and h.defaults else None
        )
    return out


def _unchanged(r: RuleEntry) -> PlannedRule:
    return PlannedRule(r.id, r.action, r.rule.priority, r.rule.enabled,
                       r.box if r.valid else None, r.exact, r.content(), f"{r.file}:{r.line}")


def _from_data(r: RuleEntry, data: dict[str, Any], rs: RuleSet, defaults) -> PlannedRule:
    from rulelint.consolidate.suggest import _box_of

    rule, problems = validate_rule(data, defaults.get(r.file), None)
    if rule is None:
        raise ConfigError(
            f"the rule planned for {r.file}:{r.line} ({data.get('id')!r}) fails the schema: "
            f"{problems[0].message if problems else '?'}; nothing was written"
        )
    content = _CANONICAL_JSON(rule.model_dump(mode="json"))
    if rule.match == r.rule.match:  # metadata only (--mark-reviewed): the match set stays
        return PlannedRule(rule.id, rule.action, rule.priority, rule.enabled,
                           r.box if r.valid else None, r.exact, content, f"{r.file}:{r.line}")
    box = _box_of(rule.match, rs.domains)
    return PlannedRule(rule.id, rule.action, rule.priority, rule.enabled, box, True,
                       content, f"{r.file}:{r.line}")


def format_event(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, default=str, ensure_ascii=False)


# --- comparing what was loaded with what was planned ----------------------------------------


def _describe(p: PlannedRule | RuleEntry) -> str:
    return f"{p.id!r} (action {p.action!r}, priority {p.rule.priority if isinstance(p, RuleEntry) else p.priority})"


def compare(planned: Planned, project: Project, written: set[str]) -> str | None:
    """Why the loaded project is not the planned one, or None."""
    errors = Counter(
        (f.file, f.code) for f in project.findings
        if str(f.severity) == "error" and f.file in written
    )
    for (file, code), n in sorted(errors.items()):
        if n > planned.errors_before.get((file, code), 0):
            first = next(f for f in project.findings if f.file == file and f.code == code
                         and str(f.severity) == "error")
            return f"{file}:{first.line}: the written file has a new {code} error: {first.message}"
    rs = project.rulesets.get(planned.ruleset)
    if rs is None:
        return f"ruleset {planned.ruleset!r} is gone from the written files"
    for r in rs.rules:
        for f in r.conditions:
            if rs.domains.get(f) != planned.domains.get(f):
                now = rs.domains.get(f)
                was = planned.domains.get(f)
                return (
                    f"field {f!r} would be read as {now.kind if now else 'nothing'} "
                    f"(it was {was.kind if was else 'not used'}): decisions would change"
                )
    if rs.slot_count != planned.slot_count:
        return (
            f"ruleset {rs.name!r}: the written files hold {rs.slot_count} rules, "
            f"{planned.slot_count} were planned"
        )
    if len(rs.rules) != len(planned.rules):
        return (
            f"ruleset {rs.name!r}: {len(rs.rules)} rules load without schema errors, "
            f"{len(planned.rules)} were planned"
        )
    for n, (got, want) in enumerate(zip(rs.rules, planned.rules, strict=True), 1):
        where = f"{got.file}:{got.line}"
        if (got.id, got.action, got.rule.priority) != (want.id, want.action, want.priority):
            return (
                f"{where}: rule {n} in evaluation order is {_describe(got)}, "
                f"{_describe(want)} (from {want.where}) was planned"
            )
        if got.rule.enabled != want.enabled:
            return f"{where}: rule {got.id!r} enabled is {got.rule.enabled}, planned {want.enabled}"
        got_box = got.box if got.valid else None
        if got_box != want.box or got.exact != want.exact:
            return f"{where}: rule {got.id!r} matches other events than planned"
        if want.content is not None and got.content() != want.content:
            return f"{where}: rule {got.id!r} does not hold the planned data"
    if planned.old is not None:
        domains = dict(planned.domains)
        old = [s for r in planned.old.live_rules() for s in rule_slots(r, domains)]
        new = [s for r in rs.live_rules() for s in rule_slots(r, domains)]
        diff = first_difference(old, new, domains, planned.old.semantics)
        if diff is not None:
            event = {k: v for k, v in diff.event.items() if not k.startswith(GLOB_FIELD)}
            return (
                f"the written rules decide differently on {format_event(event)}: "
                f"old {diff.old!r} (rule {diff.old_rule}), new {diff.new!r} "
                f"(rule {diff.new_rule})"
            )
    return None


# --- writing ---------------------------------------------------------------------------------


def _restore(done: list[tuple[Path, bytes, bytes | None]]) -> list[str]:
    """Put back every written file; what could not be put back as it was."""
    notes = []
    for path, wrote, original in reversed(done):
        try:
            if original is None:
                if not remove_created(path, wrote):
                    notes.append(f"{path} was created and then changed by someone else; left it")
            else:
                write_atomic(path, original, expect=wrote)
        except ConfigError as exc:
            backup = Path(str(path) + ".rulelint-orig")
            try:
                write_atomic(backup, original or b"")
                notes.append(f"could not put {path} back ({exc}); its original is in {backup}")
            except ConfigError as exc2:
                notes.append(f"could not put {path} back ({exc}) nor save it ({exc2})")
    return notes


def write_back(
    writes: Mapping[Path, bytes],
    originals: Mapping[Path, bytes | None],
    reload: Callable[[], Project],
    planned: list[Planned],
) -> Project:
    """Write ``writes``, reload with ``reload()``, verify against ``planned``; on failure
    restore ``originals`` (None: the file did not exist) and raise ``WriteBackError``.
    See the module docstring."""
    for path in writes:
        check_target(path)
    done: list[tuple[Path, bytes, bytes | None]] = []
    n = len(writes)
    try:
        with progress.step(f"writing {n} file{'s' if n != 1 else ''}", n) as shown:
            for path, data in writes.items():
                original = originals.get(path)
                write_atomic(path, data, expect=original)
                done.append((path, data, original))
                shown.advance()
        project = reload()  # the loader shows its own step
        real = {os.path.realpath(p) for p in writes}
        written = {i.source.display for i in project.files
                   if os.path.realpath(i.source.path) in real}
        with progress.step("proof of the written files"):
            reason = next((r for p in planned if (r := compare(p, project, written))), None)
    except ConfigError as exc:
        notes = _restore(done)
        put_back = " The files already written were put back." if done and not notes else ""
        raise WriteBackError(str(exc) + put_back + "".join(f" {n}." for n in notes)) from None
    except BaseException:
        _restore(done)
        raise
    if reason is not None:
        notes = _restore(done)
        names = ", ".join(str(p) for p, _, _ in done)
        back = "the original files were put back" if not notes else "; ".join(notes)
        raise WriteBackError(
            f"verification after writing failed: {reason}; {back} ({names}). "
            "This is a bug in rulelint, please report it"
        )
    return project
