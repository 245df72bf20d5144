## Reference values from R's spatialreg for the LM test of residual spatial
## autocorrelation after a spatial lag model (lagsarlm's "LM test for residual
## autocorrelation"; Anselin 1988, ch. 13), on the Columbus crime data,
## CRIME ~ INC + HOVAL, n = 49, Anselin's contiguity (spdep COL.nb),
## row-standardised, SAR and SDM (Durbin = TRUE).
##
## Run from the repository root (needs columbus_anselin_edges.csv, written by
## generate_columbus.R; a few seconds, no random numbers):
##     Rscript tests/reference/r/generate_columbus_lag_residual_lm.R
## Output: tests/reference/r/columbus_lag_residual_lm.json (17 significant digits).
##
## spatialreg 1.2-6 computes, with r the residuals, s2 = r'r / n, A = (I - rho W)^-1
## and the asymptotic standard error of rho from the analytic information matrix:
##     LM = (r'W r / s2)^2 / (tr(WW + W'W) - tr((WW + W'W) A)^2 var(rho)),
## referred to chi-squared with one degree of freedom. The estimates are stored
## with the statistic, so that the Python test can evaluate it at R's estimates.

suppressPackageStartupMessages({
  library(spdep)
  library(spatialreg)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference", "r")
stopifnot(dir.exists(out_dir))
n <- 49L
data(oldcol, package = "spdep")
dat <- COL.OLD[order(COL.OLD$POLYID), c("POLYID", "CRIME", "INC", "HOVAL")]
stopifnot(identical(as.integer(dat$POLYID), 1:n))
edges <- as.matrix(read.csv(file.path(out_dir, "columbus_anselin_edges.csv")))
stopifnot(nrow(edges) == 232L)
nb <- lapply(seq_len(n), function(i) sort(as.integer(edges[edges[, 1] == i, 2])))
attr(nb, "region.id") <- as.character(1:n)
attr(nb, "type") <- "edges"
attr(nb, "sym") <- TRUE
class(nb) <- "nb"
lw <- nb2listw(nb, style = "W")
ctl <- list(tol.opt = .Machine$double.eps^0.75)

one <- function(durbin) {
  fit <- lagsarlm(CRIME ~ INC + HOVAL, data = dat, listw = lw, method = "eigen",
                  control = ctl, Durbin = durbin)
  b <- fit$coefficients  # beta without rho (coef() puts rho first)
  names(b) <- c("Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL")[seq_along(b)]
  list(
    rho = unname(fit$rho),
    rho_se = unname(fit$rho.se),
    sigma2 = unname(fit$s2),
    coefficients = as.list(b),
    statistic = unname(drop(fit$LMtest)),
    pvalue = unname(pchisq(drop(fit$LMtest), df = 1, lower.tail = FALSE))
  )
}

out <- list(
  generator = "tests/reference/r/generate_columbus_lag_residual_lm.R",
  R = R.version.string,
  spatialreg = as.character(packageVersion("spatialreg")),
  SAR = one(FALSE),
  SDM = one(TRUE)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE),
           file.path(out_dir, "columbus_lag_residual_lm.json"))
