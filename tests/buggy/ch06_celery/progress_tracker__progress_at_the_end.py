"""Buggy: progress is reported once, after the last item.

The task works through its items in silence; the client sees "queued" for the
whole run and then "done".
"""

LOSES = ["progress"]

PATCH = [
    ('        self.update_state(state=PROGRESS, meta={"done": 0, "total": len(items)})\n', ''),
    (
        '            results.append(work(item))\n'
        '            self.update_state(state=PROGRESS, meta={"done": len(results), "total": len(items)})',
        '            results.append(work(item))\n'
        '        self.update_state(state=PROGRESS, meta={"done": len(results), "total": len(items)})',
    ),
]
