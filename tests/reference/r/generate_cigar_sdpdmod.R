## Reference values from R SDPDmod (Simonovska) for the dynamic spatial Durbin panel of
## Baltagi's cigarette demand (46 US states, 1963-1992): log(sales) on log(price / cpi) and
## log(ndi / cpi), y_{t-1} and W y_{t-1}, entity fixed effects, ML conditional on the first
## period and the Yu, de Jong & Lee (2008) bias correction
## (SDPDm(..., model = "sdm", effect = "individual", dynamic = TRUE, LYtrans = TRUE)).
##
## SDPDmod evaluates ln|I - rho W| on a grid of rho (step `incr`, the value of the nearest
## grid point); incr = 1e-5 makes that approximation small (the run takes about 5 minutes).
##
## SDPDmod is not in Debian: fetch its CRAN source (github.com/cran/SDPDmod) and
## `R CMD INSTALL` it against the Debian r-cran-* packages plm, spdep, sf, sp, RSpectra,
## Matrix. Run from the repository root:
##     Rscript tests/reference/r/generate_cigar_sdpdmod.R
##
## Output: tests/reference/r/cigar_sdpdmod.json (15 significant digits): the ML estimates
## (`ml`: tau, eta, the slopes, rho, sigma2) and the bias-corrected ones (`corrected`).

suppressPackageStartupMessages({
  library(SDPDmod)
  library(jsonlite)
})

data <- read.csv(file.path("data", "panels", "cigar.csv"))
data$lc <- log(data$sales)
data$lp <- log(data$price / data$cpi)
data$ly <- log(data$ndi / data$cpi)
edges <- read.csv(file.path("data", "panels", "cigar_edges.csv"))
states <- sort(unique(data$state))
W <- matrix(0, length(states), length(states))
W[cbind(match(edges$source, states), match(edges$target, states))] <- 1
W <- W / rowSums(W)

fit <- SDPDm(lc ~ lp + ly, data = data, W = W, index = c("state", "year"), model = "sdm",
             effect = "individual", dynamic = TRUE,
             tlaginfo = list(ind = NULL, tl = TRUE, stl = TRUE), LYtrans = TRUE, incr = 1e-5)
named <- function(coefficients, rho, sige) {
  list(tau = coefficients[[1]], eta = coefficients[[2]], lp = coefficients[[3]],
       ly = coefficients[[4]], W_lp = coefficients[[5]], W_ly = coefficients[[6]],
       rho = unname(rho), sigma2 = unname(sige))
}
out <- list(
  source = paste("SDPDmod", as.character(packageVersion("SDPDmod")), "incr = 1e-5"),
  ml = named(fit$coefficients, fit$rho, fit$sige),
  corrected = named(fit$coefficients1, fit$rho1, fit$sige1)
)
write_json(out, file.path("tests", "reference", "r", "cigar_sdpdmod.json"), digits = 17,
           auto_unbox = TRUE, pretty = TRUE)
