"""netspace: sample, train and compare populations of networks from parameterised design spaces."""

__version__ = "0.1.0"  # the only copy: pyproject.toml reads it ([tool.setuptools.dynamic])
