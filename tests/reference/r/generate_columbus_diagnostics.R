## Reference values for the spatial diagnostics on the Columbus crime data
## (Anselin 1988), model CRIME ~ INC + HOVAL, n = 49, both contiguity
## matrices, row-standardised (style "W").
##
## Run from the repository root (after generate_columbus.R, which writes
## columbus_anselin_edges.csv):
##     Rscript tests/reference/r/generate_columbus_diagnostics.R
##
## Inputs (tests/reference/r/):
##   columbus_anselin_edges.csv   spdep COL.nb as POLYID pairs (232 rows)
##   columbus_queen_edges.csv     libpysal columbus.gal as POLYID pairs (236 rows)
## Output (tests/reference/r/):
##   columbus_diagnostics.json    all values at 17 significant digits
##
## Data preparation follows generate_columbus.R: spdep's COL.OLD is in NEIG
## order and is re-ordered to POLYID 1..49; the Anselin edge list is checked
## against COL.nb relabelled to POLYIDs.
##
## What is computed, per weights matrix:
##   moran        spdep::lm.morantest on the OLS fit (Cliff & Ord 1981,
##                Anselin 1988): observed I, its expectation and variance under
##                normality, the standard deviate, and p-values for the
##                alternatives "greater" (spdep's default) and "two.sided".
##   lm_tests     spdep::lm.LMtests(..., test = "all"): LMerr, LMlag, RLMerr,
##                RLMlag, SARMA (Anselin, Bera, Florax & Yoon 1996). spdep's
##                p-value is 1 - pchisq(), which loses precision for small
##                p; "p_value_upper" is pchisq(..., lower.tail = FALSE).
##   koley_bera   spdep 1.2-7 has no Koley & Bera (2024) tests (SD.RStests
##                arrived in spdep 1.3). Only the unadjusted RS test for WX has
##                an independent route here: for H0 theta = 0 in
##                y = X beta + WX theta + e it is the classical LM statistic
##                n (SSE_OLS - SSE_SLX) / SSE_OLS, computed from lm() and
##                lmSLX(); stored as "RS_WX_from_sse".
##   lr_tests     spatialreg::LR.Sarlm(unrestricted, restricted) for nested
##                pairs of ML fits (lagsarlm, errorsarlm, sacsarlm with
##                method = "eigen"; lm; lmSLX), with both log-likelihoods.
##   common_factor_wald
##                Wald test of H0 theta = -rho beta in the SDM by the delta
##                method, computed here from vcov() of the lagsarlm Durbin fit
##                (spatialreg's analytic covariance); spatialreg has no
##                function for it, so this is our own R code on R's estimates.
## Determinism: no random numbers are drawn; rerunning reproduces the JSON.

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

## ---------------------------------------------------------------------------
## Data and weights (as in generate_columbus.R)
## ---------------------------------------------------------------------------

data(oldcol, package = "spdep")
stopifnot(nrow(COL.OLD) == n, identical(as.integer(COL.OLD$NEIG), 1:n))
polyid <- as.integer(COL.OLD$POLYID)
dat <- COL.OLD[order(COL.OLD$POLYID), ]
stopifnot(identical(as.integer(dat$POLYID), 1:n))

read_edges <- function(file, links) {
  e <- as.matrix(read.csv(file.path(out_dir, file)))
  stopifnot(identical(colnames(e), c("source", "target")), nrow(e) == links)
  e
}
anselin_edges <- read_edges("columbus_anselin_edges.csv", 232L)
queen_edges <- read_edges("columbus_queen_edges.csv", 236L)

## the stored Anselin edges are COL.nb relabelled to POLYID
col_edges <- do.call(rbind, lapply(seq_len(n), function(i) {
  j <- COL.nb[[i]]
  j <- j[j > 0L]
  if (length(j)) cbind(polyid[i], polyid[j]) else NULL
}))
edge_key <- function(e) paste(e[, 1], e[, 2], sep = "-")
stopifnot(setequal(edge_key(col_edges), edge_key(anselin_edges)))

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

## ---------------------------------------------------------------------------
## Diagnostics
## ---------------------------------------------------------------------------

