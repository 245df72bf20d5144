"""The Gaussian likelihood of spatial models, concentrated in the coefficients and sigma^2."""
