## Reference posterior summaries from R's spatialreg Bayesian samplers
## (spBreg_lag, spBreg_err, spBreg_sac) for the Columbus crime data (Anselin
## 1988), model CRIME ~ INC + HOVAL, n = 49, Anselin's contiguity (spdep
## COL.nb) row-standardised.
##
## Run from the repository root (needs columbus_anselin_edges.csv, written by
## generate_columbus.R; a few minutes):
##     Rscript tests/reference/r/generate_columbus_bayes.R
## Output: tests/reference/r/columbus_bayes.json (17 significant digits).
##
## Settings (spatialreg 1.2-6 defaults unless stated): ndraw = 100000
## (environment variable NDRAW overrides it for a quick trial), nomit = ndraw/10,
## thin = 1; log-determinant "SE_classic" (exact values on 200
## points of the interval (-1, 1) splined to 2000 points); priors Tbeta =
## 1e12 I (flat in effect), c_beta = 0, nu = 0, d0 = 0 (1/sigma^2), a1 = a2 =
## 1.01; rho and lambda by griddy Gibbs (spBreg_lag, spBreg_err) or by
## Metropolis-Hastings (spBreg_sac, which has no griddy option).
##
## What each sampler targets (read from the 1.2-6 source):
##   spBreg_lag  rho from its marginal posterior with beta and sigma^2
##               integrated out, |I - rho W| S(rho)^(-(n-k)/2), times
##               exp(dbeta(rho, a1, a2)): the Beta DENSITY (not its log) of
##               rho itself (not rescaled to the interval) is added to the log
##               kernel, so the effective prior is exp(dbeta(rho, 1.01, 1.01)):
##               1 for rho <= 0, about e for 0 < rho < 1.
##   spBreg_err  lambda from |I - lambda W| |X*'X*|^(-1/2) S(lambda)^(-(n-k)/2)
##               with X* = (I - lambda W) X: no prior term at all (uniform).
##               sigma^2 is drawn from ||(I - lambda W) e||^2 with e already
##               (I - lambda W)(y - X beta): the filter is applied twice, so its
##               sigma^2 (and the spread of its beta draws) is too large.
##   spBreg_sac  MH steps for lambda and rho on |A||B| exp(-S/(2 sigma^2)) with
##               beta at its least-squares value given (rho, lambda), and
##               sigma^2 drawn from that residual filtered twice (as in
##               spBreg_err): nearly the profile |A||B| S^(-n/2), not the
##               integrated posterior; no prior term. The tests check that reading
##               and compare our SAC with an exact quadrature of the posterior.
## Posterior means, s.d. and the batch-means Monte Carlo standard error of the
## mean (batch means, 50 batches) are stored for every parameter.

suppressPackageStartupMessages({
  library(spdep)
  library(spatialreg)
  library(coda)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference", "r")
stopifnot(dir.exists(out_dir))
n <- 49L
formula <- CRIME ~ INC + HOVAL
ndraw <- as.integer(Sys.getenv("NDRAW", "100000"))
nomit <- ndraw %/% 10L

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

canon <- c("(Intercept)" = "Intercept", "INC" = "INC", "HOVAL" = "HOVAL",
           "lag.INC" = "W_INC", "lag.HOVAL" = "W_HOVAL",
           "rho" = "rho", "lambda" = "lambda", "sige" = "sigma2")

batch_mcse <- function(x, size) {  # batch means: 50 batches of `size` draws
  batches <- floor(length(x) / size)
  means <- colMeans(matrix(x[seq_len(size * batches)], nrow = size))
  sd(means) / sqrt(batches)
}

summarise <- function(chain) {
  m <- matrix(as.numeric(as.matrix(chain)), nrow = nrow(as.matrix(chain)),
              dimnames = list(NULL, colnames(as.matrix(chain))))
  keep <- colnames(m) %in% names(canon)
  m <- m[, keep, drop = FALSE]
  size <- floor(nrow(m) / 50)
  out <- list()
  for (j in seq_len(ncol(m))) {
    name <- unname(canon[colnames(m)[j]])
    out[[name]] <- list(mean = mean(m[, j]), sd = sd(m[, j]),
                        mcse = batch_mcse(m[, j], size))
  }
  out
}

control <- list(ndraw = ndraw, nomit = nomit, thin = 1L)
fits <- list(
  SAR = function() spBreg_lag(formula, data = dat, listw = lw, control = control),
  SDM = function() spBreg_lag(formula, data = dat, listw = lw, Durbin = TRUE,
                              control = control),
  SEM = function() spBreg_err(formula, data = dat, listw = lw, control = control),
  SDEM = function() spBreg_err(formula, data = dat, listw = lw, Durbin = TRUE,
                               control = control),
  SAC = function() spBreg_sac(formula, data = dat, listw = lw, control = control)
)
results <- list()
for (model in names(fits)) {
  set.seed(20261205)
  started <- proc.time()[["elapsed"]]
  chain <- fits[[model]]()
  results[[model]] <- list(
    posterior = summarise(chain),
    kept = nrow(as.matrix(chain)),
    seconds = proc.time()[["elapsed"]] - started
  )
  cat(model, "done", results[[model]]$seconds, "s\n")
}

meta <- list(
  spatialreg = as.character(packageVersion("spatialreg")),
  R = R.version.string,
  ndraw = ndraw, nomit = nomit,
  priors = list(Tbeta = "1e12 I", c_beta = 0, nu = 0, d0 = 0, a1 = 1.01, a2 = 1.01),
  seed = 20261205L
)
writeLines(toJSON(list(meta = meta, models = results), auto_unbox = TRUE, digits = I(17),
                  pretty = TRUE),
           file.path(out_dir, "columbus_bayes.json"))
