"""Buggy: the timeout also counts the time spent waiting for a slot.

`asyncio.timeout` is opened before `async with slots`, so a URL that waited
for a slot has less time for its fetch, and with many URLs the last ones time
out before they start.
"""

LOSES = ["timeouts"]

PATCH = [
    ("        async with slots:  # given back on every way out, cancellation included\n"
     "            try:\n"
     "                async with asyncio.timeout(timeout):  # opened after the slot: the fetch's own time\n"
     "                    return await fetch(url)\n"
     "            except Exception:  # TimeoutError or the fetch's own error; never CancelledError\n"
     "                return None\n",
     "        try:\n"
     "            async with asyncio.timeout(timeout):\n"
     "                async with slots:\n"
     "                    return await fetch(url)\n"
     "        except Exception:\n"
     "            return None\n"),
]
