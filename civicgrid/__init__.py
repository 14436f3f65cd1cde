"""civicgrid: grassroots community governance and resilience."""

__version__ = "0.1.0"
