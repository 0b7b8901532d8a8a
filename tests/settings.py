"""Test settings: the real settings, with static files read from the source tree and
fast password hashing. DATABASE_URL picks SQLite (default) or PostgreSQL."""

import os

os.environ.setdefault("CALLDESK_PLAIN_STATIC", "1")
# Fixed test keys for caller data at rest (never used anywhere else), so that servers the
# tests start in child processes open what the tests wrote.
os.environ.setdefault("CALLDESK_DATA_KEYS", "VTM-ei-p5B5VH7RW9em04x3WbtTYYc9DC6OFU_VsBBs=")
os.environ.setdefault("CALLDESK_HASH_KEY", "BajCkqCAfaaUJClhIrNq-KbxJUB-ID0rKwRyWyBzRbY=")
os.environ.setdefault("CALLDESK_BACKUP_KEY", "-PfxMlYguPkZIZO6zHUx-evnLOe3-uo4NP4d1t1OPYA=")

from calldesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
