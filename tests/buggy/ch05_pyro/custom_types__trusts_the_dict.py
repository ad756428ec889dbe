"""The way back builds a Reading from whatever dict arrives, without checking it.

A client can send extra fields, a sensor that is a number, a bool among the
values or text that is not base64, and the server takes it as a Reading (or
fails somewhere deep inside). Everything that arrives was written by someone
else: check every field, and refuse with ValueError.
"""

LOSES = ["from_dict"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "    if classname != CLASS_NAME or set(data) != FIELDS or data[\"__class__\"] != CLASS_NAME:\n"
        "        raise ValueError(f\"not a {CLASS_NAME}: {sorted(data)}\")\n",

        "",
    ),
    (
        "    if not isinstance(sensor, str) or not isinstance(raw, str) or not isinstance(values, (list, tuple)):\n"
        "        raise ValueError(\"a Reading needs a str sensor, a list of values and base64 text\")\n"
        "    if not all(type(value) in (int, float) for value in values):\n"
        "        raise ValueError(f\"values must be numbers, got {values!r}\")\n",

        "",
    ),
]
