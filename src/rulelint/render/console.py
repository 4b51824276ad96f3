"""The console every text output is printed through: rich's, with one guard added.

A value from a rule file (a ruleset name, an owner, an action, a witness) may hold control
characters: ESC starts a terminal escape sequence that can recolour, hide or rewrite what a
terminal or a CI log shows, NEL and U+2028 end lines in some viewers, U+202E reorders a
line. Renderers escape the values they interpolate (``util.lines.escape_controls``); this
console escapes whatever text still reaches it (``util.lines.escape_output``), in every
segment of content, before rich adds its own styling. rich's escape codes are made from
styles after that, so colours still work; its control segments (cursor moves) are rich's
own and pass as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from rulelint.util.lines import escape_output


class SafeConsole(Console):
    """``rich.console.Console`` that never writes a control character of content."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(escape_output(seg.text), seg.style, seg.control)
            for seg in buffer
        )
