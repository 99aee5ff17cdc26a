"""``regimes:`` on a campaign space entry: the same space sampled in several complexity regimes, each as its own
labelled study (the paper's model zoo: the best model of every FLOP regime).

``{space: regnetx, samples: 8, regimes: [{flops: "1M:2M"}, {flops: "4M:8M"}]}`` expands to two entries labelled
``regnetx.1M-2M`` and ``regnetx.4M-8M`` (the entry's label, else its space, then the primary range), each with its
``regime`` and ``regime_of: regnetx`` (the group the zoo view and ``netspace zoo export`` compare across).
"""

from __future__ import annotations

import math


def regime_tag(regime) -> str:
    """``2M-4M`` for flops in [2M, 4M]; other metrics are prefixed (``params0-1M``); an open end is left empty."""
    from netspace.search_spaces.sampling import format_count as human

    lo = human(regime.low) if regime.low > 0 else "0"
    hi = "" if math.isinf(regime.high) else human(regime.high)
    return ("" if regime.metric == "flops" else regime.metric) + f"{lo}-{hi}"


def expand_regimes(entries: list) -> list:
    out = []
    for e in entries:
        if not e.regimes:
            out.append(e)
            continue
        base = e.model_dump(exclude={"regimes"}, exclude_none=True)
        group = e.key
        for r in e.regimes:
            label = f"{group}.{regime_tag(r.to_regime())}"
            out.append(type(e).model_validate({**base, "label": label, "regime": r.model_dump(exclude_none=True),
                                               "regime_of": group}))
    return out
