R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 0 --drop 0.33 --standardise --hp '{"batch_size": 64}' --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99]}' --tag std_ttur4_b0_bs64
$R ring --seeds 0 --drop 0.33 --standardise --hp '{"batch_size": 128}' --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99]}' --tag std_ttur4_b0_bs128
$R grid --seeds 0 --drop 0.5 --standardise --hp '{"batch_size": 128}' --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99]}' --tag std_ttur4_b0_bs128_drop.5
