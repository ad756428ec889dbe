"""Buggy: on a failed transform, run_pipeline raises and walks away.

The tasks are started with create_task and awaited with gather: the first
error comes back at once, while the producer (blocked on a full queue) and the
other consumers are left running, orphaned.
"""

LOSES = ["clean_shutdown"]

PATCH = [
    ("    try:\n"
     "        async with asyncio.TaskGroup() as group:\n"
     "            group.create_task(produce())\n"
     "            for _ in range(workers):\n"
     "                group.create_task(consume())\n"
     "    except ExceptionGroup as failed:\n"
     "        raise failed.exceptions[0] from None\n",
     "    tasks = [asyncio.create_task(produce())] + [asyncio.create_task(consume()) for _ in range(workers)]\n"
     "    await asyncio.gather(*tasks)\n"),
]
