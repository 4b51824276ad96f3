"""suggest-merge: the merge planner, removals, the equivalence proof, rewriting files."""
