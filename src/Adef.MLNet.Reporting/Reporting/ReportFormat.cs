using System.Globalization;

namespace Adef.MLNet.Evaluation.Reporting;

/// <summary>How the report writes numbers: invariant culture, a fixed number of decimals, "–" for a missing (NaN) value.</summary>
internal static class ReportFormat
{
    /// <summary>Written for NaN: a number that does not exist (no labels, nothing attacked, no success).</summary>
    public const string Missing = "–";

    /// <summary>A rate in [0, 1] as a percentage with two decimals, e.g. "98.50 %".</summary>
    public static string Percent(double rate) =>
        double.IsNaN(rate) ? Missing : (100 * rate).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    /// <summary>A norm or mean with three decimals.</summary>
    public static string Decimal(double value) =>
        double.IsNaN(value) ? Missing : value.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>A count.</summary>
    public static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A budget with its unit, e.g. "3 px"; as short as exact up to four decimals.</summary>
    public static string Budget(double value, string unit) =>
        value.ToString("0.####", CultureInfo.InvariantCulture) + (unit.Length == 0 ? "" : " " + unit);

    /// <summary>A quantile level as a percentage without decimals, e.g. "10 %".</summary>
    public static string Level(double level) => (100 * level).ToString("0", CultureInfo.InvariantCulture) + " %";
}
