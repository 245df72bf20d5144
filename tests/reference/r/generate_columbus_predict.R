## Reference predictions from R's spatialreg (predict.Sarlm) for the Columbus
## crime data (Anselin 1988), model CRIME ~ INC + HOVAL, n = 49, Anselin's
## contiguity (spdep COL.nb), row-standardised.
##
## Run from the repository root (needs columbus_anselin_edges.csv, written by
## generate_columbus.R; a few seconds, no random numbers):
##     Rscript tests/reference/r/generate_columbus_predict.R
## Output: tests/reference/r/columbus_predict.json (17 significant digits).
##
## Predictors (Goulard, Laurent & Thomas-Agnan 2017; spatialreg 1.2-6
## predict.Sarlm with its defaults legacy = TRUE, legacy.mixed = FALSE,
## power = FALSE since method = "eigen"):
##   in sample (newdata = NULL, listw = the fitting weights)
##     trend  X beta (X with the lagged regressors for SDM/SDEM)
##     TC     (I - rho W)^-1 X beta                  lag models and SAC
##     TS     fitted values y - e                    not for SAC
##     BP     TC - D^-1 (Q - D)(y - TC), Q = (I - rho W')(I - rho W),
##            D = diag(Q)                            lag models and SAC
##   out of sample (the fit on 44 units, newdata = the 5 held-out units,
##   listw = the weights of all 49 units)
##     trend  X_o beta; the lagged regressors of SDM/SDEM with the full weights
##     TC     rows o of (I - rho W)^-1 X beta over all 49 units (spatialreg
##            computes them by the partitioned inverse)
##     BP     TC_o - Q_oo^-1 Q_os (y_s - TC_s), Q = I - rho(W + W') + rho^2 W'W
## spatialreg refuses TC and BP for the error models ("no such predict method
## for error model") and TS for SAC ("no such predict method for sac model");
## for SAC it computes TC and BP from rho alone with the warning "predict
## method developed for lag model, use carefully" (suppressed below).
## With legacy.mixed = FALSE the in-sample rows of X used by the out-of-sample
## TC and BP of SDM have their lagged regressors recomputed with the full
## weights, so a held-out unit's regressors enter its neighbours' W X.
##
## The coefficients of every fit are stored with the predictions: the Python
## tests evaluate the predictors at R's own estimates (agreement to rounding)
## and, separately, at their own fit (agreement to the optimiser's tolerance).

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
held_out <- c(5L, 17L, 23L, 38L, 44L)  # POLYIDs predicted out of sample

## Data in POLYID order (see generate_columbus.R for the checks of this order)
data(oldcol, package = "spdep")
dat <- COL.OLD[order(COL.OLD$POLYID), c("POLYID", "CRIME", "INC", "HOVAL")]
stopifnot(identical(as.integer(dat$POLYID), 1:n))
row.names(dat) <- as.character(dat$POLYID)

edges <- as.matrix(read.csv(file.path(out_dir, "columbus_anselin_edges.csv")))
stopifnot(nrow(edges) == 232L)
nb <- lapply(seq_len(n), function(i) sort(as.integer(edges[edges[, 1] == i, 2])))
attr(nb, "region.id") <- as.character(1:n)
attr(nb, "type") <- "edges"
attr(nb, "sym") <- TRUE
class(nb) <- "nb"
lw <- nb2listw(nb, style = "W")

kept <- setdiff(1:n, held_out)
dat_s <- dat[kept, ]
dat_o <- dat[held_out, ]
lw_s <- subset.listw(lw, (1:n) %in% kept)  # re-standardised over the 44 units
stopifnot(identical(attr(lw_s, "region.id"), as.character(kept)))

fit_model <- function(model, d, w) {
  ## the formula is put into the call itself: predict() with newdata re-reads it
  ## from fit$call
  ctl <- list(tol.opt = tol_opt)
  switch(model,
    SAR = eval(bquote(lagsarlm(.(formula), data = d, listw = w, method = "eigen",
                               control = ctl))),
    SDM = eval(bquote(lagsarlm(.(formula), data = d, listw = w, method = "eigen",
                               control = ctl, Durbin = TRUE))),
    SEM = eval(bquote(errorsarlm(.(formula), data = d, listw = w, method = "eigen",
                                 control = ctl))),
    SDEM = eval(bquote(errorsarlm(.(formula), data = d, listw = w, method = "eigen",
                                  control = ctl, Durbin = TRUE))),
    SAC = eval(bquote(sacsarlm(.(formula), data = d, listw = w, method = "eigen"))))
}
canon_map <- c("(Intercept)" = "Intercept", "INC" = "INC", "HOVAL" = "HOVAL",
               "lag.INC" = "W_INC", "lag.HOVAL" = "W_HOVAL")
