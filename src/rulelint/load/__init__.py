"""Loading: which files, the configuration, YAML with lines, the schema, conditions, the project."""
