"""The learner's loop: recorded progress (`progress`) and re-checking on save (`watch`)."""
