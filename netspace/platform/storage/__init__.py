"""Campaign storage: URLs, defaults and the one credential masker (``urls``), SQLAlchemy/Optuna database access
and campaign-study lookup (``database``), and the fast trial reader for analysis (``results``)."""
