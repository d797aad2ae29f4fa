"""The served widget.js joins static/widget/src/ in order, and that source renders data as text."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from frontdesk.web.widget_script import ORDER, SOURCES, join
from support import ServerThread

WIDGET_SRC = Path(str(SOURCES))


def test_the_served_script_is_every_source_file_in_order(server: ServerThread) -> None:
    served = httpx.get(f"{server.url}/widget.js")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    script = served.text
    assert script.startswith("/* Frontdesk chat widget.") and script.endswith("})();\n")
    position = 0
    for name in ORDER:
        first = next(line for line in (WIDGET_SRC / name).read_text().splitlines() if line.strip())
        found = script.find(f"  {first}", position)
        assert found > position, f"{name} is missing or out of order"
        position = found


def test_a_source_file_left_out_of_the_order_is_an_error(tmp_path: Path) -> None:
    for name in ORDER:
        (tmp_path / name).write_text("// piece\n")
    assert join(tmp_path).count("// piece") == len(ORDER)
    (tmp_path / "extra.js").write_text("// not listed\n")
    with pytest.raises(RuntimeError, match=r"unlisted \['extra.js'\]"):
        join(tmp_path)


def test_only_the_static_template_goes_through_the_html_parser() -> None:
    parsed = []
    for path in sorted(WIDGET_SRC.glob("*.js")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", line):
                parsed.append(f"{path.name}: {line.strip()}")
    assert parsed == ["element.js: root.innerHTML = `<style>${STYLES}</style>${TEMPLATE}`;"]
