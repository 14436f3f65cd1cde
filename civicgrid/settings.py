"""Django settings for civicgrid, read from the environment with safe defaults.

Every knob is a ``CIVICGRID_*`` environment variable; nothing needs to be set for the demo.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("CIVICGRID_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data folder."""
    if key := os.environ.get("CIVICGRID_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(64)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("CIVICGRID_DEBUG")
ALLOWED_HOSTS = _env_list("CIVICGRID_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_list("CIVICGRID_CSRF_TRUSTED_ORIGINS", [])

# Production mode: behind TLS. The demo on 127.0.0.1 runs plain HTTP, so these are opt-in.
SECURE_MODE = _env_bool("CIVICGRID_SECURE")
SESSION_COOKIE_SECURE = SECURE_MODE
CSRF_COOKIE_SECURE = SECURE_MODE
SECURE_SSL_REDIRECT = SECURE_MODE
SECURE_HSTS_SECONDS = 31536000 if SECURE_MODE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_MODE
SECURE_HSTS_PRELOAD = SECURE_MODE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_MODE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = _env_int("CIVICGRID_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True  # idle expiry: the age counts from the last request

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "civicgrid.core",
    "civicgrid.audit",
    "civicgrid.regions",
    "civicgrid.people",
    "civicgrid.workcalendar",
    "civicgrid.demo",
    "civicgrid.notifications",
    "civicgrid.cases",
    "civicgrid.portal",
    "civicgrid.open311",
    "civicgrid.hotline",
    "civicgrid.disputes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Data generation tokens read once per request (civicgrid.core.generations).
    "civicgrid.core.generations.GenerationScopeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "civicgrid.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "civicgrid.core.middleware.RequestLogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicgrid.core.context_processors.site",
            ],
        },
    }
]

# --- database ---------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("CIVICGRID_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'civicgrid.sqlite3'}"
_db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on the busy timeout instead of failing on lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "civicgrid.people.passwords.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:todo"
LOGOUT_REDIRECT_URL = "home"

AXES_FAILURE_LIMIT = _env_int("CIVICGRID_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = _env_int("CIVICGRID_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy, say how many proxies to trust so lockout and the audit log see the
# client's address, not the proxy's.
if proxy_count := _env_int("CIVICGRID_TRUSTED_PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = proxy_count
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"


def _package_static_dirs() -> list[tuple[str, str]]:
    """Third-party browser assets come from installed packages, never from the repository."""
    import xstatic.pkg.leaflet as leaflet

    return [("leaflet", leaflet.BASE_DIR)]


STATICFILES_DIRS = _package_static_dirs()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # the demo serves without a collectstatic step

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "civicgrid.people.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "civicgrid.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "civicgrid API",
    "DESCRIPTION": "Grassroots governance: regions, grids, people, cases.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package, not a CDN (government networks are often offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "civicgrid.cases.models.State",
        "TierEnum": "civicgrid.cases.models.Tier",
        "RegionKindEnum": "civicgrid.regions.models.Kind",
        "CategoryKindEnum": "civicgrid.cases.models.CategoryKind",
    },
}

# --- e-mail (notifications): SMTP when CIVICGRID_EMAIL_HOST is set, else files under DATA_DIR/mail ----
EMAIL_BACKEND = os.environ.get("CIVICGRID_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("CIVICGRID_EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("CIVICGRID_EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("CIVICGRID_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("CIVICGRID_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CIVICGRID_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("CIVICGRID_EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("CIVICGRID_EMAIL_USE_SSL")
EMAIL_TIMEOUT = _env_int("CIVICGRID_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("CIVICGRID_EMAIL_FROM", "civicgrid@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- civicgrid knobs --------------------------------------------------------------------------
CIVICGRID: dict[str, Any] = {
    # A point outside every grid but within this many metres of one is routed to the nearest grid.
    "ROUTING_SNAP_METRES": float(os.environ.get("CIVICGRID_ROUTING_SNAP_METRES", "200")),
    # Points farther than this from the city's outline are rejected as "far outside the city".
    "ROUTING_MAX_OUTSIDE_KM": float(os.environ.get("CIVICGRID_ROUTING_MAX_OUTSIDE_KM", "50")),
    # Overlap between sibling grids tolerated on import, in square metres (digitising slop).
    "IMPORT_OVERLAP_TOLERANCE_M2": float(os.environ.get("CIVICGRID_IMPORT_OVERLAP_TOLERANCE_M2", "1.0")),
    "GRID_SEQUENCE_WIDTH": _env_int("CIVICGRID_GRID_SEQUENCE_WIDTH", 3),
    # Grids must lie within their nearest ancestor with a polygon, give or take this many metres.
    "IMPORT_CONTAINMENT_TOLERANCE_M": float(os.environ.get("CIVICGRID_IMPORT_CONTAINMENT_TOLERANCE_M", "1.0")),
    # 0: every routing call checks (one primary-key read) that the regions have not changed since the
    # index was built; N > 0: check at most every N seconds.
    "ROUTING_GENERATION_CHECK_SECONDS": float(os.environ.get("CIVICGRID_ROUTING_GENERATION_CHECK_SECONDS", "0")),
    # A city's own map tile server, e.g. "https://tiles.example.gov.cn/{z}/{x}/{y}.png"; empty: no tiles,
    # maps draw the grid polygons only (government networks are often offline).
    # API tokens expire like sessions do.
    "API_TOKEN_SECONDS": float(os.environ.get("CIVICGRID_API_TOKEN_SECONDS", SESSION_COOKIE_AGE)),
    # Webhooks may not reach loopback/link-local addresses unless a network is listed here.
    "NOTIFY_WEBHOOK_ALLOWED_NETWORKS": _env_list("CIVICGRID_NOTIFY_WEBHOOK_ALLOWED_NETWORKS", []),
    "TILE_URL": os.environ.get("CIVICGRID_TILE_URL", ""),
    "TILE_ATTRIBUTION": os.environ.get("CIVICGRID_TILE_ATTRIBUTION", ""),
    "SITE_URL": os.environ.get("CIVICGRID_SITE_URL", "http://127.0.0.1:8000"),  # absolute links in mail/webhooks
    "NOTIFY_MAX_ATTEMPTS": _env_int("CIVICGRID_NOTIFY_MAX_ATTEMPTS", 8),
    "NOTIFY_RETRY_BASE_SECONDS": float(os.environ.get("CIVICGRID_NOTIFY_RETRY_BASE_SECONDS", "60")),
    "NOTIFY_RETRY_MAX_SECONDS": float(os.environ.get("CIVICGRID_NOTIFY_RETRY_MAX_SECONDS", "21600")),
    "NOTIFY_WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("CIVICGRID_NOTIFY_WEBHOOK_TIMEOUT_SECONDS", "5")),
}

# --- logging: one line per event, key=value, to stdout --------------------------------------
LOG_LEVEL = os.environ.get("CIVICGRID_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kv": {"()": "civicgrid.core.logging.KeyValueFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "kv"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
    },
}
