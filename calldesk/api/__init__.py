"""The HTTP API for phone systems and other programs (SPEC §6); docs/api.md describes it."""
