"""MLflow: run logging, registration of ``soccer-1x2`` and the alias promotion policy."""
