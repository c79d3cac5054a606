"""Static files as a browser should get them: hashed names, gzip and brotli copies, and a
year's immutable cache (WhiteNoise), whether or not `collectstatic` ran before settings
loaded. `ewtp serve` collects them before gunicorn starts."""

from __future__ import annotations

from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

YEAR = 365 * 24 * 3600


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    """Hashed and compressed (gzip, brotli) at collection. A name not collected yet (a page
    rendered before `collectstatic`, e.g. by a command) is linked by its plain name, which the
    finders serve, instead of failing."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return str(super().stored_name(name))
        except ValueError:
            return name


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]
    """WhiteNoise, with a year's immutable cache for the hashed names."""

    FOREVER = YEAR
