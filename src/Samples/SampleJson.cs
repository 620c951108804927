using System.Text.Json;
using System.Text.Json.Serialization;

using Adef.Experiments;

namespace Adef.Samples;

/// <summary>How the sample commands write results.json: indented, with NaN and infinities as named literals.</summary>
internal static class SampleJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
