"""Analysis of design-space populations: pure, vectorised numpy functions (no I/O).

- :mod:`.edf` — error EDFs F(e) = fraction of models with error < e
- :mod:`.normalized` — normalized-EDF weights (same complexity distribution for every space)
- :mod:`.ks` — KS statistic D = sup |F1 − F2| (weighted too)
- :mod:`.bootstrap` — bootstrap EDF bands, bootstrap "good region" of a parameter
- :mod:`.trends` — binned best / median error against a parameter or complexity
- :mod:`.fit` — quantized linear fit (w0, wa, wm) of per-block widths and e_fit
- :mod:`.efficiency` — expected best error among k random models (order statistics)
- :mod:`.compare` — the same on a trials DataFrame: EDF curves, summary table, parameter trends, pairwise
  comparisons with p-values and bootstrap intervals
- :mod:`.refine` — the next refinement of a space: bootstrap good regions and error trends per parameter
- :mod:`.verdicts`, :mod:`.multiplicity`, :mod:`.stratified` — the pair verdict's rule and words, Holm / min-p
  adjustments, the within-bin permutation test and weighted medians of normalized EDFs
- :mod:`.evidence` — refine's good regions and trends tested against shuffled errors
- :mod:`.derived` — derived per-model quantities of AnyNet / RegNet configs (total depth, width ratios, …)
"""

from netspace.platform.analysis.bootstrap import edf_band, good_region, median_diff_interval
from netspace.platform.analysis.compare import (
    complexity_trend,
    differing_pairs,
    edf_curves,
    finished,
    pairwise_comparisons,
    param_columns,
    param_trends,
    space_order,
    space_weights,
    split_references,
    summary_table,
)
from netspace.platform.analysis.derived import derived_features, derived_frame, with_features
from netspace.platform.analysis.edf import edf, edf_at, error_grid
from netspace.platform.analysis.efficiency import efficiency_curve, expected_min_error
from netspace.platform.analysis.fit import QuantizedLinearFit, e_fit, fit_error, quantized_linear_fit, quantized_widths
from netspace.platform.analysis.ks import ks_matrix, ks_statistic
from netspace.platform.analysis.multiplicity import holm, min_p_adjust
from netspace.platform.analysis.normalized import (
    EmptyBinWarning,
    bin_index,
    complexity_edges,
    empty_bins,
    log_bins,
    normalized_weights,
    normalized_weights_in_range,
)
from netspace.platform.analysis.refine import RefineResult, refine_space
from netspace.platform.analysis.stratified import weighted_median
from netspace.platform.analysis.trends import binned_trend

__all__ = [
    "EmptyBinWarning", "RefineResult", "complexity_edges", "empty_bins", "median_diff_interval",
    "normalized_weights_in_range", "pairwise_comparisons", "refine_space", "differing_pairs", "derived_features",
    "derived_frame", "with_features", "holm", "min_p_adjust", "weighted_median",
    "QuantizedLinearFit", "bin_index", "binned_trend", "complexity_trend", "e_fit", "edf", "edf_at", "edf_band", "edf_curves",
    "efficiency_curve", "error_grid", "expected_min_error", "finished", "fit_error", "good_region", "ks_matrix",
    "ks_statistic", "log_bins", "normalized_weights", "param_columns", "param_trends", "quantized_linear_fit",
    "quantized_widths", "space_order", "space_weights", "split_references", "summary_table",
]
