"""rulelint: a linter and consolidator for capped exception-rule lists."""

__version__ = "0.1.0"
