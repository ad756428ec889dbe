"""ch01_concepts."""
