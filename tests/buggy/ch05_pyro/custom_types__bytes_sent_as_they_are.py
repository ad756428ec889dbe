"""The converters put the raw bytes in the dict as they are.

Serpent cannot send bytes as bytes: they travel as a dict {"data": base64
text, "encoding": "base64"}, and the Reading that comes back has that dict
for its raw field. Encode the bytes as base64 text yourself, and decode them
on the way back.
"""

LOSES = ["to_dict", "from_dict", "over_pyro"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        "raw": base64.b64encode(reading.raw).decode("ascii"),\n',

        '        "raw": reading.raw,\n',
    ),
    (
        "    if not isinstance(sensor, str) or not isinstance(raw, str) or not isinstance(values, (list, tuple)):\n",

        "    if not isinstance(sensor, str) or not isinstance(values, (list, tuple)):\n",
    ),
    (
        "    decoded = base64.b64decode(raw, validate=True)  # not base64: binascii.Error, a ValueError\n",

        "    decoded = raw\n",
    ),
]
