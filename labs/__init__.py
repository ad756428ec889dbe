"""labs of the course."""
