pytest_plugins = ["course.testing.plugin"]
