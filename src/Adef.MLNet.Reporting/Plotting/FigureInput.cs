using System.Globalization;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>Argument checks shared by the figures, with messages that name the offending row, array and index.</summary>
internal static class FigureInput
{
    public static void ValidateDisplay(ImageDisplay display, string param = "display")
    {
        if (display.Shape.Channels is not (1 or 3))
        {
            throw new ArgumentException($"display.Shape.Channels must be 1 (grey) or 3 (RGB), got {display.Shape.Channels}.", param);
        }

        if (display.Shape.Height <= 0 || display.Shape.Width <= 0)
        {
            throw new ArgumentException($"display must have a positive height and width, got {display.Shape.Height}×{display.Shape.Width}.", param);
        }

        if (!float.IsFinite(display.DisplayMin) || !float.IsFinite(display.DisplayMax) || display.DisplayMax <= display.DisplayMin)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"display's display range must be finite with DisplayMin < DisplayMax, got [{display.DisplayMin}, {display.DisplayMax}]."),
                param);
        }
    }

    public static void ValidateRow(ExampleRow? row, int index, ImageDisplay display, string param = "rows")
    {
        if (row is null)
        {
            throw new ArgumentException($"{param}[{index}] is null.", param);
        }

        string shape = $"{display.Shape.Channels}×{display.Shape.Height}×{display.Shape.Width}";
        CheckArray(row.Original, nameof(ExampleRow.Original), display.Shape.Size, shape);
        CheckArray(row.Deformed, nameof(ExampleRow.Deformed), display.Shape.Size, shape);
        CheckArray(row.VectorField, nameof(ExampleRow.VectorField), display.Shape.FieldSize, $"2×{display.Shape.Height}×{display.Shape.Width}");
        if (row.OriginalLabel is null || row.AdversarialLabel is null)
        {
            throw new ArgumentException($"{param}[{index}] needs both an original and an adversarial label.", param);
        }

        if (!double.IsFinite(row.TNorm) || row.TNorm < 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{param}[{index}].TNorm must be a finite, non-negative number of pixels, got {row.TNorm}."),
                param);
        }

        void CheckArray(float[]? values, string name, int expected, string expectedShape)
        {
            if (values is null)
            {
                throw new ArgumentException($"{param}[{index}].{name} is null.", param);
            }

            if (values.Length != expected)
            {
                throw new ArgumentException(
                    $"{param}[{index}].{name} has {values.Length} values; the display needs {expectedShape} = {expected}.", param);
            }

            for (int k = 0; k < values.Length; k++)
            {
                if (!float.IsFinite(values[k]))
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"{param}[{index}].{name}[{k}] is {values[k]}; values must be finite."), param);
                }
            }
        }
    }

    /// <summary>Checks a success curve: at least two points, ε finite, non-negative and ascending, rates in [0, 1].</summary>
    public static void ValidateCurve(IReadOnlyList<(double Epsilon, double Rate)> curve)
    {
        const string param = "curve";
        if (curve.Count < 2)
        {
            throw new ArgumentException($"A success curve needs at least two points, got {curve.Count}.", param);
        }

        for (int i = 0; i < curve.Count; i++)
        {
            (double epsilon, double rate) = curve[i];
            if (!double.IsFinite(epsilon) || epsilon < 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"curve[{i}].Epsilon is {epsilon}; budgets must be finite and non-negative."), param);
            }

            if (i > 0 && epsilon < curve[i - 1].Epsilon)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"curve[{i}].Epsilon ({epsilon}) is below curve[{i - 1}].Epsilon ({curve[i - 1].Epsilon}); budgets must ascend."), param);
            }

            if (!(rate is >= 0 and <= 1))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"curve[{i}].Rate is {rate}; rates must lie in [0, 1] (NaN means no image was attacked)."), param);
            }
        }
    }
}