htest_block <- function(h) {
  stat <- unname(h$statistic)
  df <- unname(h$parameter)
  list(statistic = stat, df = df, p_value = unname(h$p.value),
       p_value_upper = pchisq(stat, df, lower.tail = FALSE))
}

diagnostics <- function(nb) {
  lw <- nb2listw(nb, style = "W")
  ols <- lm(formula, data = dat)

  ## --- Moran's I of the OLS residuals --------------------------------------
  mg <- lm.morantest(ols, lw, alternative = "greater")
  m2 <- lm.morantest(ols, lw, alternative = "two.sided")
  stopifnot(identical(unname(mg$estimate), unname(m2$estimate)))
  moran <- list(r_call = "lm.morantest(lm(CRIME ~ INC + HOVAL), lw, alternative = ...)",
                I = unname(mg$estimate["Observed Moran I"]),
                expectation = unname(mg$estimate["Expectation"]),
                variance = unname(mg$estimate["Variance"]),
                z = unname(mg$statistic),
                p_value_greater = unname(mg$p.value),
                p_value_two_sided = unname(m2$p.value))

  ## --- LM tests (Anselin et al. 1996) ---------------------------------------
  lmt <- lm.LMtests(ols, lw, test = "all")
  lm_tests <- c(list(r_call = "lm.LMtests(lm(CRIME ~ INC + HOVAL), lw, test = \"all\")"),
                lapply(lmt, htest_block))

  ## --- ML fits for the LR tests ---------------------------------------------
  ctl <- list(tol.opt = tol_opt)
  fits <- list(
    OLS = ols,
    SLX = lmSLX(formula, data = dat, listw = lw),
    SAR = lagsarlm(formula, data = dat, listw = lw, method = "eigen", control = ctl),
    SDM = lagsarlm(formula, data = dat, listw = lw, method = "eigen", Durbin = TRUE,
                   control = ctl),
    SEM = errorsarlm(formula, data = dat, listw = lw, method = "eigen", control = ctl),
    SDEM = errorsarlm(formula, data = dat, listw = lw, method = "eigen", Durbin = TRUE,
                      control = ctl),
    SAC = sacsarlm(formula, data = dat, listw = lw, method = "eigen"),
    GNS = sacsarlm(formula, data = dat, listw = lw, method = "eigen", Durbin = TRUE))
  stopifnot(fits$SAC$opt$convergence == 0L, fits$GNS$opt$convergence == 0L)

  ## --- Koley & Bera (2024): the unadjusted RS test for WX -------------------
  sse_ols <- sum(residuals(fits$OLS)^2)
  sse_slx <- sum(residuals(fits$SLX)^2)
  rs_wx <- n * (sse_ols - sse_slx) / sse_ols
  q <- length(coef(fits$SLX)) - length(coef(fits$OLS))
  koley_bera <- list(
    available_in_spdep = FALSE,
    note = paste("spdep", as.character(packageVersion("spdep")),
                 "has no SD.RStests; RS_WX is the classical LM statistic for adding WX to",
                 "the OLS regression, n (SSE_OLS - SSE_SLX) / SSE_OLS (lm and lmSLX fits)"),
    RS_WX_from_sse = list(statistic = rs_wx, df = q,
                          p_value_upper = pchisq(rs_wx, q, lower.tail = FALSE),
                          sse_ols = sse_ols, sse_slx = sse_slx))

  ## --- LR tests between nested models ---------------------------------------
  pairs <- list(c("SAR", "OLS"), c("SEM", "OLS"), c("SLX", "OLS"),
                c("SDM", "SAR"), c("SDM", "SLX"), c("SDM", "SEM"),
                c("SDEM", "SEM"), c("SDEM", "SLX"),
                c("SAC", "SAR"), c("SAC", "SEM"),
                c("GNS", "SDM"), c("GNS", "SDEM"), c("GNS", "SAC"))
  lr <- list()
  for (p in pairs) {
    h <- LR.Sarlm(fits[[p[1]]], fits[[p[2]]])
    lr[[paste(p[1], p[2], sep = "_vs_")]] <- list(
      unrestricted = p[1], restricted = p[2],
      statistic = unname(h$statistic), df = unname(h$parameter),
      p_value = unname(h$p.value),
      p_value_upper = pchisq(unname(h$statistic), unname(h$parameter),
                             lower.tail = FALSE),
      loglik_unrestricted = as.numeric(logLik(fits[[p[1]]])),
      loglik_restricted = as.numeric(logLik(fits[[p[2]]])))
  }
  lr$r_call <- "LR.Sarlm(unrestricted, restricted)"

  ## --- common factor: Wald by the delta method ------------------------------
  sdm <- fits$SDM
  b <- coef(sdm)
  V <- vcov(sdm)
  stopifnot(identical(names(b), rownames(V)))
  xs <- c("INC", "HOVAL")
  g <- b[paste0("lag.", xs)] + b[["rho"]] * b[xs]
  G <- matrix(0, nrow = length(xs), ncol = length(b), dimnames = list(xs, names(b)))
  for (x in xs) {
    G[x, paste0("lag.", x)] <- 1
    G[x, x] <- b[["rho"]]
    G[x, "rho"] <- b[[x]]
  }
  wald <- drop(t(g) %*% solve(G %*% V %*% t(G), g))
  common_factor_wald <- list(
    note = "H0: theta = -rho beta (INC, HOVAL); delta method with vcov(lagsarlm(..., Durbin = TRUE)), the analytic covariance",
    statistic = wald, df = length(xs),
    p_value_upper = pchisq(wald, length(xs), lower.tail = FALSE),
    g = unname(g))

  list(moran = moran, lm_tests = lm_tests, koley_bera = koley_bera,
       lr_tests = lr, common_factor_wald = common_factor_wald)
}

