"""calldesk.lib.static_storage: whitenoise's manifest storage with each URL worked out once per
process gives the URLs whitenoise gives, and works them out again after collectstatic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from calldesk.lib.static_storage import StaticStorage

NAMES = ["calldesk/editor.css", "calldesk/editor.js", "fonts/a b.woff2", "fonts/x.eot?#iefix", "img/y.svg#shape"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    paths = {
        "calldesk/editor.css": "calldesk/editor.0123abcd.css",
        "calldesk/editor.js": "calldesk/editor.4567ef01.js",
        "fonts/a b.woff2": "fonts/a b.89abcdef.woff2",
        "fonts/x.eot": "fonts/x.11111111.eot",
        "img/y.svg": "img/y.22222222.svg",
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps({"paths": paths, "version": "1.1", "hash": "x"}))
    return tmp_path


def test_it_gives_the_urls_whitenoise_gives(root: Path) -> None:
    kept = StaticStorage(location=root, base_url="/static/")
    plain = CompressedManifestStaticFilesStorage(location=root, base_url="/static/")
    for name in NAMES * 2:  # the second time from what it kept
        assert kept.url(name) == plain.url(name)
    assert kept.url("calldesk/editor.css") == "/static/calldesk/editor.0123abcd.css"
    with override_settings(DEBUG=True):  # unhashed while developing, as whitenoise serves them
        assert kept.url("calldesk/editor.css") == plain.url("calldesk/editor.css") == "/static/calldesk/editor.css"
    assert kept.url("calldesk/editor.css", force=True) == "/static/calldesk/editor.0123abcd.css"


def test_a_missing_file_fails_every_time(root: Path) -> None:
    kept = StaticStorage(location=root, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            kept.url("calldesk/missing.css")


def test_collectstatic_in_the_same_process_forgets_the_urls(root: Path) -> None:
    kept = StaticStorage(location=root, base_url="/static/")
    assert kept.url("calldesk/editor.css") == "/static/calldesk/editor.0123abcd.css"
    list(kept.post_process({}, dry_run=True))  # starts a new manifest: nothing is hashed yet
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        kept.url("calldesk/editor.css")
