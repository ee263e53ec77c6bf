from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("hours.urls")),  # /api/v1/status/, /widget/status/, /quick-exit/
    path("api/v1/", include("booking.api_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("stats.urls")),
    path("staff/", include("staff.urls")),
    path("", include("chatrooms.urls")),
    path("", include("booking.urls")),
]

handler500 = "config.errors.server_error"
