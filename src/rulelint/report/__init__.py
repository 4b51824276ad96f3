"""Findings, the check registry and baselines: the data the renderers print."""
