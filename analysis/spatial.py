"""Spatial clustering of the composite scores: Local Moran's I with false-discovery control
(method page, "Rumlige klynger")."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import reference

if TYPE_CHECKING:  # esda / libpysal / geopandas are imported lazily: only Moran needs them
    import geopandas as gpd
    from libpysal.weights import W

# Cluster labels for the book (Danish). Quadrants follow esda: 1 HH, 2 LH, 3 LL, 4 HL.
QUADRANTS: dict[int, str] = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
CLUSTER_LABELS: dict[str, str] = {
    "HH": "Høj-høj",
    "LL": "Lav-lav",
    "HL": "Høj-lav",
    "LH": "Lav-høj",
}
NOT_SIGNIFICANT = "Ikke signifikant"
NO_NEIGHBOURS = "Ingen naboer"
NO_DATA = "Ingen data"


# Start of libpysal's UserWarning for islands / disconnected components (libpysal 4.x).
_DISCONNECTED = "The weights matrix is not fully connected"


def _queen_weights(gdf: gpd.GeoDataFrame) -> W:
    """Row-standardised queen contiguity weights keyed by the frame's index.

    libpysal warns when some units have no neighbours (islands) or the graph falls apart into
    several components. Both are expected here (water, the harbour, a few detached roder) and are
    handled by the callers (islands are reported as NO_NEIGHBOURS), so the warnings are silenced
    for this call only.
    """
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_DISCONNECTED, category=UserWarning)
        w = Queen.from_dataframe(gdf, use_index=True)
    return w


def _without_islands(w: W) -> W | None:
    """Drop units without neighbours from ``w`` (their local statistic is undefined).

    Returns None when every unit is an island.
    """
    from libpysal.weights import w_subset

    islands = set(w.islands)
    keep = [i for i in w.id_order if i not in islands]
    if not keep:
        return None
    if islands:
        with warnings.catch_warnings():
            # the subset can still be disconnected; see _queen_weights
            warnings.filterwarnings("ignore", message=_DISCONNECTED, category=UserWarning)
            w = w_subset(w, keep)
    w.transform = "r"
    return w


def _prepared_weights(gdf: gpd.GeoDataFrame, column: str) -> tuple[gpd.GeoDataFrame, W | None]:
    """Rows with data, and their island-free row-standardised queen weights (None if none left)."""
    if not gdf.index.is_unique:
        raise ValueError("the GeoDataFrame index must be unique (it keys the weights)")
    data = gdf[gdf[column].notna()]
    if len(data) == 0:
        return data, None
    return data, _without_islands(_queen_weights(data))


# Fewest units with neighbours for which a Moran statistic is computed at all.
_MIN_UNITS = 3


def local_moran(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    permutations: int | None = None,
    alpha: float = 0.05,
    seed: int = 20111,
) -> pd.DataFrame:
    """Local Moran's I per unit with queen contiguity and false-discovery control.

    Units with NaN in ``column`` are dropped before the weights are built (cluster NO_DATA); units
    that then have no neighbour are left out of the computation (cluster NO_NEIGHBOURS), so they
    neither get a statistic nor count in the FDR correction. Significance: p_sim <= esda.fdr(p_sim,
    alpha) over the units tested (esda.fdr falls back to the Bonferroni bound alpha / n when no
    p-value passes the Benjamini-Hochberg step).

    p_sim is esda's folded pseudo p-value (share of permutations at least as extreme on the side
    of the observed value), computed with the given seed so results are reproducible.

    Returns, indexed like ``gdf``: Is, p_sim, quadrant (HH/LH/LL/HL), significant, cluster.
    """
    from esda import Moran_Local, fdr

    permutations = reference.param("sensitivity", "permutations") if permutations is None else permutations

    out = pd.DataFrame(
        {
            "Is": np.nan,
            "p_sim": np.nan,
            "quadrant": pd.Series(pd.NA, index=gdf.index, dtype="string"),
            "significant": False,
            "cluster": NO_DATA,
        },
        index=gdf.index,
    )
    data, w = _prepared_weights(gdf, column)
    out.loc[data.index, "cluster"] = NO_NEIGHBOURS
    if w is None:
        return out
    ids = list(w.id_order)
    out.loc[ids, "cluster"] = NOT_SIGNIFICANT
    if w.n < _MIN_UNITS:
        return out

    y = data.loc[ids, column].to_numpy(dtype=float)
    with warnings.catch_warnings():
        # esda announces a future change of its default alternative hypothesis; we keep and
        # document the current folded (directed) p-value, which Moran_Local does not let us name.
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        lisa = Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed)
    significant = lisa.p_sim <= fdr(lisa.p_sim, alpha)
    quadrant = pd.Series(lisa.q, index=ids).map(QUADRANTS)

    out.loc[ids, "Is"] = lisa.Is
    out.loc[ids, "p_sim"] = lisa.p_sim
    out.loc[ids, "quadrant"] = quadrant
    out.loc[ids, "significant"] = significant
    out.loc[ids, "cluster"] = np.where(significant, quadrant.map(CLUSTER_LABELS).to_numpy(), NOT_SIGNIFICANT)
    return out
