R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"fourier": [128, 10.0]}' --tag std_rff128_10
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"fourier": [128, 3.0]}' --tag std_rff128_3
$R ring --seeds 0 --drop 0.33 --standardise --gan-attr '{"fourier": [128, 10.0]}' --tag std_rff128_10
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"fourier": [128, 30.0]}' --tag std_rff128_30
