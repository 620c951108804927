using Adef.MLNet.Evaluation;
using Adef.MLNet.Transforms;
using Microsoft.ML;

namespace Microsoft.ML
{
    /// <summary><c>mlContext.Robustness()</c>: the robustness evaluation catalog (in namespace <c>Microsoft.ML</c>, as ML.NET's own
    /// catalog extensions).</summary>
    public static class RobustnessCatalogExtensions
    {
        /// <summary>The catalog that evaluates attacked data, like <c>mlContext.MulticlassClassification</c> evaluates scored data.</summary>
        /// <param name="mlContext">The ML.NET context.</param>
        public static RobustnessCatalog Robustness(this MLContext mlContext)
        {
            ArgumentNullException.ThrowIfNull(mlContext);
            return new RobustnessCatalog();
        }
    }
}

namespace Adef.MLNet.Evaluation
{
    /// <summary>Evaluates the output of an ADef or DeepFool transform in ML.NET's shape; see <see cref="Evaluate"/>.</summary>
    /// <example>
    /// <code>
    /// IDataView attacked = mlContext.Transforms.Adef(classifier, "Pixels", options).Fit(data).Transform(data);
    /// RobustnessMetrics metrics = mlContext.Robustness().Evaluate(attacked, labelColumnName: "Label", budgets: [0.5, 1, 2]);
    /// if (metrics.SuccessRateWithinBudgets[1].SuccessRate &gt; 0.5) throw new Exception("too fragile");
    /// </code>
    /// </example>
    public sealed class RobustnessCatalog
    {
        internal RobustnessCatalog()
        {
        }

        /// <summary>
        /// Reads an attacked <see cref="IDataView"/> once and returns its <see cref="RobustnessMetrics"/>, through
        /// <see cref="RobustnessReport.FromDataView"/> (columns, label types and the <c>Outcome</c> column as documented there).
        /// </summary>
        /// <param name="data">The output of <c>mlContext.Transforms.Adef(...)</c> or <c>DeepFool(...)</c>.</param>
        /// <param name="labelColumnName">Column of true labels, or null: without it <see cref="RobustnessMetrics.Accuracy"/> is
        /// NaN, and rows are attacked or not as their <c>Outcome</c> says (all attacked without that column).</param>
        /// <param name="budgets">Norm budgets for <see cref="RobustnessMetrics.SuccessRateWithinBudgets"/>: pixels of ‖τ‖_T
        /// for ADef, input units of ℓ2 for DeepFool; null for none.</param>
        /// <param name="options">The transform's options when it was given other column names; null for the default names.</param>
        /// <returns>The metrics.</returns>
        /// <exception cref="ArgumentException">A column is missing or of the wrong type, an outcome is not an
        /// <see cref="Attacks.AttackOutcome"/> name, or a budget is negative or not finite.</exception>
        public RobustnessMetrics Evaluate(IDataView data, string? labelColumnName = null, IEnumerable<double>? budgets = null,
            AttackTransformOptions? options = null)
        {
            // Checked before the data is read: reading an attack transform's output runs the attack.
            double[] checkedBudgets = RobustnessMetrics.CheckBudgets(budgets ?? []);
            return RobustnessMetrics.From(RobustnessReport.FromDataView(data, labelColumnName, options), checkedBudgets);
        }
    }
}
