"""Settings for the appointment chat.

Every value that differs between machines is read from the environment here, and only here,
through one django-environ ``env`` object. Without any environment the app runs on the embedded
default: SQLite, the in-memory channel layer, and Celery on a filesystem transport.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# No key in the code (config/keys.py): a deployment (a public https SITE_URL) must set SECRET_KEY,
# the embedded default makes one on first start and keeps it in var/secret_key.
SECRET_KEY, EMBEDDED_SECRET_KEY = keys.secret_key(env.str("SECRET_KEY", default=""), site_url=SITE_URL, var_dir=VAR_DIR)
# Codes are stored as HMAC-SHA256 keyed with this; rotating it kills every outstanding code.
# Not given: derived from SECRET_KEY for this one purpose.
CODE_HASH_KEY = keys.code_hash_key(env.str("CODE_HASH_KEY", default=""), secret_key=SECRET_KEY, site_url=SITE_URL)
SECURE = env.bool("SECURE", default=not DEBUG and SITE_URL.startswith("https://"))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "staff",
    "booking",
    "chatrooms",
    "stats",
    "demo",  # top floor: seed_demo and the demo history; may import any app
    "config.apps.ProjectConfig",  # the project's own system checks (config/checks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.FinnishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "staff.middleware.RequireStaffMFAMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "config.context_processors.service_numbers",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two bookings can never interleave their
    # read-then-write; the timeout lets the loser wait instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not shared-cache memory, so that tests with threads and a live server see real locking.
    # TEST_DATABASE_NAME lets two suites run side by side on one checkout without sharing a file.
    DATABASES["default"].setdefault("TEST", {"NAME": env.str("TEST_DATABASE_NAME", default=str(VAR_DIR / "test-db.sqlite3"))})
elif env.bool("DB_POOL", default=True):
    # Under ASGI every request runs in its own thread, so persistent connections pile up (one per
    # thread) until PostgreSQL refuses with "too many clients" (bench/booking_rush.py found it).
    # A bounded psycopg pool per process makes the surplus wait for a connection instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=20),
        "timeout": env.int("DB_POOL_TIMEOUT", default=20),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery broker ---------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's blocking
    # pop: an idle socket's consumer then died with TimeoutError (bench/chat_load.py). 10 s leaves a
    # margin.
    _redis_hosts = [{"address": REDIS_URL, "socket_timeout": 10, "socket_connect_timeout": 5, "health_check_interval": 15}]
    CHANNELS_LAYER = env.str("CHANNELS_LAYER", default="pubsub")
    if CHANNELS_LAYER == "pubsub":
        # Redis pub/sub: one PUBLISH a message, pushed to the subscribers; far lower latency at
        # 500 msg/s than the list layer (docs/benchmarks.md §3). Consumers are told when their
        # subscription broke, so their clients replay from the database (chatrooms/layers.py).
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "chatrooms.layers.ResilientPubSubChannelLayer",
                "CONFIG": {"hosts": _redis_hosts, "prefix": env.str("CHANNELS_PREFIX", default="ajv")},
            }
        }
    elif CHANNELS_LAYER == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": _redis_hosts,
                    "prefix": env.str("CHANNELS_PREFIX", default="ajv"),
                    # All consumers of one daphne process share ONE Redis list, and group_send silently
                    # drops a message when that list holds `capacity` (default 100): under a burst a live
                    # socket missed messages (bench/chat_load.py, 200 msg/s). 1000 = seconds of backlog;
                    # much more let a backlog near saturation never drain (docs/benchmarks.md).
                    "capacity": env.int("CHANNELS_CAPACITY", default=1000),
                    "expiry": 60,
                },
            }
        }
    else:
        raise ImproperlyConfigured(f"CHANNELS_LAYER must be 'pubsub' or 'core', not {CHANNELS_LAYER!r}")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "Europe/Helsinki"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    _queue_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir),
        "store_processed": False,
        "control_folder": str(_queue_dir / "control"),
    }
else:
    # A task whose worker died unacknowledged is handed out again after this long (acks_late).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# --- Auth: staff only, through django-allauth -----------------------------------------------
AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "staff:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "staff.adapters.StaffAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
# Every form that checks a password is limited like the sign-in: wrong passwords at sign-in (the
# admin signs in here too, config/urls.py), and for a signed-in session the password asked again
# before security changes and the old password when changing it. TOTP codes count as sign-in failures.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,10/15m/key",
    "login": "30/m/ip",
    "reauthenticate": "5/5m/user",
    "change_password": "5/5m/user",
}
ACCOUNT_SESSION_REMEMBER = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "MLL ajanvarauschat"
MFA_ADAPTER = "staff.adapters.StaffMFAAdapter"
# A right TOTP code used a second time is refused saying so, not as "Incorrect code".
MFA_FORMS = {"authenticate": "staff.mfa_forms.AuthenticateForm", "reauthenticate": "staff.mfa_forms.ReauthenticateForm"}
# Every staff account must set up TOTP before any staff page or chat works, and a session counts as
# signed in only after it passed the code (docs/security.md, "Two-factor authentication"). Only a
# local demo may turn this off; a deployment never should.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The embedded default logs that a mail went out, never the address or the text (config/mail.py).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="config.mail.NoticeEmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ajanvaraus@localhost")
# The SMTP server, when EMAIL_BACKEND is Django's SMTP backend (production).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Helsinki"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
# Gone when the browser closes (Django's default is a year): a parent's browser keeps no trace of us.
CSRF_COOKIE_AGE = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_SSL_REDIRECT = SECURE and env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
# "same-origin", not "no-referrer": under no-referrer browsers send `Origin: null` on form POSTs, and
# Django's CSRF origin check then refuses every form. Other sites still get no referrer at all.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Sites allowed to frame the public widget (frame-ancestors); everything else is DENY.
EMBED_ORIGINS = env.list("EMBED_ORIGINS", default=["https://www.vanhempainnetti.fi", "https://www.mll.fi"])
# Other sites whose pages may call the booking API from a parent's browser (CORS). A POST from any
# other Origin is refused (403), and a POST must be application/json (415), so a foreign page cannot
# make its visitors' browsers book times.
API_ORIGINS = env.list("API_ORIGINS", default=EMBED_ORIGINS)

from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF, "ws:" if not SECURE else "wss:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- The server process (config/serve.py, `python -m config.serve`) ------------------------
# daphne on uvloop's event loop.
SERVER_UVLOOP = env.bool("SERVER_UVLOOP", default=True)
# Log, every 10 s, the garbage collector's collections and longest stops in the server process, and
# each time its event loop was held 30 ms or more.
SERVER_GC_STATS = env.bool("SERVER_GC_STATS", default=False)

# --- Domain knobs ---------------------------------------------------------------------------
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=2000)
# Log how the chat's group commit batches messages and where their time goes (chatrooms/groupcommit.py;
# bench/chat_load.py turns it on and prints the lines).
CHAT_GROUP_COMMIT_STATS = env.bool("CHAT_GROUP_COMMIT_STATS", default=False)
# Flood guard per connection: a burst of this many messages, then this many per second.
CHAT_MESSAGE_BURST = env.int("CHAT_MESSAGE_BURST", default=10)
CHAT_MESSAGES_PER_SECOND = env.float("CHAT_MESSAGES_PER_SECOND", default=2.0)
# A code opens the chat this many minutes before the start ...
JOIN_EARLY_MINUTES = env.int("JOIN_EARLY_MINUTES", default=10)
# ... and the session counts as over this long after its scheduled end, unless ended earlier.
SESSION_GRACE_MINUTES = env.int("SESSION_GRACE_MINUTES", default=15)
# Code entry: after this many wrong codes from one client in the window, entry is refused.
CODE_ATTEMPTS_LIMIT = env.int("CODE_ATTEMPTS_LIMIT", default=10)
CODE_ATTEMPTS_WINDOW_SECONDS = env.int("CODE_ATTEMPTS_WINDOW_SECONDS", default=900)
# New bookings per client per hour (web and API): one person cannot book out a week of times.
BOOKINGS_PER_CLIENT_PER_HOUR = env.int("BOOKINGS_PER_CLIENT_PER_HOUR", default=5)
# Follow-ups pending (booked, not yet held) from one appointment, whichever way they were booked.
FOLLOW_UPS_OPEN_PER_BOOKING = env.int("FOLLOW_UPS_OPEN_PER_BOOKING", default=2)
# A re-posted booking form or a repeated API call with the same Idempotency-Key finds its booking
# this long after it was made; then the key and the sealed code are forgotten.
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=24)
# How long after it closes a chat's messages and the parent's free text are deleted.
PURGE_AFTER_MINUTES = env.int("PURGE_AFTER_MINUTES", default=60)
# A parent who has not come this long after the start is recorded as a no-show.
NO_SHOW_AFTER_MINUTES = env.int("NO_SHOW_AFTER_MINUTES", default=15)
# The one optional reminder email goes this long before the time.
REMINDER_BEFORE_MINUTES = env.int("REMINDER_BEFORE_MINUTES", default=120)

# --- Scheduled jobs (celery beat; run exactly one beat process) -----------------------------
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "close-overdue-sessions": {"task": "chatrooms.tasks.close_overdue_sessions", "schedule": 60.0},
    "mark-no-shows": {"task": "chatrooms.tasks.mark_no_shows", "schedule": 60.0},
    "purge-chat-content": {"task": "chatrooms.tasks.purge_chat_content", "schedule": 60.0},
    "send-reminders": {"task": "booking.tasks.send_reminders", "schedule": 60.0},
    "forget-idempotency": {"task": "booking.tasks.forget_idempotency", "schedule": 600.0},
    "worker-digest": {"task": "booking.tasks.send_worker_digests", "schedule": crontab(hour=18, minute=0)},
}

# --- Logging: never IP or email addresses, codes or message text -----------------------------
# One console handler with the scrubber (config/logging.py) for every logger: Django's, ours, and
# Celery's worker and beat (config/celery.py hands their logging to this dict).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_ip": {"()": "config.logging.DropPersonalDataFilter"}},
    "formatters": {"plain": {"format": "[%(asctime)s: %(levelname)s/%(processName)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_ip"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Daphne's access log and Django's dev-server log carry client addresses: never emitted.
        "daphne.access": {"handlers": [], "propagate": False},
        "django.server": {"handlers": [], "propagate": False},
        "django.channels.server": {"handlers": [], "propagate": False},
        **({"chatrooms.groupcommit": {"level": "INFO"}} if CHAT_GROUP_COMMIT_STATS else {}),
        **({"config.serve": {"level": "INFO"}} if SERVER_GC_STATS else {}),
    },
}

# --- Public pages: status widget and quick exit (hours app) ----------------------------------
INSTALLED_APPS += ["hours"]
# Where the quick-exit button and Escape-twice take the visitor: a neutral page that reveals nothing.
QUICK_EXIT_URL = env.str("QUICK_EXIT_URL", default="https://yle.fi/saa")
# Seconds browsers and proxies may cache the public status (JSON and widget).
STATUS_MAX_AGE = env.int("STATUS_MAX_AGE", default=60)

# --- Hardening (issue 7) --------------------------------------------------------------------
# Code entry is slowed before it is refused: from this many wrong codes on, the next attempt must
# wait CODE_ATTEMPTS_DELAY_SECONDS * 2**(n - this) seconds (booking/ratelimit.py).
CODE_ATTEMPTS_SLOWDOWN_AFTER = env.int("CODE_ATTEMPTS_SLOWDOWN_AFTER", default=3)
CODE_ATTEMPTS_DELAY_SECONDS = env.int("CODE_ATTEMPTS_DELAY_SECONDS", default=2)

# --- Letter service (letters app, issue 12) --------------------------------------------------
INSTALLED_APPS += ["letters"]
# The answer is promised within this many days of the parent's letter (said before sending).
LETTER_ANSWER_DAYS = env.int("LETTER_ANSWER_DAYS", default=7)
# A thread and everything in it are deleted this many days after the answer, the closing or the flag.
LETTER_KEEP_DAYS = env.int("LETTER_KEEP_DAYS", default=30)
# Longest letter (the parent's and the answer), in characters.
LETTER_MAX_CHARS = env.int("LETTER_MAX_CHARS", default=5000)
# Letters a parent may write in one thread after the first (each after an answer).
LETTER_FOLLOW_UPS = env.int("LETTER_FOLLOW_UPS", default=1)
# New letters per client per hour (page and API).
LETTERS_PER_CLIENT_PER_HOUR = env.int("LETTERS_PER_CLIENT_PER_HOUR", default=3)
# Volunteers' answers are always approved by a professional first; this asks it of workers' too.
LETTER_REVIEW_WORKERS = env.bool("LETTER_REVIEW_WORKERS", default=False)
CELERY_BEAT_SCHEDULE["purge-letters"] = {"task": "letters.tasks.purge_letters", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["send-letter-notices"] = {"task": "letters.tasks.send_letter_notices", "schedule": 60.0}

# --- Drop-in chat (dropin app, issue 11) ------------------------------------------------------
INSTALLED_APPS += ["dropin"]
# No new entries this many minutes before the drop-in chat closes (rejoining with a code still works).
DROPIN_LAST_ENTRY_MINUTES = env.int("DROPIN_LAST_ENTRY_MINUTES", default=15)
# A parent whose connection dropped (or who closed the tab) keeps their place in the queue, or their
# chat, this long; with the code they get back in. After it, they have left.
DROPIN_REJOIN_GRACE_MINUTES = env.int("DROPIN_REJOIN_GRACE_MINUTES", default=10)
# New queue entries per client per hour (one person or script cannot fill the queue).
DROPIN_ENTRIES_PER_CLIENT_PER_HOUR = env.int("DROPIN_ENTRIES_PER_CLIENT_PER_HOUR", default=5)
# The public status says "a short wait" up to this estimate (minutes), "a long wait" beyond it.
DROPIN_SHORT_WAIT_MINUTES = env.int("DROPIN_SHORT_WAIT_MINUTES", default=15)
# A demo setting: the drop-in chat is open around the clock (every page and the status say so), so
# that a newcomer can try it at any hour. `make run` sets it; a deployment never should.
DROPIN_ALWAYS_OPEN = env.bool("DROPIN_ALWAYS_OPEN", default=False)
CELERY_BEAT_SCHEDULE["dropin-tick"] = {"task": "dropin.tasks.tick", "schedule": 30.0}
