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
    /// Draws τ as arrows from the centre of pixel p to p + τ(p), on a grid of pixel centres every
    /// <paramref name="spacing"/> pixels, leaving out arrows too short to show a direction.
    /// </summary>
    public static void AddArrows(PlotModel panel, float[] field, ImageDisplay display, int spacing, int panelSize)
    {
        // Approximate figure pixels per image pixel; only used to size arrowheads and drop invisible arrows.
        double screenScale = (panelSize - TitleAllowance) / (double)Math.Max(display.Shape.Height, display.Shape.Width);
        int plane = display.Shape.Height * display.Shape.Width;
        for (int y = spacing / 2; y < display.Shape.Height; y += spacing)
        {
            for (int x = spacing / 2; x < display.Shape.Width; x += spacing)
            {
                int p = y * display.Shape.Width + x;
                double dx = field[p];
                double dy = field[plane + p];
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
                    Color = FigureStyle.Accent,
                    StrokeThickness = ArrowShaft,
                    HeadLength = head / ArrowShaft,
                    HeadWidth = head / (2 * ArrowShaft),
                    Layer = AnnotationLayer.AboveSeries,
                });
            }
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
