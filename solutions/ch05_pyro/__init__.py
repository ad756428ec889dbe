"""ch05_pyro."""
