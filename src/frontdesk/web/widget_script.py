"""The widget's one classic script, joined from its source files when first served.

A business embeds the widget with one <script> tag, so it ships as one file with no module
loader. The files in frontdesk/static/widget/src/ are pieces of a single function body: they
are joined in ORDER inside one IIFE, where they share one scope and nothing leaks onto the
host page. No Node, no bundler, nothing generated to commit; ORDER is the whole module
system, and a file left out of it is an error rather than a silently missing piece.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable

SOURCES = resources.files("frontdesk") / "static" / "widget" / "src"

# A file may use what an earlier file declares; element.js runs the widget, so it comes last.
ORDER = (
    "boot.js",  # finds the <script> tag and its agent key, or stops
    "helpers.js",
    "storage.js",
    "api.js",
    "styles.js",
    "markup.js",
    "config.js",
    "panel.js",
    "composer.js",
    "delivery.js",
    "conversation.js",
    "feedback.js",
    "messages.js",
    "forms.js",
    "typing.js",
    "connection.js",
    "element.js",
)

HEADER = """\
/* Frontdesk chat widget.
 *
 * Embed with:
 *   <script src="https://your-frontdesk-server/widget.js" data-agent="PUBLIC_KEY" async></script>
 *
 * A single classic script, no dependencies. It defines <frontdesk-widget>, renders into an
 * open shadow root and talks to the server the script was loaded from (see docs/live-api.md).
 *
 * Joined by the server (frontdesk/web/widget_script.py) from the files of
 * frontdesk/static/widget/src/, in order, inside this one function.
 */
(function () {
  'use strict';
"""

FOOTER = "})();\n"


@cache
def widget_script() -> str:
    """The script served at /widget.js (built once per process)."""
    return join(SOURCES)


def join(sources: Traversable) -> str:
    """HEADER, each source file indented into the IIFE in ORDER, FOOTER."""
    present = {entry.name for entry in sources.iterdir() if entry.name.endswith(".js")}
    if present != set(ORDER):
        missing, unlisted = sorted(set(ORDER) - present), sorted(present - set(ORDER))
        raise RuntimeError(
            f"widget/src does not match ORDER: missing {missing}, unlisted {unlisted}"
        )
    parts = [HEADER]
    for name in ORDER:
        text = (sources / name).read_text(encoding="utf-8")
        parts.append(f"\n  // {'-' * 64} {name}\n\n")
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        parts.append("".join(f"  {line}" if line.strip() else line for line in lines))
    parts.append(FOOTER)
    return "".join(parts)
