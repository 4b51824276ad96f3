"""Renderers: turn a Report into text for people or machines. They never analyse."""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github", "junit", "markdown", "concise", "gitlab")
_MODULES = {"json": "json_format"}  # format -> module, where the names differ


def load_renderer(fmt: str):
    """The ``render(report) -> str`` function of a machine format."""
    import importlib

    return importlib.import_module(f"rulelint.render.{_MODULES.get(fmt, fmt)}").render


def load_writer(fmt: str):
    """``writer(report)``: the text of a machine format as pieces to write in turn; the
    renderer's ``chunks`` when it makes its text piece by piece, else its ``render`` whole."""
    import importlib

    module = importlib.import_module(f"rulelint.render.{_MODULES.get(fmt, fmt)}")
    chunks = getattr(module, "chunks", None)
    if chunks is not None:
        return chunks
    return lambda report: [module.render(report)]
