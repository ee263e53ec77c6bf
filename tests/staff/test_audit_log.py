"""The audit log in the admin (issue 13 #17): details are whole (never clipped) and in the reader's
language; ``audit.log`` keeps its keyword interface."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from staff import audit
from staff.models import AuditEntry, User
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_worker):
    return make_worker("Ylläpito", role=User.Role.ADMIN)


def test_a_long_summary_is_kept_whole(admin_user, worker):
    text = "Moved 40 appointments: " + ", ".join(f"#{n} 10.00 → 11.00" for n in range(40))
    assert len(text) > 300
    entry = audit.log(actor=admin_user, action="move", summary=text, target_worker=worker)
    entry.refresh_from_db()
    assert entry.summary == text and entry.target_worker == worker and entry.details == {}


def test_admin_reads_export_details_whole_and_in_their_language(client, service, admin_user, make_worker):
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    staff_login(client, coordinator)
    assert client.get(f"/staff/reports/tilastot.csv?start={start}&end={end}&service={service.pk}").status_code == 200
    entry = AuditEntry.objects.get(action="export")

    client.cookies.clear()
    staff_login(client, admin_user)
    listing = BeautifulSoup(client.get("/admin/staff/auditentry/").content, "html.parser")
    row = listing.select_one("#result_list tbody tr").get_text(" ", strip=True)
    assert "Koordinaattori" in row
    assert "Muoto: CSV" in row and "Alkaen: 1.1.2026" in row and "Asti: 31.3.2026" in row
    assert f"Palvelu: {service.name}" in row and "Pienet määrät piilotettu: Ei" in row

    detail = client.get(f"/admin/staff/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200
    text = BeautifulSoup(detail.content, "html.parser").select_one("#content").get_text(" ", strip=True)
    assert "Alkaen: 1.1.2026" in text and entry.summary in text

    client.cookies["django_language"] = "en"
    english = BeautifulSoup(client.get("/admin/staff/auditentry/").content, "html.parser")
    row = english.select_one("#result_list tbody tr").get_text(" ", strip=True)
    assert "Format: CSV" in row and "From: 1.1.2026" in row and "Small counts hidden: No" in row


def test_admin_list_shows_a_long_summary_whole(client, admin_user):
    text = "Handed over the day: " + "; ".join(f"appointment {n} to Sanna" for n in range(30))
    audit.log(actor=admin_user, action="hand_over", summary=text)
    staff_login(client, admin_user)
    listing = BeautifulSoup(client.get("/admin/staff/auditentry/").content, "html.parser")
    assert text in listing.select_one("#result_list tbody tr").get_text(" ", strip=True)
