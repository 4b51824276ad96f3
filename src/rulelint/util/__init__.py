"""Small helpers with no rulelint dependencies: atomic writes, GC pauses, fast exit."""
