"""Limits on a resource directory import: one set for `calldesk resources import` and the admin
page. They keep an import within memory and time a helpline's server has (the benchmark imports
50,000 services in one go), and every page that shows a record quick. Pure: no Django."""

from __future__ import annotations

# The files of one import together (every CSV table, or the one HSDS JSON document).
MAX_IMPORT_BYTES = 100 * 1024 * 1024
MAX_ROWS_PER_TABLE = 500_000
# HSDS leaves text unbounded; descriptions, eligibility, fees and notes are prose, the rest short.
MAX_SHORT_TEXT = 1_000
MAX_LONG_TEXT = 20_000
LONG_TEXT_FIELDS = frozenset(
    {
        "description",
        "transportation",
        "interpretation_services",
        "application_process",
        "fees_description",
        "fees",
        "accreditations",
        "eligibility_description",
        "licenses",
        "alert",
        "notes",
        "extent",
        "value",
    }
)
# Problems listed before an import stops looking for more.
MAX_PROBLEMS = 200


def text_limit(field_name: str) -> int:
    return MAX_LONG_TEXT if field_name in LONG_TEXT_FIELDS else MAX_SHORT_TEXT
