from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connector.harness import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
