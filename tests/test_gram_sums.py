"""The sums over ``G = W'W`` of the moment variances (``estimators/_gram_sums.py``): the compiled
pass over the rows of ``G`` and scipy's explicit product both equal the dense definitions
``s'(G o G)s``, ``s'(G o W)s`` and ``s'(W o W + W o W')s``, on seeded random weights that are
not symmetric and have empty rows and columns, self-links, negative entries and repeated
entries; and a GM error fit is the same on either path."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from naeringsmiljo import SAC, SEM, SpatialWeights
from naeringsmiljo.estimators import _gram_sums as gs
from naeringsmiljo.exceptions import SpecificationError, WeightsError

# the compiled path (numba is in the test extra; without it, only the scipy path is checked)
needs_numba = pytest.mark.skipif(not gs.numba_available(), reason="numba is not installed")
ENGINES = [pytest.param("numba", marks=needs_numba), "scipy"]

# Both sides add the same products in another order: the error is rounding, at most about
# (terms per sum) * eps relative to the sum of the absolute values of the terms. 1e-12 of that
# sum leaves a margin of 100 over n * k^2 * eps for the sizes below; a wrong index, a missed
# reset of the accumulator or a dropped block changes the sums at order one.
RTOL = 1e-12


def _random_weights(n: int, seed: int, density: float = 0.02) -> sp.csr_array:
    """Non-symmetric, signed, with self-links, repeated entries, empty rows and columns."""
    rng = np.random.default_rng(seed)
    nnz = int(density * n * n)
    rows = rng.integers(0, n, nnz)
    cols = rng.integers(0, n, nnz)
    empty_rows = rng.choice(n, n // 10, replace=False)
    empty_cols = rng.choice(n, n // 10, replace=False)
    keep = ~np.isin(rows, empty_rows) & ~np.isin(cols, empty_cols)
    rows, cols = rows[keep], cols[keep]
    rows = np.concatenate([rows, rows[:5], np.arange(0, n, 9)])  # repeats and self-links
    cols = np.concatenate([cols, cols[:5], np.arange(0, n, 9)])
    values = rng.uniform(-0.5, 1.0, rows.size)
    coo = sp.coo_array((values, (rows, cols)), shape=(n, n))  # duplicates summed on conversion
    return sp.csr_array(coo)


def _dense_sums(w: np.ndarray, s: np.ndarray) -> np.ndarray:
    g = w.T @ w
    ss = np.outer(s, s)
    return np.array([np.sum(g * g * ss), np.sum(g * w * ss), np.sum((w * w + w * w.T) * ss)])


def _scale(w: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The sums of the absolute values of the terms: the scale of the rounding error."""
    return _dense_sums(np.abs(w), np.abs(s))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sums_are_the_dense_definitions(engine: str, seed: int) -> None:
    n = 150
    w = _random_weights(n, seed)
    s = np.random.default_rng(seed + 10).uniform(0.1, 3.0, n)
    dense = w.toarray()
    assert (dense != dense.T).any() and (dense < 0).any() and np.diag(dense).any()
    assert (~dense.any(axis=1)).sum() >= n // 10 and (~dense.any(axis=0)).sum() >= n // 10
    sums = gs.GramSums.of(w, engine)
    assert sums.engine == engine
    for weights in (s, None):
        v = np.ones(n) if weights is None else weights
        np.testing.assert_allclose(
            sums(weights), _dense_sums(dense, v), rtol=0, atol=RTOL * _scale(dense, v).max()
        )


@pytest.mark.parametrize("engine", ENGINES)
def test_repeated_coo_entries_are_summed_as_in_sparse_products(engine: str) -> None:
    """Non-canonical CSR (duplicate column indices in a row) counts as the sum of the entries."""
    n = 30
    rng = np.random.default_rng(5)
    rows, cols = rng.integers(0, n, 200), rng.integers(0, n, 200)
    values = rng.random(200)
    raw = sp.csr_array((values, (rows, cols)), shape=(n, n))
    duplicated = sp.csr_array(
        (np.repeat(raw.data, 2) / 2, np.repeat(raw.indices, 2), 2 * raw.indptr), shape=(n, n)
    )
    assert not duplicated.has_canonical_format
    s = rng.random(n)
    expected = _dense_sums(raw.toarray(), s)
    np.testing.assert_allclose(gs.gram_sums(duplicated, s, engine), expected, rtol=RTOL)


