"""``rulelint suggest-merge``: propose merges that free slots, prove them, optionally apply."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from rulelint.cli import app
from rulelint.cli.common import (
    Color,
    ColorOpt,
    ConfigOpt,
    DebugOpt,
    PathsArg,
    guarded,
    make_console,
    parse_today,
)
from rulelint.cli.progress import shown as progress_shown
from rulelint.consolidate.rewrite import (
    dump_rule,
    output_text,
    plan_edits,
)
from rulelint.consolidate.suggest import Suggestion, leftovers, plan_flags, suggest
from rulelint.consolidate.writeback import Planned, write_back
from rulelint.engine import analyse, load_rules
from rulelint.load.config import ConfigError, resolve_settings, split_codes
from rulelint.load.loading import to_plain
from rulelint.load.project import Project
from rulelint.render.removals import more_line, removal_dicts, removal_lines
from rulelint.render.text import format_event
from rulelint.util import progress


def _json_value(v: Any) -> Any:
    return json.loads(json.dumps(to_plain(v), default=str))


def suggestion_dict(s: Suggestion) -> dict[str, Any]:
    p = s.plan
    out: dict[str, Any] = {
        "version": 1,
        "ruleset": p.ruleset.name,
        "before": p.before,
        "after": p.after,
        "max_rules": p.ruleset.max_rules,
        "verified": s.verified,
        "groups": [
            {
                "merged_id": g.merged_id,
                "from": [m.id for m in g.members],
                "fields": g.fields,
                "slots_freed": g.freed,
                "rule": _json_value(g.rule),
            }
            for g in p.groups
        ],
        "removed": [r.rule.id for r in p.removed],
        "removed_reasons": {r.rule.id: r.reason for r in p.removed},
        "removals": removal_dicts(p.removed),
    }
    if s.frees is not None:
        out["frees"] = s.frees
    if p.target is not None:
        out["target"] = p.target
        out["target_reached"] = p.after <= p.target
        out["left_for_review"] = s.leftovers
    if s.kind_changes:
        out["declared_kinds"] = {
            f: {"kind": old, "would_be": new} for f, (old, new) in s.kind_changes.items()
        }
    if s.difference is not None:
        d = s.difference
        out["difference"] = {"event": d.event, "old": d.old, "new": d.new}
    return out


def planned(s: Suggestion) -> Planned:
    """What the ruleset must be once the suggestion is written (see consolidate/writeback)."""
    p = s.plan
    gone = [x.rule for x in p.removed] + [m for g in p.groups for m in g.members if m is not g.keep]
    return Planned.after(p.ruleset, {id(g.keep): g.rule for g in p.groups}, gone, prove=True)


def _read_existing(path: Path) -> bytes | None:
    from rulelint.util.atomicio import check_target

    target = check_target(path)
    if target.stat is None:
        return None
    try:
        return target.real.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def _leftovers(project: Project, settings, s: Suggestion) -> None:
    from dataclasses import replace

    sub = replace(settings, select=["RL302", "RL401", "RL403", "RL404"], ignore=[])
    findings, _ = analyse(project, sub)
    s.leftovers = leftovers(s.ruleset, findings)


def _print_table(console, table: Table) -> None:
    """A table without the padding rich leaves at the end of its lines."""
    with console.capture() as cap:
        console.print(table)
    console.print(Text.from_ansi("\n".join(line.rstrip() for line in cap.get().splitlines())),
                  soft_wrap=True)


def _render_text(s: Suggestion, console) -> None:
    # every line as one line (the terminal wraps it): nothing printed gains trailing blanks,
    # and the merged rules' YAML pastes back exactly
    def say(*objects) -> None:
        console.print(*objects, soft_wrap=True)

    p = s.plan
    rs = p.ruleset
    cap = f" of {rs.max_rules}" if rs.max_rules else ""
    say(Text(f"{rs.name} ({rs.semantics}): {p.before} rules{cap}", style="bold"))
    if not p.groups and not p.removed:
        say("  nothing to merge: no two rules with the same action and merge keys "
            "differ in only one field in a way one condition can express")
    if p.groups:
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("merged id")
        table.add_column("merges")
        table.add_column("field")
        table.add_column("frees", justify="right")
        for g in p.groups:
            table.add_row(g.merged_id, ", ".join(m.id for m in g.members), ", ".join(g.fields), str(g.freed))
        _print_table(console, table)
        for g in p.groups:
            say(Text(f"\n# {g.merged_id}: replaces {len(g.members)} rules", style="dim"))
            # never wrapped: what is printed must paste back as valid YAML
            say(Syntax(dump_rule(g.rule).rstrip("\n"), "yaml", background_color="default"))
    if p.removed:
        say(Text("\nremove (no decision depends on them):", style="bold"))
        for line in removal_lines(p.removed):
            say(line)
    say()
    total = Text()
    total.append(f"frees {p.freed} slot{'s' if p.freed != 1 else ''}: ", style="bold")
    total.append(f"{p.before} → {p.after}{cap}")
    say(total)
    if p.target is not None:
        if p.after <= p.target:
            say(Text(f"target reached: {p.after} ≤ {p.target}", style="green"))
        else:
            say(Text(f"target not reached: {p.after} > {p.target} "
                f"({p.after - p.target} more to go)", style="yellow"))
            for why, ids in sorted(s.leftovers.items()):
                say(f"  {why} rules a human must decide on: {', '.join(ids)}")
            if not p.include_redundant:
                say("  --include-redundant also removes rules that no decision "
                    "depends on (RL201/RL301)")
            if not p.include_shadowed and p.ruleset.semantics == "first-match":
                say("  --include-shadowed also removes every rule that never decides "
                    "(RL302, the losing rule of RL202)")
    for f, (old, new) in s.kind_changes.items():
        say(Text(f"keeps field {f!r} {old}: without its removed or merged conditions it "
                 f"would be read as {new}, so the rewrite declares `{f}: {old}` under "
                 "fields:", style="yellow"))
    if p.groups or p.removed:
        if s.verified:
            say(Text("verified equivalent: the new rule set takes the same decision as "
                "the old for every event (exact check)", style="green"))
        else:
            d = s.difference
            say(Text("NOT verified: the new rule set decides differently on", style="bold red"))
            say(f"  {format_event(d.event)}: old {d.old!r} (rule {d.old_rule}), "
                f"new {d.new!r} (rule {d.new_rule})")
            say("  nothing was written; this is a bug in rulelint, please report it")
    more = more_line(s.frees, p.freed) if s.frees is not None else ""
    if more:
        say(Text(more, style="cyan"))


@app.command("suggest-merge")
@guarded
def suggest_merge_cmd(
    paths: PathsArg = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="Only this ruleset.")] = None,
    target: Annotated[int | None, typer.Option("--target", min=0, help="Stop once the ruleset fits N rules.")] = None,
    include_redundant: Annotated[bool, typer.Option("--include-redundant", help="Also remove duplicate and redundant rules (RL201/RL301), one at a time, re-checking.")] = False,
    include_shadowed: Annotated[bool, typer.Option("--include-shadowed", help="Also remove every rule that never decides (RL302, the losing rule of RL202); implies --include-redundant.")] = False,
    merge_keys: Annotated[str | None, typer.Option("--merge-keys", help="Metadata merged rules must share (default: owner,enabled,expires; 'none' for none).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the complete new rule set to this file.")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print the unified diff --apply would make.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Rewrite the rule files in place (atomically, only the rules it changes).")] = False,
    today: Annotated[str | None, typer.Option("--today", help="Date for the expired/unused leftovers of --target.")] = None,
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display on stderr (it is shown only on a terminal, for text output, after a second).")] = False,
) -> None:
    """Propose merged rules that free slots and prove the new set decides exactly like the old."""
    if format not in ("text", "json"):
        raise ConfigError(f"--format {format!r}: use text or json")
    settings = resolve_settings(config=config, today=parse_today(today))
    keys = settings.config.merge.keys if merge_keys is None else [
        k for k in split_codes([merge_keys]) if k.lower() != "none"
    ]
    allowed = {"owner", "enabled", "expires", "priority", "description", "ticket", "tags", "created", "reviewed", "cost"}
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise ConfigError(f"--merge-keys: {bad[0]!r} is not a rule field ({', '.join(sorted(allowed))})")
    # progress (cli/progress.py) while loading, planning and proving, and again while
    # writing; never while the report is printed (the display owns the terminal)
    with progress_shown(format, quiet=False, no_progress=no_progress):
        results, errors = _plan(paths, settings, keys, ruleset, target, output, apply,
                                include_redundant, include_shadowed)
    console = make_console(color)
    err = make_console(color, stderr=True)
    if errors and format == "text":
        err.print(Text(f"warning: {len(errors)} rule file error(s) (see `rulelint check`); "
                       "rules with errors are left as they are", style="yellow"))
    if format == "json":
        docs = [suggestion_dict(s) for s in results]
        print(json.dumps(docs[0] if len(docs) == 1 else {"version": 1, "rulesets": docs}, indent=2, default=str))
    else:
        for s in results:
            _render_text(s, console)
    if not all(s.verified for s in results):
        raise typer.Exit(2)
    edits = [e for s in results for e in plan_edits(s.plan, s.declare)] if (diff or apply) else []
    if diff:
        out = sys.stderr if format == "json" else sys.stdout
        for e in edits:
            out.write(e.diff())
    if output is not None:
        s = results[0]
        data = output_text(s.ruleset, s.plan).encode("utf-8")
        original = _read_existing(output)
        with progress_shown(format, quiet=False, no_progress=no_progress):
            write_back({output: data}, {output: original},
                       lambda: load_rules([output], settings), [planned(s)])
        if format == "text":
            console.print(Text(f"wrote {output} (reloaded and verified: "
                               f"{s.plan.after} rules, same decisions)", style="dim"))
    if apply:
        changed = [s for s in results if s.plan.groups or s.plan.removed]
        with progress_shown(format, quiet=False, no_progress=no_progress):
            write_back({e.path: e.new_bytes() for e in edits},
                       {e.path: e.old_bytes() for e in edits},
                       lambda: load_rules(list(paths) if paths else None, settings),
                       [planned(s) for s in changed])
        if format == "text":
            files = ", ".join(e.display for e in edits) or "nothing to change"
            console.print(Text(f"applied: {files}", style="bold green"))
            if edits:
                console.print(Text("reloaded the written files: the planned rules, "
                                   "same decisions (exact check)", style="dim"))


def _plan(paths, settings, keys, ruleset, target, output, apply, include_redundant,
          include_shadowed) -> tuple[list[Suggestion], list[Any]]:
    """Load the rules and make and prove each ruleset's plan (the work progress shows)."""
    project = load_rules(list(paths) if paths else None, settings)
    errors = [f for f in project.findings if str(f.severity) == "error"]
    if apply and errors:
        e = errors[0]
        raise ConfigError(f"{e.file}:{e.line}: {e.message} — fix rule file errors before --apply")
    names = [ruleset] if ruleset else sorted(project.rulesets)
    if ruleset and ruleset not in project.rulesets:
        raise ConfigError(f"no ruleset named {ruleset!r} (loaded: {', '.join(sorted(project.rulesets))})")
    if output and len(names) != 1:
        raise ConfigError("--output writes one ruleset; choose it with --ruleset")
    # a rule with an error has no place in a file written from data: refuse rather than
    # drop it (a file-level error cannot be placed in a ruleset, so it counts too)
    blocking = [f for f in errors if f.ruleset in (None, *names)] if output else []
    if blocking:
        e = blocking[0]
        raise ConfigError(f"{e.file}:{e.line}: {e.message} — --output would leave this rule "
                          "out of the new file; fix rule file errors first (rulelint check)")
    results = []
    for name in names:
        rs = project.rulesets[name]
        flag = "include_shadowed" if include_shadowed else (
            "include_redundant" if include_redundant else "merge")
        if target is None:
            with progress.step(f"merge plan {name}"):
                plans = plan_flags(rs, keys, flag)  # this plan and what the others free
            s = suggest(rs, keys, plan=plans[flag])
            s.frees = {k: p.freed for k, p in plans.items()}
        else:
            s = suggest(rs, keys, include_redundant, target, include_shadowed)
        if target is not None and s.plan.after > target:
            _leftovers(project, settings, s)
        results.append(s)
    return results, errors
