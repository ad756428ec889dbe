"""The toolkit's tests grade a tiny fixture course; its graded tests are not part of this suite."""

collect_ignore = ["fixture_course", "hostile"]
