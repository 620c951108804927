using BenchmarkDotNet.Running;

// BenchmarkDotNet's own command line: --filter '*' runs everything, --list flat lists the benchmarks, --job Dry runs
// each once (a smoke test, no statistics).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
