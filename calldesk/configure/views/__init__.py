"""The admins' pages, one module per subject; `common` holds the access helpers."""
