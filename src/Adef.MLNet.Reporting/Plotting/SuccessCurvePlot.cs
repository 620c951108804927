using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>Success rate against the norm budget ε: the fraction of attacked images fooled with a norm ≤ ε.</summary>
internal static class SuccessCurvePlot
{
    /// <summary>Builds the plot of <paramref name="curve"/> (validated: ε ascending, rates in [0, 1]).</summary>
    /// <param name="curve">(ε, rate) points, ε ascending.</param>
    /// <param name="normAxisTitle">Title of the x axis, e.g. "‖τ‖_T (pixels)".</param>
    /// <param name="epsilon">Budget marked by a dashed vertical line, or null.</param>
    /// <param name="title">Figure title; empty for none.</param>
    public static PlotModel Create(IReadOnlyList<(double Epsilon, double Rate)> curve, string normAxisTitle, double? epsilon, string title)
    {
        double xMax = Math.Max(curve[^1].Epsilon, epsilon ?? 0);
        xMax = xMax > 0 ? xMax * 1.05 : 1;
        double finalRate = curve[^1].Rate;

        PlotModel model = FigureStyle.NewModel(title, FigureStyle.TitleFontSize);
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom, Minimum = 0, Maximum = xMax,
            Title = normAxisTitle, TitleFontSize = FigureStyle.AxisFontSize,
        });
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Left, Minimum = 0, Maximum = 1.05, MajorStep = 0.2, MinorStep = 0.05,
            Title = "fooled within budget (share of attacked images)", TitleFontSize = FigureStyle.AxisFontSize,
            StringFormat = "0%", MajorGridlineStyle = LineStyle.Dot, MajorGridlineColor = OxyColor.FromRgb(0xDD, 0xDD, 0xDD),
        });

        var line = new LineSeries
        {
            Title = "fooled with norm ≤ ε",
            Color = FigureStyle.Bars, StrokeThickness = 2.5,
        };
        foreach ((double e, double rate) in curve)
        {
            line.Points.Add(new DataPoint(e, rate));
        }

        model.Series.Add(line);
        model.Series.Add(new LineSeries
        {
            Title = string.Create(CultureInfo.InvariantCulture, $"success rate without budget: {finalRate:P1}"),
            Color = OxyColors.Gray, StrokeThickness = 1.5, LineStyle = LineStyle.Dot,
            Points = { new DataPoint(0, finalRate), new DataPoint(xMax, finalRate) },
        });
        if (epsilon is double budget)
        {
            model.Series.Add(new LineSeries
            {
                Title = "ε = " + budget.ToString("0.###", CultureInfo.InvariantCulture),
                Color = FigureStyle.Accent, StrokeThickness = 2, LineStyle = LineStyle.Dash,
                Points = { new DataPoint(budget, 0), new DataPoint(budget, 1.05) },
            });
        }

        model.Legends.Add(NormHistogram.BottomLegend());
        return model;
    }
}
