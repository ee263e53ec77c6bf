"""System checks of the project's own settings (registered by config.apps.ProjectConfig).

``manage.py check --deploy`` fails on keys a deployment must not run with: the development key the
embedded default keeps in ``var/``, and short, monotonous or published keys (config/keys.py).
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import keys


@register(Tags.security, deploy=True)
def check_secret_keys(app_configs=None, **kwargs):
    errors = []
    if getattr(settings, "EMBEDDED_SECRET_KEY", False):
        errors.append(
            Error(
                "SECRET_KEY is not set in the environment: the key in use is the development key kept in var/secret_key.",
                hint=f"Set SECRET_KEY (and CODE_HASH_KEY) to long random values, e.g. {keys.GENERATE_HINT}.",
                id="ajanvaraus.E001",
            )
        )
    else:
        reason = keys.weakness(settings.SECRET_KEY)
        if reason:
            errors.append(
                Error(
                    f"SECRET_KEY must not protect a deployment: {reason}.",
                    hint=f"Set it to a long random value, e.g. {keys.GENERATE_HINT}.",
                    id="ajanvaraus.E002",
                )
            )
    reason = keys.weakness(settings.CODE_HASH_KEY)
    if reason:
        errors.append(
            Error(
                f"CODE_HASH_KEY must not protect a deployment: {reason}.",
                hint=f"Set it to a long random value, e.g. {keys.GENERATE_HINT}, or leave it unset to derive it from SECRET_KEY.",
                id="ajanvaraus.E003",
            )
        )
    if settings.CODE_HASH_KEY == settings.SECRET_KEY:
        errors.append(
            Warning(
                "CODE_HASH_KEY is the same value as SECRET_KEY.",
                hint="Give CODE_HASH_KEY a value of its own when setting up (changing it ends every outstanding code).",
                id="ajanvaraus.W001",
            )
        )
    return errors