@needs_numba
def test_compiled_sums_agree_with_scipy_on_neighbour_weights() -> None:
    """k-nearest-neighbour weights (the loop's renumbering matters here), n = 3,000."""
    from scipy.spatial import cKDTree

    n, k = 3000, 8
    rng = np.random.default_rng(7)
    points = rng.random((n, 2))
    _, idx = cKDTree(points).query(points, k + 1)
    w = sp.csr_array(
        (np.full(n * k, 1 / k), (np.repeat(np.arange(n), k), idx[:, 1:].ravel())), shape=(n, n)
    )
    s = rng.chisquare(1, n)
    compiled = gs.GramSums.of(w, "numba")
    # positive terms: no cancellation, so a relative tolerance on each sum
    np.testing.assert_allclose(compiled(s), gs.gram_sums_scipy(w, s), rtol=RTOL)
    np.testing.assert_allclose(compiled(), gs.gram_sums_scipy(w, np.ones(n)), rtol=RTOL)


@needs_numba
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_values_give_the_pass_bit_for_bit(seed: int) -> None:
    """``keeping_gram``: the pass from the kept entries of ``G`` adds the same terms in the
    same order as the pass that accumulates them (equal to the last bit), on weights with
    empty rows and columns, self-links, negative and repeated entries, and kNN weights."""
    rng = np.random.default_rng(seed + 50)
    for w in (_random_weights(150, seed), _knn_weights(rng, 400, 6).sparse):
        streaming = gs.GramSums.of(w, "numba")
        kept = streaming.keeping_gram()
        assert streaming.kept is None and kept.kept is not None
        assert kept.keeping_gram() is kept
        s = rng.uniform(-1.0, 2.0, (w.shape[0], 3))
        np.testing.assert_array_equal(kept.bilinear(s), streaming.bilinear(s))
        order = kept.renumbering
        assert order is not None and order.gram.kept is not None
        np.testing.assert_array_equal(order.gram.bilinear(order.into(s)), streaming.bilinear(s))
    assert gs.GramSums.of(w, "scipy").keeping_gram().kept is None  # nothing to keep there


@needs_numba
def test_compiled_sums_do_not_depend_on_the_number_of_threads() -> None:
    w = _random_weights(200, 11)
    s = np.random.default_rng(12).random(200)
    import numba

    sums = gs.GramSums.of(w, "numba")
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sums(s)
    finally:
        numba.set_num_threads(before)
    assert sums(s) == one  # fixed blocks added in a fixed order: bit for bit


@needs_numba
def test_auto_compiles_only_large_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    w = _random_weights(100, 13)
    assert gs.GramSums.of(w).engine == "scipy"  # a few hundred entries: not worth numba
    monkeypatch.setattr(gs, "COMPILED_MIN_NNZ", w.nnz)
    assert gs.GramSums.of(w).engine == "numba"
    monkeypatch.setattr(gs, "numba_available", lambda: False)
    assert gs.GramSums.of(w).engine == "scipy"


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(WeightsError, match="square"):
        gs.GramSums.of(sp.csr_array(np.ones((3, 4))))
    with pytest.raises(SpecificationError, match=r"shape \(3,\)"):
        gs.GramSums.of(sp.csr_array(np.ones((3, 3))))(np.ones(4))


def _knn_weights(rng: np.random.Generator, n: int, k: int) -> SpatialWeights:
    """Row-standardised ``k``-nearest-neighbour weights of ``n`` uniform points drawn from ``rng``."""
    from scipy.spatial import cKDTree

    points = rng.random((n, 2))
    _, idx = cKDTree(points).query(points, k + 1)
    matrix = sp.csr_array(
        (np.full(n * k, 1.0 / k), (np.repeat(np.arange(n), k), idx[:, 1:].ravel())), shape=(n, n)
    )
    return SpatialWeights.from_sparse(matrix, transform="r")


