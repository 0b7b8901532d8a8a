"""EXPLAIN (ANALYZE, BUFFERS) of every query the report list, the search and the dashboard run.

    DB_SERVER_SIDE_BINDING=false DATABASE_URL=postgres://… .venv/bin/python bench/explain_lists.py [--org acme]

Each page is fetched once as the organization's supervisor (Django's test client); every query
it sent that reads the reports (or their tokens) is run again under EXPLAIN (ANALYZE, BUFFERS) and
printed with its plan. Server-side binding must be off so that the captured SQL carries its values.
docs/benchmarks.md keeps the output of a run.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
os.environ.setdefault("DB_SERVER_SIDE_BINDING", "false")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from calldesk.accounts.models import Organization, Role, User  # noqa: E402
from calldesk.dashboards.counting import tuned  # noqa: E402

HEAVY = ("reports_callreport", "reports_reporttoken", "telephony_call", "dashboards_daycounts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--only", help="only the pages whose label contains this")
    args = parser.parse_args()
    org = Organization.objects.get(slug=args.org)
    supervisor = User.objects.filter(organization=org, role__in=[Role.SUPERVISOR, Role.ADMIN]).order_by("pk").first()
    assert supervisor is not None
    client = Client()
    client.force_login(supervisor)
    today = timezone.localdate(timezone=org.zone)
    month = f"from={today - timedelta(days=29)}&to={today}"
    pages = [
        ("list, default (every report but drafts)", "/reports/"),
        ("list, 30 days", f"/reports/?{month}"),
        ("list, page 200", "/reports/?page=200"),
        ("list, page 500", "/reports/?page=500"),
        ("list, sorted by agent", "/reports/?sort=agent"),
        ("list, sorted by agent, page 200", "/reports/?sort=agent&page=200"),
        ("search, summary 'manu'", "/reports/?f_summary=manu"),
        ("search, caller_name 'heal' (no match)", "/reports/?f_caller_name=heal"),
        ("search, caller_name 'manu'", "/reports/?f_caller_name=manu"),
        ("search, summary 'Manuel Ortega'", "/reports/?f_summary=Manuel+Ortega"),
        ("dashboard, 30 days", "/dashboards/"),
        ("dashboard, 365 days", f"/dashboards/?from={today - timedelta(days=364)}"),
    ]
    for label, url in pages:
        if args.only and args.only not in label:
            continue
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        print(f"\n=== {label}: GET {url}")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not any(table in sql for table in HEAVY) or not sql.lstrip().upper().startswith("SELECT"):
                continue
            # The dashboard's queries under its own settings, as it runs them.
            settings = tuned(connection.alias) if label.startswith("dashboard") else nullcontext()
            with transaction.atomic(), settings, connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            print(f"\n-- {query['time']} s as run by the page\n{sql}\n")
            print("\n".join(plan))


if __name__ == "__main__":
    main()
