"""Settings for every environment, read from environment variables.

The defaults are the embedded set-up of `make run` (SQLite under var/, a Celery transport on the
file system); DATABASE_URL and CELERY_BROKER_URL / REDIS_URL switch to PostgreSQL and Redis. With
DJANGO_DEBUG off the defaults are safe for production (`manage.py check --deploy` is clean).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("CRM_REQUIRE_SECRET_KEY", False):
        raise RuntimeError("DJANGO_SECRET_KEY must be set in production")
    # A per-checkout key kept under var/, so sessions survive restarts of `make run`.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        tmp = key_file.with_suffix(f".{os.getpid()}")
        tmp.write_text(get_random_secret_key() + get_random_secret_key())
        os.replace(tmp, key_file)  # atomic: parallel test workers never read half a key
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "crm",
    "notifications",
    "jobs",
    "outbox",
    "scoring",
    "campaigns",
    "leads",
    "tracking",
    "followups",
    "sales",
    "imports",
    "nurture",
    "reports",
    "desk",
    "data_rights",
    "demo",
]

MIDDLEWARE = [
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RefuseMalformedRequestsMiddleware",
    "config.middleware.DatabaseUnreachableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "crm.context_processors.roles",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'crm.sqlite3'}",
        conn_max_age=int(os.environ.get("CRM_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue
    # instead of failing with "database is locked" half way through.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The scoreboard reads through an alias of its own, so a PostgreSQL read replica can serve it
# (REPORTS_DATABASE_URL); without one it is the main database, and in tests its mirror.
DATABASES["reports"] = (
    dj_database_url.parse(os.environ["REPORTS_DATABASE_URL"], conn_max_age=60, conn_health_checks=True)
    if os.environ.get("REPORTS_DATABASE_URL")
    else {**DATABASES["default"], "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {}))}
)
DATABASES["reports"]["TEST"] = {"MIRROR": "default"}
# A report reads a period in a few large statements: PostgreSQL's JIT spends 100-200 ms compiling
# each one and never wins it back at this size, and the default 4 MB of work_mem sends their sorts
# to disk. So the reports alias starts its sessions with these (docs/performance.md); set
# CRM_REPORTS_PG_OPTIONS="" to keep the server's own, e.g. behind PgBouncer in transaction mode,
# which refuses startup options.
REPORTS_PG_OPTIONS = os.environ.get("CRM_REPORTS_PG_OPTIONS", "-c jit=off -c work_mem=32MB").strip()
if DATABASES["reports"]["ENGINE"] == "django.db.backends.postgresql" and REPORTS_PG_OPTIONS:
    _report_options = dict(DATABASES["reports"].get("OPTIONS", {}))
    _report_options["options"] = (_report_options.get("options", "") + " " + REPORTS_PG_OPTIONS).strip()
    DATABASES["reports"]["OPTIONS"] = _report_options
# Tracking hits (every open, click and page view: tracking/hits.py) are appended through an alias
# of their own whose commits do not wait for the disk (synchronous_commit off): the request is
# answered as soon as PostgreSQL has the row. Only a crash of the database server itself can lose
# the last fraction of a second of hits (docs/tracking.md). Every other write waits as before,
# but bulk work that is done again if lost (config.bulk.commit_without_waiting_for_disk).
CRM_HITS_DATABASE = "default"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # (PgBouncer in transaction mode refuses the `options` startup parameter: give `hits` a direct URL there.)
    _hit_options = dict(DATABASES["default"].get("OPTIONS", {}))
    _hit_options["options"] = (_hit_options.get("options", "") + " -c synchronous_commit=off").strip()
    # No health check (a SELECT 1 each request): tracking.hits retries once on a connection gone stale.
    DATABASES["hits"] = {
        **DATABASES["default"],
        "OPTIONS": _hit_options,
        "CONN_HEALTH_CHECKS": False,
        "TEST": {"MIRROR": "default"},
    }
    CRM_HITS_DATABASE = "hits"  # tests that share one transaction use "default"
# The busiest doors' statements (a new prospect, a hit) are prepared once per connection (config.prepared).
# Behind PgBouncer in transaction mode, which moves a client between server connections, set 0.
CRM_PREPARED_STATEMENTS = env_bool("CRM_PREPARED_STATEMENTS", True)
DATABASE_ROUTERS = ["reports.router.ReportsRouter", "tracking.router.HitsRouter"]
CRM_REPORTS_DATABASE = "reports"  # the alias report reads use; tests that share one transaction use "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# An index's INCLUDE columns (leads' lead_outcome_idx: PostgreSQL reads the outcomes from the index
# alone) are left out on SQLite, which has none: the same index without them, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache (throttling) ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Parallel test workers (pytest-xdist) each get their own cache space, so they never share throttles.
_CACHE_SPACE = os.environ.get("CRM_CACHE_PREFIX", "crm") + os.environ.get("PYTEST_XDIST_WORKER", "")
# A Redis that stops answering must cost a request a fraction of a second, not a hang.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _CACHE_SPACE,
            "OPTIONS": REDIS_TIMEOUTS,
        }
    }
else:
    # Shared between the processes of one machine, unlike the local-memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / _CACHE_SPACE),
        }
    }

# --- Auth -----------------------------------------------------------------------------------
# Django's backend, with the user's profile (their time zone) read in the same query.
AUTHENTICATION_BACKENDS = ["crm.auth.StaffBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The company's zone: the beat schedule's, and every user's until they choose their own (crm.zones).
TIME_ZONE = os.environ.get("CRM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve static/ straight from the apps when collectstatic has not run
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security (production defaults; DEBUG relaxes the ones that need HTTPS) -----------------
SECURE_HTTPS = env_bool("DJANGO_SECURE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", SECURE_HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if not os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "crm@localhost")

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.permissions.IsStaffRole"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON only: a form-encoded field that a serializer decodes as JSON would skip the parser's
    # depth and NUL checks. The capture and token endpoints (and uploads) add form parsers.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "DEFAULT_METADATA_CLASS": None,  # OPTIONS answers 405 (the capture endpoint's CORS preflight aside)
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "config.schema.CRMAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "capture_key": os.environ.get("CRM_CAPTURE_RATE_PER_KEY", "600/min"),
        "capture_ip": os.environ.get("CRM_CAPTURE_RATE_PER_IP", "30/min"),
        "login": os.environ.get("CRM_TOKEN_RATE_PER_IP", "20/min"),
    },
    "NUM_PROXIES": int(os.environ.get("CRM_NUM_PROXIES", "0")),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lead CRM API",
    "DESCRIPTION": "Leads, interactions, scoring and web-form capture. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and the interactive docs are for signed-in staff unless CRM_PUBLIC_API_DOCS opens them.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny"
        if env_bool("CRM_PUBLIC_API_DOCS", False)
        else "crm.permissions.IsStaffRole"
    ],
    "SERVE_AUTHENTICATION": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "jobs.models.JobStatus.choices",
        "FollowUpStatusEnum": "followups.models.FollowUpStatus.choices",
        "FollowUpKindEnum": "followups.models.FollowUpKind.choices",
        "LetterStatusEnum": "followups.models.LetterStatus.choices",
        "RuleSetStatusEnum": "scoring.models.RuleSetStatus.choices",
        "InteractionKindEnum": "leads.kinds.InteractionKind.choices",
        "QuestionKindEnum": [("yes_no", "Yes or no"), ("text", "Text")],
        "ImportModeEnum": "imports.models.ImportMode.choices",
        "DuplicatePolicyEnum": "imports.models.DuplicatePolicy.choices",
    },
}

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # exchange tables: under var/, not the repository
        "store_processed": False,
    }
# With the broker down, sending a task gives up within about a second (the durable rows and the
# sweeps send it later) instead of holding the request that queued it.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Real-time work (scoring, alerts) never waits behind bulk work (rescoring, letter batches):
# tasks named bulk_* go to their own queue, which `make run` and compose's worker both consume.
# Parallel test workers get their own queue names, so their Celery workers never share messages.
QUEUE_PREFIX = os.environ.get("PYTEST_XDIST_WORKER", "")
REALTIME_QUEUE, BULK_QUEUE = f"{QUEUE_PREFIX}realtime", f"{QUEUE_PREFIX}bulk"
CELERY_TASK_DEFAULT_QUEUE = REALTIME_QUEUE
CELERY_TASK_ROUTES = {"*.bulk_*": {"queue": BULK_QUEUE}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # A sweep that cannot run before the next one is worthless: `expires` drops it from the queue.
    # django-celery-beat's database scheduler reads `expire_seconds` (it ignores `expires`,
    # celery/django-celery-beat#280), so both are given.
    "resume-stalled-jobs": {
        "task": "jobs.tasks.resume_stalled_jobs",
        "schedule": 5.0,
        "options": {"expires": 5, "expire_seconds": 5},
    },
    "alert-waiting-hot-leads": {"task": "sales.tasks.alert_waiting_hot_leads", "schedule": 300.0},
    "weekly-staff-briefing": {"task": "campaigns.tasks.send_staff_briefing", "schedule": 600.0},
    "apply-recency-decay": {"task": "leads.tasks.bulk_apply_decay", "schedule": crontab(hour=3, minute=5)},
    "mark-due-followups": {
        "task": "followups.tasks.mark_due_followups",
        "schedule": 15.0,
        "options": {"expires": 15, "expire_seconds": 15},
    },
    "alert-overdue-followups": {"task": "followups.tasks.alert_overdue_followups", "schedule": 600.0},
    "alert-on-offers": {"task": "campaigns.tasks.alert_on_offers", "schedule": 900.0},
    "send-pending-emails": {
        "task": "outbox.tasks.send_pending_emails",
        "schedule": 60.0,
        "options": {"expires": 60, "expire_seconds": 60},
    },
    "purge-old-submissions": {
        "task": "crm.tasks.purge_old_submissions",
        "schedule": crontab(minute=47),
    },
    "purge-expired-idempotency-records": {
        "task": "leads.tasks.purge_expired_idempotency_records",
        "schedule": crontab(minute=17),
    },
    "purge-import-files": {"task": "imports.tasks.purge_import_files", "schedule": crontab(minute=37)},
    # Hits become interactions and scores within seconds; a run that finds the fold busy just ends.
    "fold-hits": {
        "task": "tracking.tasks.bulk_fold_hits",
        "schedule": 2.0,
        "options": {"expires": 2, "expire_seconds": 2},
    },
    # The scoreboard's rollups: stale days counted again in bounded steps (reports are exact meanwhile).
    "refresh-report-rollups": {
        "task": "reports.tasks.bulk_refresh_rollups",
        "schedule": 10.0,
        "options": {"expires": 10, "expire_seconds": 10},
    },
    "keep-hit-partitions": {"task": "tracking.tasks.keep_hit_partitions", "schedule": crontab(hour=2, minute=25)},
    # Sequences: steps due by rows, worked in bounded batches; goals and triggers every minute.
    "advance-sequences": {
        "task": "nurture.tasks.bulk_advance_sequences",
        "schedule": 30.0,
        "options": {"expires": 30, "expire_seconds": 30},
    },
    "end-finished-enrolments": {
        "task": "nurture.tasks.end_finished_enrolments",
        "schedule": 60.0,
        "options": {"expires": 60, "expire_seconds": 60},
    },
    "enrol-by-triggers": {
        "task": "nurture.tasks.bulk_enrol_by_triggers",
        "schedule": 600.0,
        "options": {"expires": 600, "expire_seconds": 600},
    },
}

# --- The product's own settings -------------------------------------------------------------
# The address people reach the product at: links in e-mails, the demo form key's origin.
# `make run` sets it from PORT; behind a proxy set it to the public https address.
CRM_BASE_URL = (
    os.environ.get("CRM_BASE_URL")
    or os.environ.get("CRM_SITE_URL")
    or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
).rstrip("/")
# Sequences (nurture): enrolments a transaction, no marketing e-mail in the quiet hours (company
# time, start and end hour; equal hours: none), at most this many sequence e-mails a day, and how
# far back a trigger looks past its days when a sequence starts.
CRM_NURTURE_BATCH = int(os.environ.get("CRM_NURTURE_BATCH", "1000"))
CRM_NURTURE_QUIET_HOURS = tuple(int(h) for h in os.environ.get("CRM_NURTURE_QUIET_HOURS", "21-8").split("-"))
CRM_NURTURE_DAILY_CAP = int(os.environ.get("CRM_NURTURE_DAILY_CAP", "50000"))
CRM_NURTURE_TRIGGER_LOOKBACK_DAYS = int(os.environ.get("CRM_NURTURE_TRIGGER_LOOKBACK_DAYS", "30"))
# The suppression list's hashing key (crm/suppression.py); SECRET_KEY when empty.
CRM_SUPPRESSION_KEY = os.environ.get("CRM_SUPPRESSION_KEY", "")
# Money on every page and export is in this ISO 4217 currency (amounts are stored without one).
CRM_CURRENCY = os.environ.get("CRM_CURRENCY", "USD").upper()
CRM_DEFAULT_PHONE_REGION = os.environ.get("CRM_DEFAULT_PHONE_REGION", "US")
CRM_CAPTURE_MAX_BODY_BYTES = int(os.environ.get("CRM_CAPTURE_MAX_BODY_BYTES", 16 * 1024))
CRM_IDEMPOTENCY_TTL_HOURS = 24
# Failed log-ins (browser, admin, token) allowed in 15 minutes: per user name from one address,
# per user name from anywhere, and per client address (crm/login_guard.py).
CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS = int(os.environ.get("CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS", "5"))
CRM_LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("CRM_LOGIN_FAILURES_PER_USERNAME", "20"))
CRM_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("CRM_LOGIN_FAILURES_PER_ADDRESS", "30"))
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))  # well under the outbox's 10-minute claim
# A rescore after a publish runs in this many slices at once: one per worker process.
CRM_RESCORE_SLICES = int(os.environ.get("CRM_RESCORE_SLICES", "2"))
CRM_RESCORE_CHUNK = int(os.environ.get("CRM_RESCORE_CHUNK", "1000"))  # leads a transaction
# A background job's slice whose heartbeat is quieter than this is taken to be dead and resumed
# (a chunk commits, and beats, every fraction of a second).
CRM_JOB_STALL_SECONDS = int(os.environ.get("CRM_JOB_STALL_SECONDS", "15"))
# A follow-up still not done this long after it fell due alerts its assignee and the managers.
CRM_FOLLOWUP_OVERDUE_HOURS = int(os.environ.get("CRM_FOLLOWUP_OVERDUE_HOURS", "24"))
# Letter batches: what they are signed as, how many run at once, where their PDFs go.
CRM_COMPANY_NAME = os.environ.get("CRM_COMPANY_NAME", "Lead CRM")
CRM_LETTER_SLICES = int(os.environ.get("CRM_LETTER_SLICES", "2"))
CRM_LETTER_CHUNK = int(os.environ.get("CRM_LETTER_CHUNK", "200"))
CRM_LETTERS_DIR = Path(os.environ.get("CRM_LETTERS_DIR", VAR_DIR / "letters"))
# List imports (imports/): where uploads and rejected-rows files live (personal data: web and worker
# both mount it), the largest file taken, rows a transaction, and how long files are kept.
CRM_IMPORTS_DIR = Path(os.environ.get("CRM_IMPORTS_DIR", VAR_DIR / "imports"))
CRM_IMPORT_MAX_BYTES = int(os.environ.get("CRM_IMPORT_MAX_BYTES", 256 * 1024 * 1024))
CRM_IMPORT_CHUNK = int(os.environ.get("CRM_IMPORT_CHUNK", "2000"))
CRM_IMPORT_KEEP_DAYS = int(os.environ.get("CRM_IMPORT_KEEP_DAYS", "30"))  # rejected-rows files
CRM_IMPORT_DRAFT_HOURS = int(os.environ.get("CRM_IMPORT_DRAFT_HOURS", "24"))  # uploads never started
# An upload past CRM_IMPORT_MAX_BYTES is dropped as it streams in, never written to disk whole.
FILE_UPLOAD_HANDLERS = [
    "imports.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Engagement tracking (tracking/, docs/tracking.md). Where a QR code or a link without a landing page
# sends people, and where a bad token ends (the company's site; the product's own greeting page when unset).
CRM_TRACKING_LANDING_URL = os.environ.get("CRM_TRACKING_LANDING_URL") or f"{CRM_BASE_URL}/welcome/"
CRM_TRACKING_SAFE_URL = os.environ.get("CRM_TRACKING_SAFE_URL") or CRM_TRACKING_LANDING_URL
CRM_TRACKING_FOLD_BATCH = int(os.environ.get("CRM_TRACKING_FOLD_BATCH", "100000"))  # hits a transaction
# While the fold works through a backlog, a lead's rescore waits for it, at most this long.
CRM_TRACKING_RESCORE_WAIT = int(os.environ.get("CRM_TRACKING_RESCORE_WAIT", "120"))
CRM_TRACKING_KEEP_DAYS = int(os.environ.get("CRM_TRACKING_KEEP_DAYS", "90"))  # raw hits; folded ones stay
CRM_TRACKING_SESSION_MINUTES = 30  # page views further apart than this are two visits
CRM_TRACKING_MACHINE_SECONDS = int(os.environ.get("CRM_TRACKING_MACHINE_SECONDS", "10"))  # after sending
CRM_TRACKING_BEACON_MAX_BYTES = 2048
CRM_TRACKING_BEACONS_PER_VISITOR_MINUTE = int(os.environ.get("CRM_TRACKING_BEACONS_PER_VISITOR_MINUTE", "60"))
CRM_TRACKING_BEACONS_PER_NETWORK_MINUTE = int(os.environ.get("CRM_TRACKING_BEACONS_PER_NETWORK_MINUTE", "1200"))
# Networks of mail security gateways that open and click everything they pass on (Microsoft
# Exchange Online Protection / SafeLinks, Mimecast, Proofpoint, Barracuda); add yours as found.
CRM_TRACKING_MACHINE_NETWORKS = [
    text
    for text in os.environ.get(
        "CRM_TRACKING_MACHINE_NETWORKS",
        "40.92.0.0/15,40.107.0.0/16,52.100.0.0/14,104.47.0.0/17,"  # Microsoft EOP
        "205.139.110.0/24,216.205.24.0/24,207.211.30.0/24,"  # Mimecast
        "148.163.128.0/19,67.231.144.0/20,"  # Proofpoint
        "64.235.144.0/20,209.222.80.0/21",  # Barracuda
    ).split(",")
    if text.strip()
]

# Scripts, styles and images only from this site; no inline script; never framed.
CRM_CONTENT_SECURITY_POLICY = os.environ.get(
    "CRM_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_forbidden": {"()": "config.logs.OneLineForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CRM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"filters": ["one_line_forbidden"]},
        "django.db.backends": {"level": "INFO"},
    },
}
