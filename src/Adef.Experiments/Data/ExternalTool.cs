using System.Diagnostics;

using Adef.MLNet;

namespace Adef.Experiments;

/// <summary>Runs a package client (npm, apt-get, dpkg-deb) and reports failures as <see cref="DataFileException"/>.</summary>
internal static class ExternalTool
{
    public static void Run(string fileName, string arguments, string workingDirectory, string whatFor, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new DataFileException(
                $"{whatFor} needs '{fileName}', which could not be started ({e.Message}). Install it, or place the files by hand (see the message of the loader).",
                workingDirectory, e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new DataFileException(
                    $"{whatFor}: '{fileName} {arguments}' did not finish within {timeout.TotalSeconds:0} s (is the package feed reachable?).",
                    workingDirectory);
            }
            if (process.ExitCode != 0)
            {
                string detail = (stderr.Result + stdout.Result).Trim();
                if (detail.Length > 2000) detail = detail[^2000..];
                throw new DataFileException(
                    $"{whatFor}: '{fileName} {arguments}' failed with exit code {process.ExitCode} (is the package feed reachable?):\n{detail}",
                    workingDirectory);
            }
        }
    }
}
