R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 0 --drop 0.33 --standardise --hp '{"batch_size": 128}' --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99]}' --tag std_ttur4_b0_bs128
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99], "fourier": [128, 3.0]}' --tag std_ttur4_b0_rff3
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"d_lr_mult": 4.0, "betas": [0.0, 0.99], "r1_gamma": 0.01}' --tag std_ttur4_b0_g0.01
