"""Settings for Cancellation Review, read from the environment.

Local defaults are safe: an embedded SQLite database and DEBUG off. `make run`
turns DEBUG on for local use only. `DJANGO_ENV=production` requires a secret
key and allowed hosts from the environment and switches on every transport
security setting that `manage.py check --deploy` looks for.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="local")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
    DEBUG = env.bool("DJANGO_DEBUG", default=False)
else:
    # A fixed key is acceptable only because this branch never runs in production.
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY",
        default="local-only-insecure-key-3b1f6c9e2d7a4b8f9e0c1d2a3b4c5d6e7f8a9b0c1d2e3f4a",
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
    DEBUG = env.bool("DJANGO_DEBUG", default=False)

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "import_export",
    "axes",
    "csp",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "django_tasks_rq",
    "django_rq",
    "accounts",
    "forces",
    "reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but a page that polls itself does not keep the session alive (config.middleware).
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After WhiteNoise (static files keep their long lifetime) and the sign-in: private responses are not stored.
    "config.middleware.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Outside the sign-in lockout below, so that the lockout page carries the policy too.
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out sign-in into the service's own lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.web.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database stays usable while an import runs: in WAL mode readers never wait for the writer;
    # every transaction takes the write lock when it begins (IMMEDIATE), so one that would have to write after
    # reading never meets a lock it cannot wait for; and a writer waits up to 20 seconds for the lock instead of
    # failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The lockout backend comes first: a locked-out username and address pair is refused before any password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.SignInLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Compiled GOV.UK Frontend styles, scripts and assets (`make assets`); never committed.
STATICFILES_DIRS = [BASE_DIR / "build" / "static"]
# Uploaded import files wait here for their background job, and are deleted after IMPORT_KEEP_UPLOADS_DAYS. With
# several servers, every web server and worker must see the same folder (a shared volume).
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "uploads")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Outside production, whitenoise serves straight from the build folder; production serves `collectstatic` output.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions end after a working day without activity, and when the browser closes.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Off only for `make serve-prod`, which serves plain HTTP on this computer: browsers and HTTP clients
    # do not send a secure cookie back over plain HTTP, so no one could sign in.
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)

# Content Security Policy: only this service's own scripts, styles, images and fonts. No inline script or
# style is allowed, so an injected <script> or style="" does nothing even if it slipped past escaping.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    },
}

# Sign-in lockout (django-axes): after this many failed sign-ins for one username from one address, that pair is
# refused, even with the right password, until the cool-off has passed or a data steward deletes the lock in
# the data administration pages (Access attempts). Locking the pair, not the username alone, stops someone
# elsewhere from locking a colleague out by guessing at their username.
AXES_FAILURE_LIMIT = env.int("DJANGO_SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_SIGN_IN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
# Sign-ins and sign-outs are kept as access records (accounts.AccessRecord); axes keeps only failures.
AXES_DISABLE_ACCESS_LOG = True
# Requests that pass through this many proxies have their client's address taken from X-Forwarded-For;
# with none, the connecting address is the client's.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# Upload limits: request bodies larger than this are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

DJANGO_TABLES2_TEMPLATE = "includes/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {
    "class": "govuk-table",
    "th": {"class": "govuk-table__header"},
    "td": {"class": "govuk-table__cell"},
}

IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes announces itself and every successful sign-in at INFO; lockouts are WARNING and stay.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# The largest file the decisions and reviews imports accept, in bytes (admin upload and management commands).
IMPORT_MAX_FILE_SIZE = env.int("DJANGO_IMPORT_MAX_FILE_SIZE", default=100 * 1024 * 1024)
# On PostgreSQL, a later decisions import adding at least this many decisions, and at least half as many as are
# stored, builds the two tables' secondary indexes and keys again once after its writes instead of row by row (a
# first load, into empty tables, always does). Either holds the tables for the rest of the import, and waits at most
# IMPORT_BULK_LOCK_TIMEOUT for them before writing row by row instead.
IMPORT_BULK_MIN_ROWS = env.int("DJANGO_IMPORT_BULK_MIN_ROWS", default=10_000)
IMPORT_BULK_LOCK_TIMEOUT = env.str("DJANGO_IMPORT_BULK_LOCK_TIMEOUT", default="5s")

# Actions raised at sign-off are due this many days after it.
ACTION_DUE_DAYS = env.int("DJANGO_ACTION_DUE_DAYS", default=28)
# Whether the published results' open data page and files may be read without signing in; off, they are for
# signed-in users with a role.
RESULTS_PUBLIC = env.bool("DJANGO_RESULTS_PUBLIC", default=False)
# The service's address as people reach it, for links in emails (the daily reminders have no request to read it from).
SITE_URL = env.str("DJANGO_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Email: the reminders go through Django's email framework. Locally they are printed to the console; in production
# set DJANGO_EMAIL_BACKEND to django.core.mail.backends.smtp.EmailBackend and the SMTP settings below.
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Cancellation Review <no-reply@localhost>")

# Background jobs (imports uploaded in the browser) through Django's Tasks API (the django-tasks backport). By
# default the queue is a table of the service's own database, worked by `manage.py db_worker`, so the embedded set-up
# needs no other server. With REDIS_URL set, the queue is RQ on Redis, worked by `manage.py rqworker`, and the caches
# (the import jobs' progress among them) live in Redis too, shared by every server. See docs/background-jobs.md.
REDIS_URL = env.str("REDIS_URL", default="")
TASKS_QUEUE = "imports"
# The longest an import job may run (or wait for another import to finish) before it is given up.
IMPORT_JOB_TIMEOUT = env.int("DJANGO_IMPORT_JOB_TIMEOUT", default=3600)
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [TASKS_QUEUE]}}
    RQ_QUEUES = {TASKS_QUEUE: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": IMPORT_JOB_TIMEOUT}}
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "jobs": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "TIMEOUT": 86_400},
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [TASKS_QUEUE]}}
    RQ_QUEUES = {}
    # A running import keeps its transaction open to the end, so its progress is written outside the database: to
    # files every process on this computer reads.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.path("DJANGO_JOB_PROGRESS_DIR", default=BASE_DIR / "var" / "job-progress"),
            "TIMEOUT": 86_400,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
    }

# Stored import files (and their lists of row errors) are deleted this many days after upload (`tidy_imports`).
IMPORT_KEEP_UPLOADS_DAYS = env.int("DJANGO_IMPORT_KEEP_UPLOADS_DAYS", default=30)
# A running job tells it is alive this often; one silent for IMPORT_JOB_STALE_SECONDS has lost its worker (stopped,
# killed, out of memory) and is marked failed: its transaction was rolled back with the worker's connection.
IMPORT_JOB_HEARTBEAT_SECONDS = env.float("DJANGO_IMPORT_JOB_HEARTBEAT_SECONDS", default=2.0)
IMPORT_JOB_STALE_SECONDS = env.float("DJANGO_IMPORT_JOB_STALE_SECONDS", default=30.0)
