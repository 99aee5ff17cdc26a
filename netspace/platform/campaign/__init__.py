"""Campaigns: the campaign file (``spec``), the driver (``engine``) with its Optuna studies (``study``), Ray Tune
execution (``scheduler``, ``task``), the driver lease (``lease``), the live display (``progress``) and read-only
status views (``state``)."""
