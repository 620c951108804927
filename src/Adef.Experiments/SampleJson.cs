using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adef.Experiments;

/// <summary>How the sample commands and gpu-check write their JSON reports: indented, with NaN and infinities as named literals.</summary>
public static class SampleJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
