"""opsx settings. Everything is driven by environment variables (see README, "Configuration").

Without DATABASE_URL the app uses a SQLite file under var/; without REDIS_URL Celery uses a
file-system broker under var/celery and the cache is in-process, so `make run` needs nothing
but Python.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.FileAwareEnv()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    """A strict boolean: anything but the usual spellings is a configuration error."""
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


DEBUG = envbool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "mozilla_django_oidc",
    "opsx",
    "teams",
    "incidents",
    "reviews",
    "learning",
    "notifications",
    "reminders",
    "dashboards",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opsx.logging.RequestIdMiddleware",
    "opsx.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opsx.middleware.RequestSizeLimitMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opsx.middleware.SessionIdleTimeoutMiddleware",
    "opsx.middleware.LoginRequiredMiddleware",
    "opsx.middleware.RejectNullCharactersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opsx.urls"
WSGI_APPLICATION = "opsx.wsgi.application"

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
                "opsx.context_processors.site",
                "notifications.context_processors.unread",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "django.templatetags.static",
                "opsx.templatetags.opsx",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'opsx.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# A connection kept open (CONN_MAX_AGE) is checked before a request reuses it, so after a database restart the
# next request reconnects instead of failing; a database that does not answer fails fast (a 503, see
# opsx.middleware.DatabaseUnavailableMiddleware) instead of holding a worker.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if IS_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3)
    )
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=10)  # seconds, in the 503's Retry-After
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "teams.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out account before any password is checked (docs/security.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "teams.auth.AddressThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)  # failed sign-ins of one account, then locked
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that locking by username alone lets an attacker try one password on many accounts; opsx
# counts failures per address too, with its own (higher) rate: THROTTLE_RATES["login_failure"] (teams.auth).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "teams.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "opsx.throttling.client_ip"
# Signed-in sessions end after this many minutes without a request (0: only at SESSION_COOKIE_AGE).
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=8 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Single sign-on: OpenID Connect, off by default (docs/sso.md) ---------------------------------
SSO_ENABLED = envbool("FEATURE_SSO_ENABLED", False)
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
OIDC_TIMEOUT = 10
OIDC_CREATE_USER = envbool("OIDC_CREATE_USERS", True)
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ADMIN_GROUPS = env.list("OIDC_ADMIN_GROUPS", default=[])
OIDC_LEADERSHIP_GROUPS = env.list("OIDC_LEADERSHIP_GROUPS", default=[])
SSO_LABEL = env.str("SSO_LABEL", default="single sign-on")
if SSO_ENABLED:
    from teams.sso_settings import team_groups_from_env

    _missing = [
        name
        for name in ("OIDC_RP_CLIENT_ID", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT")
        + ("OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT")
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"FEATURE_SSO_ENABLED=1 needs {', '.join(_missing)}")
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "teams.sso.SsoBackend"]
    OIDC_TEAM_GROUPS = team_groups_from_env(env.str("OIDC_TEAM_GROUPS", default=""))
else:
    OIDC_TEAM_GROUPS = {}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (WhiteNoise) --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="opsx <opsx@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY", False) else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
# Opt-in: they bind every subdomain to HTTPS, and a preload listing takes months to undo.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Django's deploy checks recommend both; leaving them off is this deployment's choice, not an oversight.
SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]
SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp; docs/security.md). Scripts only from the site
# (htmx, opsx.js) or with the response's nonce; no inline styles; images only from the site (and the
# data: URLs Pico's CSS uses), so Markdown cannot load remote (tracking) images: they show as broken.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "teams.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "opsx.api_utils.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opsx.api_utils.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "opsx.parsers.JSONParser",  # DRF's, with a nesting limit
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opsx API",
    "DESCRIPTION": "Operational readiness reviews, incidents, postmortems and action items.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "PostmortemStatusEnum": "incidents.models.Postmortem.Status",
        "ActionItemStatusEnum": "incidents.models.ActionItem.Status",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "NotificationKindEnum": "notifications.models.Notification.Kind",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Time limits and the visibility timeout go together (docs/architecture.md, "Celery"): with acks_late a
# message is acknowledged when its task ends, and Redis hands an unacknowledged message to another
# worker once the visibility timeout passes. The timeout must exceed the hard limit, or a task still
# running would be delivered a second time; short enough that a lost worker's messages come back in
# minutes. Tests shorten all three through the environment.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=5 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=4 * 60)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=7 * 60)
if not CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "Need CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT (seconds)"
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    # A task not acknowledged within this window is redelivered (acks_late): kept above the hard time limit.
    # Workers look for such messages every interval * throttle seconds (kombu's defaults: 10 * 10).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=6),
    }
else:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Notification delivery (docs/notifications.md) -------------------------------------------
# A claim on a delivery lasts this long; it must outlast the send task's hard limit (so a slow send is
# never claimed twice) and is how long a delivery whose worker died waits before another worker takes it.
NOTIFY_SEND_TIME_LIMIT = env.int("NOTIFY_SEND_TIME_LIMIT", default=60)
NOTIFY_LEASE_SECONDS = env.float("NOTIFY_LEASE_SECONDS", default=NOTIFY_SEND_TIME_LIMIT + 60)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
# Retry n waits base * 2**(n-1) seconds, plus up to as much again at random (30 s, 1 min, 2 min, 4 min).
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=30)
# No wait longer than this: a countdown message held past the visibility timeout would be handed out twice
# (harmless, the claim decides, but wasteful), so it stays below it.
NOTIFY_RETRY_MAX_SECONDS = env.float("NOTIFY_RETRY_MAX_SECONDS", default=300)
# The beat drain re-enqueues pending deliveries due longer than this (their on_commit enqueue was lost).
NOTIFY_DRAIN_GRACE_SECONDS = env.float("NOTIFY_DRAIN_GRACE_SECONDS", default=60)
NOTIFY_WEBHOOK_TIMEOUT = env.float("NOTIFY_WEBHOOK_TIMEOUT", default=10)
if NOTIFY_LEASE_SECONDS <= NOTIFY_SEND_TIME_LIMIT or NOTIFY_SEND_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("Need NOTIFY_SEND_TIME_LIMIT < NOTIFY_LEASE_SECONDS and < CELERY_VISIBILITY_TIMEOUT")

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use 'text' or 'json'")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "opsx.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "opsx.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
    },
}

# --- opsx -----------------------------------------------------------------------------------
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=7 * 24)

# --- Abuse limits and throttles (docs/limits.md) ---------------------------------------------
LIMIT_SECTION_CHARS = env.int("LIMIT_SECTION_CHARS", default=50_000)
LIMIT_POSTMORTEM_CHARS = env.int("LIMIT_POSTMORTEM_CHARS", default=200_000)
LIMIT_PREVIEW_CHARS = env.int("LIMIT_PREVIEW_CHARS", default=LIMIT_SECTION_CHARS)
LIMIT_IMPORT_FILE_BYTES = env.int("LIMIT_IMPORT_FILE_BYTES", default=5 * 1024 * 1024)
LIMIT_REQUEST_BYTES = env.int("LIMIT_REQUEST_BYTES", default=32 * 1024 * 1024)
MARKDOWN_RENDER_TIMEOUT = env.float("MARKDOWN_RENDER_TIMEOUT", default=2.0)
# Requests per user, per API token and (signed out) per address; over the rate: 429 with Retry-After.
THROTTLE_RATES = {
    "preview": env.str("THROTTLE_PREVIEW", default="120/min"),
    "search": env.str("THROTTLE_SEARCH", default="120/min"),
    "import": env.str("THROTTLE_IMPORT", default="30/hour"),
    "export": env.str("THROTTLE_EXPORT", default="60/hour"),
    "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
    # Failed sign-ins per address (every account together), on top of the per-account lockout above.
    "login_failure": env.str("THROTTLE_LOGIN_FAILURES", default="30/10min"),
    # Failed API token authentications per address; beyond it the address gets 429 until the window ends.
    "token_failure": env.str("THROTTLE_TOKEN_FAILURES", default="20/min"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["opsx.throttling.ScopedThrottle"]

# --- Health -----------------------------------------------------------------------------------
# /healthz shows its checks to admins and to callers with `Authorization: Bearer <HEALTHZ_TOKEN>`.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
# A worker counts as seen when it ran the heartbeat (every five minutes) this recently.
HEALTHZ_WORKER_STALE_SECONDS = env.int("HEALTHZ_WORKER_STALE_SECONDS", default=15 * 60)

# --- Audit trail (django-pghistory; docs/audit.md) ------------------------------------------
# Database triggers record every insert, update and delete of the tracked models (PostgreSQL only;
# on SQLite the app runs without history). Event rows are append-only (a trigger refuses UPDATE and
# DELETE); an update that changes only auto-updated timestamps is not an event.
import pghistory  # noqa: E402

PGHISTORY_APPEND_ONLY = True
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"  # the moment of each change, not of its transaction's start
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude_auto=True)),
    pghistory.DeleteEvent(),
)
PGHISTORY_ADMIN_MODEL = "audit.AuditEvent"
PGHISTORY_ADMIN_CLASS = "audit.admin.AuditEventsAdmin"
# The diff is on each event's page; in the list it would make rows as tall as a postmortem.
PGHISTORY_ADMIN_LIST_DISPLAY = [
    "pgh_created_at",
    "pgh_label",
    "pgh_obj_model",
    "pgh_obj_id",
    "username",
    "source",
    "token",
]
