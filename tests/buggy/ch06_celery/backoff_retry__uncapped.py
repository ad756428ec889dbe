"""Buggy: the delay is never capped.

After ten retries a client waits base * 1024 seconds; after twenty, days.
"""

LOSES = ["delay", "transient_retried"]

PATCH = [("    return rng.uniform(0, min(cap, base * 2 ** retries))", "    return rng.uniform(0, base * 2 ** retries)")]
