"""``json.dumps(value, indent=2, ensure_ascii=False, default=str)``, several times faster.

With ``indent`` set, the standard library gives up its C encoder and walks the value with
Python generators; a report of 100k findings then costs seconds. This writer walks it with
plain recursion into one list of pieces and encodes every string with the C string encoder.
The output is byte-for-byte the standard library's (tests/test_formats.py compares them):
the same type checks in the same order (str, None, True, False, int, float, list or tuple,
dict, anything else through ``str``), the same number and key spellings, ``,`` between items
and ``": "`` after keys. Only what our reports hold is supported: no ``sort_keys``, no
circular-reference check (report data is a tree).
"""

from __future__ import annotations

import json
from typing import Any

_str = json.encoder.encode_basestring  # the C encoder when available, as json uses it
encode_string = _str  # a string as JSON text (the writers that know their fields use it)
_int = int.__repr__
_float_repr = float.__repr__
_INF = float("inf")


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == _INF:
        return "Infinity"
    if o == -_INF:
        return "-Infinity"
    return _float_repr(o)


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, float):
        return _float(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, int):
        return _int(k)
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _write(o: Any, indent: str, out: list[str]) -> None:
    """Append the JSON text of ``o`` to ``out``; ``indent`` is the current line's indent."""
    if isinstance(o, str):
        out.append(_str(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(_int(o))
    elif isinstance(o, float):
        out.append(_float(o))
    elif isinstance(o, (list, tuple)):
        if not o:
            out.append("[]")
            return
        inner = indent + "  "
        sep = ",\n" + inner
        out.append("[\n" + inner)
        first = True
        for v in o:
            if first:
                first = False
            else:
                out.append(sep)
            if isinstance(v, str):
                out.append(_str(v))
            else:
                _write(v, inner, out)
        out.append("\n" + indent + "]")
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = indent + "  "
        sep = ",\n" + inner
        out.append("{\n" + inner)
        first = True
        for k, v in o.items():
            if first:
                first = False
            else:
                out.append(sep)
            out.append(_str(_key(k)) + ": ")
            if isinstance(v, str):
                out.append(_str(v))
            else:
                _write(v, inner, out)
        out.append("\n" + indent + "}")
    else:
        _write(str(o), indent, out)  # default=str


def dumps(value: Any, indent: str = "") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False, default=str)``; with ``indent``,
    the text of ``value`` where it stands at that indent inside a larger document."""
    out: list[str] = []
    _write(value, indent, out)
    return "".join(out)
