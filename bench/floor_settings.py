"""Calldesk's settings plus the benchmark's floor views (bench/floor.py). Bench-only: never
shipped or used by the app; bench/screenpop.py serves the real app with these so the real paths
and the floor run behind the same middleware, session and database settings in the same run."""

from calldesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
