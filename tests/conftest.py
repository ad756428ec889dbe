"""Every test gets the course's pytest plugin: the `exercise` fixture, the `task`
marker, start-method fixtures and the leak check (src/course/pytest_plugin.py)."""

pytest_plugins = ["course.pytest_plugin"]
