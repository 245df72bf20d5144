## Reference values from R's spatialreg for SAC / GNS models with TWO
## different weights matrices (W1 for the spatial lag of y and for WX, W2 for
## the spatial error), Columbus crime data (Anselin 1988), model
## CRIME ~ INC + HOVAL, n = 49.
##
## Run from the repository root (after the files of generate_columbus.R exist):
##     Rscript tests/reference/r/generate_columbus_two_weights.R
##
## Inputs (all in tests/reference/r/):
##   columbus_queen_edges.csv       libpysal columbus.gal (queen), 236 directed links
##   columbus_spatialreg.json       made by generate_columbus.R; only read to
##                                  check the same-matrix control fits
## Outputs (all in tests/reference/r/):
##   columbus_knn4_edges.csv        k = 4 nearest neighbours, every directed link
##                                  (source = the point, target = one of its 4
##                                  nearest neighbours) as POLYID pairs, 196 rows
##   columbus_two_weights.json      all reference values (17 significant digits)
##
## kNN weights.  Coordinates are the X, Y columns of the data (spdep COL.OLD
## re-ordered to POLYID 1..49; identical to X, Y in libpysal's columbus.dbf),
## NOT the centroids of the polygons in columbus.shp: those are in another
## coordinate system and give a different 4-NN graph (12 of the 49 neighbour
## sets differ).  X and Y are stored as float32-like decimals (e.g.
## 35.619999), used as they are.  The graph is spdep::knn2nb(knearneigh(xy,
## k = 4, use_kd_tree = FALSE)) (Euclidean; the C code, independent of whether
## dbscan is installed).  The script checks (stopifnot) that no point has a
## distance tie between its 4th and 5th nearest neighbour, and that the same
## graph results from the coordinates rounded to 0.01; the smallest relative
## gap d(5th)/d(4th) - 1 is stored in meta.  The kNN graph is not symmetric;
## it is row-standardised like the others (style "W", each row 1/4).
##
## Fits: sacsarlm(CRIME ~ INC + HOVAL, listw = W1, listw2 = W2, method =
## "eigen"), and the same with Durbin = TRUE (GNS), for the pairs
## (W1, W2) = (queen, knn4), (knn4, queen), plus same-matrix controls
## (queen, queen) (checked against columbus_spatialreg.json) and (knn4, knn4).
##
## What spatialreg 1.2-6's sacsarlm does with two matrices (read from the
## source, print(spatialreg::sacsarlm)):
##   * Model  A y = X b + u,  B u = e,  A = I - rho W1,  B = I - lambda W2.
##     Durbin = TRUE: WX = create_WX(x, listw), i.e. the lags of X use W1
##     (listw), never listw2 (checked below: lag.INC == W1 %*% INC).
##   * log-likelihood (sacsar.f), sigma2 concentrated out:
##       ln|A| + ln|B| - n/2 ln(2 pi) - n/2 ln(SSE/n) - n/2,
##     SSE from least squares of B A y on B X; maximised over (rho, lambda)
##     with nlminb() from the best of 9 starting points (0.8 x the bounds and
##     0).  ln|A| = sum log(1 - rho e_i) over the eigenvalues e_i of W1 (Re()
##     of the sum when they are complex, as for the asymmetric kNN matrix),
##     ln|B| likewise with W2's eigenvalues.
##   * Quirk: the search interval for lambda is taken from W1's eigenvalues,
##     not W2's (jacobianSetup(which = 2) reads eig.range, which only
##     eigen_setup(which = 1) sets).  Harmless here: all optima are interior.
##   * Covariance: with method = "eigen" it is ANALYTIC also when listw2 !=
##     listw: fit$resvar = solve(I), the expected information for
##     (sigma2, rho, lambda, b) computed with W1 and W2 separately
##     (fit$ase is TRUE; checked for every fit).  With
##     WA = W1 A^-1, WB = W2 B^-1, H = B WA B^-1, s2 = SSE/n:
##       I[s2,s2]   = n / (2 s2^2)
##       I[s2,rho]  = tr(WA) / s2            (source: tr(W1 %*% AI) / s2)
##       I[s2,lam]  = tr(WB) / s2
##       I[rho,rho] = tr(WA WA) + tr(H'H) + (B WA X b)'(B WA X b) / s2
##       I[lam,lam] = tr(WB WB) + tr(WB'WB)
##       I[rho,lam] = tr(WB' H) + tr(W2 WA B^-1)
##       I[rho,b]   = (B X)'(B WA X b) / s2
##       I[lam,b]   = 0,  I[s2,b] = 0
##       I[b,b]     = (B X)'(B X) / s2
##     (X includes the W1-lagged columns for GNS.)  sacsarlm falls back to
##     the numerical Hessian only if solve() of this matrix fails (then
##     fit$ase is FALSE) or method != "eigen".  The first row/column is
##     labelled "sigma" by spatialreg but is sigma2; stored as "sigma2".
##   * vcov_fdHess: refit with control = list(fdHess = TRUE); spatialreg then
##     inverts minus nlme::fdHess's finite-difference Hessian of the
##     sigma2-concentrated log-likelihood in (rho, lambda, b): an observed
##     information, approximate: its s.e. differ by up to ~13% from those of
##     an accurate Hessian.  Therefore vcov_observed_cd is stored as well: the
##     same observed information with the Hessian by central differences
##     (steps 1e-4 * max(1, |theta_i|); stable to about 1e-6 relative when the
##     steps are changed).
##
## The script is deterministic (no random numbers); rerunning it reproduces
## the JSON byte for byte.

