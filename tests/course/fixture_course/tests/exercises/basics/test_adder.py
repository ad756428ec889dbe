import pytest

from course.testing import plain


@pytest.mark.task("positive")
def test_adds_positive_numbers(exercise):
    assert plain(exercise.add(2, 3)) == 5, "add(2, 3) should be 5"


@pytest.mark.task("positive")
def test_adds_fractions(exercise):
    assert plain(exercise.add(0.1, 0.2)) == pytest.approx(0.3), "add(0.1, 0.2) should be about 0.3"


@pytest.mark.task("negative")
def test_adds_negative_numbers(exercise):
    assert plain(exercise.add(-2, -3)) == -5, "add(-2, -3) should be -5"
