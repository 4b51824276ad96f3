"""Comparing rules with a git ref: the `--base` filter of check and `rulelint diff`.

Above the engine: both analyse the other side with it."""
