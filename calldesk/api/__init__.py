"""The HTTP API for phone systems and other programs; docs/api.md describes it."""