#: The fits of the moment estimators that pass over W'W.
FITS = (
    (SEM, {"method": "gm_error", "variant": "het"}),
    (SEM, {"method": "gm_error", "variant": "hom"}),
    (SAC, {"method": "gs2sls", "w_lags": 1}),
)


def _problem(seed: int) -> tuple[SpatialWeights, np.ndarray, np.ndarray]:
    """kNN weights over 300 units and heteroskedastic data of a regression on two columns."""
    rng = np.random.default_rng(seed)
    w = _knn_weights(rng, 300, 5)
    x = rng.standard_normal((w.n, 2))
    y = x @ [1.0, -0.5] + rng.standard_normal(w.n) * (1 + rng.random(w.n))
    return w, x, y


@needs_numba
def test_fits_are_the_same_on_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """GM error (het, hom) and GS2SLS fits with the compiled sums equal those with scipy's
    explicit ``W'W``: the same moments and weighting, the variances equal to rounding."""
    w, x, y = _problem(21)

    def fits() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for model, options in FITS:
            weights = SpatialWeights.from_sparse(w.sparse, transform="r")  # nothing kept
            res = model.from_arrays(y, x, weights).fit(**options)
            out.append((res.params.to_numpy(), res.cov.to_numpy(), res.resid.to_numpy()))
        return out

    monkeypatch.setattr(gs, "COMPILED_MIN_NNZ", 0)  # the compiled path at any size
    compiled = fits()  # run in the breadth-first order of the pass (gs.Renumbering)
    monkeypatch.setattr(gs, "numba_available", lambda: False)
    explicit = fits()  # in the given order
    for (p1, c1, r1), (p2, c2, r2) in zip(compiled, explicit, strict=True):
        # the estimates are roots of the same quartic weighted by variances equal to rounding
        np.testing.assert_allclose(p1, p2, rtol=1e-10)
        np.testing.assert_allclose(c1, c2, rtol=1e-9)
        # the residuals back in the units' order: a unit out of place would differ at order one
        np.testing.assert_allclose(r1, r2, rtol=0, atol=1e-10 * np.abs(r2).max())


