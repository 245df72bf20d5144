#!/usr/bin/env bash
# Mutation testing of the inference code with mutmut (configuration: [tool.mutmut] in
# pyproject.toml). A slow job, not part of CI: the full set (about 4,600 mutants of
# inference/covariance.py, impacts.py and diagnostics.py) takes hours on 2 cores, so by default
# only the functions the summary covers are run (benchmarks/results/mutation.md).
#
#   .venv/bin/pip install -c constraints.txt -e ".[test,mutation]"
#   nice -n 10 benchmarks/mutation.sh            # the covered functions
#   nice -n 10 benchmarks/mutation.sh --all      # every mutant
set -euo pipefail
cd "$(dirname "$0")/.."
mutmut=.venv/bin/mutmut
c=naeringsmiljo.inference.covariance
i=naeringsmiljo.inference.impacts
d=naeringsmiljo.inference.diagnostics
if [ "${1:-}" = "--all" ]; then
    "$mutmut" run
else
    "$mutmut" run \
        "$c.x_score_variance*" "$c.x_linear_quadratic_score*" \
        "$c.xǁSandwichǁ*" "$c.xǁInformationMatrixǁ_dense*" "$c.x__assemble*" \
        "$c.x__full_score*" "$c.xǁObservedHessianǁ__call__*" "$c.x_covariance_from_information*" \
        "$c.x_iv_covariance*" \
        "$i.x__effects*" "$i.x__gradients*" "$i.x__delta_std_errors*" \
        "$d.x__lm_error*" "$d.x__lm_lag*" "$d.x__rlm_error*" "$d.x__rlm_lag__*"
fi
"$mutmut" results --all true > mutants/results.txt || true
echo "mutant states in mutants/results.txt"
