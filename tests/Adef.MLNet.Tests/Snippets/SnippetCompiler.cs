using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Adef.MLNet.Tests.Snippets;

/// <summary>One fenced C# block of a document: its text and where it starts (1-based line of the opening fence).</summary>
public sealed record Snippet(string Document, int Line, string Code)
{
    /// <summary>The <c>```csharp</c> blocks of a Markdown text.</summary>
    public static IReadOnlyList<Snippet> Extract(string markdown, string document)
    {
        var snippets = new List<Snippet>();
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") continue;
            int end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            if (end < 0) throw new InvalidDataException($"{document}: the block at line {i + 1} is never closed.");
            snippets.Add(new Snippet(document, i + 1, string.Join('\n', lines[(i + 1)..end])));
            i = end;
        }
        return snippets;
    }
}

/// <summary>Compiles snippets with Roslyn against the assemblies the tests run with (the library and its dependencies).</summary>
public static partial class SnippetCompiler
{
    /// <summary>What a console app gets with ImplicitUsings (Microsoft.NET.Sdk), which a README program may count on.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Snippets");

    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);

    /// <summary>A document by its path in the repository, as the test project copies it beside the tests.</summary>
    public static string ReadDocument(string repositoryPath) =>
        File.ReadAllText(Path.Combine(Folder, "Documents", repositoryPath.Replace('/', Path.DirectorySeparatorChar)));

    /// <summary>Null when <paramref name="snippet"/> compiles as a program of its own; otherwise the errors, naming where it is.</summary>
    public static string? Compile(Snippet snippet, bool withPrelude)
    {
        var trees = new List<SyntaxTree> { Parse(ImplicitUsings, "ImplicitUsings.cs"), Parse(snippet.Code, $"{snippet.Document}:{snippet.Line}") };
        if (withPrelude) trees.Add(Parse(File.ReadAllText(Path.Combine(Folder, "GuidePrelude.cs")), "GuidePrelude.cs"));
        var compilation = CSharpCompilation.Create("Snippet", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        string[] errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"  line {snippet.Line + d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id} {d.GetMessage()}")
            .ToArray();
        return errors.Length == 0 ? null
            : $"{snippet.Document}, block at line {snippet.Line}, does not compile:\n{string.Join('\n', errors)}\n{snippet.Code}";
    }

    private static SyntaxTree Parse(string code, string path) =>
        CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest), path);

    /// <summary>The runtime's assemblies, then the managed assemblies beside the tests that the runtime does not provide.</summary>
    private static MetadataReference[] LoadReferences()
    {
        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var names = new HashSet<string>(platform.Select(Path.GetFileNameWithoutExtension)!, StringComparer.OrdinalIgnoreCase);
        IEnumerable<string> local = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(path => names.Add(Path.GetFileNameWithoutExtension(path)) && IsManaged(path));
        return platform.Concat(local).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToArray();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
