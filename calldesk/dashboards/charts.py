"""A chart as the dashboard page draws it (charts.js) and lists it in a table under it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "columns" (a time axis) or "bars" (categories)
    labels: list[str]
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)

    @property
    def rows(self) -> list[tuple[str, int]]:
        return list(zip(self.labels, self.values, strict=True))