params_of <- function(fit) {
  b <- coef(fit)
  b <- b[names(b) %in% names(canon_map)]
  p <- as.list(unname(b))
  names(p) <- unname(canon_map[names(b)])
  if (!is.null(fit$rho)) p$rho <- unname(fit$rho)
  if (!is.null(fit$lambda)) p$lambda <- unname(fit$lambda)
  p
}
in_kinds <- list(SAR = c("trend", "TC", "TS", "BP"), SDM = c("trend", "TC", "TS", "BP"),
                 SEM = c("trend", "TS"), SDEM = c("trend", "TS"),
                 SAC = c("trend", "TC", "BP"))
out_kinds <- list(SAR = c("trend", "TC", "BP"), SDM = c("trend", "TC", "BP"),
                  SEM = "trend", SDEM = "trend", SAC = c("trend", "TC", "BP"))
refused <- list(SEM = c("TC", "BP"), SDEM = c("TC", "BP"), SAC = "TS")

quiet <- function(expr) withCallingHandlers(expr, warning = function(w) {
  if (grepl("use carefully", conditionMessage(w))) invokeRestart("muffleWarning")
})
as_named <- function(x, ids) {
  x <- as.list(as.numeric(x))
  names(x) <- ids
  x
}

results <- list()
for (model in names(in_kinds)) {
  fit <- fit_model(model, dat, lw)
  ins <- list()
  for (k in in_kinds[[model]]) {
    p <- quiet(predict(fit, listw = lw, pred.type = k))
    ins[[k]] <- as_named(p, row.names(dat))
  }
  for (k in refused[[model]]) {  # spatialreg stops: check it still does
    stopifnot(inherits(try(predict(fit, listw = lw, pred.type = k), silent = TRUE),
                       "try-error"))
  }
  fit_s <- fit_model(model, dat_s, lw_s)
  outs <- list()
  for (k in out_kinds[[model]]) {
    p <- quiet(predict(fit_s, newdata = dat_o, listw = lw, pred.type = k))
    outs[[k]] <- as_named(p, row.names(dat_o))
  }
  results[[model]] <- list(
    in_sample = list(params = params_of(fit), s2 = fit$s2, predictions = ins),
    out_of_sample = list(params = params_of(fit_s), s2 = fit_s$s2, predictions = outs))
}

## Checks of the definitions above, recomputed densely
W <- as(lw, "CsparseMatrix")
sar <- fit_model("SAR", dat, lw)
A <- diag(n) - sar$rho * as.matrix(W)
tc <- solve(A, sar$X %*% coef(sar)[-1])
stopifnot(max(abs(tc - unlist(results$SAR$in_sample$predictions$TC))) < 1e-10)
Q <- t(A) %*% A
bp <- tc - (1 / diag(Q)) * ((Q - diag(diag(Q))) %*% (sar$y - tc))
stopifnot(max(abs(bp - unlist(results$SAR$in_sample$predictions$BP))) < 1e-10)

## JSON output (17 significant digits), as in generate_columbus.R
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
  if (length(x) == 1L && !inherits(x, "AsIs")) return(json_scalar(x))
  paste0("[", paste(vapply(unclass(x), json_scalar, ""), collapse = ", "), "]")
}

meta <- list(
  R = R.version.string,
  spatialreg = as.character(packageVersion("spatialreg")),
  spdep = as.character(packageVersion("spdep")),
  generated_by = "tests/reference/r/generate_columbus_predict.R",
  weights = "spdep COL.nb (Anselin 1988 contiguity), row-standardised; edges in columbus_anselin_edges.csv",
  formula = "CRIME ~ INC + HOVAL", method = "eigen", tol_opt = tol_opt,
  held_out = I(held_out),
  out_of_sample = "fit on the other 44 units with subset.listw(lw) (re-standardised); predict(fit, newdata = held-out rows, listw = lw of all 49 units)",
  predict_defaults = "legacy = TRUE, legacy.mixed = FALSE, power = FALSE, all.data = FALSE",
  refused = lapply(refused, I))

out <- c(list(meta = meta), results)
json_file <- file.path(out_dir, "columbus_predict.json")
writeLines(to_json(out), json_file)
invisible(fromJSON(json_file))
cat("wrote", json_file, "\n")
