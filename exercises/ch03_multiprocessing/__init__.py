"""ch03_multiprocessing."""
