"""Keep the built book offline: a small local Sphinx extension (book/_config.yml loads it).

1. sphinx-thebe (which jupyter-book always loads, even with Thebe off) writes
   `const THEBE_JS_URL = "https://unpkg.com/..."` into every page, twice; the second
   declaration is a SyntaxError in the browser console. Keep one declaration, with
   no off-machine address in it (Thebe is never launched: launch_buttons are off).
2. After a build, any page that would load a script, style sheet, image or frame
   from off the machine is reported as a warning, so a strict build (-W) fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

THEBE_URL = re.compile(r'const THEBE_JS_URL = "[^"]*"')
# Tags that make the browser fetch something, with an absolute http(s) or protocol-relative address.
REMOTE_ASSET = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed|object|link)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"']((?:https?:)?//[^\"']+)",
    re.IGNORECASE,
)
LOCAL_HOSTS = ("//127.0.0.1", "//localhost")


def offline_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    kept, seen = [], False
    for script in scripts:
        attributes = getattr(script, "attributes", None)
        body = attributes.get("body", "") if isinstance(attributes, dict) else ""
        if "THEBE_JS_URL" in body:
            if seen:
                continue
            seen = True
            attributes["body"] = THEBE_URL.sub('const THEBE_JS_URL = ""', body)
        kept.append(script)
    scripts[:] = kept


def check_offline(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        if "_static" in page.relative_to(outdir).parts:
            continue
        for match in REMOTE_ASSET.finditer(page.read_text(encoding="utf-8", errors="replace")):
            address = match.group(1)
            if not any(host in address for host in LOCAL_HOSTS):
                logger.warning(
                    "%s loads %s from off the machine: the book must load offline",
                    page.relative_to(outdir),
                    address,
                    type="offline",
                )


def setup(app):
    app.connect("html-page-context", offline_scripts, priority=900)
    app.connect("build-finished", check_offline)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
