"""Upgrading an installation whose exports and retention runs were dashboards' records: after
`calldesk migrate` reports owns them, and every row written before reads as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from calldesk.accounts.models import Organization, User
from calldesk.reports.models import ExportRecord, RetentionRun

# Migrations while dashboards held the two models (the move is part of the migration that
# replaced reports' old 0004-0011).
BEFORE = [("dashboards", "0002_sec_sealed_filters"), ("reports", "0003_list_indexes")]


@pytest.mark.django_db(transaction=True)
def test_exports_and_retention_runs_written_before_the_move_read_after_it() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        org = Organization.objects.create(slug="old", name="Old line", time_zone="UTC")
        user = User.objects.create(email="sam@old.example", organization=org)
        old.get_model("dashboards", "ExportRecord").objects.create(
            organization_id=org.pk, user_id=user.pk, format="csv", filters={"phone": "+12125550147"}, rows=12
        )
        old.get_model("dashboards", "RetentionRun").objects.create(
            organization_id=org.pk, retention_days=90, cutoff=datetime(2026, 1, 1, tzinfo=UTC), reports_redacted=3
        )

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

        record = ExportRecord.objects.get()
        assert (record.user, record.rows, record.filters) == (user, 12, {"phone": "+12125550147"})
        assert RetentionRun.objects.get(organization=org).reports_redacted == 3
        # The same tables: nothing copied, nothing left behind under another name.
        tables = connection.introspection.table_names()
        assert "dashboards_exportrecord" in tables and "reports_exportrecord" not in tables
        state = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
        assert state.get_model("reports", "ExportRecord")._meta.db_table == "dashboards_exportrecord"
        with pytest.raises(LookupError):
            state.get_model("dashboards", "ExportRecord")
    finally:  # whatever happened, the next tests find the database as migrate leaves it
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
