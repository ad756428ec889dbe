"""Buggy: every exception is retried.

A ValueError from a bad request is sent again and again, max_retries + 1 times,
and the caller learns about it only after the whole backoff.
"""

LOSES = ["permanent_not_retried"]

PATCH = [("        except TRANSIENT:", "        except Exception:")]
