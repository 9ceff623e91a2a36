R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"fourier": [128, 3.0], "d_lr_mult": 2.0, "betas": [0.0, 0.99]}' --tag std_rff3_ttur2_b0
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99]}' --tag std_ttur4_b0
$R ring --seeds 0 --drop 0.33 --standardise --gan-attr '{"d_lr_mult": 2.0, "betas": [0.0, 0.99]}' --tag std_ttur2_b0
$R grid --seeds 0 --drop 0.33 --gan-attr '{"d_lr_mult": 2.0, "betas": [0.0, 0.99]}' --tag ttur2_b0
