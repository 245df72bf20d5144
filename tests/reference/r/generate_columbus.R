## Reference values from R's spatialreg for the Columbus crime data
## (Anselin 1988), model CRIME ~ INC + HOVAL, n = 49.
##
## Run from the repository root:
##     python tests/reference/r/export_libpysal_columbus.py   # libpysal side
##     Rscript tests/reference/r/generate_columbus.R
##
## Inputs (all in tests/reference/r/):
##   columbus_queen_edges.csv    every directed link (source,target; POLYID
##                               1..49; 236 rows) of libpysal's columbus.gal
##   columbus_libpysal_data.csv  POLYID, CRIME, INC, HOVAL from libpysal's
##                               columbus.dbf (used only for a data check)
## Outputs (all in tests/reference/r/):
##   columbus_anselin_edges.csv  every directed link of spdep's COL.nb
##                               (Anselin's 1988 contiguity, 232 rows), as POLYID
##   columbus_spatialreg.json    all reference values (17 significant digits)
##
## Facts about the data, checked by stopifnot() below:
##   * spdep's COL.OLD rows are NOT in POLYID order: they are in NEIG order
##     (row.names "1001".."1049" = NEIGNO, NEIG = 1..49), with POLYID
##     2, 4, 8, 7, 1, 3, ...  libpysal's columbus.dbf/.shp/.gal are in POLYID
##     order.  Everything below is re-ordered to POLYID 1..49 before fitting
##     (ML estimates and summary impacts do not depend on the ordering).
##   * After that re-ordering COL.OLD's CRIME, INC and HOVAL equal the values
##     in libpysal's columbus.dbf exactly (and so do NEIG, X, Y, ...).
##   * In POLYID terms, COL.nb (232 directed links) equals libpysal's queen
##     contiguity columbus.gal (236 links) minus the pairs 31-39, 9-25, 26-29
##     plus the pair 12-18 (each pair in both directions).
##
## Estimation settings: row-standardised weights (style "W"); ML fits use
## method = "eigen" (exact log-determinant from the eigenvalues of W).
## lagsarlm/errorsarlm maximise the concentrated log-likelihood with
## optimize(); tol.opt = .Machine$double.eps^0.75 is passed (the default is
## eps^0.5), but optimize() also applies a relative tolerance of sqrt(eps)
## internally, so rho / lambda are accurate to about 1e-8 only (the
## log-likelihood is flat there).  sacsarlm has no tol.opt; it uses nlminb()
## with its defaults (tighter nlminb tolerances only produce a "singular
## convergence" warning at the same point; an independent BFGS/Nelder-Mead
## check agrees with the nlminb optimum to about 1e-12).
##
## Covariance matrices, as spatialreg 1.2-6 computes them with method="eigen":
##   lagsarlm (SAR, SDM)   analytic asymptotic covariance: the inverse of the
##                         information matrix for (sigma2, rho, beta) (fit$ase
##                         is TRUE, fit$resvar holds it, fit$fdHess is FALSE).
##                         vcov(fit) = resvar without the sigma2 row/column.
##   errorsarlm (SEM, SDEM) analytic asymptotic covariance for (sigma2, lambda,
##                         beta); the information matrix is block diagonal, so
##                         the beta block is s2 * solve(crossprod(X - lambda WX))
##                         with s2 = SSE/n, and beta-lambda covariances are 0.
##   sacsarlm (SAC, GNS)   analytic asymptotic covariance as well ("asyvar" in
##                         the source, fit$ase TRUE, fit$resvar; fdHess is
##                         only used with method != "eigen" or if inverting the
##                         information matrix fails).  Not block diagonal.
##   In all three, fit$resvar labels its first row/column "sigma" although it
##   is the sigma^2 parameter (its information entry is n / (2 sigma^4)); it
##   is stored below as "sigma2".
##   lm (OLS), lmSLX (SLX)  the usual lm covariance, s^2 (X'X)^-1 with
##                         s^2 = SSE / (n - k) (unbiased, not ML).
## The analytic matrices are EXPECTED information (no data-dependent second
## derivatives).  For comparison the numerical-Hessian covariance is stored as
## "vcov_fdHess" for the ML models: refit with control fdHess = TRUE,
## spatialreg then inverts nlme::fdHess's finite-difference Hessian of the
## log-likelihood in (rho and/or lambda, beta) with sigma2 concentrated out
## (sigma2 = SSE/n), i.e. an OBSERVED information.  It is a different
## estimator (e.g. SAR/anselin rho s.e. 0.1177 analytic vs 0.1236 numerical;
## GNS rho s.e. 0.95 vs 0.41) and, being a finite difference, approximate.
##
## Impacts: SAR/SDM/SAC/GNS use impacts(fit, listw = lw), i.e. the exact dense
## (I - rho W)^-1 (summary measures averaged over observations; lambda does
## not enter).  Simulated standard errors use
## set.seed(12345); summary(impacts(fit, listw = lw, R = 2000), zstats = TRUE)
## (draws from the multivariate normal with the analytic covariance above);
## they are Monte Carlo values, so only approximate.  For GNS they are not
## usable: the analytic s.e. of rho is about 1, so draws come close to the
## upper bound of rho and the simulated indirect/total s.e. explode (about 9
## for INC).  SDEM and SLX impacts are linear in the coefficients (direct =
## beta, indirect = theta, total = beta + theta); spatialreg gives their
## standard errors analytically (stored as "impacts_se"), no simulation.  For
## SDEM these use summary.lm of the lambda-filtered regression, i.e.
## s^2 = SSE/(n - k) rather than the ML SSE/n, so they are the ML s.e. times
## sqrt(n / (n - k)) = sqrt(49/44).
##
## Canonical names: every model also maps R's coefficient names to
## "Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL", "rho", "lambda"
## ("(Intercept)", "lag.INC", "lag.HOVAL", and stsls's "Rho", gstsls's
## "Rho_Wy" in R).

