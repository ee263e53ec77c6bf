"""README (issue 13, item 18): each setting is in the configuration table once; a newcomer learns
that `make run` takes HOST and PORT and that the first run needs the package index."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _configuration_table(text: str) -> list[str]:
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = []
    for row in section.splitlines():
        if row.startswith("| `"):
            names += re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    return names


def test_each_setting_is_listed_once():
    names = _configuration_table(README.read_text(encoding="utf-8"))
    assert names and sorted({n for n in names if names.count(n) > 1}) == []


def test_make_run_says_host_port_and_the_package_index():
    text = README.read_text(encoding="utf-8")
    start = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    assert "`HOST`" in start and "`PORT`" in start and "make run PORT=" in start
    assert "package index" in start and "PyPI" in start
