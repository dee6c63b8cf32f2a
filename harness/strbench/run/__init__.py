"""The run engine: evaluation protocols and metrics, the accuracy pass, scoring, result records
and the benchmark runner."""
