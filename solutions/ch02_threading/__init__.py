"""ch02_threading."""
