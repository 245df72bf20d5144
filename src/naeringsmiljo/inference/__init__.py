"""Inference and post-estimation computations on arrays: covariance estimators, parameter draws,
impacts and spatial diagnostics."""
