namespace Adef.MLNet.Evaluation;

// Named records rather than tuples so that reports and metrics serialise to JSON with their names (System.Text.Json
// skips a tuple's fields). They live in the core for RobustnessMetrics; the reporting package uses them too.

/// <summary>One quantile of a norm over successful attacks.</summary>
/// <param name="Level">The quantile level, e.g. 0.5 for the median.</param>
/// <param name="Value">The norm at that level; NaN when no attack succeeded.</param>
public readonly record struct NormQuantile(double Level, double Value);

/// <summary>One point of a success-vs-budget curve.</summary>
/// <param name="Epsilon">The budget ε, in the attack's norm.</param>
/// <param name="SuccessRate">Share of attacked images fooled with a norm ≤ <paramref name="Epsilon"/>.</param>
public readonly record struct BudgetPoint(double Epsilon, double SuccessRate);