@needs_numba
def test_renumbering_moves_rows_and_weights_alike() -> None:
    """``Renumbering``: ``w`` is ``P W P'`` for the gather ``into``, ``back`` undoes ``into``,
    and the sums of vectors in that order equal those of the given order."""
    rng = np.random.default_rng(22)
    w = _knn_weights(rng, 250, 4).sparse
    sums = gs.GramSums.of(w, "numba")
    order = sums.renumbering
    assert order is not None and not np.array_equal(order.order, np.arange(w.shape[0]))
    v = rng.standard_normal((w.shape[0], 2))
    np.testing.assert_array_equal(order.back(order.into(v)), v)
    # the same products summed in another order: rounding only
    np.testing.assert_allclose(order.w @ order.into(v), order.into(w @ v), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(
        order.w.T @ order.into(v), order.into(w.T @ v), rtol=1e-14, atol=1e-15
    )
    s = rng.uniform(0.5, 2.0, (w.shape[0], 3))
    np.testing.assert_allclose(order.gram.bilinear(order.into(s)), sums.bilinear(s), rtol=1e-12)
    assert order.gram.renumbering is None  # already in its own order
    assert gs.GramSums.of(w, "scipy").renumbering is None


def test_hom_constants_are_kept_with_the_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second homoskedastic GM error fit on the same weights reuses the constants of W (no
    pass over W'W) and gives the same numbers; ``release("gmm")`` drops them."""
    from naeringsmiljo.estimators import _moments as gmm

    rng = np.random.default_rng(31)
    w = _knn_weights(rng, 200, 4)
    x = rng.standard_normal((w.n, 2))
    y = x @ [1.0, 2.0] + rng.standard_normal(w.n)
    first = SEM.from_arrays(y, x, w).fit(method="gm_error", variant="hom")
    assert gmm.HOM_TRACES_KEY in w.prepared()
    calls: list[int] = []
    original = gmm._hom_traces
    monkeypatch.setattr(gmm, "_hom_traces", lambda *a, **k: calls.append(1) or original(*a, **k))
    second = SEM.from_arrays(y, x, w).fit(method="gm_error", variant="hom")
    assert calls == []
    np.testing.assert_array_equal(first.params, second.params)  # the same constants: bit for bit
    np.testing.assert_array_equal(first.cov, second.cov)
    w.release("gmm")
    assert gmm.HOM_TRACES_KEY not in w.prepared()
    SEM.from_arrays(y, x, w).fit(method="gm_error", variant="hom")
    assert calls == [1]


@pytest.mark.parametrize("engine", ENGINES)
def test_bilinear_forms_are_the_dense_definitions(engine: str) -> None:
    """``S' M S`` for three columns at once, each entry ``s_a' M s_b`` of the dense ``M``
    (not symmetric for ``G o W``: the orientation is checked)."""
    n = 120
    w = _random_weights(n, 41)
    dense = w.toarray()
    g = dense.T @ dense
    s = np.random.default_rng(42).uniform(-1.0, 2.0, (n, 3))
    forms = gs.GramSums.of(w, engine).bilinear(s)
    for c, m in enumerate((g * g, g * dense, dense * dense + dense * dense.T)):
        expected = s.T @ m @ s
        scale = np.abs(s).T @ np.abs(m) @ np.abs(s)  # the rounding scale of each entry
        np.testing.assert_allclose(forms[c], expected, rtol=0, atol=RTOL * scale.max())
    with pytest.raises(SpecificationError, match=r"shape \(120, m\)"):
        gs.GramSums.of(w, engine).bilinear(np.ones(n))


@pytest.mark.parametrize("engine", ENGINES)
def test_one_pass_gives_the_variance_at_every_lambda(engine: str) -> None:
    """``HetMomentBasis`` (one pass for residuals ``u``) equals ``het_moment_variance`` (one
    pass per ``lambda``) at several ``lambda``, with and without the ``a`` vectors."""
    from naeringsmiljo.estimators import _moments as gmm

    rng = np.random.default_rng(43)
    w = _knn_weights(rng, 400, 6).sparse
    u = rng.standard_normal(w.shape[0]) * (1 + rng.random(w.shape[0]))
    wu = w @ u
    a1 = gmm.a1_het(w)
    matrices = gmm.HetVarianceMatrices.of(w, a1, engine)
    basis = gmm.HetMomentBasis.of(matrices, u, wu)
    a_vectors = rng.standard_normal((w.shape[0], 2))
    for lam in (-0.7, 0.0, 0.35, 0.9):
        e2 = (u - lam * wu) ** 2
        # the basis expands (u - lam Wu)^2 as a quadratic in lam: the same sums regrouped, with
        # cancellation of terms of order (|u| + |Wu|)^4 / e^4 at worst; 1e-10 leaves room for it
        np.testing.assert_allclose(
            basis.variance(lam), gmm.het_moment_variance(matrices, e2), rtol=1e-10
        )
        np.testing.assert_allclose(
            basis.variance(lam, a_vectors),
            gmm.het_moment_variance(matrices, e2, a_vectors),
            rtol=1e-10,
        )


@needs_numba
def test_prepared_weights_keep_g_and_give_the_same_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the compiled path, ``prepare(gmm=True)`` keeps the entries of ``G``; het, hom and
    GS2SLS fits on those weights equal fits on unprepared weights to the last bit."""
    from naeringsmiljo.estimators import _moments as gmm

    monkeypatch.setattr(gs, "COMPILED_MIN_NNZ", 0)  # the compiled path at any size
    w, x, y = _problem(45)
    plain = [
        model.from_arrays(y, x, SpatialWeights.from_sparse(w.sparse, transform="r")).fit(**o)
        for model, o in FITS
    ]
    w.prepare(gmm=True)
    assert w._cache[gmm.GRAM_SUMS_KEY].kept is not None
    for (model, o), before in zip(FITS, plain, strict=True):
        after = model.from_arrays(y, x, w).fit(**o)
        np.testing.assert_array_equal(after.params, before.params)
        np.testing.assert_array_equal(after.cov, before.cov)
        np.testing.assert_array_equal(after.resid, before.resid)


def test_prepared_weights_serve_the_fits_and_travel_with_them() -> None:
    """``w.prepare(gmm=True)`` keeps ``W`` prepared for the passes and the homoskedastic
    constants; het, hom and GS2SLS fits then use them and give the numbers of unprepared
    weights; the set-ups survive pickling and ``release("gmm")`` drops them."""
    import pickle

    from naeringsmiljo.estimators import _moments as gmm

    w, x, y = _problem(44)

    def fits(weights: SpatialWeights) -> list[np.ndarray]:
        return [
            model.from_arrays(y, x, weights).fit(**o).params.to_numpy() for model, o in FITS
        ]

    fresh = SpatialWeights.from_sparse(w.sparse, transform="r")
    plain = fits(fresh)
    assert gmm.GRAM_SUMS_KEY not in fresh.prepared()  # fits do not keep the large set-up
    w.prepare(gmm=True)
    assert {gmm.GRAM_SUMS_KEY, gmm.HOM_TRACES_KEY} <= set(w.prepared())
    assert {f"{gmm.A1_KEY}_het", f"{gmm.A1_KEY}_hom"} <= set(w.prepared())
    for a, b in zip(fits(w), plain, strict=True):
        np.testing.assert_array_equal(a, b)  # the same set-up, computed ahead
    copy = pickle.loads(pickle.dumps(w))
    assert gmm.GRAM_SUMS_KEY in copy.prepared()
    for a, b in zip(fits(copy), plain, strict=True):
        np.testing.assert_array_equal(a, b)
    w.release("gmm")
    assert not any(key.startswith("gmm") for key in w.prepared())


@needs_numba
def test_renumbered_gs2sls_with_durbin_terms_and_instruments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GS2SLS in the renumbered order with lags of X among the regressors (GNS), with an
    endogenous regressor and its external instrument, and with error weights of their own (no
    renumbering then): the same fits as on the scipy path in the given order."""
    import pandas as pd

    from naeringsmiljo import GNS

    rng = np.random.default_rng(23)
    w = _knn_weights(rng, 300, 5)
    other = _knn_weights(rng, 300, 4)
    z = rng.standard_normal(w.n)
    frame = pd.DataFrame(
        {"x1": rng.standard_normal(w.n), "z": z, "x2": z + rng.standard_normal(w.n)},
        index=w.ids,
    )
    frame["y"] = frame["x1"] - 0.5 * frame["x2"] + rng.standard_normal(w.n) * (1 + z**2)
    specs = (
        lambda: GNS.from_formula("y ~ x1 + x2", frame, w),
        lambda: SEM.from_formula("y ~ x1 + x2", frame, w, endog=["x2"], instruments=["z"]),
        lambda: SAC.from_formula("y ~ x1 + x2", frame, w, w_error=other),
    )

    def fits() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for make in specs:
            res = make().fit(method="gs2sls", w_lags=2)
            out.append((res.params.to_numpy(), res.cov.to_numpy(), res.resid.to_numpy()))
        return out

    monkeypatch.setattr(gs, "COMPILED_MIN_NNZ", 0)
    compiled = fits()
    monkeypatch.setattr(gs, "numba_available", lambda: False)
    explicit = fits()
    for (p1, c1, r1), (p2, c2, r2) in zip(compiled, explicit, strict=True):
        # rounding only, as in test_fits_are_the_same_on_either_path
        np.testing.assert_allclose(p1, p2, rtol=1e-10)
        np.testing.assert_allclose(c1, c2, rtol=1e-9)
        np.testing.assert_allclose(r1, r2, rtol=0, atol=1e-10 * np.abs(r2).max())
