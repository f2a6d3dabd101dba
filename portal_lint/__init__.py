"""portal-lint: keep service repositories honest to their developer portal."""

__version__ = "0.1.0"