suppressPackageStartupMessages({
  library(spdep)
  library(spatialreg)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference", "r")
stopifnot(dir.exists(out_dir))
n <- 49L
k_nn <- 4L
formula <- CRIME ~ INC + HOVAL

## ---------------------------------------------------------------------------
## Data (POLYID order, as in generate_columbus.R)
## ---------------------------------------------------------------------------

data(oldcol, package = "spdep")  # COL.OLD
stopifnot(nrow(COL.OLD) == n, setequal(as.integer(COL.OLD$POLYID), 1:n))
dat <- COL.OLD[order(COL.OLD$POLYID), ]
stopifnot(identical(as.integer(dat$POLYID), 1:n))
pysal_dat <- read.csv(file.path(out_dir, "columbus_libpysal_data.csv"))
stopifnot(identical(as.integer(pysal_dat$POLYID), 1:n),
          all(sapply(c("CRIME", "INC", "HOVAL"),
                     function(v) all(dat[[v]] == pysal_dat[[v]]))))

## ---------------------------------------------------------------------------
## kNN (k = 4) from the X, Y columns
## ---------------------------------------------------------------------------

xy <- cbind(X = dat$X, Y = dat$Y)
stopifnot(!any(duplicated(xy)))
knn_nb <- knn2nb(knearneigh(xy, k = k_nn, use_kd_tree = FALSE))
stopifnot(all(card(knn_nb) == k_nn))

## ties: compare the k-th and (k+1)-th nearest distances of every point
D2 <- outer(xy[, 1], xy[, 1], "-")^2 + outer(xy[, 2], xy[, 2], "-")^2
diag(D2) <- Inf
kth <- t(apply(D2, 1, function(d) sort(d)[c(k_nn, k_nn + 1L)]))
rel_gap <- sqrt(kth[, 2]) / sqrt(kth[, 1]) - 1
stopifnot(all(kth[, 2] > kth[, 1]), min(rel_gap) > 1e-6)
## the nb equals the k smallest distances, and is unchanged by rounding to 0.01
stopifnot(all(sapply(seq_len(n), function(i)
  setequal(knn_nb[[i]], order(D2[i, ])[seq_len(k_nn)]))))
xyr <- round(xy, 2)
D2r <- outer(xyr[, 1], xyr[, 1], "-")^2 + outer(xyr[, 2], xyr[, 2], "-")^2
diag(D2r) <- Inf
stopifnot(all(sapply(seq_len(n), function(i) {
  s <- sort(D2r[i, ])
  s[k_nn] < s[k_nn + 1L] && setequal(knn_nb[[i]], order(D2r[i, ])[seq_len(k_nn)])
})))

knn_edges <- do.call(rbind, lapply(seq_len(n), function(i)
  cbind(source = i, target = sort(as.integer(knn_nb[[i]])))))
knn_edges <- knn_edges[order(knn_edges[, 1], knn_edges[, 2]), ]
stopifnot(nrow(knn_edges) == n * k_nn)
write.csv(knn_edges, file.path(out_dir, "columbus_knn4_edges.csv"),
          row.names = FALSE, quote = FALSE)

## ---------------------------------------------------------------------------
## Weights, built from the edge files (the files are the ground truth)
## ---------------------------------------------------------------------------

read_edges <- function(f) {
  e <- as.matrix(read.csv(file.path(out_dir, f)))
  stopifnot(identical(colnames(e), c("source", "target")))
  e
}
edges_to_nb <- function(e) {
  nb <- lapply(seq_len(n), function(i) sort(as.integer(e[e[, 1] == i, 2])))
  attr(nb, "region.id") <- as.character(1:n)
  attr(nb, "type") <- "edges"
  class(nb) <- "nb"
  attr(nb, "sym") <- is.symmetric.nb(nb, verbose = FALSE, force = TRUE)
  nb
}
queen_edges <- read_edges("columbus_queen_edges.csv")
knn_edges_read <- read_edges("columbus_knn4_edges.csv")
stopifnot(nrow(queen_edges) == 236L, nrow(knn_edges_read) == 196L,
          all(knn_edges_read == knn_edges))
nbs <- list(queen = edges_to_nb(queen_edges), knn4 = edges_to_nb(knn_edges_read))
stopifnot(isTRUE(attr(nbs$queen, "sym")), isFALSE(attr(nbs$knn4, "sym")),
          all(sapply(seq_len(n), function(i) identical(nbs$knn4[[i]], sort(knn_nb[[i]])))))
lws <- lapply(nbs, nb2listw, style = "W")

## queen and knn4 share some links
key <- function(e) paste(e[, 1], e[, 2], sep = "-")
n_common_links <- length(intersect(key(queen_edges), key(knn_edges_read)))
n_knn_symmetric_links <- sum(key(knn_edges_read) %in% key(knn_edges_read[, 2:1]))

## ---------------------------------------------------------------------------
## Helpers (as in generate_columbus.R)
## ---------------------------------------------------------------------------

canon_map <- c("(Intercept)" = "Intercept", "INC" = "INC", "HOVAL" = "HOVAL",
               "lag.INC" = "W_INC", "lag.HOVAL" = "W_HOVAL",
               "rho" = "rho", "lambda" = "lambda",
               "sigma" = "sigma2", "sigma2" = "sigma2")
canon <- function(nms) {
  stopifnot(all(nms %in% names(canon_map)))
  unname(canon_map[nms])
}
named <- function(x, nms = names(x)) {
  force(nms)
  x <- as.list(unname(x))
  names(x) <- nms
  x
}
matrix_block <- function(m, names_override = NULL) {
  nms <- if (is.null(names_override)) rownames(m) else names_override
  list(names = I(nms), names_canonical = I(canon(nms)),
       matrix = unname(as.matrix(m)))
}
coef_block <- function(b, se, rho, rho_se, lambda, lambda_se) {
  stopifnot(identical(names(b), names(se)))
  cb <- setNames(unname(b), canon(names(b)))
  cs <- setNames(unname(se), canon(names(b)))
  cb["rho"] <- rho; cs["rho"] <- rho_se
  cb["lambda"] <- lambda; cs["lambda"] <- lambda_se
  list(coef_names = I(names(b)),
       canonical_names = named(canon(names(b)), names(b)),
       coefficients = named(b), std_errors = named(se),
       rho = unname(rho), rho_se = unname(rho_se),
       lambda = unname(lambda), lambda_se = unname(lambda_se),
       coefficients_canonical = named(cb), std_errors_canonical = named(cs))
}

## ---------------------------------------------------------------------------
## Fits
## ---------------------------------------------------------------------------

## sigma2-concentrated log-likelihood in (rho, lambda, beta) (the function
## that spatialreg's fdHess differentiates), log-determinants from the
## eigenvalues as in spatialreg; and its Hessian by plain central differences
## with steps h_i = 1e-4 * max(1, |theta_i|) (stable to about 1e-6 relative
## under changes of h, unlike nlme::fdHess; see vcov_observed_cd_kind)
conc_loglik <- function(theta, y, X, W1, W2, e1, e2) {
  rho <- theta[1]; lambda <- theta[2]; b <- theta[-(1:2)]
  u <- y - rho * (W1 %*% y) - X %*% b
  r <- u - lambda * (W2 %*% u)
  s2 <- sum(r^2) / n
  Re(sum(log(1 - rho * e1))) + Re(sum(log(1 - lambda * e2))) -
    (n / 2) * (log(2 * pi) + log(s2) + 1)
}
cd_hessian <- function(f, x, h) {
  k <- length(x)
  H <- matrix(0, k, k)
  for (i in seq_len(k)) for (j in i:k) {
    ei <- replace(numeric(k), i, h[i]); ej <- replace(numeric(k), j, h[j])
    H[i, j] <- H[j, i] <- (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) +
                             f(x - ei - ej)) / (4 * h[i] * h[j])
  }
  H
}

pairs <- list(queen_knn4 = c("queen", "knn4"), knn4_queen = c("knn4", "queen"),
              queen_queen = c("queen", "queen"), knn4_knn4 = c("knn4", "knn4"))

fit_one <- function(w1, w2, dur) {
  lw1 <- lws[[w1]]
  lw2 <- lws[[w2]]
  call_txt <- sprintf("sacsarlm(CRIME ~ INC + HOVAL, listw = %s, listw2 = %s, method = \"eigen\"%s)",
                      w1, w2, if (dur) ", Durbin = TRUE" else "")
  fit <- sacsarlm(formula, data = dat, listw = lw1, listw2 = lw2,
                  method = "eigen", Durbin = dur)
  stopifnot(fit$opt$convergence == 0L, isTRUE(fit$ase), isFALSE(fit$fdHess),
            is.matrix(fit$resvar), rownames(fit$resvar)[1] == "sigma")
  if (dur) {  # the Durbin lags use listw (W1)
    stopifnot(isTRUE(all.equal(unname(fit$X[, "lag.INC"]), lag.listw(lw1, dat$INC), tolerance = 1e-14)),
              isTRUE(all.equal(unname(fit$X[, "lag.HOVAL"]), lag.listw(lw1, dat$HOVAL), tolerance = 1e-14)))
    if (w1 != w2)
      stopifnot(!isTRUE(all.equal(unname(fit$X[, "lag.INC"]), lag.listw(lw2, dat$INC))))
  }
  resvar <- fit$resvar
  V <- vcov(fit)
  stopifnot(isTRUE(all.equal(V, resvar[-1, -1])))
  fd <- sacsarlm(formula, data = dat, listw = lw1, listw2 = lw2,
                 method = "eigen", Durbin = dur, control = list(fdHess = TRUE))
  stopifnot(is.matrix(fd$fdHess), isTRUE(all.equal(fd$LL, fit$LL)),
            isTRUE(all.equal(fd$resvar, fit$resvar)))
  W1 <- listw2mat(lw1); W2 <- listw2mat(lw2)
  e1 <- eigen(W1, only.values = TRUE)$values
  e2 <- eigen(W2, only.values = TRUE)$values
  theta <- c(fit$rho, fit$lambda, fit$coefficients)
  f <- function(t) conc_loglik(t, dat$CRIME, fit$X, W1, W2, e1, e2)
  stopifnot(abs(f(theta) - fit$LL) < 1e-9)
  V_cd <- solve(-cd_hessian(f, theta, 1e-4 * pmax(1, abs(theta))))
  dimnames(V_cd) <- dimnames(fd$fdHess)
  s <- summary(fit)
  cf <- s$Coef
  c(list(r_call = call_txt, W1 = w1, W2 = w2,
         durbin_lags_use = if (dur) "W1 (listw)" else NA),
    coef_block(cf[, "Estimate"], cf[, "Std. Error"],
               rho = fit$rho, rho_se = s$rho.se,
               lambda = fit$lambda, lambda_se = s$lambda.se),
    list(loglik = as.numeric(logLik(fit)), sigma2 = unname(fit$s2),
         sse = unname(fit$SSE), aic = AIC(fit),
         n_params = unname(fit$parameters),
         n_params_note = "fit$parameters: coefficients + rho + lambda + sigma2",
         ase = isTRUE(fit$ase),
         vcov = matrix_block(V),
         resvar_full = matrix_block(resvar, c("sigma2", rownames(resvar)[-1])),
         covariance_kind = "analytic asymptotic: inverse of the expected information matrix for (sigma2, rho, lambda, beta) with W1 and W2 (fit$resvar; fit$ase = TRUE); vcov = resvar without the sigma2 row/column",
         vcov_fdHess = matrix_block(fd$fdHess),
         vcov_fdHess_kind = "observed information: inverse of minus the finite-difference Hessian (nlme::fdHess) of the sigma2-concentrated log-likelihood in (rho, lambda, beta); control fdHess = TRUE, fit$fdHess; approximate",
         vcov_observed_cd = matrix_block(V_cd),
         vcov_observed_cd_kind = "observed information like vcov_fdHess, but the Hessian by central differences with steps 1e-4 * max(1, |theta_i|); added because nlme::fdHess is inaccurate here (its s.e. differ from these by up to ~13%)",
         interval_rho = fit$interval1, interval_lambda = fit$interval2,
         opt_start = unname(fit$pars),
         opt_convergence_note = paste("nlminb():", fit$opt$message),
         opt_iterations = fit$opt$iterations))
}

results <- lapply(pairs, function(p)
  c(list(W1 = p[1], W2 = p[2]),
    list(SAC = fit_one(p[1], p[2], FALSE), GNS = fit_one(p[1], p[2], TRUE))))

## ---------------------------------------------------------------------------
## Control: (queen, queen) must reproduce columbus_spatialreg.json's queen fits
## ---------------------------------------------------------------------------

old <- fromJSON(file.path(out_dir, "columbus_spatialreg.json"), simplifyVector = TRUE)
control_diff <- lapply(c(SAC = "SAC", GNS = "GNS"), function(m) {
  a <- results$queen_queen[[m]]
  b <- old$queen[[m]]
  stopifnot(identical(as.character(a$coef_names), as.character(b$coef_names)))
  d <- c(coefficients = max(abs(unlist(a$coefficients) - unlist(b$coefficients))),
         std_errors = max(abs(unlist(a$std_errors) - unlist(b$std_errors))),
         rho = abs(a$rho - b$rho), lambda = abs(a$lambda - b$lambda),
         loglik = abs(a$loglik - b$loglik), sigma2 = abs(a$sigma2 - b$sigma2),
         resvar_full = max(abs(a$resvar_full$matrix - b$resvar_full$matrix)),
         vcov_fdHess = max(abs(a$vcov_fdHess$matrix - b$vcov_fdHess$matrix)))
  stopifnot(all(d == 0))
  named(d)
})

## ---------------------------------------------------------------------------
## JSON output (17 significant digits; same writer as generate_columbus.R)
## ---------------------------------------------------------------------------

json_num <- function(x) ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))
json_scalar <- function(x) {
  if (is.character(x)) return(if (is.na(x)) "null" else as.character(toJSON(x, auto_unbox = TRUE)))
  if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
  json_num(as.numeric(x))
}
to_json <- function(x, indent = 0L) {
  pad <- strrep("  ", indent + 1L)
  pad0 <- strrep("  ", indent)
  if (is.null(x)) return("null")
  if (is.matrix(x)) {
    rows <- apply(x, 1, function(r) paste0("[", paste(vapply(r, json_scalar, ""), collapse = ", "), "]"))
    return(paste0("[\n", paste0(pad, rows, collapse = ",\n"), "\n", pad0, "]"))
  }
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(k)
        paste0(pad, json_scalar(k), ": ", to_json(x[[k]], indent + 1L)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", pad0, "}"))
    }
    items <- vapply(x, to_json, "", indent = indent + 1L)
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  if (length(x) == 1L && !inherits(x, "AsIs")) return(json_scalar(x))
  paste0("[", paste(vapply(unclass(x), json_scalar, ""), collapse = ", "), "]")
}

