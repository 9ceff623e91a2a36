R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 1 --drop 0.33 --standardise --hp '{"batch_size": 32}' --epochs 40 --tag cand_bs32_e40
