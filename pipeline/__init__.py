"""newsprov: find repeated reporting across news articles, its origin, and the outlets credited."""

__version__ = "0.1.0"
