"""Every test gets the course's pytest plugin: the `exercise` fixture, the `task`
marker, start-method fixtures and the leak check (src/course/testing/plugin.py).
pytester lets the toolkit's tests run pytest on throwaway test files."""

pytest_plugins = ["course.testing.plugin", "pytester"]
