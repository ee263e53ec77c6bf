"""The floors (docs/architecture.md): an app imports only apps on floors below it; news travels up by
signals. Read from the source with ``ast``, so a new upward import fails here before it ships."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {
    "booking": 0,
    "chatrooms": 1,
    "hours": 1,
    "stats": 1,
    "dropin": 2,
    "letters": 2,
    "staff": 3,
    "demo": 5,  # the demo data: may use everything, settings helpers included
    "config": 4,
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in FLOORS)
    return found


def app_sources():
    for app in FLOORS:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


@pytest.mark.parametrize("app, path", list(app_sources()), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v)
def test_no_import_points_up_or_sideways(app, path):
    floor = FLOORS[app]
    wrong = sorted(other for other in imported_apps(path) if other != app and FLOORS[other] >= floor)
    assert not wrong, f"{path.relative_to(ROOT)} (floor {floor}) imports {wrong}: send a signal instead"


def test_booking_is_at_the_bottom():
    """The bottom floor names no other app of the project at all, not even in strings that load one."""
    for path in (ROOT / "booking").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for other in ("staff.", "chatrooms.", "hours.", "stats."):
            assert f'"{other}' not in text and f"'{other}" not in text, f"{path.relative_to(ROOT)} refers to {other}"
