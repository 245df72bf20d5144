## Reference values from R splm for Munnell's Produc panel (48 US states,
## 1970-1986), model log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp,
## W = splm's usaww (row-standardised contiguity; Millo & Piras 2012).
##
## Run from the repository root, with splm installed (it is not in Debian;
## build its CRAN source against the Debian r-cran-* packages plm, spdep,
## spatialreg, maxLik, bdsmatrix, spam):
##     Rscript tests/reference/r/generate_produc_splm.R
##
## Output: tests/reference/r/produc_splm.json (17 significant digits):
##   usaww          the 48 x 48 matrix, rows alphabetical as in Produc
##   slmtest        LM lag/error and robust forms (Anselin, Le Gallo & Jayet
##                  2008) on the pooled OLS and the within (entity FE) fits
##   bsktest        Baltagi, Song & Koh (2003): LM-H joint (one-sided), LM1,
##                  LM2 marginal (plain and standardised), conditional
##                  LM*-lambda and LM*-mu
##   clm_inputs     what the conditional tests condition on: the residuals of
##                  the ML random-effects fit without spatial error (for
##                  LM*-lambda) and of the ML pooled spatial error fit with its
##                  lambda (for LM*-mu), in time-major order (time slow, state
##                  fast) as bsktest uses them
##   spml           ML fits: within and random effects, lag or error (splm's
##                  "b" error = Baltagi-Song-Koh/Anselin error components;
##                  "kkp" = Kapoor-Kelejian-Prucha, the default of sphtest)
##   spgm           GM fits of the error model (Kapoor, Kelejian & Prucha
##                  2007, moments "fullweights"): within and random; spatial
##                  2SLS of the within lag model
##   sphtest        spatial Hausman tests (Mutl & Pfaffermayr 2011), ML and GM
##
## Ordering: every vector indexed by observation is in splm's order for that
## function, stated beside it; plm's Produc is sorted by state, then year.

