pytest_plugins = ["course.pytest_plugin"]
