"""Camera view changed (issue 16 item 5): a snapshot of a gate camera compared with the registered reference
view, pure (numpy on greyscale arrays).

The gate camera must show the whole vehicle body, the front and the plate of every passage (``shared/reference/
subsystems.md`` §3.3); a camera turned away, moved, or covered no longer does, while the plate events may go on.
The comparison must ignore what changes honestly: day and night (brightness, contrast, the infrared switch), sensor
noise, JPEG blocks, a slight shake in the wind.

Method [ours]
-------------
1. Both pictures to grey (ITU-R BT.601 luma weights 0.299, 0.587, 0.114) and averaged down over equal-area cells to
   the same grid (``view_grid`` cells on the long side): noise and compression blocks average out, pictures of
   different resolution become comparable.
2. The grid's gradients (differences to the right and downward neighbour): an added brightness disappears.
3. The similarity is the zero-mean normalised cross-correlation of the two gradient fields,

   .. math:: s = \\frac{\\sum (g_1 - \\bar g_1)(g_2 - \\bar g_2)}{\\sqrt{\\sum (g_1 - \\bar g_1)^2 \\sum (g_2 -
      \\bar g_2)^2}}

   so a multiplied brightness (night, exposure) disappears too; the best of the shifts by at most one cell is
   taken (shake).
4. A snapshot whose grey levels on the grid vary less than ``view_blank_std`` is *blank* (covered, painted, black):
   similarity 0.

``s`` near 1: the same view; below ``view_min_similarity``: ``VEH-CAMERA-VIEW``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosentry.contracts.catalogue import rule
from ecosentry.said import N_

__all__ = ["to_grey", "grid_mean", "prepare_reference", "ViewComparison", "compare_views", "view_changed", "VIEW_CODE"]

_SRC = "shared/reference/subsystems.md"
VIEW_CODE = "VEH-CAMERA-VIEW"
_LUMA = np.array([0.299, 0.587, 0.114])


def to_grey(image: np.ndarray) -> np.ndarray:
    """A greyscale float array (0–255) of an ``(h, w)``, ``(h, w, 3)`` or ``(h, w, 4)`` picture (alpha ignored)."""
    a = np.asarray(image, dtype=float)
    if a.ndim == 3:
        a = a[..., :3] @ _LUMA
    if a.ndim != 2 or min(a.shape) < 2:
        raise ValueError(f"a picture must be (h, w) or (h, w, 3), not {np.asarray(image).shape}")
    return a


def grid_mean(grey: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The mean of ``grey`` over ``rows × cols`` cells of (nearly) equal area, from the summed-area table (a picture
    smaller than the grid is repeated, not interpolated)."""
    h, w = grey.shape
    if h < rows or w < cols:
        grey = np.repeat(np.repeat(grey, -(-rows // h), axis=0), -(-cols // w), axis=1)
        h, w = grey.shape
    sat = np.zeros((h + 1, w + 1))
    sat[1:, 1:] = grey.cumsum(axis=0).cumsum(axis=1)
    r = np.linspace(0, h, rows + 1).astype(int)
    c = np.linspace(0, w, cols + 1).astype(int)
    sums = sat[r[1:, None], c[None, 1:]] - sat[r[:-1, None], c[None, 1:]] - sat[r[1:, None], c[None, :-1]] \
        + sat[r[:-1, None], c[None, :-1]]
    return sums / np.outer(np.diff(r), np.diff(c))


def _grid_shape(reference: np.ndarray, grid: int) -> tuple[int, int]:
    h, w = reference.shape
    if h >= w:
        return grid, max(8, round(grid * w / h))
    return max(8, round(grid * h / w)), grid


def _gradients(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.diff(g, axis=1)[:-1, :], np.diff(g, axis=0)[:, :-1]


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 0.0


def prepare_reference(reference: np.ndarray | tuple, grid: int = 48) -> tuple[int, int, np.ndarray, np.ndarray]:
    """The grid shape and gradients of a reference view (computed once per gate by a caller comparing many
    snapshots; a tuple from an earlier call passes through)."""
    if isinstance(reference, tuple):
        return reference
    ref = to_grey(reference)
    rows, cols = _grid_shape(ref, grid)
    rx, ry = _gradients(grid_mean(ref, rows, cols))
    return rows, cols, rx, ry


@dataclass(frozen=True)
class ViewComparison:
    similarity: float     # -1 … 1; 0 for a blank snapshot
    blank: bool           # the snapshot shows nothing (covered, black)
    snapshot_std: float   # grey-level spread of the snapshot on the grid [0–255]
    shift: tuple[int, int]  # the best shift (rows, columns) in cells


def compare_views(snapshot: np.ndarray, reference: np.ndarray | tuple, *, grid: int = 48,
                  blank_std: float = 2.0) -> ViewComparison:
    """Similarity of a snapshot to the reference view (module docstring).

    Parameters
    ----------
    snapshot, reference : array
        Pictures ``(h, w)`` or ``(h, w, 3)``, grey or RGB levels 0–255; sizes may differ. ``reference`` may be
        :func:`prepare_reference`'s tuple.
    grid : int
        Cells on the long side of the comparison grid (the reference's aspect ratio).
    blank_std : float
        Grey-level spread below which the snapshot is blank. [0–255]
    """
    rows, cols, rx, ry = prepare_reference(reference, grid)
    g_snap = grid_mean(to_grey(snapshot), rows, cols)
    spread = float(g_snap.std())
    if spread < blank_std:
        return ViewComparison(0.0, True, round(spread, 2), (0, 0))
    sx, sy = _gradients(g_snap)
    best, best_shift = -1.0, (0, 0)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r0, r1 = max(0, dr), rx.shape[0] + min(0, dr)
            c0, c1 = max(0, dc), rx.shape[1] + min(0, dc)
            a = np.concatenate([rx[r0:r1, c0:c1].ravel(), ry[r0:r1, c0:c1].ravel()])
            b = np.concatenate([sx[r0 - dr:r1 - dr, c0 - dc:c1 - dc].ravel(),
                                sy[r0 - dr:r1 - dr, c0 - dc:c1 - dc].ravel()])
            s = _ncc(a, b)
            if s > best + 1e-12 or (dr, dc) == (0, 0) and abs(s - best) <= 1e-12:
                best, best_shift = s, (dr, dc)
    return ViewComparison(round(best, 4), False, round(spread, 2), best_shift)


@rule(code=VIEW_CODE, severity="warning",
      summary="A gate camera's snapshot no longer shows its registered reference view (camera turned, moved or "
              "covered).",
      source=f"issue 16 item 5 (camera view changed); {_SRC} §3.3 (captures show the whole vehicle, the front and "
             "the plate)", tag="ours")
def view_changed(cmp: ViewComparison, min_similarity: float) -> str | None:
    """The sentence of a changed view, or ``None`` when the view is the registered one."""
    if cmp.blank:
        return N_("The camera of gate %(gate)s showed a blank picture at %(time)s (covered or black); its reference "
                  "view is not seen.")
    if cmp.similarity < min_similarity:
        return N_("The camera of gate %(gate)s at %(time)s no longer shows its reference view (similarity "
                  "%(similarity)s, at least %(required)s expected): turned, moved or covered.")
    return None
