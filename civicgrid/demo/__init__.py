"""The demo city: a synthetic county-level city with its people, built by ``civicgrid demo``."""
