R="env PYTHONPATH=. .venv/bin/python benchmarks/gan_tuning/run.py"
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"r1_gamma": 0.01}' --tag std_g0.01
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"d_lr_mult": 2.0, "betas": [0.0, 0.99]}' --tag std_ttur2_b0
$R grid --seeds 0 --drop 0.33 --gan-attr '{"r1_gamma": 0.01}' --tag g0.01
$R grid --seeds 0 --drop 0.33 --standardise --gan-attr '{"r1_gamma": 0.0}' --tag std_g0
