R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 1 2 3 4 --drop 0.33 --standardise --hp '{"batch_size": 64}' --tag cand_bs64
$R ring --seeds 0 1 2 3 4 --drop 0.33 --standardise --hp '{"batch_size": 64}' --tag cand_bs64
$R digits --seeds 0 1 --tag cand
