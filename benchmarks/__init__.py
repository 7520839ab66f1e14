"""asv benchmarks of the hot kernels (DESIGN.md section 6); reference implementations live here too."""
