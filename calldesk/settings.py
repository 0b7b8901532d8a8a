"""Calldesk settings. Zero configuration gives a working site on SQLite; production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS (see README)."""

from __future__ import annotations

from pathlib import Path

from calldesk.lib.envconf import ConfigError, database_from_url, envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("CALLDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
# The fallback key is public (it is in this file): only for tests and `runserver`. `calldesk
# serve` refuses it unless DEBUG is on; scripts/run.sh makes a local key under var/.
PUBLIC_SECRET_KEY = "calldesk-local-only-insecure-key-change-me"
SECRET_KEY = envstr("SECRET_KEY", "") or PUBLIC_SECRET_KEY
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # the API docs page's templates and Swagger UI's files, served by whitenoise
    "calldesk.accounts",
    "calldesk.callforms",
    "calldesk.telephony",
    "calldesk.reports",
    "calldesk.configio",
    "calldesk.configure",
    "calldesk.dashboards",
    "calldesk.ops",
    "calldesk.audit",
    "calldesk.push",
    "calldesk.risk",
    "calldesk.vault",
    "calldesk.callers",
    "calldesk.followups",
    "calldesk.resources",
]

MIDDLEWARE = [
    "calldesk.lib.middleware.CanonicalTelephonyPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "calldesk.lib.middleware.FormCharsetMiddleware",
    "calldesk.lib.inputguard.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "calldesk.accounts.middleware.IdleTimeoutMiddleware",
    "calldesk.accounts.secondfactor.SecondFactorMiddleware",
    "calldesk.accounts.passwords.PasswordChangeRequiredMiddleware",
    "calldesk.accounts.middleware.OrganizationTimezoneMiddleware",
    "calldesk.audit.middleware.AccessAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "calldesk.lib.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "calldesk.urls"
WSGI_APPLICATION = "calldesk.wsgi.application"
ASGI_APPLICATION = "calldesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "calldesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # `|quoted_code` (messages' `quoted` parts as <code>) on every page without a {% load %}.
            # `{% static %}` on every page without a {% load %}: one that skips a walk over the
            # installed apps on every use (lib/static_tag.py; `{% load static %}` would bring
            # back Django's own).
            "builtins": [
                "calldesk.reports.templatetags.calldesk_text",
                "calldesk.lib.urltag",
                "calldesk.lib.static_tag",
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'calldesk.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
# Connections are kept between requests (per server thread): opening one costs more than most
# requests' queries, and on SQLite closing one checkpoints the WAL (docs/serving.md, "Speed").
DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
        # With connections kept open, the WAL is copied back into the database by SQLite's
        # automatic checkpoint (at a commit that finds it over 1000 pages, ~4 MB) instead of at
        # every close; journal_size_limit truncates the WAL file after a checkpoint.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA wal_autocheckpoint=1000; PRAGMA journal_size_limit=67108864;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # A kept connection is checked once per request before its first query (a SELECT 1), so a
    # restarted database costs no request an error; DB_HEALTH_CHECKS=false saves the round trip.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = envbool("DB_HEALTH_CHECKS", True)
    # Server-side parameters let psycopg prepare a statement the 5th time a connection runs it
    # (prepare_threshold; Django turns preparing off unless it is set here), so PostgreSQL plans
    # each of Calldesk's queries once per connection instead of on every execution: planning
    # the report's 7-table read cost more than running it. Off for a pooler in transaction mode
    # (PgBouncer before 1.21), which cannot keep prepared statements.
    server_side_binding = envbool("DB_SERVER_SIDE_BINDING", True)
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": server_side_binding,
        "prepare_threshold": 5 if server_side_binding else None,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "calldesk.accounts.backends.UserWithOrganizationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts-login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
# The idle timeout is per organization (accounts.middleware); this is only the outer bound.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_ENGINE = "calldesk.accounts.sessions"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# HSTS: browsers use HTTPS only for this long once they saw the header over HTTPS. Start low
# (e.g. 3600) and raise it to a year (31536000) once HTTPS works everywhere.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    # W021 asks for HSTS preload: that invites browsers to hard-code HTTPS for the whole domain,
    # a decision for the domain's owner (SECURE_HSTS_PRELOAD=true), not a default of this app.
    "security.W021",
]
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front append to X-Forwarded-For (calldesk.lib.clientaddr); the
# documented setup has one TLS proxy. 0: the connection's own address is the client's.
TRUSTED_PROXIES = envint("TRUSTED_PROXIES", 1 if BEHIND_TLS_PROXY else 0)

# Throttled password guessing (calldesk.accounts.throttle): failures for one email from one
# address before that pair waits 15 minutes (AXES_FAILURE_LIMIT: its earlier name, still read).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", envint("AXES_FAILURE_LIMIT", 5))

# Phone systems send long URLs with many mapped parameters; at least 8 KB must pass.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "calldesk" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # whitenoise.storage.CompressedManifestStaticFilesStorage, its URLs kept.
    "staticfiles": {"BACKEND": "calldesk.lib.static_storage.StaticStorage"},
}
if envbool("CALLDESK_PLAIN_STATIC", False):
    # Tests run without collectstatic.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_USE_FINDERS = True

