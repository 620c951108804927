using Onnx;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal sealed partial class GradientGraphBuilder
{
    /// <summary>Adds <paramref name="cotangent"/> to the cotangent of <paramref name="tensor"/> when that tensor is active.</summary>
    /// <param name="tensor">A forward tensor.</param>
    /// <param name="cotangent">A tensor of shape [K] + shape(<paramref name="tensor"/>).</param>
    public void AddCotangent(string tensor, string cotangent)
    {
        if (!Active.Contains(tensor))
        {
            return;
        }
        if (!_cotangents.TryGetValue(tensor, out var list))
        {
            list = [];
            _cotangents[tensor] = list;
        }
        list.Add(cotangent);
    }

    /// <summary>The accumulated cotangent of <paramref name="tensor"/>, or null when nothing flowed into it.</summary>
    /// <param name="tensor">A forward tensor.</param>
    public string? Cotangent(string tensor)
    {
        if (!_cotangents.TryGetValue(tensor, out var list) || list.Count == 0)
        {
            return null;
        }
        if (list.Count > 1)
        {
            var sum = list.Count == 2 ? Node("Add", [list[0], list[1]]) : Node("Sum", [.. list]);
            list.Clear();
            list.Add(sum);
        }
        return list[0];
    }

    /// <summary>The 1-D int64 shape of a forward tensor (one Shape node per tensor).</summary>
    /// <param name="tensor">A tensor name.</param>
    public string ShapeOf(string tensor)
    {
        if (!_shapes.TryGetValue(tensor, out var shape))
        {
            shape = Node("Shape", [tensor]);
            _shapes[tensor] = shape;
        }
        return shape;
    }

    /// <summary>The 1-D int64 shape [K] + shape(<paramref name="tensor"/>) of the cotangent of a forward tensor.</summary>
    /// <param name="tensor">A forward tensor.</param>
    public string CotangentShapeOf(string tensor) => Node("Concat", [KDim, ShapeOf(tensor)], Int("axis", 0));

    /// <summary>Reshapes <paramref name="value"/> to [K] + shape(<paramref name="tensor"/>).</summary>
    /// <param name="value">A tensor with K·size(<paramref name="tensor"/>) elements.</param>
    /// <param name="tensor">A forward tensor.</param>
    public string ReshapeToCotangentOf(string value, string tensor) => Node("Reshape", [value, CotangentShapeOf(tensor)]);

    /// <summary>Zeros of shape [K] + shape(<paramref name="tensor"/>).</summary>
    /// <param name="tensor">A forward tensor.</param>
    public string ZerosLikeCotangent(string tensor)
        => Node("ConstantOfShape", [CotangentShapeOf(tensor)], Tensor("value", ElementTensor([0.0], 1)));

    /// <summary>Merges the leading K axis into the batch axis: [K, N, ...] → [K·N, ...].</summary>
    /// <param name="value">A cotangent.</param>
    public string FoldK(string value)
    {
        var rest = Node("Shape", [value], Int("start", 2));
        return Node("Reshape", [value, Node("Concat", [Int64s(-1), rest], Int("axis", 0))]);
    }

    /// <summary>
    /// Sums a cotangent [K] + shape(y) over the axes along which the forward broadcast expanded
    /// <paramref name="operand"/> to y (numpy rules: left-padded with ones), giving [K] + shape(<paramref name="operand"/>).
    /// For a matrix product, y's last two axes may differ from the operand's; only the batch axes are summed.
    /// </summary>
    /// <param name="cotangent">A cotangent whose axes after the first are y's broadcast shape.</param>
    /// <param name="operand">The forward operand that was broadcast.</param>
    public string Unbroadcast(string cotangent, string operand)
    {
        var full = Node("Shape", [cotangent], Int("start", 1));
        var operandShape = ShapeOf(operand);
        var rankDifference = Node("Sub", [Node("Size", [full]), Node("Size", [operandShape])]);
        var ones = Node("ConstantOfShape", [Node("Reshape", [rankDifference, Int64s(1)])],
            Tensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 1 } }));
        var padded = Node("Concat", [ones, operandShape], Int("axis", 0));
        // Axes where the padded operand has size one (summing an axis of size one is harmless), shifted for K.
        var isOne = Node("Equal", [padded, Int64s(1)]);
        var axes = Node("Add", [Node("Reshape", [Node("NonZero", [isOne]), Int64s(-1)]), Int64s(1)]);
        var summed = Node("ReduceSum", [cotangent, axes], Int("keepdims", 1), Int("noop_with_empty_axes", 1));
        return ReshapeToCotangentOf(summed, operand);
    }

    /// <summary>
    /// Scatters a cotangent of a forward result y into zeros shaped like the cotangent of x, given an
    /// int64 tensor of y's shape whose entries are flat (row-major) positions in x; positions equal to
    /// size(x) are dropped when <paramref name="dropSlot"/> is set. Repeated positions accumulate.
    /// </summary>
    /// <param name="cotangent">Cotangent of y, [K] + shape(y).</param>
    /// <param name="positions">Flat positions in x, shape(y).</param>
    /// <param name="input">The forward tensor x.</param>
    /// <param name="dropSlot">Whether positions may equal size(x), meaning "no element of x".</param>
    public string ScatterToInput(string cotangent, string positions, string input, bool dropSlot)
    {
        var size = Node("Reshape", [Node("Size", [input]), Int64s(1)]);
        var width = dropSlot ? Node("Add", [size, Int64s(1)]) : size;
        var zeros = Node("ConstantOfShape", [Node("Concat", [KDim, width], Int("axis", 0))], Tensor("value", ElementTensor([0.0], 1)));
        var flatPositions = Node("Reshape", [positions, Int64s(1, -1)]);
        var indices = Node("Expand", [flatPositions, Node("Concat", [KDim, Int64s(1)], Int("axis", 0))]);
        var updates = Node("Reshape", [cotangent, Node("Concat", [KDim, Int64s(-1)], Int("axis", 0))]);
        var scattered = Node("ScatterElements", [zeros, indices, updates], Int("axis", 1), String("reduction", "add"));
        if (dropSlot)
        {
            scattered = Node("Slice", [scattered, Int64s(0), size, Int64s(1)]);
        }
        return ReshapeToCotangentOf(scattered, input);
    }

    /// <summary>An int64 tensor shaped like <paramref name="input"/> holding the row-major position of each element.</summary>
    /// <param name="input">A forward tensor.</param>
    public string PositionsOf(string input)
    {
        var size = Node("Size", [input]);
        var range = Node("Range", [Int64Scalar(0), size, Int64Scalar(1)]);
        return Node("Reshape", [range, ShapeOf(input)]);
    }
}
