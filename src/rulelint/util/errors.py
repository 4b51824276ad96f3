"""The one error type every layer may raise for the user to read."""


class ConfigError(Exception):
    """A usage, configuration or I/O problem: exit code 2, one clear line."""
