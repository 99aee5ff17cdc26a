"""MLflow: per-campaign and per-trial runs (``tracker``), the model registry adapter (``model_registry``) and
promotion of the best networks (``promote``)."""
