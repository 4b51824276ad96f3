"""Renderers: turn a Report into text for people or machines. They never analyse."""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github", "junit", "markdown")


def load_renderer(fmt: str):
    """The ``render(report) -> str`` function of a machine format."""
    import importlib

    module = {"json": "json_format"}.get(fmt, fmt)
    return importlib.import_module(f"rulelint.render.{module}").render