meta <- list(
  R = R.version.string,
  spatialreg = as.character(packageVersion("spatialreg")),
  spdep = as.character(packageVersion("spdep")),
  spData = as.character(packageVersion("spData")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated_by = "tests/reference/r/generate_columbus_two_weights.R",
  data = "spdep data(oldcol): COL.OLD re-ordered to POLYID 1..49; CRIME, INC, HOVAL equal libpysal columbus.dbf exactly",
  n = n, formula = "CRIME ~ INC + HOVAL",
  weights = list(
    queen = "libpysal columbus.gal (queen contiguity, 236 directed links, symmetric), row-standardised; edges in columbus_queen_edges.csv",
    knn4 = "k = 4 nearest neighbours, 196 directed links (not symmetric), row-standardised (each row 1/4); edges in columbus_knn4_edges.csv (source = point, target = one of its 4 nearest neighbours)",
    knn4_construction = "spdep::knn2nb(spdep::knearneigh(cbind(X, Y), k = 4, use_kd_tree = FALSE)), Euclidean, X and Y = the data columns (COL.OLD in POLYID order = libpysal columbus.dbf X, Y), not the polygon centroids of columbus.shp (another coordinate system; their 4-NN graph differs for 12 of 49 points)",
    knn4_ties = "no distance ties at the 4th neighbour: for every point d(5th) > d(4th); the same graph results from X, Y rounded to 0.01",
    knn4_min_relative_gap_5th_vs_4th = min(rel_gap),
    knn4_min_relative_gap_point = unname(which.min(rel_gap)),
    n_links_in_both = n_common_links,
    knn4_links_with_reverse = n_knn_symmetric_links),
  style = "W", method = "eigen",
  optimiser = "nlminb() with spatialreg's defaults (sacsarlm has no tol.opt); start = best of 9 grid points",
  models = list(
    SAC = "y = rho W1 y + X b + u,  u = lambda W2 u + e",
    GNS = "y = rho W1 y + X b + W1 X theta + u,  u = lambda W2 u + e  (Durbin = TRUE: spatialreg lags X with listw = W1; checked)"),
  covariance_note = paste(
    "With method = \"eigen\" sacsarlm computes the ANALYTIC asymptotic covariance also when listw2 != listw",
    "(fit$ase is TRUE for every fit here): fit$resvar = inverse of the expected information matrix for",
    "(sigma2, rho, lambda, beta), built with W1 and W2 separately. With A = I - rho W1, B = I - lambda W2,",
    "WA = W1 A^-1, WB = W2 B^-1, H = B WA B^-1, s2 = SSE/n: I[s2,s2] = n/(2 s2^2); I[s2,rho] = tr(WA)/s2;",
    "I[s2,lambda] = tr(WB)/s2; I[rho,rho] = tr(WA WA) + tr(H'H) + |B WA X b|^2/s2;",
    "I[lambda,lambda] = tr(WB WB) + tr(WB'WB); I[rho,lambda] = tr(WB'H) + tr(W2 WA B^-1);",
    "I[rho,b] = (BX)'(B WA X b)/s2; I[b,b] = (BX)'(BX)/s2; I[lambda,b] = I[s2,b] = 0.",
    "It falls back to the numerical Hessian only if solve() of that matrix fails or method != \"eigen\".",
    "vcov_fdHess is the separate observed-information estimate (control fdHess = TRUE)."),
  observed_information_note = paste(
    "vcov_fdHess (spatialreg, control fdHess = TRUE) and vcov_observed_cd both invert minus the Hessian of the",
    "sigma2-concentrated log-likelihood in (rho, lambda, beta) at the estimate; vcov_fdHess uses nlme::fdHess",
    "(a quadratic fit on a small design) and is inaccurate here (s.e. off by up to ~13%, e.g. knn4_queen GNS",
    "lag.HOVAL 0.162 vs 0.185); vcov_observed_cd uses central differences and is the one to compare with."),
  lambda_interval_note = "spatialreg quirk: the search interval for lambda is computed from W1's eigenvalues, not W2's (jacobianSetup(which = 2) reuses eig.range); all optima here are interior",
  logdet_note = "ln|I - a W| = sum(log(1 - a e_i)) over W's eigenvalues; for the asymmetric knn4 they are complex and Re() of the sum is used",
  accuracy_note = "nlminb optimum; compare rho, lambda, coefficients with a tolerance of about 1e-6, not to 17 digits",
  control_check = "queen_queen SAC and GNS are identical (max abs diff below) to queen.SAC / queen.GNS in columbus_spatialreg.json",
  control_max_abs_diff = control_diff,
  canonical_names = named(unname(canon_map), names(canon_map)))

out <- c(list(meta = meta), results)
json_file <- file.path(out_dir, "columbus_two_weights.json")
writeLines(to_json(out), json_file)
invisible(fromJSON(json_file))  # parses back
cat("wrote", json_file, "and", file.path(out_dir, "columbus_knn4_edges.csv"), "\n")
