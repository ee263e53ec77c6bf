from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("staff/stats/", views.missing, name="missing"),
    path("staff/stats/<int:booking_id>/", views.record, name="record"),
    path("staff/reports/", views.report_page, name="report"),
    path("staff/reports/tilastot.csv", views.report_csv, name="report-csv"),
    path("feedback/", views.feedback, name="feedback"),
]
