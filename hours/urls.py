from django.urls import path

from . import views

app_name = "hours"
urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/status/", views.status_json, name="status"),
    path("widget/status/", views.widget, name="widget"),
    path("quick-exit/", views.quick_exit, name="quick_exit"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
]
