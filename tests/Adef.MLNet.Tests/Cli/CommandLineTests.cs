using Adef.Cli;
using static Adef.MLNet.Tests.Cli.CliRunner;

namespace Adef.MLNet.Tests.Cli;

/// <summary>What the adef tool answers before any command runs: help, version and command-line mistakes.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("attack", "--resume")]
    [InlineData("report", "--epsilon")]
    public void EachCommandsHelpListsItsOptionsAndTheExitCodes(string command, string option)
    {
        var (exit, output, error) = Run([command, "--help"]);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains(option, output);
        Assert.Contains("Exit codes: 0 done; 1 bad input", output);
        Assert.Contains("130 interrupted (Ctrl+C); 70 internal error", output);
    }

    [Fact]
    public void VersionPrintsOneLineAndExits0()
    {
        var (exit, output, _) = Run(["--version"]);

        Assert.Equal(0, exit);
        Assert.Matches(@"^\d+\.\d+", Assert.Single(Lines(output)));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("attack", "--bogus")]
    [InlineData("report", "--epsilon", "wide")]
    public void AMistypedCommandLineIsOneLineOfErrorAndExit1(params string[] args)
    {
        var (exit, output, error) = Run(args);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", Assert.Single(Lines(error)));
    }

    [Fact]
    public void NoCommandIsAnErrorPointingToHelp()
    {
        var (exit, _, error) = Run([]);

        Assert.Equal(1, exit);
        Assert.EndsWith("(see adef --help)", Assert.Single(Lines(error)));
    }

    [Fact]
    public void ABugIsExit70WithItsStackTraceWhileBadInputIsOneLine()
    {
        var bug = new StringWriter();
        Exception thrown = Record.Exception(() => ((string)null!).Trim())!;

        Assert.Equal(70, AdefCli.Fail(thrown, bug));
        Assert.Contains("NullReferenceException", bug.ToString());
        Assert.Contains(nameof(ABugIsExit70WithItsStackTraceWhileBadInputIsOneLine), bug.ToString());

        var badInput = new StringWriter();
        Assert.Equal(1, AdefCli.Fail(new IOException("line one\n  line two"), badInput));
        Assert.Equal("error: line one line two" + Environment.NewLine, badInput.ToString());
    }
}
