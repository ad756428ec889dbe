"""The converters pickle the Reading and send the pickle as base64.

It round-trips, but the way back unpickles whatever a client sent: a crafted
pickle runs any code it likes in the server (remote code execution). That is
exactly why Pyro5 dropped pickle. Send plain fields and rebuild the object
from them, checking each one.
"""

LOSES = ["to_dict", "from_dict"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "import base64\n",

        "import base64\nimport pickle\n",
    ),
    (
        "    return {\n"
        "        \"__class__\": CLASS_NAME,\n"
        "        \"sensor\": reading.sensor,\n"
        "        \"values\": [float(value) for value in reading.values],\n"
        "        \"raw\": base64.b64encode(reading.raw).decode(\"ascii\"),\n"
        "    }\n",

        "    return {\"__class__\": CLASS_NAME, \"pickle\": base64.b64encode(pickle.dumps(reading)).decode(\"ascii\")}\n",
    ),
    (
        "def reading_from_dict(classname: str, data: dict[str, Any]) -> Reading:\n",

        "def reading_from_dict(classname: str, data: dict[str, Any]) -> Reading:\n"
        "    if \"pickle\" in data:\n"
        "        return pickle.loads(base64.b64decode(data[\"pickle\"]))\n",
    ),
]
