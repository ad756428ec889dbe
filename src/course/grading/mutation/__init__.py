"""Mutants of a reference solution (`operators`) and the accepted survivors (`survivors`).

`course mutate` (course.grading.mutate) grades each mutant with the normal grader.
"""
