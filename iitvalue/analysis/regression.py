"""Pricing method (b): a robust regression of the log upfront on the deal's features over the comparables dataset
(docs/method.md 4.4), and of the upfront's share of headline value (method (b'), the same features):

    ln(upfront_i) = x_i' beta + e_i,        ln(upfront_i / C_i) = x_i' gamma + u_i,

C_i the contingent consideration (headline - upfront; the share's logit is ln(upfront / C)); a deal with known
C is then priced at exp(x' gamma) x C, whose log error is u.

with x_i: an intercept; the deal type (acquisition, co-development, option; licence the baseline); the stage
rank (preclinical and platform 0, IIT and phase 1 1, phase 2 2, phase 3 3, filed 4, approved 5) and a flag for a
China IIT readout at signing (the data's strength: the dataset carries readout counts for too few deals to use
them); the modality group (cell therapy, gene therapy; other modalities the baseline); regional rights (not
worldwide); China origin; a platform; the year (minus 2020). beta is Huber's M-estimate (c = 1.345, scale
1.4826 x the median absolute residual, iteratively reweighted least squares; Huber 1964, Holland & Welsch 1977),
so a few extreme deals (the multi-billion company purchases) do not set the slope for all.

The prediction interval comes from the model's own residuals, not an assumed sigma: the empirical 10 % and 90 %
quantiles of its leave-one-out log errors, ln(upfront_i / prediction without deal i), added to the log
prediction.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..termsheet.vocabulary import STAGE_RANK

HUBER_C = 1.345  # 95 % efficiency at the normal (Holland & Welsch 1977)
CELL = frozenset({"car-t", "tcr-t", "car-nk", "cell-therapy", "t-cell", "nk-cell"})
GENE = frozenset({"gene-therapy"})
FEATURES = ("intercept", "acquisition", "co-development", "option", "stage_rank", "iit", "cell_therapy",
            "gene_therapy", "regional", "china_origin", "platform", "year")
MIN_DEALS = len(FEATURES) + 8  # a fit needs clearly more deals than parameters


def features(deal: dict[str, Any]) -> np.ndarray:
    """The regressors of one deal (a dataset row or :func:`sheet_record`): :data:`FEATURES` in order.

    Examples
    --------
    >>> x = features({"type": "acquisition", "stage": "iit", "modality": "car-t", "territory": "worldwide",
    ...               "china_origin": False, "platform": True, "date": "2025-03-17"})
    >>> dict(zip(FEATURES, x.tolist()))["stage_rank"], x[-1]
    (1.0, 5.0)
    """
    stage = deal["stage"]
    date = deal["date"] if isinstance(deal["date"], _dt.date) else _dt.date.fromisoformat(str(deal["date"]))
    rank = 0.0 if stage == "platform" else float(STAGE_RANK[stage])
    territory = str(deal.get("territory") or "worldwide").strip().lower()
    return np.array([1.0, deal["type"] == "acquisition", deal["type"] == "co-development", deal["type"] == "option",
                     rank, stage == "iit", deal["modality"] in CELL, deal["modality"] in GENE,
                     not territory.startswith("worldwide"), bool(deal["china_origin"]), bool(deal["platform"]),
                     date.year + (date.timetuple().tm_yday - 1) / 365.25 - 2020.0], dtype=float)


def sheet_record(sheet) -> dict[str, Any]:
    """A term sheet's deal as a dataset record: type (an option when it has ``[deal.option]``), stage, modality,
    territory (``deal.territory``), China origin, platform and date."""
    d = sheet.deal
    return {"name": sheet.asset.name, "type": "option" if d.option is not None else d.kind,
            "stage": sheet.asset.stage, "modality": sheet.asset.modality, "territory": d.territory,
            "china_origin": d.china_origin, "platform": d.platform, "date": d.date}


def huber(X: np.ndarray, y: np.ndarray, c: float = HUBER_C, iterations: int = 100,
          tol: float = 1e-10) -> tuple[np.ndarray, float]:
    """Huber's M-estimate of beta in y = X beta + e by iteratively reweighted least squares, with the scale
    re-estimated each step as 1.4826 x the median absolute residual (MAD about 0); returns (beta, scale).

    Weights w_i = min(1, c / |r_i / s|): least squares for residuals within c scales, absolute deviation beyond.
    A tiny ridge (1e-8) keeps the normal equations solvable when a dummy is constant in the data.

    Examples
    --------
    >>> X = np.c_[np.ones(6), np.arange(6.0)]
    >>> b, s = huber(X, 1.0 + 2.0 * np.arange(6.0))      # an exact line: the least-squares solution
    >>> np.round(b, 9).tolist()
    [1.0, 2.0]
    """
    ridge = 1e-8 * np.eye(X.shape[1])
    ridge[0, 0] = 0.0
    beta = np.linalg.solve(X.T @ X + ridge, X.T @ y)
    scale = 0.0
    for _ in range(iterations):
        r = y - X @ beta
        scale = 1.4826 * float(np.median(np.abs(r)))
        if scale <= 1e-12:
            break
        w = np.minimum(1.0, c * scale / np.maximum(np.abs(r), 1e-300))
        new = np.linalg.solve((X * w[:, None]).T @ X + ridge, (X * w[:, None]).T @ y)
        if np.max(np.abs(new - beta)) < tol:
            beta = new
            break
        beta = new
    return beta, scale


@dataclass(frozen=True)
class RegressionFit:
    """A fitted method (b): coefficients (:data:`FEATURES`), robust scale, the deals fitted, their leave-one-out
    log errors and the 10 % / 90 % quantiles of those errors (the 80 % prediction interval in logs)."""

    beta: np.ndarray
    scale: float
    names: tuple[str, ...]
    loo_errors: np.ndarray
    interval: tuple[float, float]

    def predict(self, deal: dict[str, Any]) -> tuple[float, float, float]:
        """The upfront and its 80 % prediction interval (millions) for a deal record."""
        mu = float(features(deal) @ self.beta)
        return math_exp(mu), math_exp(mu + self.interval[0]), math_exp(mu + self.interval[1])

    def coefficients(self) -> dict[str, float]:
        return dict(zip(FEATURES, map(float, self.beta)))


def math_exp(x: float) -> float:
    return float(np.exp(x))


def usable(rows: list[dict[str, Any]], target: str = "upfront") -> list[dict[str, Any]]:
    """The rows a regression can use: a disclosed, positive upfront; for the ``share`` target also contingent
    consideration (headline > upfront), without which the share says nothing about the split."""
    out = [r for r in rows if r.get("upfront") is not None and r["upfront"] > 0]
    if target == "share":
        out = [r for r in out if r.get("headline_total") and r["headline_total"] > r["upfront"]]
    return out


def response(rows: list[dict[str, Any]], target: str = "upfront") -> np.ndarray:
    """ln(upfront), or for ``share`` the logit of the upfront's share of headline value, ln(upfront / C) with
    C = headline - upfront: the same number as the log error of the upfront it implies, s / (1 - s) x C."""
    up = np.array([r["upfront"] for r in rows], dtype=float)
    if target == "share":
        return np.log(up / (np.array([r["headline_total"] for r in rows], dtype=float) - up))
    return np.log(up)


def fit_regression(rows: list[dict[str, Any]], loo: bool = True, target: str = "upfront") -> RegressionFit | None:
    """Fit method (b) on ``rows`` (dataset records with an upfront); None when there are fewer than
    :data:`MIN_DEALS`. ``loo``: also the leave-one-out errors and the interval from them (else the interval is
    +-1.2816 x the robust scale: a normal approximation, used only inside a leave-one-out loop). ``target``:
    ``upfront`` (ln upfront) or ``share`` (the logit of the upfront's share of headline, :func:`response`)."""
    rows = usable(rows, target)
    if len(rows) < MIN_DEALS:
        return None
    X = np.array([features(r) for r in rows])
    y = response(rows, target)
    beta, scale = huber(X, y)
    if loo:
        errors = np.empty(len(rows))
        for i in range(len(rows)):
            keep = np.arange(len(rows)) != i
            b, _ = huber(X[keep], y[keep])
            errors[i] = y[i] - X[i] @ b
        interval = (float(np.quantile(errors, 0.10)), float(np.quantile(errors, 0.90)))
    else:
        errors = y - X @ beta
        interval = (-1.2816 * scale, 1.2816 * scale)
    return RegressionFit(beta, scale, tuple(r["name"] for r in rows), errors, interval)
