"""Campaign storage, the one adapter for the database and Optuna's storage: every engine, retry and storage
error message lives here.

- :mod:`.urls` — URLs, defaults and the one credential masker (pure)
- :mod:`.database` — engines (owned or shared per process), reachability checks, retries through outages, the
  Optuna storage (:func:`~.database.open_storage`) and campaign-study lookup
- :mod:`.optuna_storage` — Optuna's ``RDBStorage`` with every public method retried
- :mod:`.results` — the fast trial reader (SQL straight into DataFrames) and the one campaign listing
  (:func:`~.results.list_campaigns`)
- :mod:`.importance` — parameter importance with Optuna's evaluators
"""
