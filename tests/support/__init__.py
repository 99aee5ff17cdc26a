"""Importable helpers of the test suite (plain modules, not conftest): works under every pytest import mode."""
