using Microsoft.ML;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// The schema shape ML.NET's own pipelines give an estimator. <c>SchemaShape.Create</c> is internal
/// (ML.NET 5.0.1 and 6.0.0, docs/mlnet.md); the tests reach it by reflection (the library itself never does).
/// </summary>
public static class SchemaShapes
{
    public static SchemaShape Of(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static,
            [typeof(DataViewSchema)])!.Invoke(null, [schema])!;
}
