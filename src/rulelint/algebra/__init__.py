"""The exact set algebra: per-kind sets, boxes, box operations, the overlap index, synthesis."""
