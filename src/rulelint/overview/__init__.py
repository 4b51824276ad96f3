"""The overview behind ``rulelint report --html``: one check run and one history walk turned
into plain data per ruleset (headroom, growth, findings by code and owner, the clean-up plan,
the rules that need a decision). Nothing here draws; ``render/html.py`` does."""
