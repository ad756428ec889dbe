"""exercises of the course."""
