"""Reporting: figures, HTML and files built from the pure analysis in :mod:`netspace.platform.analysis`.

- :mod:`.style` — space colours, tick labels and number formats shared by ``netspace report`` and the dashboard
- :mod:`.report` — ``netspace report``: reads the storage once, writes PNG figures, CSV tables and ``index.html``
"""
