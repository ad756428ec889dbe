"""solutions of the course."""
