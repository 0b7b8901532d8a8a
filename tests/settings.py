"""Test settings: the real settings, with static files read from the source tree and
fast password hashing. DATABASE_URL picks SQLite (default) or PostgreSQL."""

import os

os.environ.setdefault("CALLDESK_PLAIN_STATIC", "1")

from calldesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
