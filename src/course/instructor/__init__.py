"""What an instructor hands out: a student release of the course and a Gradescope package."""
