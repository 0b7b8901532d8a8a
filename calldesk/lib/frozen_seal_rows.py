"""A frozen copy, for data migrations only, of sealing a column's rows written before the column
was sealed. Migrations import this rather than live code, which may change after they were
written; do not change it: write a new frozen copy for a new migration that needs other rules."""

from __future__ import annotations

import json
from typing import Any


def seal_rows(
    schema_editor: Any, table: str, column: str, clear: tuple[str, ...] = (), empty: tuple[str, ...] = ("",)
) -> None:
    """Seals the column's values written before it was sealed (the field's rule as it was:
    empty values and the words in `clear` stay as they are)."""
    from calldesk.lib.crypto import is_sealed, seal

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # The table and column are the calling migration's own names, quoted; values go as parameters.
        cursor.execute(f"SELECT id, {quote(column)} FROM {quote(table)}")  # noqa: S608  # nosec B608 - own names
        rows = [(pk, value) for pk, value in cursor.fetchall() if value is not None]
        for pk, value in rows:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            if text in empty or text in clear or is_sealed(text):
                continue
            update = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s"  # noqa: S608  # nosec B608 - own names
            cursor.execute(update, [seal(text), pk])