suppressPackageStartupMessages({
  library(spdep)
  library(spatialreg)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference", "r")
stopifnot(dir.exists(out_dir))
n <- 49L
formula <- CRIME ~ INC + HOVAL
tol_opt <- .Machine$double.eps^0.75
seed <- 12345L
R_draws <- 2000L

## ---------------------------------------------------------------------------
## Data and weights
## ---------------------------------------------------------------------------

data(oldcol, package = "spdep")  # COL.OLD (data frame) and COL.nb (nb)
stopifnot(nrow(COL.OLD) == n, length(COL.nb) == n,
          sum(card(COL.nb)) == 232L, is.symmetric.nb(COL.nb))
## COL.OLD is in NEIG order, not POLYID order
stopifnot(identical(as.integer(COL.OLD$NEIG), 1:n),
          identical(row.names(COL.OLD), as.character(1000L + 1:n)),
          identical(attr(COL.nb, "region.id"), row.names(COL.OLD)),
          !identical(as.integer(COL.OLD$POLYID), 1:n))
polyid <- as.integer(COL.OLD$POLYID)
stopifnot(setequal(polyid, 1:n))

## COL.nb links expressed as POLYID pairs
anselin_edges <- do.call(rbind, lapply(seq_len(n), function(i) {
  j <- COL.nb[[i]]
  j <- j[j > 0L]
  if (length(j)) cbind(source = polyid[i], target = polyid[j]) else NULL
}))
anselin_edges <- anselin_edges[order(anselin_edges[, 1], anselin_edges[, 2]), ]
stopifnot(nrow(anselin_edges) == 232L)
write.csv(anselin_edges, file.path(out_dir, "columbus_anselin_edges.csv"),
          row.names = FALSE, quote = FALSE)

queen_edges <- as.matrix(read.csv(file.path(out_dir, "columbus_queen_edges.csv")))
stopifnot(identical(colnames(queen_edges), c("source", "target")),
          nrow(queen_edges) == 236L)

## COL.nb = queen - {31-39, 9-25, 26-29} + {12-18}   (POLYID pairs)
edge_key <- function(e) paste(e[, 1], e[, 2], sep = "-")
both_ways <- function(pairs) c(paste(pairs[, 1], pairs[, 2], sep = "-"),
                               paste(pairs[, 2], pairs[, 1], sep = "-"))
removed <- both_ways(rbind(c(31, 39), c(9, 25), c(26, 29)))
added <- both_ways(rbind(c(12, 18)))
stopifnot(setequal(setdiff(edge_key(queen_edges), edge_key(anselin_edges)), removed),
          setequal(setdiff(edge_key(anselin_edges), edge_key(queen_edges)), added))

## Data in POLYID order, checked against libpysal's columbus.dbf
dat <- COL.OLD[order(COL.OLD$POLYID), ]
stopifnot(identical(as.integer(dat$POLYID), 1:n))
pysal_dat <- read.csv(file.path(out_dir, "columbus_libpysal_data.csv"))
stopifnot(identical(as.integer(pysal_dat$POLYID), 1:n))
data_max_abs_diff <- sapply(c("CRIME", "INC", "HOVAL"),
                            function(v) max(abs(dat[[v]] - pysal_dat[[v]])))
stopifnot(all(data_max_abs_diff == 0))

## neighbour lists in POLYID order built from the edge lists
edges_to_nb <- function(e) {
  nb <- lapply(seq_len(n), function(i) sort(as.integer(e[e[, 1] == i, 2])))
  attr(nb, "region.id") <- as.character(1:n)
  attr(nb, "type") <- "edges"
  attr(nb, "sym") <- TRUE
  class(nb) <- "nb"
  nb
}
weights <- list(anselin = edges_to_nb(anselin_edges),
                queen = edges_to_nb(queen_edges))
stopifnot(sum(card(weights$anselin)) == 232L, sum(card(weights$queen)) == 236L,
          is.symmetric.nb(weights$anselin), is.symmetric.nb(weights$queen))

## ---------------------------------------------------------------------------
## Helpers
## ---------------------------------------------------------------------------

canon_map <- c("(Intercept)" = "Intercept", "INC" = "INC", "HOVAL" = "HOVAL",
               "lag.INC" = "W_INC", "lag.HOVAL" = "W_HOVAL",
               "rho" = "rho", "Rho" = "rho", "Rho_Wy" = "rho",
               "lambda" = "lambda", "sigma" = "sigma2", "sigma2" = "sigma2")
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
## coefficient block shared by every model; rho/lambda are included in the
## *_canonical maps when present
coef_block <- function(b, se, rho = NULL, rho_se = NULL,
                       lambda = NULL, lambda_se = NULL) {
  if (is.null(names(se))) names(se) <- names(b)
  stopifnot(identical(names(b), names(se)))
  cb <- setNames(unname(b), canon(names(b)))
  cs <- setNames(unname(se), canon(names(b)))
  if (!is.null(rho)) { cb["rho"] <- rho; cs["rho"] <- rho_se }
  if (!is.null(lambda)) { cb["lambda"] <- lambda; cs["lambda"] <- lambda_se }
  list(coef_names = I(names(b)),
       canonical_names = named(canon(names(b)), names(b)),
       coefficients = named(b), std_errors = named(se),
       rho = if (is.null(rho)) NA else unname(rho),
       rho_se = if (is.null(rho_se)) NA else unname(rho_se),
       lambda = if (is.null(lambda)) NA else unname(lambda),
       lambda_se = if (is.null(lambda_se)) NA else unname(lambda_se),
       coefficients_canonical = named(cb), std_errors_canonical = named(cs))
}

## impacts of a Sarlm lag-type model (SAR, SDM, SAC, GNS): exact point
## estimates plus simulated standard errors
sarlm_impacts <- function(fit, lw) {
  im <- impacts(fit, listw = lw)
  bn <- attr(im, "bnames")
  set.seed(seed)
  sm <- summary(impacts(fit, listw = lw, R = R_draws), zstats = TRUE)
  se <- sm$semat  # columns Direct, Indirect, Total
  stopifnot(identical(rownames(se), bn))
  list(impacts = list(names = I(bn), method = attr(im, "method"),
                      direct = I(as.vector(im$direct)),
                      indirect = I(as.vector(im$indirect)),
                      total = I(as.vector(im$total))),
       impacts_sim_se = list(names = I(bn), R = R_draws, seed = seed,
                             direct = I(unname(se[, "Direct"])),
                             indirect = I(unname(se[, "Indirect"])),
                             total = I(unname(se[, "Total"]))))
}
## impacts of SDEM / SLX: linear combinations with analytic standard errors
wx_impacts <- function(fit, se_kind) {
  im <- impacts(fit)
  bn <- attr(im, "bnames")
  list(impacts = list(names = I(bn), method = attr(im, "method"),
                      direct = I(unname(im$impacts$direct)),
                      indirect = I(unname(im$impacts$indirect)),
                      total = I(unname(im$impacts$total))),
       impacts_se = list(names = I(bn), kind = se_kind,
                         direct = I(unname(im$se$direct)),
                         indirect = I(unname(im$se$indirect)),
                         total = I(unname(im$se$total))))
}

sdem_se_kind <- paste("analytic linear combination; covariance from summary.lm of the",
                      "lambda-filtered regression, i.e. s^2 = SSE/(n - k), NOT the ML",
                      "covariance above (= ML s.e. * sqrt(n / (n - k)) for direct/indirect)")
slx_se_kind <- "analytic linear combination; lm covariance, s^2 = SSE/(n - k)"

## common fields of an ML Sarlm fit; `refit_fd` refits with fdHess = TRUE
sarlm_common <- function(fit, refit_fd) {
  s <- summary(fit)
  coefs <- s$Coef  # Estimate, Std. Error, z value, Pr(>|z|)
  stopifnot(isTRUE(fit$ase), isFALSE(fit$fdHess), !is.logical(fit$resvar))
  resvar <- fit$resvar
  stopifnot(rownames(resvar)[1] == "sigma")
  V <- vcov(fit)
  stopifnot(all.equal(V, resvar[-1, -1]))
  fd <- refit_fd()
  fdH <- fd$fdHess
  stopifnot(is.matrix(fdH), isTRUE(all.equal(fd$LL, fit$LL)))
  list(coefs = coefs,
       fields = list(
         loglik = as.numeric(logLik(fit)), sigma2 = unname(fit$s2),
         aic = AIC(fit), n_params = unname(fit$parameters),
         n_params_note = "fit$parameters: coefficients + rho/lambda + sigma2",
         vcov = matrix_block(V),
         resvar_full = matrix_block(resvar, c("sigma2", rownames(resvar)[-1])),
         covariance_kind = "analytic asymptotic (inverse information matrix, fit$resvar; fit$ase = TRUE)",
         vcov_fdHess = matrix_block(fdH),
         vcov_fdHess_kind = "observed information: inverse of minus the finite-difference Hessian (nlme::fdHess) of the sigma2-concentrated log-likelihood in (rho/lambda, beta); control fdHess = TRUE, fit$fdHess; approximate",
         opt_convergence_note = NA))
}

## ---------------------------------------------------------------------------
## Fits
## ---------------------------------------------------------------------------

fit_all <- function(nb) {
  lw <- nb2listw(nb, style = "W")
  res <- list()

  ## --- SAR and SDM (lagsarlm) ---------------------------------------------
  for (m in c("SAR", "SDM")) {
    dur <- m == "SDM"
    fit <- lagsarlm(formula, data = dat, listw = lw, method = "eigen",
                    Durbin = dur, control = list(tol.opt = tol_opt))
    cm <- sarlm_common(fit, function()
      lagsarlm(formula, data = dat, listw = lw, method = "eigen", Durbin = dur,
               control = list(tol.opt = tol_opt, fdHess = TRUE)))
    s <- summary(fit)
    blk <- coef_block(cm$coefs[, "Estimate"], cm$coefs[, "Std. Error"],
                      rho = fit$rho, rho_se = s$rho.se)
    cm$fields$opt_convergence_note <- "optimize() on the concentrated log-likelihood"
    res[[m]] <- c(list(r_call = paste0("lagsarlm(CRIME ~ INC + HOVAL, listw = lw, method = \"eigen\"",
                                       if (dur) ", Durbin = TRUE" else "", ")")),
                  blk, cm$fields, sarlm_impacts(fit, lw))
  }

  ## --- SEM and SDEM (errorsarlm) -------------------------------------------
  for (m in c("SEM", "SDEM")) {
    dur <- m == "SDEM"
    fit <- errorsarlm(formula, data = dat, listw = lw, method = "eigen",
                      Durbin = dur, control = list(tol.opt = tol_opt))
    cm <- sarlm_common(fit, function()
      errorsarlm(formula, data = dat, listw = lw, method = "eigen", Durbin = dur,
                 control = list(tol.opt = tol_opt, fdHess = TRUE)))
    s <- summary(fit)
    blk <- coef_block(cm$coefs[, "Estimate"], cm$coefs[, "Std. Error"],
                      lambda = fit$lambda, lambda_se = s$lambda.se)
    cm$fields$opt_convergence_note <- "optimize() on the concentrated log-likelihood"
    imp <- if (dur) wx_impacts(fit, sdem_se_kind) else list(impacts = NA)
    res[[m]] <- c(list(r_call = paste0("errorsarlm(CRIME ~ INC + HOVAL, listw = lw, method = \"eigen\"",
                                       if (dur) ", Durbin = TRUE" else "", ")")),
                  blk, cm$fields, imp)
  }

  ## --- SAC and GNS (sacsarlm) ----------------------------------------------
  for (m in c("SAC", "GNS")) {
    dur <- m == "GNS"
    fit <- sacsarlm(formula, data = dat, listw = lw, method = "eigen",
                    Durbin = dur)
    stopifnot(fit$opt$convergence == 0L)
    cm <- sarlm_common(fit, function()
      sacsarlm(formula, data = dat, listw = lw, method = "eigen", Durbin = dur,
               control = list(fdHess = TRUE)))
    s <- summary(fit)
    blk <- coef_block(cm$coefs[, "Estimate"], cm$coefs[, "Std. Error"],
                      rho = fit$rho, rho_se = s$rho.se,
                      lambda = fit$lambda, lambda_se = s$lambda.se)
    cm$fields$opt_convergence_note <- paste("nlminb():", fit$opt$message)
    res[[m]] <- c(list(r_call = paste0("sacsarlm(CRIME ~ INC + HOVAL, listw = lw, method = \"eigen\"",
                                       if (dur) ", Durbin = TRUE" else "", ")")),
                  blk, cm$fields, sarlm_impacts(fit, lw))
  }

  ## --- SLX (lmSLX) and OLS (lm) ---------------------------------------------
  for (m in c("SLX", "OLS")) {
    fit <- if (m == "SLX") lmSLX(formula, data = dat, listw = lw) else lm(formula, data = dat)
    ct <- summary(fit)$coefficients
    ll <- logLik(fit)
    blk <- coef_block(ct[, "Estimate"], ct[, "Std. Error"])
    res[[m]] <- c(list(r_call = if (m == "SLX") "lmSLX(CRIME ~ INC + HOVAL, listw = lw)"
                                else "lm(CRIME ~ INC + HOVAL)"),
                  blk,
                  list(loglik = as.numeric(ll),
                       sigma2 = sum(residuals(fit)^2) / n,
                       sigma2_unbiased = summary(fit)$sigma^2,
                       aic = AIC(fit), n_params = attr(ll, "df"),
                       n_params_note = "logLik df: coefficients + sigma2",
                       vcov = matrix_block(vcov(fit)),
                       covariance_kind = "lm: s^2 (X'X)^-1 with s^2 = SSE/(n - k) (unbiased); sigma2 above is SSE/n"),
                  if (m == "SLX") wx_impacts(fit, slx_se_kind) else list(impacts = NA))
  }

  ## --- S2SLS / GM estimators (spatialreg defaults) --------------------------
  st <- stsls(formula, data = dat, listw = lw)
  stv <- st$var
  dimnames(stv) <- list(names(st$coefficients), names(st$coefficients))
  b <- st$coefficients[-1]
  res$STSLS <- c(list(r_call = "stsls(CRIME ~ INC + HOVAL, listw = lw)  # defaults: W2X = TRUE, robust = FALSE, legacy = FALSE"),
                 coef_block(b, sqrt(diag(stv))[-1], rho = st$coefficients[["Rho"]],
                            rho_se = sqrt(stv[1, 1])),
                 list(rho_name_in_R = "Rho", sse = st$sse, df = st$df,
                      sigma2 = st$sse / st$df,
                      vcov = matrix_block(stv),
                      covariance_kind = "stsls: (sse/df) * solve(crossprod(Zhat)), Zhat = [fitted Wy, X], df = n - (k + 1) = 45 (Rho counted); instruments X, WX, WWX (W2X = TRUE)"))

  gm <- GMerrorsar(formula, data = dat, listw = lw)
  res$GMerrorsar <- c(list(r_call = "GMerrorsar(CRIME ~ INC + HOVAL, listw = lw)  # defaults"),
                      coef_block(gm$coefficients, gm$rest.se,
                                 lambda = gm$lambda, lambda_se = as.numeric(gm$lambda.se)),
                      list(sigma2 = gm$s2, GM_sigma2 = gm$GMs2,
                           vcov = matrix_block(gm$vcov, names(gm$coefficients)),
                           covariance_kind = "GMerrorsar: fit$vcov (coefficients only; lambda.se from the GM moment conditions)"))

  gs <- gstsls(formula, data = dat, listw = lw)
  b <- gs$coefficients[-1]
  res$GSTSLS <- c(list(r_call = "gstsls(CRIME ~ INC + HOVAL, listw = lw)  # defaults"),
                  coef_block(b, gs$rest.se[-1], rho = gs$coefficients[["Rho_Wy"]],
                             rho_se = unname(gs$rest.se[1]),
                             lambda = gs$lambda, lambda_se = NA),
                  list(rho_name_in_R = "Rho_Wy", sigma2 = gs$s2, GM_sigma2 = gs$GMs2,
                       lambda_se_note = "gstsls reports no standard error for lambda",
                       vcov = matrix_block(gs$secstep_var, names(gs$coefficients)),
                       covariance_kind = "gstsls: fit$secstep_var, covariance of the second-step (spatially filtered) 2SLS; rest.se = sqrt(diag)"))
  res
}

results <- lapply(weights, fit_all)

## quick plausibility checks against published values (Anselin 1988; Elhorst)
a <- results$anselin
stopifnot(abs(a$SAR$rho - 0.43102) < 1e-5, abs(a$SAR$loglik + 182.3904) < 1e-4,
          abs(a$SEM$lambda - 0.56179) < 1e-5, abs(a$SEM$loglik + 183.3805) < 1e-4,
          abs(a$SAC$rho - 0.368) < 1e-3, abs(a$SAC$lambda - 0.166) < 1e-3,
          abs(a$GNS$rho - 0.315) < 1e-3, abs(a$GNS$lambda - 0.154) < 1e-3,
          abs(a$SDEM$lambda - 0.425) < 1e-3, abs(a$SDM$rho - 0.426) < 1e-3)

## ---------------------------------------------------------------------------
## JSON output (17 significant digits; jsonlite caps numbers at 15, so the
## numbers are formatted here and jsonlite is used for strings only)
## ---------------------------------------------------------------------------

json_num <- function(x) ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))
json_scalar <- function(x) {
  if (is.character(x)) return(as.character(toJSON(x, auto_unbox = TRUE)))
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
  generated_by = "tests/reference/r/generate_columbus.R",
  data = "spdep data(oldcol): COL.OLD re-ordered to POLYID 1..49 (COL.OLD itself is in NEIG order)",
  data_check = "CRIME, INC, HOVAL equal libpysal columbus.dbf exactly (by POLYID)",
  data_max_abs_diff_vs_libpysal = named(data_max_abs_diff),
  n = n, formula = "CRIME ~ INC + HOVAL",
  weights = list(
    anselin = "spdep COL.nb (Anselin 1988 contiguity, 232 directed links), row-standardised; edges in columbus_anselin_edges.csv",
    queen = "libpysal columbus.gal (queen contiguity, 236 directed links), row-standardised; edges in columbus_queen_edges.csv",
    relation = "anselin = queen - {31-39, 9-25, 26-29} + {12-18} (POLYID pairs, both directions)"),
  style = "W", method = "eigen", tol_opt = tol_opt,
  impacts_sim = list(seed = seed, R = R_draws,
                     note = "set.seed(seed) immediately before each summary(impacts(fit, listw = lw, R = R), zstats = TRUE); Monte Carlo, approximate"),
  canonical_names = named(unname(canon_map), names(canon_map)))

out <- c(list(meta = meta), results)
json_file <- file.path(out_dir, "columbus_spatialreg.json")
writeLines(to_json(out), json_file)
invisible(fromJSON(json_file))  # parses back
cat("wrote", json_file, "and", file.path(out_dir, "columbus_anselin_edges.csv"), "\n")
