"""Mutation operators over the text of a rule file, aimed at the known weak spots.

Each operator takes (text, rng) and returns new text (or the same text when it does not
apply). They work on text, not on parsed data, so comments, quoting and odd bytes survive
and the byte-exactness of ``--apply`` stays testable. ``mutate`` applies 1-3 operators
chosen by a seeded RNG and returns the names it applied (the failure's recipe).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

BREAK_CHARS = ["\u2028", "\u2029", "\x85", "\r", "\r\n", "\n"]
UNICODE = ["é", "e\u0301", "日本語", "\u200b", "\u202e", "😀", "Ａ", "\ufeff", "ǅ", "\u00a0"]
TAGS = ["!!bool", "!!int", "!!timestamp", "!!str", "!!float", "!!null", "!!binary", "!!set"]
TAG_VALUES = ["maybe", '""', "nope", "2026-01-01", "12", "yes", "0x1F", "1e3", "~"]

Op = Callable[[str, random.Random], str]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _value_lines(text: str) -> list[tuple[int, re.Match[str]]]:
    pat = re.compile(r"^(\s*(?:- )?)([A-Za-z_][\w-]*): (.+?)(\r?\n)?$")
    out = []
    for i, line in enumerate(_lines(text)):
        m = pat.match(line)
        if m and not m.group(3).startswith(("{", "[", "#")):
            out.append((i, m))
    return out


def _replace_value(text: str, rng: random.Random, make: Callable[[str, str], str]) -> str:
    lines = _lines(text)
    cands = _value_lines(text)
    if not cands:
        return text
    i, m = rng.choice(cands)
    lines[i] = f"{m.group(1)}{m.group(2)}: {make(m.group(2), m.group(3))}{m.group(4) or ''}"
    return "".join(lines)


def break_in_quoted(text: str, rng: random.Random) -> str:
    """A line break of some kind inside a quoted description (pasted from a web page)."""
    br = rng.choice(BREAK_CHARS[:5])
    quote = rng.choice(['"', "'"])
    s = f"{quote}first part{br}second part{quote}"
    lines = _lines(text)
    idx = [i for i, line in enumerate(lines) if re.match(r"^\s+(description|owner|action): ", line)]
    if idx and rng.random() < 0.7:
        i = rng.choice(idx)
        key = lines[i].split(":", 1)[0]
        end = "\r\n" if lines[i].endswith("\r\n") else "\n"
        lines[i] = f"{key}: {s}{end}"
        return "".join(lines)
    ids = [i for i, line in enumerate(lines) if re.match(r"^\s+- id: ", line)]
    if not ids:
        return text
    i = rng.choice(ids)
    indent = " " * (len(lines[i]) - len(lines[i].lstrip(" ")) + 2)
    lines.insert(i + 1, f"{indent}description: {s}\n")
    return "".join(lines)


def raw_break_chars(text: str, rng: random.Random) -> str:
    """NEL / U+2028 / U+2029 in comments and as line ends."""
    lines = _lines(text)
    if not lines:
        return text
    i = rng.randrange(len(lines))
    br = rng.choice(BREAK_CHARS[:3])
    if rng.random() < 0.5:
        lines.insert(i, f"# pasted{br}text\n")
    else:
        lines[i] = lines[i].rstrip("\r\n") + br + ("\n" if rng.random() < 0.5 else "")
    return "".join(lines)


def line_endings(text: str, rng: random.Random) -> str:
    """CR-only, CRLF, or a mix of endings."""
    plain = text.replace("\r\n", "\n")
    kind = rng.choice(["cr", "crlf", "mixed"])
    if kind == "cr":
        return plain.replace("\n", "\r")
    if kind == "crlf":
        return plain.replace("\n", "\r\n")
    return "".join(line.rstrip("\n") + rng.choice(["\n", "\r\n", "\r"]) if line.endswith("\n") else line
                   for line in _lines(plain))


def explicit_tag(text: str, rng: random.Random) -> str:
    def make(_key: str, value: str) -> str:
        if rng.random() < 0.5:
            return f"{rng.choice(TAGS)} {value}"
        return f"{rng.choice(TAGS)} {rng.choice(TAG_VALUES)}"

    return _replace_value(text, rng, make)


def anchors(text: str, rng: random.Random) -> str:
    """An anchor on one rule's match (or value) and an alias to it in another rule."""
    lines = _lines(text)
    matches = [i for i, line in enumerate(lines) if re.match(r"^\s+match: ", line) or re.match(r"^\s+match:\s*$", line)]
    if len(matches) < 2:
        return text
    a, b = sorted(rng.sample(matches, 2))
    key_a = lines[a].split(":", 1)
    lines[a] = f"{key_a[0]}: &m1{key_a[1] if key_a[1].strip() else key_a[1]}"
    if not key_a[1].strip():
        lines[a] = f"{key_a[0]}: &m1\n"
    # replace b's match by an alias; drop its block body if any
    indent = len(lines[b]) - len(lines[b].lstrip(" "))
    body_end = b + 1
    if not lines[b].split(":", 1)[1].strip():
        while body_end < len(lines) and (len(lines[body_end]) - len(lines[body_end].lstrip(" "))) > indent \
                and lines[body_end].strip():
            body_end += 1
    lines[b : body_end] = [" " * indent + "match: *m1\n"]
    return "".join(lines)