# Error reports must not carry caller data: see calldesk.lib.privacy.
DEFAULT_EXCEPTION_REPORTER_FILTER = "calldesk.lib.privacy.CallerDataFilter"
DEFAULT_EXCEPTION_REPORTER = "calldesk.lib.privacy.CallerDataReporter"

REDIS_URL = envstr("REDIS_URL", "")
# Caller data at rest (docs/security.md). Each is URL-safe base64 of 32 bytes
# (`calldesk crypto new-key`). CALLDESK_DATA_KEYS: the first seals, all open (rotation).
# Unset: keys generated once into CALLDESK_KEY_FILE, which `check --deploy` warns about.
CALLDESK_DATA_KEYS = envlist("CALLDESK_DATA_KEYS", [])
CALLDESK_HASH_KEY = envstr("CALLDESK_HASH_KEY", "")
CALLDESK_BACKUP_KEY = envstr("CALLDESK_BACKUP_KEY", "")
CALLDESK_KEY_FILE = Path(envstr("CALLDESK_KEY_FILE", str(VAR_DIR / "keys.json")))

# Every handler drops query strings and secret paths (calldesk.lib.privacy.PrivateLogFilter): the
# caller's number travels in the telephony URL's query string and must never reach a log, whichever
# server runs; the CTI path carries a token.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"private": {"()": "calldesk.lib.privacy.PrivateLogFilter"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["private"]},
        # Replaces Django's own handler of the same name, which has no such filter.
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["private"]},
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
    "loggers": {
        # 4xx answers are warnings and 5xx errors; both name the path (the query string is filtered).
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # `calldesk runserver`'s request lines. (granian's access log gets the same filter from the
        # log configuration `calldesk serve` gives it.)
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
# The Redis pub/sub channel that carries pushed calls between processes (calldesk.push.channel).
PUSH_REDIS_CHANNEL = envstr("PUSH_REDIS_CHANNEL", "calldesk:push")

# Email (password resets). No EMAIL_HOST: messages are printed to the console, which is enough
# for a local start; production sets the SMTP server.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Calldesk <calldesk@localhost>")
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 3600)  # seconds a reset link works
# A call that no event ended leaves the supervisors' board this many hours after it arrived, and
# `calldesk maintenance` records it as ended, cause unknown (calldesk.telephony.ending).
CALL_STALE_HOURS = envint("CALL_STALE_HOURS", 4)
if CALL_STALE_HOURS < 1:
    raise ConfigError(f"CALL_STALE_HOURS={CALL_STALE_HOURS} must be at least 1 (hours)")