suppressPackageStartupMessages({
  library(plm)
  library(spdep)
  library(splm)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference", "r")
data("Produc", package = "plm")
data("usaww", package = "splm")
stopifnot(identical(rownames(usaww), sort(unique(as.character(Produc$state)))) ||
          all(toupper(gsub(" ", "_", rownames(usaww))) == sort(unique(as.character(Produc$state)))))

fm <- log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp
lw <- mat2listw(usaww, style = "W")

htest <- function(h) {
  list(statistic = unname(as.numeric(h$statistic)),
       p_value = unname(as.numeric(h$p.value)),
       df = if (is.null(h$parameter)) NULL else unname(as.numeric(h$parameter)))
}

fit <- function(m) {
  s <- summary(m)
  out <- list(coefficients = as.list(coef(m)),
              std_errors = as.list(sqrt(diag(vcov(m)))),
              vcov_beta = unname(as.matrix(m$vcov)),
              names_vcov = if (is.null(rownames(m$vcov))) names(coef(m)) else rownames(m$vcov),
              logLik = if (is.null(m$logLik)) NULL else as.numeric(m$logLik))
  if (!is.null(m$errcomp)) {
    out$errcomp <- as.list(m$errcomp)
    if (!is.null(m$vcov.errcomp)) out$errcomp_se <- as.list(sqrt(diag(m$vcov.errcomp)))
  }
  if (!is.null(m$arcoef)) {
    out$arcoef <- as.list(m$arcoef)
    if (!is.null(m$vcov.arcoef)) out$arcoef_se <- as.list(sqrt(diag(as.matrix(m$vcov.arcoef))))
  }
  if (!is.null(m$rho)) out$rho <- as.list(m$rho)
  if (!is.null(m$sigma2)) out$sigma2 <- as.list(m$sigma2)
  out
}

slm <- list()
for (model in c("pooling", "within")) {
  for (test in c("lml", "lme", "rlml", "rlme")) {
    slm[[model]][[test]] <- htest(slmtest(fm, data = Produc, listw = usaww,
                                          model = model, test = test))
  }
}

bsk <- list(
  LMH = htest(bsktest(fm, data = Produc, listw = lw, test = "LMH")),
  LM1 = htest(bsktest(fm, data = Produc, listw = lw, test = "LM1")),
  LM2 = htest(bsktest(fm, data = Produc, listw = lw, test = "LM2")),
  SLM1 = htest(bsktest(fm, data = Produc, listw = lw, test = "LM1", standardize = TRUE)),
  SLM2 = htest(bsktest(fm, data = Produc, listw = lw, test = "LM2", standardize = TRUE)),
  CLMlambda = htest(bsktest(fm, data = Produc, listw = lw, test = "CLMlambda")),
  CLMmu = htest(bsktest(fm, data = Produc, listw = lw, test = "CLMmu"))
)

## The fits the conditional tests condition on, re-run as bsktest does.
pdata <- pdata.frame(Produc, index = c("state", "year"))
pdata$tindex <- pdata[, 2]
re_nosp <- spreml(formula = fm, data = pdata, index = pdata[, 1], w = lw,
                  errors = "re", lag = FALSE)
sem_pool <- spreml(formula = fm, data = pdata, index = pdata[, 1], w = lw,
                   errors = "sem", lag = FALSE)
clm_inputs <- list(
  re_residuals = unname(as.numeric(residuals(re_nosp))),
  re_errcomp = as.list(re_nosp$errcomp),
  sem_residuals = unname(as.numeric(residuals(sem_pool))),
  sem_lambda = unname(as.numeric(sem_pool$errcomp["rho"]))
)

ml <- list(
  within_error = fit(spml(fm, data = Produc, listw = lw, model = "within",
                          lag = FALSE, spatial.error = "b")),
  within_lag = fit(spml(fm, data = Produc, listw = lw, model = "within",
                        lag = TRUE, spatial.error = "none")),
  random_error = fit(spml(fm, data = Produc, listw = lw, model = "random",
                          lag = FALSE, spatial.error = "b")),
  ## sphtest(method = "ML") uses these two (its default errors = "KKP")
  within_error_kkp = fit(spml(fm, data = Produc, listw = lw, model = "within",
                              lag = FALSE, spatial.error = "kkp")),
  random_error_kkp = fit(spml(fm, data = Produc, listw = lw, model = "random",
                              lag = FALSE, spatial.error = "kkp")),
  random_lag = fit(spml(fm, data = Produc, listw = lw, model = "random",
                        lag = TRUE, spatial.error = "none"))
)

gm_within <- spgm(fm, data = Produc, listw = usaww, model = "within",
                  lag = FALSE, spatial.error = TRUE, moments = "fullweights")
gm_random <- spgm(fm, data = Produc, listw = usaww, model = "random",
                  lag = FALSE, spatial.error = TRUE, moments = "fullweights")
gm_lag_within <- spgm(fm, data = Produc, listw = usaww, model = "within",
                      lag = TRUE, spatial.error = FALSE)
gm <- list(
  within_lag = list(coefficients = as.list(coef(gm_lag_within)),
                    std_errors = as.list(sqrt(diag(gm_lag_within$vcov)))),
  within_error = list(coefficients = as.list(coef(gm_within)),
                      std_errors = as.list(sqrt(diag(gm_within$vcov))),
                      rho = as.list(gm_within$rho)),
  random_error = list(coefficients = as.list(coef(gm_random)),
                      std_errors = as.list(sqrt(diag(gm_random$vcov))),
                      rho = as.list(gm_random$rho))
)

## sphtest can stop in solve() on Produc (a singular difference of the two
## covariances in splm 1.6-5); its message is then stored instead.
hausman <- list(
  ml_error = tryCatch(htest(sphtest(fm, data = Produc, listw = lw, spatial.model = "error",
                                    method = "ML")),
                      error = function(e) list(error = conditionMessage(e))),
  gm_error = tryCatch(htest(sphtest(gm_within, gm_random)),
                      error = function(e) list(error = conditionMessage(e)))
)

result <- list(
  source = paste("R", getRversion(), "splm", packageVersion("splm"),
                 "plm", packageVersion("plm"), "spdep", packageVersion("spdep")),
  formula = deparse(fm),
  states = sort(unique(as.character(Produc$state))),
  usaww = unname(usaww),
  slmtest = slm, bsktest = bsk, clm_inputs = clm_inputs,
  spml = ml, spgm = gm, sphtest = hausman
)
writeLines(toJSON(result, digits = I(17), auto_unbox = TRUE, null = "null", pretty = TRUE),
           file.path(out_dir, "produc_splm.json"))
cat("wrote", file.path(out_dir, "produc_splm.json"), "\n")
