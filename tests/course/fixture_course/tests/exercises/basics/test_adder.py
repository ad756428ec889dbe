import pytest


@pytest.mark.task(1)
def test_adds_positive_numbers(exercise):
    assert exercise.add(2, 3) == 5, "add(2, 3) should be 5"


@pytest.mark.task(2)
def test_adds_negative_numbers(exercise):
    assert exercise.add(-2, -3) == -5, "add(-2, -3) should be -5"
