import os

SECRET_KEY = "example"
INSTALLED_APPS = ["shop"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "shop"),
        "HOST": os.environ.get("PGHOST", "localhost"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        # every migration statement (a rollback's too) gives up after 2s instead of
        # queueing traffic behind its lock; declared to sqlsafe as `preamble` (.sqlsafe.toml)
        "OPTIONS": {"options": "-c lock_timeout=2s"},
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
