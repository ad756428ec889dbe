"""apply_in_place closes the block but never unlinks it.

Every process lets go of its mapping, yet the block stays in /dev/shm after
they have all exited, holding its memory until the machine restarts. The rest
is right.
"""

LOSES = ["released"]

PATCH = [("        block.close()\n        block.unlink()\n", "        block.close()\n")]
