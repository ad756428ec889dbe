"""ch07_capstone."""
