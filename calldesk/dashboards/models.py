"""Dashboards own no records: they read reports, exports and retention runs (all in `reports`)."""
