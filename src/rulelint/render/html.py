"""``rulelint report --html``: an ``overview.data.Overview`` drawn as one self-contained HTML
page (inline CSS, inline SVG charts, a few lines of inline script to sort tables; nothing
fetched from the network, so it opens from a file:// URL and prints).

jinja2 renders the template (``templates/report.html.j2``) with autoescaping on, so rule ids,
owners and messages can never inject markup; the charts come from ``html_charts``. Nothing
here analyses.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rulelint import __version__
from rulelint.render import html_charts

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: f"{v:,}"
    env.filters["pct"] = lambda v: f"{v:.0%}"
    env.filters["slug"] = slug
    env.filters["code_rows"] = lambda cs: [(c.code, c.name, c.severity, c.count) for c in cs]
    env.globals["charts"] = html_charts
    return env


def slug(text: str) -> str:
    """An id-safe form of a ruleset name (unique per page: the names are unique)."""
    return "rs-" + re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower()


def render(overview: Any, *, generated: dt.datetime | None = None) -> str:
    """The page for ``overview`` (an ``overview.data.Overview``)."""
    return _env().get_template("report.html.j2").render(
        ov=overview, version=__version__,
        generated=(generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
    )
