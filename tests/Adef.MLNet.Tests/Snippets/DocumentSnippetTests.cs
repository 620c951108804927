namespace Adef.MLNet.Tests.Snippets;

/// <summary>
/// Every C# block of the user-facing documents compiles against the library as it is: README.md's quick starts as complete
/// programs, docs/guide.md's and the packages' READMEs' blocks with the names of <c>GuidePrelude.cs</c>.
/// </summary>
public class DocumentSnippetTests
{
    public static TheoryData<string, bool> Documents => new()
    {
        { "README.md", false },
        { "docs/guide.md", true },
        { "src/Adef.MLNet/README.md", true },
        { "src/Adef.MLNet.TorchSharp/README.md", true },
        { "src/Adef.MLNet.Reporting/README.md", true },
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryCSharpBlockCompiles(string document, bool withPrelude)
    {
        IReadOnlyList<Snippet> snippets = Snippet.Extract(SnippetCompiler.ReadDocument(document), document);
        Assert.NotEmpty(snippets);

        string[] failures = snippets.Select(s => SnippetCompiler.Compile(s, withPrelude)).Where(f => f is not null).ToArray()!;

        Assert.True(failures.Length == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void ABrokenBlockFailsNamingTheDocumentTheLineAndTheError()
    {
        const string document = """
            Text.

            ```csharp
            using Adef.MLNet.Transforms;

            var estimator = mlContext.Transforms.Adef("model.onnx", onnxOptions: null, inputColumnName: "Pixels");
            ```
            """;
        Snippet snippet = Assert.Single(Snippet.Extract(document, "broken.md"));

        string? failure = SnippetCompiler.Compile(snippet, withPrelude: true);

        Assert.NotNull(failure);
        Assert.Contains("broken.md, block at line 3", failure);
        Assert.Contains("onnxOptions", failure);                     // CS1739: no parameter of that name any more
        Assert.Null(SnippetCompiler.Compile(snippet with { Code = snippet.Code.Replace(", onnxOptions: null, inputColumnName: \"Pixels\"", "") },
            withPrelude: true));
        Assert.NotNull(SnippetCompiler.Compile(snippet with { Code = "var x = mlContext;" }, withPrelude: false)); // no prelude: no mlContext
    }
}
