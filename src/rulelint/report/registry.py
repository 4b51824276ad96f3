"""The check registry: every code rulelint reports, in one place.

Like ruff's rule registry, each check has a stable code, a kebab-case name, a default
severity, a one-line summary and documentation (what it means, why it matters, how to fix
it, an example). Passes refer to checks by code; renderers and ``rulelint rule`` read the
documentation from here. Nothing else defines codes.
"""

from __future__ import annotations

import enum
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}



@dataclass(frozen=True, slots=True)
class Check:
    code: str
    name: str
    severity: Severity
    summary: str
    what: str
    why: str
    fix: str
    example: str

    @property
    def url_fragment(self) -> str:
        return f"{self.code.lower()}-{self.name}"


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741


def _doc(text: str) -> str:
    """Documentation text: dedented, without the leading and trailing blank lines."""
    return textwrap.dedent(text).strip("\n")


_CHECKS: list[Check] = [
    # ------------------------------------------------------------------ RL0xx: reading the files
    Check(
        "RL001",
        "yaml-syntax",
        E,
        "File is not valid YAML (or not a readable text file).",
        what=_doc("""
            The file could not be parsed as YAML, or could not be read as text. The message
            gives the line and column where the parser stopped. None of the rules in the file
            can be checked or counted until it parses.
        """),
        why=_doc("""
            While the file is broken, every number rulelint reports for its ruleset is wrong:
            its rules are missing from the count, so you may be closer to the cap than the
            report says, and duplicates or dead rules inside it go unseen. The target system's
            import will most likely reject the file too.
        """),
        fix=_doc("""
            Fix the syntax at the reported line. Common causes: a second `: ` inside an
            unquoted value (quote the value), tabs used for indentation (use spaces), an
            unquoted value starting with `[`, `{`, `*`, `&`, `@` or `%`, and unbalanced quotes.
            Quote IPv6 networks and subjects such as "[URGENT]".
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: vip-no-autoclose
                action: skip_autoclose
                match: {plan: enterprise}
                description: VIP: never close automatically   # second ": " breaks the line
            ```
            Fixed: `description: "VIP: never close automatically"`
        """),
    ),
    Check(
        "RL002",
        "schema",
        E,
        "A rule or header fails the schema (unknown key, bad type, bad cidr, empty range...).",
        what=_doc("""
            A rule or the file header does not have the documented shape: a required key
            (`rules`, `id`, `action`, `match`) is missing, a key is unknown (the message names
            it, its line and the closest known key), a value has the wrong type, an id does not
            fit `[A-Za-z0-9][A-Za-z0-9._:-]*`, a date is not an ISO date, a cidr is not a
            network, a range is empty, or a value is outside the `values` of an enum field.
        """),
        why=_doc("""
            A rule that fails the schema has no reliable meaning: rulelint cannot tell whether
            it duplicates, covers or shadows another rule, and the target system may reject
            the import or, worse, accept it and ignore the bad part. A misspelled `expire:`
            means nobody is ever reminded that the exception should have ended.
        """),
        fix=_doc("""
            Correct the key or value named in the message; for an unknown key the suggested
            closest key is usually the fix. For an enum value, correct the value or add it to
            the field's `values` in `fields:`. Point your editor at the output of
            `rulelint schema` to see these mistakes as you type.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: jp-old-tickets-sla
                action: extend_sla
                match: {region: JP, ticket_age_days: {range: [30, 7]}}   # empty range
                expire: 2026-12-31                                       # unknown key
            ```
            Fixed: `{range: [7, 30]}` and `expires: 2026-12-31`
        """),
    ),
    Check(
        "RL003",
        "duplicate-key",
        E,
        "A YAML mapping repeats a key.",
        what=_doc("""
            A YAML mapping (the header, a rule, its `match`, or a condition) contains the same
            key twice. Plain YAML loaders such as PyYAML silently keep the last value, so the
            rule does not mean what its first occurrence of the key says.
        """),
        why=_doc("""
            One of the two values is lost without a trace: a `region` condition disappears,
            or a second `match:` replaces the first, and the exception covers other tickets
            than the ones it was requested for. It is usually a copy-paste or merge-conflict
            accident that review does not catch.
        """),
        fix=_doc("""
            Keep one key. If both values were meant, combine them (`region: [JP, KR]`). If
            `id`, `action` or `match` repeats, the entry is probably two rules pasted together:
            split it into two list items, each with its own id.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: apac-extend-sla
                action: extend_sla
                match:
                  region: JP
                  region: KR      # the JP condition is silently dropped
            ```
            Fixed: `match: {region: [JP, KR]}`
        """),
    ),
    Check(
        "RL004",
        "duplicate-id",
        E,
        "Two rules in a ruleset share an id.",
        what=_doc("""
            Two rules in the same ruleset (in one file or in different files of the ruleset)
            have the same `id`. Ids must be unique within a ruleset because suppressions,
            baselines, hit logs, `merged_from`, and `eval`/`test` expectations refer to rules
            by id.
        """),
        why=_doc("""
            The target system may refuse the import or let one rule overwrite the other.
            Hits, reviews and findings are attributed to the wrong rule, so an unused rule can
            look busy and survive every clean-up while it holds a slot.
        """),
        fix=_doc("""
            Rename one of the rules (e.g. add the region or customer to the id). If both are
            the same rule pasted twice, delete one (RL201 confirms they are equivalent).
            Update hit-log exports, rule tests and the baseline that used the old id.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: vip-no-autoclose
                action: skip_autoclose
                match: {plan: enterprise}
              - id: vip-no-autoclose          # same id, different rule
                action: skip_autoclose
                match: {customer_id: C-20417}
            ```
            Fixed: `id: vip-no-autoclose-c20417` on the second rule
        """),
    ),
    Check(
        "RL005",
        "field-kind-conflict",
        E,
        "A match field is used as different kinds (int range here, string there).",
        what=_doc("""
            A field that is not declared in `fields:` takes its kind from all its conditions
            in the ruleset together (a cidr anywhere makes it ip; numbers and ranges make it
            int; true/false bool; anything else string). This finding means its conditions fit
            no single kind: e.g. a `range` in one rule and a `prefix` in another, or a `cidr`
            in one rule and a plain value that is not an address in another.
        """),
        why=_doc("""
            Comparing rules needs one domain per field. With a conflict, rulelint cannot prove
            anything about the rules that use the field, so their duplicates, dead rules and
            merges go unreported; and the target system probably compares one of them
            differently from what its author expects (the text "30" is not the number 30).
        """),
        fix=_doc("""
            Decide what the field holds, declare it in `fields:` (file header or config), e.g.
            `ticket_age_days: {kind: int, min: 0}`, and rewrite the conditions that do not fit:
            numbers and `range`/`gte`/`lt` for int, `prefix`/`glob` only for strings,
            addresses and `cidr` for ip.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: old-tickets-escalate
                action: escalate
                match: {ticket_age_days: {gte: 30}}       # int
              - id: legacy-age-codes
                action: route_to_tier2
                match: {ticket_age_days: {prefix: "9"}}   # string
            ```
        """),
    ),
    # ------------------------------------------------------------------ RL1xx: the cap
    Check(
        "RL101",
        "over-limit",
        E,
        "The ruleset holds more rules than max_rules (or exceeds max_bytes / max_cost).",
        what=_doc("""
            The ruleset holds more rules than `max_rules` (disabled rules count: they still
            take a slot), or its enabled rules serialized as compact JSON are larger than
            `max_bytes`, or the sum of the rules' `cost` (default 1) exceeds `max_cost`. Limits
            come from the file's `limits:`, the config's `rulesets:`, or `--max-rules`.
        """),
        why=_doc("""
            This is the state the target system refuses: "the number of exception rules has
            reached the limit; delete an existing rule to add a new one". The change cannot be
            deployed, and the exception that needed the slot waits while someone decides
            under pressure what to delete.
        """),
        fix=_doc("""
            1. Free slots without changing any decision: `rulelint suggest-merge
               --include-redundant --target N` proposes merges and removals, verified
               equivalent; review them and apply with `--apply`.
            2. Delete rules that are expired (RL401), unused (RL404), duplicate (RL201) or
               shadowed (RL302), after asking their owners.
            3. Raise `max_rules` only if the target system's cap really is higher.
        """),
        example=_doc("""
            ```yaml
            limits: {max_rules: 3}
            rules:
              - {id: jp-escalate, action: escalate, match: {region: JP}}
              - {id: kr-escalate, action: escalate, match: {region: KR}}
              - {id: vip-no-autoclose, action: skip_autoclose, match: {plan: enterprise}}
              - {id: phone-extend-sla, action: extend_sla, match: {channel: phone}}   # 4 of 3
            ```
            Fixed: merge the first two into `{id: apac-escalate, action: escalate,
            match: {region: [JP, KR]}}` (3 of 3).
        """),
    ),
    Check(
        "RL102",
        "near-limit",
        W,
        "The ruleset holds at least warn_ratio x max_rules.",
        what=_doc("""
            The ruleset is still under `max_rules` but holds at least `warn_ratio` x
            `max_rules` rules (with `max_rules: 40, warn_ratio: 0.8`, from 32 rules on). The
            message shows the count, the cap and the ratio.
        """),
        why=_doc("""
            Clean-ups take time: owners must be asked, merges reviewed. Starting when the cap
            is already reached means an urgent exception is blocked meanwhile. This is the
            early warning, while there is still room.
        """),
        fix=_doc("""
            Run `rulelint suggest-merge` to see how many slots merges can free without
            changing any decision, then work through the RL401, RL404, RL201 and RL301
            findings. `rulelint history` shows how fast the set is growing. In CI, keep this
            a warning below the fail level (`--fail-on error`) so pull requests still pass
            while the number stays visible.
        """),
        example=_doc("""
            ```yaml
            ruleset: support-exceptions
            limits: {max_rules: 40, warn_ratio: 0.8}
            rules:
              # ... 34 rules: 34/40 (85%) is above the 80% warning line
            ```
        """),
    ),
    Check(
        "RL103",
        "too-complex",
        W,
        "A rule has more conditions or values than the limits allow.",
        what=_doc("""
            A rule's `match` has more conditions than `max_conditions`, or its conditions list
            more values (the items of a list, `not_in` or `cidr`) than `max_values`. Many
            target systems cap the size of a rule as well as the number of rules.
        """),
        why=_doc("""
            The target system may reject or truncate an oversized rule at import. And a rule
            that packs hundreds of customer ids or a dozen conditions into one slot is hard to
            review: nobody notices when half of it is obsolete.
        """),
        fix=_doc("""
            Split the rule along one field (two rules, each with half of the customer ids);
            drop conditions that narrow nothing (a list of every value of an enum field only
            requires the field to be present); if you set the limits yourself, raise them to
            the target system's real ones.
        """),
        example=_doc("""
            ```yaml
            limits: {max_conditions: 2}
            rules:
              - id: jp-enterprise-chat-sla
                action: extend_sla
                match: {region: JP, plan: enterprise, channel: chat}   # 3 conditions
            ```
        """),
    ),
    Check(
        "RL104",
        "cap-forecast",
        I,
        "At the current growth rate (git history), the cap is reached on a date.",
        what=_doc("""
            From the ruleset's rule count over the git history (as `rulelint history` shows
            it), rulelint projects the growth per week and the date on which the count
            reaches `max_rules`.
        """),
        why=_doc("""
            "85% full" does not say whether the cap is a year away or two weeks away. A date
            lets a team schedule the clean-up before the cap blocks a change, instead of
            after.
        """),
        fix=_doc("""
            Nothing is wrong yet; plan. Look at `rulelint history` for the trend, schedule a
            `rulelint suggest-merge` clean-up before the date, and give temporary exceptions
            an `expires` date so that growth does not become permanent. In CI with shallow
            clones, fetch enough history for the forecast, or ignore RL104 there.
        """),
        example=_doc("""
            support-exceptions: 34/40 rules, +1.5 rules/week over 12 weeks;
            the cap is reached around 2027-01-02.
        """),
    ),
    # ------------------------------------------------------------------ RL2xx: duplicates
    Check(
        "RL201",
        "duplicate-rule",
        E,
        "Two rules have equivalent matches and the same action.",
        what=_doc("""
            Two rules match exactly the same events and have the same action, however they are
            written: list order swapped, `region: JP` vs `region: [JP]`, `range: [0, 30]` vs
            `{gte: 0, lte: 30}`, one /23 vs two adjacent /24s. One of them never changes a
            decision.
        """),
        why=_doc("""
            A whole slot spent on nothing, usually because the same request was filed twice
            or re-added during a migration. Worse, when someone later edits only one copy,
            the other keeps the old behaviour and the edit seems not to work.
        """),
        fix=_doc("""
            Delete one copy, usually the later one; keep the one with the better description
            and move the other's ticket into its `ticket:` list.
            `rulelint suggest-merge --include-redundant` does this and verifies that no
            decision changed.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: apac-extend-sla
                action: extend_sla
                match: {region: [JP, KR]}
              - id: apac-extend-sla-2026
                action: extend_sla
                match: {region: [KR, JP]}     # same events, same action
            ```
            Fixed: delete `apac-extend-sla-2026`.
        """),
    ),
    Check(
        "RL202",
        "duplicate-match-conflict",
        E,
        "Two rules have equivalent matches and different actions.",
        what=_doc("""
            Two rules match exactly the same events but have different actions. In first-match
            the earlier rule always decides and the later one never does; in any-match every
            such event gets both actions. The message includes a witness event.
        """),
        why=_doc("""
            At most one of the two actions is what was asked for, and which one happens is
            decided by position rather than by intent. Someone believes an exception is in
            place that silently does nothing, and it still takes a slot.
        """),
        fix=_doc("""
            Ask both owners which action is intended and delete the other rule. If both are
            right for different tickets, narrow one of the matches so they differ, and put
            the narrower rule first with a lower `priority`.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: enterprise-escalate
                action: escalate
                match: {plan: enterprise}
              - id: enterprise-no-autoclose
                action: skip_autoclose
                match: {plan: [enterprise]}   # same events, other action
            ```
        """),
    ),
    # ------------------------------------------------------------------ RL3xx: coverage
    Check(
        "RL301",
        "redundant",
        W,
        "Removing the rule changes no decision (covered by rules with the same action).",
        what=_doc("""
            Removing the rule would not change the decision for any event. Either every event
            it matches is also matched by other rules with the same action (one rule or
            several together; in first-match, earlier ones), or, in first-match, the rule
            still decides some events but a later rule with the same action would catch all
            of them, with no rule in between that matches them with a different action. The
            message names the covering rules.
        """),
        why=_doc("""
            The rule holds a slot and buys nothing. It is typically a narrow exception added
            after a broader one already existed (enterprise in JP after all enterprise), and
            it misleads readers into thinking it does work.
        """),
        fix=_doc("""
            Delete the rule after checking with its owner that the covering rules are meant
            to stay. Two identical rules are each redundant, so do not delete every RL301
            rule at once: remove one at a time and re-run, or let
            `rulelint suggest-merge --include-redundant` do it. To keep a rule on purpose
            (e.g. it must outlive the broader one), suppress it on its `id:` line:
            `# rulelint: ignore[RL301] kept for when enterprise-no-autoclose expires`.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: enterprise-no-autoclose
                action: skip_autoclose
                match: {plan: enterprise}
              - id: enterprise-jp-no-autoclose
                action: skip_autoclose
                match: {plan: enterprise, region: JP}   # already covered above
            ```
            Fixed: delete `enterprise-jp-no-autoclose`.
        """),
    ),
    Check(
        "RL302",
        "shadowed",
        E,
        "First-match: earlier rules with other actions cover the rule; it never decides.",
        what=_doc("""
            First-match rule sets only: every event the rule matches is matched first by
            earlier rules (lower `priority`, or same priority and earlier in load order), at
            least one of them with a different action, so the rule never decides anything.
            The cover may be joint (two or more earlier rules together); the message names the
            covering rules and gives a witness event on which the rule's own action is not
            the decision.
        """),
        why=_doc("""
            Someone asked for this exception and believes it is in place, but it does nothing,
            and it still takes a slot. It is the most surprising kind of dead rule, which is
            why it is an error.
        """),
        fix=_doc("""
            Decide which action is intended for the overlapping events. If the shadowed rule
            is right, move it ahead with a lower `priority` than the covering rules (then
            re-run: they may become shadowed instead), or exclude its events from the earlier
            rules with `not_in`. If the earlier rules are right, delete the shadowed rule.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: apac-escalate
                action: escalate
                match: {region: [JP, KR]}
              - id: de-escalate
                action: escalate
                match: {region: DE}
              - id: jp-de-no-autoclose
                action: skip_autoclose
                match: {region: [JP, DE]}   # JP taken by apac-escalate, DE by de-escalate
            ```
            Fixed: `priority: -10` on `jp-de-no-autoclose` (if it should win), or delete it.
        """),
    ),
    Check(
        "RL303",
        "ambiguous-overlap",
        W,
        "Rules in different files overlap with different actions at the same priority.",
        what=_doc("""
            First-match only: two rules in different files of the same ruleset have the same
            `priority`, match some common event, and have different actions. Which one comes
            first, and so which one decides on the overlap, depends on load order, which sorts
            files by path. The message gives a witness event.
        """),
        why=_doc("""
            Renaming or moving a file (`rules/jp.yaml` to `rules/apac/jp.yaml`) silently flips
            the decision for those events, in a change whose diff shows no rule edited.
            Reviewers cannot see it.
        """),
        fix=_doc("""
            Make the order explicit: give the rule that should win a lower `priority`. Or
            narrow one of the rules so that they no longer overlap, or move both into the
            same file, where their order is visible.
        """),
        example=_doc("""
            ```yaml
            # in rules/apac.yaml
              - id: jp-extend-sla
                action: extend_sla
                match: {region: JP}
            # in rules/vip.yaml
              - id: enterprise-escalate
                action: escalate
                match: {plan: enterprise}
            ```
            Witness: {region: JP, plan: enterprise}. Fixed: `priority: -10` on the rule that
            should decide.
        """),
    ),
    Check(
        "RL304",
        "match-all",
        W,
        "A rule with an empty match matches every event.",
        what=_doc("""
            The rule's `match` is empty, so it matches every event. In first-match every
            rule ordered after it can never decide; in any-match its action applies to every
            event.
        """),
        why=_doc("""
            It is usually a half-written rule or a "temporary" catch-all. It changes the
            system's default decision for everything, and in first-match it turns every later
            rule into a dead slot.
        """),
        fix=_doc("""
            Add the conditions the exception was meant for. If a different default really is
            wanted, change the target system's default instead (that frees a slot). If it must
            be a rule, put it last with a high `priority` and suppress on its `id:` line:
            `# rulelint: ignore[RL304] catch-all requested in CS-1234`.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: holiday-freeze
                action: skip_autoclose
                match: {}
            ```
            Fixed: `match: {ticket_age_days: {lt: 14}}`
        """),
    ),
    # ------------------------------------------------------------------ RL4xx: staleness
    Check(
        "RL401",
        "expired",
        W,
        "`expires` is in the past: the rule still takes a slot.",
        what=_doc("""
            The rule's `expires` date is before today (`--today` sets today). Expiry is only
            metadata: the target system keeps applying the rule until someone deletes it, so
            rulelint still treats the rule as matching.
        """),
        why=_doc("""
            Expired rules are the cheapest slots to free and the commonest leftovers, e.g.
            campaign waivers. Until deleted they keep deciding: a refund waiver for a sale that
            ended months ago is still waiving.
        """),
        fix=_doc("""
            Delete the rule if the exception has ended. If it must continue, move `expires`
            forward and update `reviewed` and `ticket` with the reason.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: blackfriday-2025-refund-waiver
                action: waive_fee
                match: {campaign: BLACKFRIDAY-2025}
                expires: 2025-12-31
            ```
        """),
    ),
    Check(
        "RL402",
        "expiring-soon",
        I,
        "`expires` falls within expiring_days.",
        what=_doc("""
            The rule's `expires` date is not yet past but falls within the next
            `expiring_days` days (`staleness.expiring_days` in the config).
        """),
        why=_doc("""
            A heads-up for the owner: delete the rule on the date (a slot back) or extend it
            deliberately, before it turns into an RL401 leftover that keeps deciding.
        """),
        fix=_doc("""
            Nothing to do yet. Plan the deletion for the date, or, if the exception must
            continue, move `expires` forward with a ticket that says why.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: cybermonday-2026-refund-waiver
                action: waive_fee
                match: {campaign: CYBERMONDAY-2026}
                expires: 2026-12-01     # today 2026-11-23, expiring_days 14
            ```
        """),
    ),
    Check(
        "RL403",
        "review-overdue",
        W,
        "The last review is older than review_days.",
        what=_doc("""
            The rule's last review is older than `review_days` (`staleness.review_days` in the
            config). The last review is the `reviewed` date, else the `created` date, else
            the date of the last git change to the rule.
        """),
        why=_doc("""
            Exception lists grow because nobody is asked whether an old exception still
            applies. A recent review date records an owner's decision to keep the rule;
            rules without one are the first candidates for deletion when the cap is near.
        """),
        fix=_doc("""
            Ask the owner. If the rule is still needed, set `reviewed:` to the review date
            (and reference the ticket); if not, delete it. If your review cycle is longer, set
            `staleness: {review_days: ...}` in the config.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: kr-extend-sla
                action: extend_sla
                match: {region: KR}
                reviewed: 2025-03-01     # more than 90 days before today
            ```
            Fixed: `reviewed: 2026-11-20`
        """),
    ),
    Check(
        "RL404",
        "unused",
        W,
        "The hit log shows no hit within unused_days.",
        what=_doc("""
            The hit log (`hits:` in the config, or `--hits`) shows no hit for the rule within
            the last `unused_days` days (`staleness.unused_days`). Rules created less than
            `unused_days` ago are exempt.
        """),
        why=_doc("""
            A rule that never matches real traffic still takes a slot. Unused rules are often
            for customers who have left, retired internal tools, or finished campaigns.
        """),
        fix=_doc("""
            Check that the log covers the whole period (a log that starts last week makes old
            rules look unused). Ask the owner, then delete the rule, or keep it on purpose and
            suppress on its `id:` line with the reason:
            `# rulelint: ignore[RL404] failover only, see runbook DR-7`.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: legacy-helpdesk-allow
                action: allow
                match: {source_ip: {cidr: 10.99.0.0/24}}
            ```
            hits.csv: `legacy-helpdesk-allow,0,2026-02-11` (last hit more than 90 days ago)
        """),
    ),
    # ------------------------------------------------------------------ RL5xx: metadata
    Check(
        "RL501",
        "missing-metadata",
        W,
        "A field named in `require` is missing.",
        what=_doc("""
            A rule lacks a field that the config's `require:` list names (e.g. `description`,
            `owner`, `ticket`), after the file's `defaults:` have been applied.
        """),
        why=_doc("""
            When the cap is reached someone has to decide what to delete. A rule without a
            description or an owner cannot be judged and nobody can be asked about it, so it
            is kept forever, just in case.
        """),
        fix=_doc("""
            Add the field: a description of what the exception does and why, an owner that is
            a team address, a ticket linking the request. Put values shared by every rule in
            the file, such as the owner, in the header's `defaults:` once.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: de-extend-sla
                action: extend_sla
                match: {region: DE}     # no description
            ```
            Fixed: `description: German public holidays pause the SLA clock (CS-2291)`
        """),
    ),
    # ------------------------------------------------------------------ RL6xx: consolidation
    Check(
        "RL601",
        "mergeable",
        I,
        "These rules can be merged into one without changing any decision.",
        what=_doc("""
            A group of rules with the same action (and by default the same owner, enabled and
            expires) can be replaced by one rule that takes exactly the same decisions, for
            example because they differ only in one field (customer ids, adjacent cidrs) and,
            in first-match, no rule between them decides those events differently. The
            message names the group and the slots a merge frees.
        """),
        why=_doc("""
            A merge frees slots with no change in behaviour: the cheapest way to get back
            under the cap. One rule with a list is also easier to review than five near-copies.
        """),
        fix=_doc("""
            Run `rulelint suggest-merge` to see the merged rule, the slots freed and the
            "verified equivalent" check of the whole new rule set; then `--apply` to rewrite
            the files in place, or `--output FILE` to write the new rule set elsewhere. The
            merged rule records `merged_from` and the union of tickets and tags. To keep the
            rules apart on purpose, suppress on their `id:` lines: `# rulelint: ignore[RL601]
            reason`.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: escalate-c10231
                action: escalate
                match: {customer_id: C-10231}
              - id: escalate-c10478
                action: escalate
                match: {customer_id: C-10478}
              - id: escalate-c11902
                action: escalate
                match: {customer_id: C-11902}
            ```
            Fixed: `match: {customer_id: [C-10231, C-10478, C-11902]}` (2 slots freed).
        """),
    ),
    # ------------------------------------------------------------------ RL9xx: rulelint itself
    Check(
        "RL901",
        "unused-suppression",
        I,
        "An inline `# rulelint: ignore[...]` comment suppresses nothing.",
        what=_doc("""
            An inline `# rulelint: ignore[CODES] reason` comment on a rule's `id:` line names
            codes for which that rule has no finding in this run, so the comment (or part of
            it) suppresses nothing.
        """),
        why=_doc("""
            A leftover suppression hides the next real finding of that code on that rule,
            long after the reason in the comment stopped being true. Keeping suppressions
            exact keeps them meaningful.
        """),
        fix=_doc("""
            Remove the unused codes from the comment, or the whole comment if none is left.
        """),
        example=_doc("""
            ```yaml
            rules:
              - id: vip-no-autoclose   # rulelint: ignore[RL404] rarely fires
                action: skip_autoclose
                match: {plan: enterprise}
            ```
            The hit log now shows recent hits, so there is no RL404 to suppress.
            Fixed: `- id: vip-no-autoclose`
        """),
    ),
    Check(
        "RL902",
        "stale-baseline",
        I,
        "A baseline entry matches no current finding.",
        what=_doc("""
            An entry of the `--baseline` file matches no finding of this run: the finding it
            recorded has been fixed, or one of the rules it names was removed or its content
            changed. Fingerprints are built from the code, the ruleset, the rule ids and the
            content of those rules, never from line numbers, so moving a rule does not make
            its entry stale.
        """),
        why=_doc("""
            A baseline should shrink as old findings are dealt with. Stale entries make the
            known debt look larger than it is, and an entry for a deleted rule would silently
            suppress the finding again if the same rule came back.
        """),
        fix=_doc("""
            Rewrite the baseline with `--write-baseline` after checking that only fixed
            findings disappear from it, or delete the stale entries by hand.
        """),
        example=_doc("""
            The baseline holds an RL401 entry for `blackfriday-2025-refund-waiver`; the rule
            has since been deleted, so the entry matches nothing.
        """),
    ),
    Check(
        "RL903",
        "unknown-hit-ids",
        I,
        "The hit log names rule ids that no loaded rule has.",
        what=_doc("""
            The hit log has rows for rule ids that no loaded rule has (in the ruleset given by
            the row's `ruleset` column, when there is one). The unknown ids are reported once;
            the rest of the log is still used.
        """),
        why=_doc("""
            It usually means a rule was renamed or merged (its traffic is now logged under
            another id, so the RL404 result for the new id may be wrong), the log covers
            another ruleset, or some rule files were not among the paths checked.
        """),
        fix=_doc("""
            Check the paths or config `paths:` include every rule file; add a `ruleset` column
            to the log if several rulesets share ids; after a rename or merge, expect old ids
            until the log window has passed, or filter them out of the export.
        """),
        example=_doc("""
            hits.csv:
            ```
            rule_id,hits,last_hit
            vip-no-autoclose,412,2026-11-22
            vip-no-autoclose-old,3,2026-09-14
            ```
            `vip-no-autoclose-old` was renamed; no loaded rule has that id.
        """),
    ),
]


