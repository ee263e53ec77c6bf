from django.urls import path

from . import staff_views, views

app_name = "letters"
urlpatterns = [
    # Parents
    path("letters/", views.write, name="write"),
    path("letters/sent/", views.sent, name="sent"),
    path("letters/sent/done/", views.sent_done, name="sent-done"),
    path("letters/read/", views.read, name="read"),
    path("letters/read/print/", views.print_view, name="print"),
    path("letters/privacy/", views.privacy, name="privacy"),
    # Staff (under /staff/: the two-factor middleware covers these)
    path("staff/letters/", staff_views.inbox, name="inbox"),
    path("staff/letters/<int:thread_id>/", staff_views.thread_page, name="thread"),
    path("staff/letters/<int:thread_id>/record/", staff_views.record, name="record"),
]
