"""`make bench`: every figure as a ratio against an anchor measured in the same run."""
