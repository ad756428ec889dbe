"""The toolkit's tests grade a tiny fixture course; its graded tests are not part of this suite."""

pytest_plugins = ["pytester"]

collect_ignore = ["fixture_course", "hostile"]
