## Reference posterior of the SAR probit from R's spatialprobit (Wilhelm & de Matos 2013),
## the port of LeSage's sarp_g (LeSage & Pace 2009, ch. 10), on a seeded data set.
##
## Run from the repository root:
##     Rscript tests/reference/r/generate_sarprobit.R
##
## spatialprobit is on CRAN but not in Debian; build it from its CRAN source against Debian's
## r-cran-matrix, r-cran-spdep, r-cran-spatialreg, r-cran-mvtnorm and r-cran-tmvtnorm.
##
## Output: tests/reference/r/sarprobit.json with the data (coordinates' 6-nearest-neighbour
## links, y and x), the true parameters, and sarprobit's posterior means, standard
## deviations, batch-means Monte Carlo standard errors (50 batches) and the posterior means
## of the average direct, indirect and total impacts.
##
## What spatialprobit does differently from a textbook Gibbs sampler, and what the comparison
## must allow for:
##   * rho is drawn on a grid of step 0.001 over (-1, 1) and returned at the grid point BELOW
##     the inverse-CDF draw (draw_rho: max(which(cdf <= u))): the posterior of rho is shifted
##     down by half a grid step on average (5e-4).
##   * its kernel of rho is -(n - k)/2 log Q(rho) (sigma^2 integrated out as in the Gaussian
##     SAR), whereas sigma^2 = 1 in the probit gives -Q(rho)/2; the two agree to first order
##     at Q = n - k, where the latent residuals of a probit are.
##   * the direct impacts use Monte Carlo estimates of diag(W^i), i < 100, from 50 normal
##     probes (tracesWi), drawn with this seed; the test allows for that estimation noise.
##   * m = 10 Gibbs passes over z per iteration (the default).

suppressPackageStartupMessages({
  library(spatialprobit)
  library(spdep)
  library(jsonlite)
})

set.seed(20261205)
n <- 400
coords <- cbind(runif(n), runif(n))
nb <- knn2nb(knearneigh(coords, k = 6))
W <- as(nb2listw(nb, style = "W"), "CsparseMatrix")
x1 <- rnorm(n)
x2 <- rnorm(n)
X <- cbind(1, x1, x2)
rho <- 0.6
beta <- c(0, 1, -1)
S <- Diagonal(n) - rho * W
z <- as.numeric(solve(S, X %*% beta + rnorm(n)))
y <- as.numeric(z > 0)
data <- data.frame(y = y, x1 = x1, x2 = x2)

ndraw <- 40000
burn <- 2000
start <- Sys.time()
fit <- sarprobit(y ~ x1 + x2, W, data = data, ndraw = ndraw, burn.in = burn, thinning = 1,
                 m = 10, showProgress = FALSE)
seconds <- as.numeric(difftime(Sys.time(), start, units = "secs"))

batch_se <- function(v, batches = 50) {
  size <- floor(length(v) / batches)
  means <- colMeans(matrix(v[seq_len(size * batches)], nrow = size))
  sd(means) / sqrt(batches)
}
draws <- fit$bdraw
theta <- cbind(draws, fit$pdraw)
colnames(theta) <- c("Intercept", "x1", "x2", "rho")
edges <- do.call(rbind, lapply(seq_len(n), function(i) cbind(i - 1, nb[[i]] - 1)))

out <- list(
  n = n, k_neighbours = 6, seed = 20261205, ndraw = ndraw, burn = burn, m = 10,
  true = list(beta = beta, rho = rho),
  source = edges[, 1], target = edges[, 2],
  y = y, x1 = x1, x2 = x2,
  names = colnames(theta),
  mean = unname(colMeans(theta)),
  sd = unname(apply(theta, 2, sd)),
  mcse = unname(apply(theta, 2, batch_se)),
  direct_mean = unname(colMeans(fit$direct)),
  indirect_mean = unname(colMeans(fit$indirect)),
  total_mean = unname(colMeans(fit$total)),
  direct_mcse = unname(apply(fit$direct, 2, batch_se)),
  indirect_mcse = unname(apply(fit$indirect, 2, batch_se)),
  total_mcse = unname(apply(fit$total, 2, batch_se)),
  seconds = seconds,
  versions = list(R = R.version.string,
                  spatialprobit = as.character(packageVersion("spatialprobit")))
)
write_json(out, "tests/reference/r/sarprobit.json", digits = 17, auto_unbox = TRUE)