def huge_int(text: str, rng: random.Random) -> str:
    digits = rng.choice([20, 400, 4301, 5000])
    big = "9" * digits
    nums = list(re.finditer(r"(?<![\w.-])-?\d+(?![\w.:/-])", text))
    if nums and rng.random() < 0.7:
        m = rng.choice(nums)
        return text[: m.start()] + big + text[m.end():]
    return _replace_value(text, rng, lambda k, v: big if k in ("priority", "cost") else v)


def deep_nesting(text: str, rng: random.Random) -> str:
    depth = rng.choice([50, 200, 1000, 5000])
    opener, closer = rng.choice([("[", "]"), ("{a: ", "}")])
    val = opener * depth + "x" + closer * depth
    return _replace_value(text, rng, lambda k, v: val)


def unicode_text(text: str, rng: random.Random) -> str:
    u = rng.choice(UNICODE)
    return _replace_value(text, rng, lambda k, v: (f'"{v.strip(chr(34))}{u}"' if k != "id" else v + u))


def duplicate_key(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    cands = _value_lines(text)
    if not cands:
        return text
    i, m = rng.choice(cands)
    indent = m.group(1).replace("-", " ")
    lines.insert(i + 1, f"{indent}{m.group(2)}: {m.group(3)}\n")
    return "".join(lines)


def _rule_blocks(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(head lines, one list of lines per block rule item, tail) for '  - ' items."""
    lines = _lines(text)
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == "rules:")
    except StopIteration:
        return lines, [], []
    head, blocks = lines[: start + 1], []
    item_indent = None
    for line in lines[start + 1 :]:
        m = re.match(r"^(\s*)- ", line)
        if m and (item_indent is None or len(m.group(1)) == item_indent):
            item_indent = len(m.group(1))
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        else:
            head.append(line)
    return head, blocks, []


def reorder_rules(text: str, rng: random.Random) -> str:
    head, blocks, tail = _rule_blocks(text)
    if len(blocks) < 2:
        return text
    i, j = rng.sample(range(len(blocks)), 2)
    blocks[i], blocks[j] = blocks[j], blocks[i]
    return "".join(head + [line for b in blocks for line in b] + tail)


def duplicate_rule(text: str, rng: random.Random) -> str:
    head, blocks, tail = _rule_blocks(text)
    if not blocks:
        return text
    b = list(rng.choice(blocks))
    if rng.random() < 0.7:  # a fresh id: a duplicate rule rather than a duplicate id
        b = [re.sub(r"(- id: |^\s+id: |\{id: )([^,\s}]+)", lambda m: m.group(1) + m.group(2) + "-copy", line)
             for line in b]
    if rng.random() < 0.4:  # another action: a shadowed rule or a conflict
        b = [re.sub(r"(action: )([^,\s}]+)", r"\1other_action", line) for line in b]
    if b and not b[-1].endswith(("\n", "\r")):
        b[-1] += "\n"
    at = rng.randrange(len(blocks) + 1)
    blocks.insert(at, b)
    return "".join(head + [line for bl in blocks for line in bl] + tail)


def remove_cidr(text: str, rng: random.Random) -> str:
    """Drop a cidr condition (the field may stop being ip) or unwrap it to a plain value."""
    hits = list(re.finditer(r"\{\s*cidr:\s*(\[[^\]]*\]|[^},]+)\s*\}", text))
    if not hits:
        return text
    m = rng.choice(hits)
    if rng.random() < 0.5:
        # remove the whole 'field: {cidr: ...}' entry if it is on its own line
        ls = text.rfind("\n", 0, m.start()) + 1
        le = text.find("\n", m.end())
        line = text[ls : le if le != -1 else len(text)]
        if re.match(r"^\s+[\w-]+: \{\s*cidr", line):
            return text[:ls] + text[(le + 1) if le != -1 else len(text):]
    return text[: m.start()] + m.group(1).strip() + text[m.end():]


def unknown_key(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    ids = [i for i, line in enumerate(lines) if re.match(r"^\s+- id: ", line)]
    if not ids:
        return text
    i = rng.choice(ids)
    indent = " " * (len(lines[i]) - len(lines[i].lstrip(" ")) + 2)
    lines.insert(i + 1, f"{indent}{rng.choice(['acton', 'bogus', 'x-note', 'matches'])}: 1\n")
    return "".join(lines)


def flow_style(text: str, rng: random.Random) -> str:
    """Rewrite one block rule in flow style (via PyYAML for that rule only)."""
    import yaml

    head, blocks, tail = _rule_blocks(text)
    if not blocks:
        return text
    i = rng.randrange(len(blocks))
    src = "".join(blocks[i])
    try:
        data = yaml.safe_load(src)
    except Exception:
        return text
    if not isinstance(data, list) or len(data) != 1:
        return text
    try:
        flow = yaml.safe_dump(data[0], default_flow_style=True, width=10**6, allow_unicode=True).strip()
    except Exception:
        return text
    indent = len(src) - len(src.lstrip(" "))
    blocks[i] = [" " * indent + "- " + flow + "\n"]
    return "".join(head + [line for b in blocks for line in b] + tail)


def dates(text: str, rng: random.Random) -> str:
    val = rng.choice(["2026-02-30", "9999-12-31", "0001-01-01", "2026-01-01 10:00:00", "2026-13-01",
                      "2026-1-1", "99999-01-01"])
    key = rng.choice(["created", "reviewed", "expires"])
    def make(k: str, v: str) -> str:
        return val if k in ("created", "reviewed", "expires") or rng.random() < 0.3 else v
    out = _replace_value(text, rng, make)
    if out == text:
        lines = _lines(text)
        ids = [i for i, line in enumerate(lines) if re.match(r"^\s+- id: ", line)]
        if ids:
            i = rng.choice(ids)
            indent = " " * (len(lines[i]) - len(lines[i].lstrip(" ")) + 2)
            lines.insert(i + 1, f"{indent}{key}: {val}\n")
            out = "".join(lines)
    return out


def same_action(text: str, rng: random.Random) -> str:
    """Give every rule one of two actions: many more merges and redundancies."""
    acts = ["allow", "escalate"]
    return re.sub(r"(action: )([^,\s}]+)", lambda m: m.group(1) + rng.choice(acts), text)


def byte_flip(text: str, rng: random.Random) -> str:
    if not text:
        return text
    i = rng.randrange(len(text))
    c = rng.choice([" ", ":", "-", "{", "}", "[", "]", ",", "'", '"', "#", "&", "*", "!", "|", ">",
                    "\t", "\n", "0", "a", "\\", "%", "@", "`"])
    op = rng.random()
    if op < 0.4:
        return text[:i] + c + text[i + 1 :]
    if op < 0.7:
        return text[:i] + c + text[i:]
    return text[:i] + text[i + 1 :]


def line_splice(text: str, rng: random.Random) -> str:
    """Delete, duplicate or move a line."""
    lines = _lines(text)
    if len(lines) < 2:
        return text
    i = rng.randrange(len(lines))
    op = rng.random()
    if op < 0.4:
        del lines[i]
    elif op < 0.7:
        lines.insert(i, lines[i])
    else:
        line = lines.pop(i)
        lines.insert(rng.randrange(len(lines) + 1), line)
    return "".join(lines)


def priorities(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    ids = [i for i, line in enumerate(lines) if re.match(r"^\s+- id: ", line)]
    if not ids:
        return text
    i = rng.choice(ids)
    indent = " " * (len(lines[i]) - len(lines[i].lstrip(" ")) + 2)
    lines.insert(i + 1, f"{indent}priority: {rng.choice([-10, -1, 0, 1, 5, 100])}\n")
    return "".join(lines)


def kind_trap(text: str, rng: random.Random) -> str:
    """Rules whose removal would change a field's inferred kind: the only cidr on a field
    sits in a redundant rule, and another rule has not_in on that field (once the field is
    a string, not_in matches words and other spellings of the address)."""
    f = rng.choice(["src", "trap_ip"])
    tail = (
        f"  - id: trap-cidr\n    action: allow\n    match:\n      {f}: {{cidr: 10.0.0.0/8}}\n      trap: on\n"
        f"  - id: trap-all\n    action: allow\n    match:\n      trap: on\n"
        f"  - id: trap-not\n    action: deny\n    match:\n      {f}: {{not_in: [\"2001:db8::1\"]}}\n"
    )
    if not text.endswith(("\n", "\r")):
        text += "\n"
    return text + tail


def defaults_header(text: str, rng: random.Random) -> str:
    """A ``defaults:`` header (metadata, but also action / priority / enabled)."""
    line = rng.choice(["defaults: {priority: 5}\n", "defaults: {enabled: false}\n",
                       "defaults: {action: allow}\n", "defaults: {owner: x@example.com, priority: -1}\n"])
    m = re.search(r"^rules:", text, re.M)
    if not m:
        return text
    return text[: m.start()] + line + text[m.start():]


# plain ids YAML 1.1 reads as something else: sexagesimal, hex, octal, bools, floats, dates
TYPED_IDS = ["12:30", "0x1F", "007", "1_000", "on", "yes", "No", "1.5", "2026-01-01", "null", "~"]


def typed_ids(text: str, rng: random.Random) -> str:
    """Give one or two rules an id YAML 1.1 reads as a number, bool, date or null (an id is
    the text as written; only an empty one is no id)."""
    lines = _lines(text)
    ids = [i for i, ln in enumerate(lines) if re.match(r"^\s*(?:- )?id: [^{\[]", ln)]
    for i in rng.sample(ids, min(len(ids), rng.choice([1, 2]))):
        lines[i] = re.sub(r"id: [^\s#]+", "id: " + rng.choice(TYPED_IDS), lines[i], count=1)
    return "".join(lines)


# control characters that are not line breaks but must not reach a terminal as themselves
CONTROLS = ["\\e[31m", "\\x9b", "\\0", "\\a", "\\u202e", "\\x7f", "\\u2066"]


def controls_in_quoted(text: str, rng: random.Random) -> str:
    """ESC, CSI, NUL, BEL, an RTL override in a double-quoted value a message quotes."""
    c = rng.choice(CONTROLS)
    return _replace_value(
        text, rng, lambda k, v: v if k == "id" else f'"{v.strip(chr(34))[:20]}{c}x"')


OPERATORS: dict[str, Op] = {
    "typed_ids": typed_ids,
    "controls_in_quoted": controls_in_quoted,
    "defaults_header": defaults_header,
    "kind_trap": kind_trap,
    "break_in_quoted": break_in_quoted,
    "raw_break_chars": raw_break_chars,
    "line_endings": line_endings,
    "explicit_tag": explicit_tag,
    "anchors": anchors,
    "huge_int": huge_int,
    "deep_nesting": deep_nesting,
    "unicode_text": unicode_text,
    "duplicate_key": duplicate_key,
    "reorder_rules": reorder_rules,
    "duplicate_rule": duplicate_rule,
    "remove_cidr": remove_cidr,
    "unknown_key": unknown_key,
    "flow_style": flow_style,
    "dates": dates,
    "same_action": same_action,
    "byte_flip": byte_flip,
    "line_splice": line_splice,
    "priorities": priorities,
}


def mutate(text: str, rng: random.Random, ops: list[str] | None = None) -> tuple[str, list[str]]:
    names = ops if ops is not None else [rng.choice(sorted(OPERATORS)) for _ in range(rng.choice([1, 1, 2, 3]))]
    for name in names:
        text = OPERATORS[name](text, rng)
    return text, names