results <- lapply(weights, diagnostics)

## check: the POLYID re-ordering leaves the statistics unchanged (spdep's own
## COL.OLD / COL.nb in NEIG order give the same LM tests and Moran's I)
ols_neig <- lm(formula, data = COL.OLD)
lw_neig <- nb2listw(COL.nb, style = "W")
lm_neig <- lm.LMtests(ols_neig, lw_neig, test = "all")
for (t in names(lm_neig))
  stopifnot(isTRUE(all.equal(unname(lm_neig[[t]]$statistic),
                             results$anselin$lm_tests[[t]]$statistic, tolerance = 1e-12)))
stopifnot(isTRUE(all.equal(unname(lm.morantest(ols_neig, lw_neig)$estimate[1]),
                           results$anselin$moran$I, tolerance = 1e-12)))

## ---------------------------------------------------------------------------
## JSON output (17 significant digits; as in generate_columbus.R, numbers are
## formatted here and jsonlite is used for strings only)
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
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(k)
        paste0(pad, json_scalar(k), ": ", to_json(x[[k]], indent + 1L)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", pad0, "}"))
    }
    items <- vapply(x, to_json, "", indent = indent + 1L)
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  if (length(x) == 1L) return(json_scalar(x))
  paste0("[", paste(vapply(unclass(x), json_scalar, ""), collapse = ", "), "]")
}

meta <- list(
  R = R.version.string,
  spatialreg = as.character(packageVersion("spatialreg")),
  spdep = as.character(packageVersion("spdep")),
  spData = as.character(packageVersion("spData")),
  jsonlite = as.character(packageVersion("jsonlite")),
  generated_by = "tests/reference/r/generate_columbus_diagnostics.R",
  data = "spdep data(oldcol): COL.OLD re-ordered to POLYID 1..49",
  n = n, formula = "CRIME ~ INC + HOVAL",
  weights = list(
    anselin = "spdep COL.nb (232 directed links), row-standardised; columbus_anselin_edges.csv",
    queen = "libpysal columbus.gal (236 directed links), row-standardised; columbus_queen_edges.csv"),
  style = "W", method = "eigen", tol_opt = tol_opt)

json_file <- file.path(out_dir, "columbus_diagnostics.json")
writeLines(to_json(c(list(meta = meta), results)), json_file)
invisible(fromJSON(json_file))
cat("wrote", json_file, "\n")
