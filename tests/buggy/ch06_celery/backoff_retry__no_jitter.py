"""Buggy: backoff without jitter.

The delay is the bound itself: clients that failed together retry together,
in step, every time.
"""

LOSES = ["delay", "transient_retried", "limited"]

PATCH = [
    ("    return rng.uniform(0, min(cap, base * 2 ** retries))", "    return min(cap, base * 2 ** retries)"),
]
