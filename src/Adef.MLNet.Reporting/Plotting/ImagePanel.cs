using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>One panel of the example grid: an image in image coordinates (x right, y down), framed, with a title,
/// optionally with the vector field drawn over it as arrows.</summary>
internal static class ImagePanel
{
    /// <summary>Arrows shorter than this on screen (figure pixels) show no direction and are left out.</summary>
    private const double ShortestArrowOnScreen = 1.5;

    /// <summary>Largest arrowhead length and width in figure pixels; shorter arrows get proportionally smaller heads.</summary>
    private const double LargestArrowhead = 6;

    /// <summary>Width of an arrow's shaft in figure pixels.</summary>
    private const double ArrowShaft = 1.5;

    /// <summary>Figure pixels that a panel's title and margins take off its height, used to estimate the on-screen
    /// scale of an image.</summary>
    private const int TitleAllowance = 40;

    /// <summary>A panel showing <paramref name="image"/> (already <paramref name="display"/>'s size) with nearest-neighbour
    /// scaling, its aspect ratio kept, under <paramref name="title"/>.</summary>
    public static PlotModel Create(OxyImage image, ImageDisplay display, string title)
    {
        PlotModel model = FigureStyle.NewModel(title, FigureStyle.PanelTitleFontSize);
        model.PlotType = PlotType.Cartesian; // equal units on both axes: pixels stay square
        model.PlotAreaBorderThickness = new OxyThickness(0);
        model.Padding = new OxyThickness(8);
        model.Axes.Add(HiddenAxis(AxisPosition.Bottom, display.Shape.Width, reversed: false));
        model.Axes.Add(HiddenAxis(AxisPosition.Left, display.Shape.Height, reversed: true));
        model.Annotations.Add(new ImageAnnotation
        {
            ImageSource = image,
            X = new PlotLength(0, PlotLengthUnit.Data),
            Y = new PlotLength(0, PlotLengthUnit.Data),
            Width = new PlotLength(display.Shape.Width, PlotLengthUnit.Data),
            Height = new PlotLength(display.Shape.Height, PlotLengthUnit.Data),
            HorizontalAlignment = HorizontalAlignment.Left,
            VerticalAlignment = VerticalAlignment.Top,
            Interpolate = false,
            Layer = AnnotationLayer.BelowSeries,
        });
        model.Annotations.Add(new RectangleAnnotation
        {
            MinimumX = 0, MaximumX = display.Shape.Width, MinimumY = 0, MaximumY = display.Shape.Height,
            Fill = OxyColors.Transparent, Stroke = FigureStyle.Frame, StrokeThickness = 1,
            Layer = AnnotationLayer.AboveSeries,
        });
        return model;
    }

    /// <summary>
    /// One arrow per <paramref name="spacing"/> × <paramref name="spacing"/> cell of the image, row by row: τ at the cell's
    /// pixel of largest |τ|, or at its centre pixel where none is larger (so a uniform field gives a regular grid).
    /// </summary>
    /// <remarks>The strongest pixel rather than a fixed one, because ADef's ImageNet fields are speckled: a fixed grid
    /// mostly lands between the speckles and shows dots.</remarks>
    public static IEnumerable<(int X, int Y, double Dx, double Dy)> CellArrows(float[] field, ImageDisplay display, int spacing)
    {
        int width = display.Shape.Width, height = display.Shape.Height, plane = width * height;
        for (int top = 0; top < height; top += spacing)
        {
            for (int left = 0; left < width; left += spacing)
            {
                int best = Math.Min(top + spacing / 2, height - 1) * width + Math.Min(left + spacing / 2, width - 1);
                double bestSquare = (double)field[best] * field[best] + (double)field[plane + best] * field[plane + best];
                for (int y = top; y < Math.Min(top + spacing, height); y++)
                {
                    for (int x = left; x < Math.Min(left + spacing, width); x++)
                    {
                        int p = y * width + x;
                        double square = (double)field[p] * field[p] + (double)field[plane + p] * field[plane + p];
                        if (square > bestSquare)
                        {
                            (best, bestSquare) = (p, square);
                        }
                    }
                }

                yield return (best % width, best / width, field[best], field[plane + best]);
            }
        }
    }

    /// <summary>
    /// Draws τ as arrows from the centre of pixel p to p + <paramref name="magnification"/>·τ(p), one per cell
    /// (<see cref="CellArrows"/>), leaving out arrows too short on screen to show a direction.
    /// </summary>
    public static void AddArrows(PlotModel panel, float[] field, ImageDisplay display, int spacing, int panelSize, double magnification, OxyColor color)
    {
        // Approximate figure pixels per image pixel; only used to size arrowheads and drop invisible arrows.
        double screenScale = (panelSize - TitleAllowance) / (double)Math.Max(display.Shape.Height, display.Shape.Width);
        foreach ((int x, int y, double tx, double ty) in CellArrows(field, display, spacing))
        {
            double dx = magnification * tx, dy = magnification * ty;
            double screenLength = Math.Sqrt(dx * dx + dy * dy) * screenScale;
            if (screenLength < ShortestArrowOnScreen)
            {
                continue;
            }

            // OxyPlot measures arrowheads in multiples of the shaft width; HeadWidth is each side of the shaft.
            double head = Math.Min(LargestArrowhead, 0.5 * screenLength);
            panel.Annotations.Add(new ArrowAnnotation
            {
                StartPoint = new DataPoint(x + 0.5, y + 0.5),
                EndPoint = new DataPoint(x + 0.5 + dx, y + 0.5 + dy),
                Color = color,
                StrokeThickness = ArrowShaft,
                HeadLength = head / ArrowShaft,
                HeadWidth = head / (2 * ArrowShaft),
                Layer = AnnotationLayer.AboveSeries,
            });
        }
    }

    private static LinearAxis HiddenAxis(AxisPosition position, int length, bool reversed) => new()
    {
        Position = position,
        Minimum = 0,
        Maximum = length,
        IsAxisVisible = false,
        IsZoomEnabled = false,
        IsPanEnabled = false,
        StartPosition = reversed ? 1 : 0,
        EndPosition = reversed ? 0 : 1,
    };
}