CHECKS: dict[str, Check] = {c.code: c for c in _CHECKS}
BY_NAME: dict[str, Check] = {c.name: c for c in _CHECKS}


def lookup(code_or_name: str) -> Check | None:
    key = code_or_name.strip()
    return CHECKS.get(key.upper()) or BY_NAME.get(key.lower())


def matches_selector(code: str, selectors: Iterable[str]) -> bool:
    """True when ``code`` is named by one of ``selectors`` (codes, prefixes or ``ALL``)."""
    for sel in selectors:
        sel = sel.strip().upper()
        if sel == "ALL" or (sel and code.startswith(sel)):
            return True
    return False


def unknown_selectors(selectors: Iterable[str]) -> list[str]:
    """Selectors that name no check (a typo in ``--select`` is a usage error)."""
    bad = []
    for sel in selectors:
        s = sel.strip().upper()
        if s and s != "ALL" and not any(c.startswith(s) for c in CHECKS):
            bad.append(sel)
    return bad


def is_enabled(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """ruff semantics: a code is on when selected (default: all) and not ignored.

    The more specific selector wins when both name a code (``--select RL3 --ignore RL301``
    turns off RL301 only; ``--ignore RL3 --select RL301`` keeps RL301).
    """
    select = [s for s in select if s.strip()] or ["ALL"]
    best_sel = max((_specificity(s) for s in select if matches_selector(code, [s])), default=-1)
    best_ign = max((_specificity(s) for s in ignore if matches_selector(code, [s])), default=-1)
    return best_sel >= 0 and best_sel > best_ign


def _specificity(sel: str) -> int:
    s = sel.strip().upper()
    return 0 if s == "ALL" else len(s)
