using System.Globalization;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>The histogram of ‖τ‖_T over successful deformations, with a dashed line at the budget ε.</summary>
internal static class NormHistogram
{
    /// <summary>Builds the plot of <paramref name="norms"/> (finite, non-negative, at least one) against <paramref name="epsilon"/>.</summary>
    public static PlotModel Create(IReadOnlyList<double> norms, double epsilon, string title)
    {
        int withinBudget = norms.Count(n => n <= epsilon);
        double fractionWithin = (double)withinBudget / norms.Count;
        (double binSize, int binCount) = ChooseBins(norms.Max(), epsilon);
        int[] counts = Count(norms, binSize, binCount);
        double countTop = Math.Max(1, counts.Max()) * 1.25;
        string epsilonText = epsilon.ToString("0.##", CultureInfo.InvariantCulture);

        PlotModel model = FigureStyle.NewModel(title, FigureStyle.TitleFontSize);
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom, Minimum = 0, Maximum = binCount * binSize,
            Title = "‖τ‖_T (pixels)", TitleFontSize = FigureStyle.AxisFontSize,
        });
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Left, Minimum = 0, Maximum = countTop,
            Title = "deformations (count)", TitleFontSize = FigureStyle.AxisFontSize,
            MinimumMajorStep = 1, MinimumMinorStep = 1, StringFormat = "0",
        });

        // Bars take 90 % of their bin; HistogramSeries draws each item as high as Area / width.
        var bars = new HistogramSeries
        {
            Title = string.Create(CultureInfo.InvariantCulture, $"successful deformations (n = {norms.Count})"),
            FillColor = FigureStyle.Bars, StrokeThickness = 0,
        };
        for (int k = 0; k < binCount; k++)
        {
            double start = (k + 0.05) * binSize, end = (k + 0.95) * binSize;
            bars.Items.Add(new HistogramItem(start, end, counts[k] * (end - start), counts[k]));
        }

        model.Series.Add(bars);
        model.Series.Add(new LineSeries
        {
            Title = string.Create(CultureInfo.InvariantCulture,
                $"ε = {epsilonText} px: {withinBudget} of {norms.Count} ({fractionWithin:P1}) have ‖τ‖_T ≤ ε"),
            Color = FigureStyle.Accent, StrokeThickness = 2, LineStyle = LineStyle.Dash,
            Points = { new DataPoint(epsilon, 0), new DataPoint(epsilon, countTop) },
        });

        bool labelLeftOfLine = epsilon > 0.8 * binCount * binSize; // keep it inside the data area
        model.Annotations.Add(new TextAnnotation
        {
            Text = $"ε = {epsilonText}",
            TextPosition = new DataPoint(epsilon, countTop),
            TextHorizontalAlignment = labelLeftOfLine ? HorizontalAlignment.Right : HorizontalAlignment.Left,
            TextVerticalAlignment = VerticalAlignment.Top,
            Offset = new ScreenVector(labelLeftOfLine ? -5 : 5, 5),
            FontSize = FigureStyle.AxisFontSize, TextColor = FigureStyle.Accent,
            Stroke = OxyColors.Undefined, StrokeThickness = 0, Background = OxyColors.Undefined,
        });
        model.Legends.Add(BottomLegend());
        return model;
    }

    /// <summary>A horizontal legend centred below the plot area.</summary>
    public static Legend BottomLegend() => new()
    {
        LegendPlacement = LegendPlacement.Outside,
        LegendPosition = LegendPosition.BottomCenter,
        LegendOrientation = LegendOrientation.Horizontal,
        LegendFontSize = FigureStyle.LegendFontSize,
        LegendBorder = OxyColors.Undefined,
    };

    /// <summary>Counts of <paramref name="norms"/> in the bins [k·size, (k+1)·size).</summary>
    private static int[] Count(IReadOnlyList<double> norms, double binSize, int binCount)
    {
        var counts = new int[binCount];
        foreach (double norm in norms)
        {
            counts[Math.Min(binCount - 1, (int)Math.Floor(norm / binSize))]++;
        }

        return counts;
    }

    /// <summary>Bins from 0 past the largest norm and ε; ε/k wide (so ε is an edge) unless that needs over 60 bins.</summary>
    private static (double BinSize, int BinCount) ChooseBins(double largestNorm, double epsilon)
    {
        const int maxBins = 60;
        double upper = Math.Max(largestNorm, epsilon) * 1.05;
        int perEpsilon = Math.Clamp((int)Math.Floor(maxBins * epsilon / upper), 1, 10);
        double binSize = epsilon / perEpsilon;
        int binCount = (int)Math.Ceiling(upper / binSize);
        if (binCount > maxBins)
        {
            binSize = upper / maxBins;
            binCount = maxBins;
        }

        // The last bin's right edge must lie strictly above the largest norm.
        if (binCount * binSize <= largestNorm)
        {
            binCount++;
        }

        return (binSize, binCount);
    }
}
