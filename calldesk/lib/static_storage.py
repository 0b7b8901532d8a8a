"""whitenoise's static files storage, with each file's URL worked out once per process.

A URL comes from the manifest that collectstatic wrote, read when the storage is made; it cannot
change while the process runs. Working it out again on every `{% static %}` (URL splits, a
manifest look-up, a join) cost more than the rest of a page's <head>.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or settings.DEBUG or name is None:  # DEBUG serves files unhashed, as they change
            return str(super().url(name, force))
        found = self._urls.get(name)
        if found is None:
            found = self._urls[name] = str(super().url(name))
        return found

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # collectstatic in this process writes a new manifest: URLs from the old one are stale.
        self._urls.clear()
        try:
            yield from super().post_process(*args, **kwargs)
        finally:
            self._urls.clear()
