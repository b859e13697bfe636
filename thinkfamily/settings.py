"""Django settings, read from the environment.

Everything that differs between a laptop demo, CI and production comes from an
environment variable with a safe local default: ``DATABASE_URL`` (a SQLite file
under ``var/`` by default), ``SECRET_KEY``, ``DEBUG`` and ``ALLOWED_HOSTS``.
No secret is committed: the default key is only accepted while DEBUG is on.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("THINKFAMILY_VAR_DIR", BASE_DIR / "var"))
#: The trained linkage model (``thinkfamily link --retrain`` writes it).
LINKAGE_MODEL_PATH = Path(
    os.environ.get("THINKFAMILY_LINKAGE_MODEL", VAR_DIR / "linkage" / "model.json")
)

#: ``THINKFAMILY_ENVIRONMENT=production`` turns every protection on and refuses to start
#: without a real SECRET_KEY and ALLOWED_HOSTS (docs/security-accounts.md).
PRODUCTION = os.environ.get("THINKFAMILY_ENVIRONMENT", "development").lower() == "production"
DEBUG = not PRODUCTION and os.environ.get("DEBUG", "true").lower() in {"1", "true", "yes"}
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION or not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment in production (or when DEBUG is off): "
            "a long random string, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"
if PRODUCTION and not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in the environment in production: the site's host names, "
        "separated by commas."
    )
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "thinkfamily.core",
    "thinkfamily.accounts",
    "thinkfamily.audit",
    "thinkfamily.people",
    "thinkfamily.events",
    "thinkfamily.extracts",
    "thinkfamily.matching",
    "thinkfamily.prompts",
    "thinkfamily.families",
    "thinkfamily.referrals",
    "thinkfamily.conversations",
    "thinkfamily.agreements",
    "thinkfamily.learning",
    "thinkfamily.api",
]

MIDDLEWARE = [
    "thinkfamily.audit.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After sign-in is required: a signed-in user with no second factor yet goes to the code page.
    "thinkfamily.accounts.middleware.TwoFactorRequiredMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the "locked" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thinkfamily.urls"
WSGI_APPLICATION = "thinkfamily.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "thinkfamily.accounts.context_processors.sign_in",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'thinkfamily.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while an import writes; IMMEDIATE makes a
    # writer take its lock up front instead of failing half-way with "locked".
    # Tests use a file too (not SQLite's shared in-memory database, whose table locks fail
    # at once instead of waiting), so concurrent writers behave as they do in the app.
    # One file per test run, so two runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
#: Think Sibling (see thinkfamily/prompts/rules.py): each may be set from the environment.
THINK_SIBLING = {
    name: int(os.environ[f"THINKFAMILY_{name}"])
    for name in (
        "CONCERN_WINDOW_DAYS",
        "RESPONSE_WORKING_DAYS",
        "NOT_SEEN_DAYS",
        "PRESCHOOL_BELOW_AGE",
        "NEW_PARTNER_DAYS",
    )
    if f"THINKFAMILY_{name}" in os.environ
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "thinkfamily.accounts.backends.SafeguardingAccessBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "people:search"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Argon2 first: new and changed passwords are stored as argon2$…; older hashes still verify
# and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Two-factor sign-in (django-otp, TOTP) for every account: thinkfamily/accounts/two_factor.py.
THINKFAMILY_REQUIRE_TWO_FACTOR = os.environ.get(
    "THINKFAMILY_REQUIRE_TWO_FACTOR", "true"
).lower() in {"1", "true", "yes"}
if PRODUCTION and not THINKFAMILY_REQUIRE_TWO_FACTOR:
    raise ImproperlyConfigured("Two-factor sign-in cannot be switched off in production.")
OTP_TOTP_ISSUER = "Think Family"

# Lock-out (django-axes): 5 failures for one username from one IP address lock that pair out
# for 30 minutes. Wrong passwords and wrong codes both count; a complete sign-in resets them
# (accounts.views resets after the second factor, so a known password cannot buy more guesses).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_USERNAME_FORM_FIELD = "username"
# The client's address: REMOTE_ADDR, which a client cannot forge. Behind N reverse proxies set
# THINKFAMILY_TRUSTED_PROXY_COUNT=N, and the address the outermost proxy saw is taken from
# X-Forwarded-For, counting from the right (entries a client adds itself are to the left).
THINKFAMILY_TRUSTED_PROXY_COUNT = int(os.environ.get("THINKFAMILY_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "thinkfamily.accounts.client_ip.client_ip_address"

# Sessions end after 30 minutes without a request, and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION or not DEBUG
CSRF_COOKIE_SECURE = PRODUCTION or not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Only behind a proxy that sets X-Forwarded-Proto itself and strips it from clients.
    if os.environ.get("THINKFAMILY_BEHIND_TLS_PROXY", "").lower() in {"1", "true", "yes"}:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp 4): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

# The published serious case review Think Family was built from (in the shared folder beside
# the project): the demo ingests it and the tests check the extractor reads it exactly.
#: Calls each API token may make per clock minute; more are answered 429.
THINKFAMILY_API_RATE_PER_MINUTE = int(os.environ.get("THINKFAMILY_API_RATE_PER_MINUTE", "600"))

THINKFAMILY_REFERENCE_REVIEW = Path(
    os.environ.get(
        "THINKFAMILY_REFERENCE_REVIEW",
        BASE_DIR.parent / "shared" / "reference" / "serious-case-review-H.txt",
    )
)

# Uploaded evidence of actions. Never served as static files: the evidence view checks access.
MEDIA_ROOT = Path(os.environ.get("THINKFAMILY_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# Larger uploads spill to a temporary file rather than memory; services check their own limits.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# GOV.UK Frontend comes from npm (package.json); its Sass is compiled into
# build/static with the asset path pointed at STATIC_URL (see the Makefile).
STATICFILES_DIRS = [
    path
    for path in (
        BASE_DIR / "build" / "static",
        BASE_DIR / "node_modules" / "govuk-frontend" / "dist",
    )
    if path.exists()
]
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
