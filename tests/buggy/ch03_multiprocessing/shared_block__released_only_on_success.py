"""apply_in_place releases the block only when every call of fn succeeded.

The close and unlink follow the pool instead of sitting in a finally: when fn
raises, the exception leaves the function first and the block stays in
/dev/shm. The rest is right.
"""

LOSES = ["released"]

PATCH = [
    (
        "    try:\n        with block.buf.cast(DOUBLE) as shared:\n",
        "    if True:\n        with block.buf.cast(DOUBLE) as shared:\n",
    ),
    (
        "            return shared.tolist()\n    finally:\n        block.close()\n        block.unlink()\n",
        "            result = shared.tolist()\n        block.close()\n        block.unlink()\n        return result\n",
    ),
]
