from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The admin signs in through allauth like everyone else (password, then the TOTP code, with allauth's
# limits on wrong passwords): Django's own admin login form is never shown. A signed-in admin who is
# not staff gets 403; anyone else is sent to /accounts/login/?next=... .
admin.site.login = secure_admin_login(admin.site.login)


def _admin_password_change(request, extra_context=None):
    """The admin's password change is allauth's (its wrong old passwords are limited)."""
    return redirect("account_change_password")


admin.site.password_change = _admin_password_change
admin.site.site_header = admin.site.site_title = _("MLL Parents' Helpline – administration")

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("hours.urls")),  # /api/v1/status/, /widget/status/, /quick-exit/
    path("api/v1/letters/", include("letters.api_urls")),  # the letter service's JSON API
    path("api/v1/", include("booking.api_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("stats.urls")),
    path("", include("dropin.urls")),  # /dropin/ (parents), /staff/dropin/ (the desk, the duty room)
    path("staff/", include("staff.urls")),
    path("", include("chatrooms.urls")),
    path("", include("booking.urls")),
    path("", include("letters.urls")),  # /letters/ (parents), /staff/letters/ (staff)
]

handler500 = "config.errors.server_error"
